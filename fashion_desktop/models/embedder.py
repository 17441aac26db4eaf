"""ResNet50 image embeddings: images → L2-normalised float32 vectors."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from fashion_desktop.imaging import ImageSource, load_rgb
from fashion_desktop.models.manifest import (
    ModelManifest,
    load_manifest,
    read_json,
    verify_files,
)
from fashion_desktop.models.preprocess import PreprocessConfig, preprocess
from fashion_desktop.models.session import create_session

if TYPE_CHECKING:
    import onnxruntime

Variant = Literal["auto", "fp32", "int8"]
PREPROCESS_FILE = "preprocess.json"


def choose_graph_file(manifest: ModelManifest, graph: str, variant: Variant) -> str:
    """fp32 unless int8 is asked for, or `auto` and int8 passed the quality gate."""
    info = manifest.graphs[graph]
    if variant == "int8" or (variant == "auto" and manifest.int8_usable):
        if info.int8 is None:
            raise ValueError(f"{manifest.model} has no int8 variant of {graph}; export with --quantize int8")
        return info.int8
    return info.fp32


class ImageEmbedder:
    """One ResNet50 ONNX session, created lazily on first use and kept."""

    def __init__(self, model_dir: Path, *, variant: Variant = "auto", threads: int | None = None):
        self.model_dir = model_dir
        self.manifest = load_manifest(self.model_dir)
        self.preprocess_config = PreprocessConfig.from_dict(read_json(self.model_dir, PREPROCESS_FILE))
        self.graph_file = choose_graph_file(self.manifest, "model", variant)
        self._threads = threads
        self._session: onnxruntime.InferenceSession | None = None
        self._lock = threading.Lock()

    @property
    def dimension(self) -> int:
        """Vector length, from the manifest when recorded (no session needed), else from the graph."""
        recorded = self.manifest.properties.get("dimension")
        if recorded is not None:
            return int(recorded)
        session = self._get_session()
        return int(session.get_outputs()[0].shape[1])

    def _get_session(self) -> onnxruntime.InferenceSession:
        with self._lock:
            if self._session is None:
                verify_files(self.model_dir, self.manifest, [self.graph_file, PREPROCESS_FILE])
                self._session = create_session(self.model_dir / self.graph_file, self._threads)
            return self._session

    def load(self) -> None:
        """Create the session now (e.g. on a worker thread at start-up) instead of on first use."""
        self._get_session()

    def pixel_values(self, image: ImageSource, *, fast_decode: bool = True) -> np.ndarray:
        """One image → [3, H, W] float32 model input."""
        draft = self.preprocess_config.draft_size if fast_decode else None
        return preprocess(load_rgb(image, draft_size=draft), self.preprocess_config)

    def embed_pixels(self, pixel_values: np.ndarray) -> np.ndarray:
        """[B, 3, H, W] float32 → [B, D] float32, L2-normalised."""
        if pixel_values.ndim != 4 or len(pixel_values) == 0:
            raise ValueError(f"expected a non-empty [B, 3, H, W] batch, got shape {pixel_values.shape}")
        session = self._get_session()
        (pooled,) = session.run(None, {"pixel_values": np.ascontiguousarray(pixel_values, dtype=np.float32)})
        vectors = np.asarray(pooled, dtype=np.float32).reshape(len(pixel_values), -1)
        return l2_normalise(vectors)

    def embed(
        self, images: Sequence[ImageSource] | Iterable[ImageSource], *, batch_size: int = 16, fast_decode: bool = True
    ) -> np.ndarray:
        """Images → [N, D] float32 unit vectors, in input order."""
        batches: list[np.ndarray] = []
        pending: list[np.ndarray] = []
        for image in images:
            pending.append(self.pixel_values(image, fast_decode=fast_decode))
            if len(pending) == batch_size:
                batches.append(self.embed_pixels(np.stack(pending)))
                pending = []
        if pending:
            batches.append(self.embed_pixels(np.stack(pending)))
        if not batches:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.concatenate(batches)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = (vectors / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)
    return unit
