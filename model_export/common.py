"""Pieces shared by the ResNet and BLIP exporters: versions, manifests, synthetic images, file writing."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from fashion_desktop.models.base import OnnxModel
from fashion_desktop.models.checksums import sha256_of
from fashion_desktop.models.manifest import MANIFEST_NAME, GraphInfo, Int8Quality, ModelFilesError, ModelManifest

OPSET = 17


class ExportError(RuntimeError):
    """The export could not be completed (unreachable hub, parity miss, bad input)."""


@dataclass(frozen=True)
class Source:
    """Where weights come from: a hub id or local directory, or random weights of a given size."""

    name_or_path: str
    revision: str | None = None
    random_weights: str | None = None  # "tiny" | "full"

    @property
    def label(self) -> str:
        return f"random-weights:{self.random_weights}" if self.random_weights else self.name_or_path


def exporter_versions() -> dict[str, str]:
    versions = {}
    for package in ("torch", "transformers", "optimum", "optimum-onnx", "onnx", "onnxruntime"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return versions


def existing_export_is_valid(model_dir: Path, model_class: type[OnnxModel]) -> bool:
    """True when the app would accept the folder: all checksums match, every JSON file has its shape and the
    graphs agree with them (an export from an older exporter that lacks what the app now reads is redone)."""
    try:
        model_class(model_dir, variant="fp32").verify_all()
    except ModelFilesError:
        return False
    return True


def write_manifest(
    model_dir: Path,
    *,
    model: str,
    source: Source,
    graphs: dict[str, GraphInfo],
    parity: dict[str, Any],
    int8_quality: Int8Quality | None = None,
    properties: dict[str, Any] | None = None,
) -> ModelManifest:
    """Checksum every file in the folder (except the manifest) and write the manifest last."""
    manifest = ModelManifest(
        model=model,
        source=source.label,
        revision=source.revision,
        random_weights=source.random_weights,
        opset=OPSET,
        graphs=graphs,
        files={},
        exporter=exporter_versions(),
        parity=parity,
        int8_quality=int8_quality,
        properties=properties or {},
    )
    return update_manifest(model_dir, manifest)


def update_manifest(model_dir: Path, manifest: ModelManifest, **changes: Any) -> ModelManifest:
    """Apply `changes`, re-checksum every file in the folder (but the manifest) and write the manifest last."""
    files = {
        path.name: sha256_of(path)
        for path in sorted(model_dir.iterdir())
        if path.is_file() and path.name != MANIFEST_NAME
    }
    updated = replace(manifest, files=files, **changes)
    (model_dir / MANIFEST_NAME).write_text(updated.to_json(), encoding="utf-8")
    return updated


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@contextmanager
def staging_dir(final_dir: Path) -> Iterator[Path]:
    """A temporary folder beside `final_dir` that replaces it only if the export completes."""
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{final_dir.name}-", dir=final_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; an installed app may run as another user
    try:
        yield staging
        if final_dir.exists():
            shutil.rmtree(final_dir)
        os.replace(staging, final_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def synthetic_images(count: int, seed: int = 0) -> list[Image.Image]:
    """Deterministic, varied pictures (sizes, aspect ratios, colours, shapes) for parity and calibration."""
    rng = np.random.default_rng(seed)
    images = []
    for index in range(count):
        width, height = int(rng.integers(180, 640)), int(rng.integers(180, 640))
        base = rng.integers(0, 256, size=3)
        ramp = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
        pixels = base[None, None, :] * (0.4 + 0.6 * ramp) + rng.normal(0, 12, size=(height, width, 3))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
        draw = ImageDraw.Draw(image)
        for _ in range(3 + index % 4):
            x0, y0 = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
            box = (x0, y0, x0 + int(rng.integers(20, width // 2)), y0 + int(rng.integers(20, height // 2)))
            colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
        images.append(image)
    return images


def is_hub_unreachable(exc: BaseException) -> bool:
    """Whether an exception from from_pretrained means the hub could not be reached."""
    names = {type(e).__name__ for e in _chain(exc)}
    network = {"ConnectionError", "ConnectTimeout", "ReadTimeout", "LocalEntryNotFoundError", "OfflineModeIsEnabled"}
    text = " ".join(str(e) for e in _chain(exc)).lower()
    return bool(names & network) or "couldn't connect" in text or "offline" in text or "resolve" in text


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__
