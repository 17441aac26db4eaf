"""The manifest written by export_models.py next to each model, and its verification on load.

The exporter and the app share this module so the format is declared once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fashion_desktop.paths import MODELS_ENV

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
RESNET_DIR = "resnet50"
BLIP_DIR = "blip"

REMEDY = (
    "Copy a complete exported models/onnx folder from a machine that has one (or point "
    f"{MODELS_ENV} at it), or run `python export_models.py --force` on a machine with internet access. "
    "To try the app without real models: `./run.sh --stand-ins` in a source checkout, or "
    "`python export_models.py --random-weights tiny` (results and captions are then meaningless stand-ins)."
)


class ModelFilesError(RuntimeError):
    """A model file is missing, unreadable or not the file the exporter wrote."""


class ModelsMissingError(ModelFilesError):
    """No exported model folder was found at all."""


@dataclass(frozen=True)
class GraphInfo:
    """One ONNX graph of a model: its fp32 file, optional int8 file, and I/O names."""

    fp32: str
    inputs: list[str]
    outputs: list[str]
    int8: str | None = None


@dataclass(frozen=True)
class Int8Quality:
    """Outcome of `export_models.py --check-quality`: the app uses int8 only when `passed`."""

    passed: bool
    reason: str
    images: int = 0
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelManifest:
    model: str
    source: str
    revision: str | None
    random_weights: str | None  # None for real weights, else "tiny" or "full"
    opset: int
    graphs: dict[str, GraphInfo]
    files: dict[str, str]  # file name -> sha256
    exporter: dict[str, str]
    parity: dict[str, Any] = field(default_factory=dict)
    int8_quality: Int8Quality | None = None
    format: int = MANIFEST_FORMAT
    properties: dict[str, Any] = field(default_factory=dict)  # e.g. {"dimension": 2048} for the embedder

    @property
    def int8_usable(self) -> bool:
        has_int8 = all(g.int8 for g in self.graphs.values())
        return has_int8 and self.int8_quality is not None and self.int8_quality.passed

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ModelManifest:
        quality = raw.get("int8_quality")
        return cls(
            model=raw["model"],
            source=raw["source"],
            revision=raw.get("revision"),
            random_weights=raw.get("random_weights"),
            opset=int(raw["opset"]),
            graphs={name: GraphInfo(**g) for name, g in raw["graphs"].items()},
            files=dict(raw["files"]),
            exporter=dict(raw.get("exporter", {})),
            parity=dict(raw.get("parity", {})),
            int8_quality=Int8Quality(**quality) if quality else None,
            format=int(raw.get("format", MANIFEST_FORMAT)),
            properties=dict(raw.get("properties", {})),
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_manifest(model_dir: Path) -> ModelManifest:
    path = model_dir / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        manifest = ModelManifest.from_dict(raw)
    except FileNotFoundError:
        raise ModelFilesError(f"Model manifest missing: {path}. {REMEDY}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFilesError(f"Model manifest unreadable: {path} ({exc}). {REMEDY}") from None
    if manifest.format != MANIFEST_FORMAT:
        raise ModelFilesError(
            f"Model manifest {path} has format {manifest.format}; this app reads format {MANIFEST_FORMAT}. {REMEDY}"
        )
    return manifest


def verify_files(model_dir: Path, manifest: ModelManifest, names: list[str]) -> None:
    """Check that each named file exists and has the checksum the exporter recorded."""
    for name in names:
        path = model_dir / name
        expected = manifest.files.get(name)
        if expected is None:
            raise ModelFilesError(f"Model file {path} is not listed in {model_dir / MANIFEST_NAME}. {REMEDY}")
        if not path.is_file():
            raise ModelFilesError(f"Model file missing: {path}. {REMEDY}")
        try:
            actual = sha256_of(path)
        except OSError as exc:
            raise ModelFilesError(f"Model file unreadable: {path} ({exc}). {REMEDY}") from None
        if actual != expected:
            raise ModelFilesError(f"Model file corrupt (checksum mismatch): {path}. {REMEDY}")


def find_model_dir(name: str, search_path: Sequence[Path]) -> Path:
    """The first folder of `search_path` (see AppPaths.models_search_path) that holds this model's manifest."""
    searched = []
    for root in search_path:
        candidate = root / name
        searched.append(str(candidate))
        if (candidate / MANIFEST_NAME).is_file():
            return candidate
    raise ModelsMissingError(f"No exported '{name}' model found (looked in: {', '.join(searched)}). {REMEDY}")


def read_json(model_dir: Path, name: str) -> dict[str, Any]:
    path = model_dir / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFilesError(f"Model file missing: {path}. {REMEDY}") from None
    except (OSError, ValueError) as exc:
        raise ModelFilesError(f"Model file unreadable: {path} ({exc}). {REMEDY}") from None
    if not isinstance(data, dict):
        raise ModelFilesError(f"Model file {path} does not hold a JSON object. {REMEDY}")
    return data


def describe_models(search_path: Sequence[Path]) -> list[dict[str, Any]]:
    """What is installed, for the window's model info and banner; unreadable models are reported, not raised."""
    described: list[dict[str, Any]] = []
    for name in (RESNET_DIR, BLIP_DIR):
        try:
            folder = find_model_dir(name, search_path)
            manifest = load_manifest(folder)
        except ModelFilesError as exc:
            described.append({"model": name, "error": str(exc)})
            continue
        described.append(
            {
                "model": manifest.model,
                "folder": str(folder),
                "source": manifest.source,
                "revision": manifest.revision,
                "random_weights": manifest.random_weights,
                "int8": manifest.int8_usable,
                "exporter": manifest.exporter,
            }
        )
    return described
