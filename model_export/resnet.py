"""ResNet50 → ONNX through optimum, exposing the pooled 2048-d vector with a dynamic batch axis."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from optimum.exporters.onnx import onnx_export_from_model
from optimum.exporters.onnx.model_configs import ResNetOnnxConfig
from PIL import Image
from transformers import AutoImageProcessor, ConvNextImageProcessor, ResNetConfig, ResNetModel

from fashion_desktop.models.base import PREPROCESS_FILE
from fashion_desktop.models.manifest import GraphInfo
from model_export.common import OPSET, ExportError, Source, synthetic_images, write_json, write_manifest
from model_export.processors import preprocess_config_from_processor

log = logging.getLogger("fashion_desktop.export.resnet")

GRAPH_FILE = "model.onnx"
INPUT_NAME = "pixel_values"
OUTPUT_NAME = "pooler_output"
PARITY_ATOL = 1e-4
# microsoft/resnet-50's preprocessor_config.json, used when building random-weight stand-ins offline.
RESNET50_PROCESSOR = {
    "size": {"shortest_edge": 224},
    "crop_pct": 0.875,
    "resample": 3,
    "image_mean": [0.485, 0.456, 0.406],
    "image_std": [0.229, 0.224, 0.225],
}
TINY_CONFIG = {"embedding_size": 16, "hidden_sizes": [32, 64, 96, 128], "depths": [1, 1, 1, 1]}


class PooledResNetOnnxConfig(ResNetOnnxConfig):  # type: ignore[misc]
    """optimum's ResNet config exposes last_hidden_state with frozen spatial dims; we want the pooled vector."""

    @property
    def inputs(self) -> dict[str, dict[int, str]]:
        return {INPUT_NAME: {0: "batch_size"}}

    @property
    def outputs(self) -> dict[str, dict[int, str]]:
        return {OUTPUT_NAME: {0: "batch_size"}}


def load(source: Source) -> tuple[ResNetModel, ConvNextImageProcessor]:
    if source.random_weights:
        torch.manual_seed(0)
        config = ResNetConfig(**TINY_CONFIG) if source.random_weights == "tiny" else ResNetConfig()
        model = ResNetModel(config)
        processor = ConvNextImageProcessor(**RESNET50_PROCESSOR)
        _calibrate_batchnorm(model, processor)
    else:
        model = ResNetModel.from_pretrained(source.name_or_path, revision=source.revision)
        processor = AutoImageProcessor.from_pretrained(source.name_or_path, revision=source.revision)
    return model.eval(), processor


def _calibrate_batchnorm(model: ResNetModel, processor: Any) -> None:
    """Random weights with identity BatchNorm statistics blow activations up layer after layer; re-estimating
    the statistics on a few images gives activations of realistic scale (meaningful timings and tolerances)."""
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.reset_running_stats()
            module.momentum = None  # cumulative average over the calibration batches
    pixels = processor(images=synthetic_images(16, seed=1), return_tensors="pt")["pixel_values"]
    model.train()
    with torch.no_grad():
        for batch in pixels.split(8):
            model(pixel_values=batch)
    model.eval()


def export(source: Source, out_dir: Path) -> dict[str, Any]:
    """Write model.onnx and preprocess.json into `out_dir`; return the parity figures."""
    model, processor = load(source)
    preprocess = preprocess_config_from_processor(processor)
    height, width = preprocess.output_size
    onnx_export_from_model(
        model,
        output=out_dir,
        opset=OPSET,
        task="feature-extraction",
        custom_onnx_configs={"model": PooledResNetOnnxConfig(model.config, task="feature-extraction")},
        do_validation=False,  # our own parity check below is stricter and uses real preprocessing
        height=height,
        width=width,
    )
    _keep_only(out_dir, {GRAPH_FILE})
    write_json(out_dir / PREPROCESS_FILE, preprocess.to_dict())
    parity = check_parity(model, processor, out_dir)
    write_manifest(
        out_dir,
        model="resnet50",
        source=source,
        graphs={"model": GraphInfo(fp32=GRAPH_FILE, inputs=[INPUT_NAME], outputs=[OUTPUT_NAME])},
        parity=parity,
        properties={"dimension": int(model.config.hidden_sizes[-1])},
    )
    return parity


def _keep_only(out_dir: Path, keep: set[str]) -> None:
    """optimum also saves config and processor files; the app reads only the graph and our JSON."""
    for path in out_dir.iterdir():
        if path.is_file() and path.name not in keep:
            path.unlink()


def torch_pooled(model: ResNetModel, pixel_values: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        pooled = model(pixel_values=pixel_values).pooler_output
    return np.asarray(pooled.reshape(len(pixel_values), -1).numpy())


def check_parity(
    model: ResNetModel, processor: Any, out_dir: Path, images: list[Image.Image] | None = None
) -> dict[str, Any]:
    """Pooled vectors from onnxruntime vs transformers' PyTorch model on the same HF-preprocessed images."""
    from fashion_desktop.models.session import create_session

    images = images if images is not None else synthetic_images(6, seed=2)
    pixels = processor(images=images, return_tensors="pt")["pixel_values"]
    expected = torch_pooled(model, pixels)
    session = create_session(out_dir / GRAPH_FILE)
    (actual,) = session.run(None, {INPUT_NAME: pixels.numpy()})
    actual = np.asarray(actual).reshape(len(images), -1)
    max_abs = float(np.abs(actual - expected).max())
    cosine = float(
        np.min(np.sum(actual * expected, 1) / (np.linalg.norm(actual, axis=1) * np.linalg.norm(expected, axis=1)))
    )
    log.info("ResNet parity on %d images: max abs diff %.2e, min cosine %.7f", len(images), max_abs, cosine)
    if not max_abs <= PARITY_ATOL:
        raise ExportError(f"ResNet parity failed: max abs diff {max_abs:.2e} > {PARITY_ATOL:.0e}")
    return {"images": len(images), "max_abs_diff": max_abs, "min_cosine": cosine, "atol": PARITY_ATOL}
