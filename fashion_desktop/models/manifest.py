"""The manifest written by export_models.py next to each model, read and checked against its expected shape.

The exporter and the app share this module so the format is declared once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fashion_desktop.models.shapes import JsonObject, ShapeError
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

_SHA256 = re.compile(r"[0-9a-f]{64}")
Parsed = TypeVar("Parsed")


class ModelFilesError(RuntimeError):
    """A model file is missing, unreadable, malformed or not the file the exporter wrote."""


class ModelsMissingError(ModelFilesError):
    """No exported model folder was found at all."""


@dataclass(frozen=True)
class GraphInfo:
    """One ONNX graph of a model: its fp32 file, optional int8 file, and I/O names."""

    fp32: str
    inputs: list[str]
    outputs: list[str]
    int8: str | None = None

    @classmethod
    def from_json(cls, raw: JsonObject) -> GraphInfo:
        return cls(
            fp32=raw.text("fp32"),
            inputs=raw.texts("inputs"),
            outputs=raw.texts("outputs"),
            int8=raw.optional_text("int8"),
        )


@dataclass(frozen=True)
class Int8Quality:
    """Outcome of `export_models.py --check-quality`: the app uses int8 only when `passed`."""

    passed: bool
    reason: str
    images: int = 0
    metrics: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_json(cls, raw: JsonObject) -> Int8Quality:
        metrics = raw.optional_obj("metrics")
        return cls(
            passed=raw.boolean("passed"),
            reason=raw.text("reason"),
            images=raw.integer("images", minimum=0) if raw.has("images") else 0,
            metrics={key: metrics.number(key) for key in metrics.raw} if metrics else {},
        )


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

    def identity(self, graph_file: str) -> str:
        """Names the weights in `graph_file` (source, revision, file, checksum prefix): results cached under
        another identity came from other weights and are stale."""
        return f"{self.source}@{self.revision or '-'}:{graph_file}:{self.files.get(graph_file, '')[:12]}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, raw: object) -> ModelManifest:
        """Raises ShapeError (naming the key) for anything that is not a manifest this app can use."""
        top = JsonObject(raw)
        version = top.integer("format", minimum=1) if top.has("format") else MANIFEST_FORMAT
        if version != MANIFEST_FORMAT:
            raise ShapeError(f"it has format {version}; this app reads format {MANIFEST_FORMAT}")
        files = top.obj("files").text_members()
        for name, digest in files.items():
            if Path(name).name != name or name.startswith("."):
                raise ShapeError(f"'files' lists {name!r}, which is not a plain file name")
            if not _SHA256.fullmatch(digest):
                raise ShapeError(f"'files.{name}' must be a sha256 in hex, not {digest[:70]!r}")
        graphs = {name: GraphInfo.from_json(graph) for name, graph in top.obj("graphs").members().items()}
        for name, graph in graphs.items():
            for file in (graph.fp32, graph.int8):
                if file is not None and file not in files:
                    raise ShapeError(f"graph '{name}' uses {file}, which 'files' does not list")
        quality = top.optional_obj("int8_quality")
        exporter = top.optional_obj("exporter")
        parity = top.optional_obj("parity")
        properties = top.optional_obj("properties")
        return cls(
            model=top.text("model"),
            source=top.text("source"),
            revision=top.optional_text("revision"),
            random_weights=top.optional_text("random_weights", choices=("tiny", "full")),
            opset=top.integer("opset", minimum=1),
            graphs=graphs,
            files=files,
            exporter=exporter.text_members() if exporter else {},
            parity=dict(parity.raw) if parity else {},
            int8_quality=Int8Quality.from_json(quality) if quality else None,
            format=version,
            properties=dict(properties.raw) if properties else {},
        )


def read_model_json(model_dir: Path, name: str, parse: Callable[[object], Parsed]) -> Parsed:
    """Read JSON file `name` of a model folder and `parse` it; any flaw becomes a ModelFilesError naming the file,
    what is wrong in it and the remedy."""
    path = model_dir / name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFilesError(f"Model file missing: {path}. {REMEDY}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFilesError(f"Model file unreadable: {path} ({exc}). {REMEDY}") from None
    except ValueError as exc:
        raise ModelFilesError(f"Model file unreadable: {path} is not valid JSON ({exc}). {REMEDY}") from None
    except RecursionError:
        raise ModelFilesError(f"Model file unreadable: {path} is nested too deeply. {REMEDY}") from None
    try:
        return parse(raw)
    except ShapeError as exc:
        raise ModelFilesError(f"Model file invalid: {path}: {exc}. {REMEDY}") from None


def load_manifest(model_dir: Path, model: str | None = None) -> ModelManifest:
    """The manifest of `model_dir`; with `model`, also that the folder holds that model (not another one's)."""
    manifest = read_model_json(model_dir, MANIFEST_NAME, ModelManifest.from_dict)
    if model is not None and manifest.model != model:
        raise ModelFilesError(
            f"Model folder mix-up: {model_dir / MANIFEST_NAME} says the folder holds the '{manifest.model}' model "
            f"where the '{model}' model is expected (were the model folders swapped or renamed?). {REMEDY}"
        )
    return manifest


def find_model_dir(name: str, search_path: Sequence[Path]) -> Path:
    """The first folder of `search_path` (see AppPaths.models_search_path) that holds this model's manifest."""
    searched = []
    for root in search_path:
        candidate = root / name
        searched.append(str(candidate))
        if (candidate / MANIFEST_NAME).is_file():
            return candidate
    raise ModelsMissingError(f"No exported '{name}' model found (looked in: {', '.join(searched)}). {REMEDY}")
