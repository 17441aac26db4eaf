"""Translate a Hugging Face image processor into the app's preprocess.json (PreprocessConfig)."""

from __future__ import annotations

from typing import Any

from fashion_desktop.models.preprocess import PreprocessConfig
from model_export.common import ExportError

_PIL_RESAMPLE_NAMES = {0: "nearest", 2: "bilinear", 3: "bicubic", 1: "lanczos"}


def preprocess_config_from_processor(processor: Any) -> PreprocessConfig:
    kind = type(processor).__name__
    resample = _PIL_RESAMPLE_NAMES.get(int(processor.resample))
    if resample is None or not processor.do_rescale or not processor.do_normalize:
        raise ExportError(f"unsupported {kind} settings (resample {processor.resample})")
    mean = (float(processor.image_mean[0]), float(processor.image_mean[1]), float(processor.image_mean[2]))
    std = (float(processor.image_std[0]), float(processor.image_std[1]), float(processor.image_std[2]))

    def config(mode: str, height: int, width: int, crop: int | None) -> PreprocessConfig:
        return PreprocessConfig(mode, height, width, crop, crop, resample, float(processor.rescale_factor), mean, std)

    if kind.startswith("ConvNext"):
        shortest = int(processor.size["shortest_edge"])
        if shortest < 384:  # ConvNeXT rule: resize to shortest/crop_pct, then centre-crop to shortest
            resize = int(shortest / processor.crop_pct)
            return config("shortest_edge", resize, resize, shortest)
        return config("exact", shortest, shortest, None)
    if kind.startswith("Blip"):
        size = processor.size
        return config("exact", int(size["height"]), int(size["width"]), None)
    raise ExportError(f"no preprocessing translation for {kind}")
