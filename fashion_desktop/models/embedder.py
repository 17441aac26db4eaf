"""ResNet50 image embeddings: images → L2-normalised float32 vectors."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from fashion_desktop.imaging import ImageSource
from fashion_desktop.models.base import OnnxModel
from fashion_desktop.models.manifest import MANIFEST_NAME, REMEDY, RESNET_DIR, ModelFilesError
from fashion_desktop.models.session import run_session

if TYPE_CHECKING:
    import onnxruntime


class ImageEmbedder(OnnxModel):
    """One ResNet50 session, created on first use and kept.

    Safe to share between threads (the search and indexing workers use one): loading is locked and
    onnxruntime's `run` may be called from several threads at once.
    """

    name = RESNET_DIR
    graphs = ("model",)
    identity_graph = "model"

    @property
    def graph_file(self) -> str:
        return self.graph_files["model"]

    def read_side_files(self) -> None:
        recorded = self.manifest.properties.get("dimension")
        if recorded is not None and (isinstance(recorded, bool) or not isinstance(recorded, int) or recorded < 1):
            raise ModelFilesError(
                f"Model file invalid: {self.model_dir / MANIFEST_NAME}: 'properties.dimension' must be a positive "
                f"whole number, not {recorded!r}. {REMEDY}"
            )
        self._recorded_dimension: int | None = recorded

    @property
    def dimension(self) -> int:
        """Vector length, from the manifest when recorded (no session needed), else from the graph."""
        if self._recorded_dimension is not None:
            return self._recorded_dimension
        output = self.sessions()["model"].get_outputs()[0].shape[1:]
        if not all(isinstance(size, int) for size in output):
            self.graph_mismatch("model", "its output has no fixed vector length")
        return math.prod(output)

    def check_graphs(self, sessions: dict[str, onnxruntime.InferenceSession]) -> None:
        super().check_graphs(sessions)
        session = sessions["model"]
        self.check_image_input(session, "model")
        output = session.get_outputs()[0].shape  # [batch, D] or the pooled [batch, D, 1, 1]
        fixed = [size for size in output[1:] if isinstance(size, int)]
        length = math.prod(fixed) if len(fixed) == len(output) - 1 else None
        recorded = self._recorded_dimension
        if len(output) < 2 or (recorded is not None and length is not None and length != recorded):
            self.graph_mismatch(
                "model", f"it outputs shape {output}, not {recorded}-long vectors as {MANIFEST_NAME} says"
            )

    def embed_pixels(self, pixel_values: np.ndarray) -> np.ndarray:
        """[B, 3, H, W] float32 → [B, D] float32, L2-normalised."""
        if pixel_values.ndim != 4 or len(pixel_values) == 0:
            raise ValueError(f"expected a non-empty [B, 3, H, W] batch, got shape {pixel_values.shape}")
        if not np.isfinite(pixel_values).all():
            raise ValueError("pixel values must be finite numbers")
        session = self.sessions()["model"]
        (pooled,) = run_session(session, None, {"pixel_values": np.ascontiguousarray(pixel_values, dtype=np.float32)})
        vectors = np.asarray(pooled, dtype=np.float32).reshape(len(pixel_values), -1)
        if not np.isfinite(vectors).all():
            raise ModelFilesError(
                f"{self.model_dir / self.graph_file} produced non-finite values: the model is damaged. {REMEDY}"
            )
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
    with np.errstate(all="ignore"):  # a zero vector stays zero; no RuntimeWarning reaches the terminal
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit: np.ndarray = (vectors / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)
    return unit
