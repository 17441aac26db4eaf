"""int8 variants: static QDQ for ResNet (U8 activations, S8 per-channel weights), dynamic MatMul for BLIP.

Measured on 2-core x86 machines (bench/models.py): static S8S8 gave no speed-up and dynamic quantization of
convolutions (ConvInteger) is 6-8x slower, hence these two choices.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from fashion_desktop.models.manifest import load_manifest
from fashion_desktop.models.preprocess import PreprocessConfig, preprocess

log = logging.getLogger("fashion_desktop.export.quantize")

INT8_SUFFIX = "_int8.onnx"


def int8_name(fp32_name: str) -> str:
    return fp32_name.removesuffix(".onnx") + INT8_SUFFIX


def quantize_resnet(model_dir: Path, calibration: list[Image.Image], config: PreprocessConfig) -> dict[str, str]:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._batches: Iterator[dict[str, np.ndarray]] = iter(
                {"pixel_values": preprocess(image.convert("RGB"), config)[None]} for image in calibration
            )

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._batches, None)

    manifest = load_manifest(model_dir)
    fp32 = manifest.graphs["model"].fp32
    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(model_dir / fp32), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(model_dir / int8_name(fp32)),
            Reader(),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
    log.info("ResNet int8 (static QDQ U8S8 per-channel) calibrated on %d images", len(calibration))
    return {"model": int8_name(fp32)}


def quantize_blip(model_dir: Path) -> dict[str, str]:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    manifest = load_manifest(model_dir)
    names = {}
    for graph, info in manifest.graphs.items():
        target = int8_name(info.fp32)
        quantize_dynamic(
            str(model_dir / info.fp32),
            str(model_dir / target),
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            weight_type=QuantType.QInt8,
        )
        names[graph] = target
    log.info("BLIP int8 (dynamic MatMul, per-channel) written")
    return names
