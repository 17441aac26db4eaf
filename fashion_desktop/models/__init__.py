"""Run-time model core: ONNX models run with onnxruntime; no torch or transformers imports."""

from fashion_desktop.models.captioner import Captioner
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.models.manifest import ModelFilesError, ModelManifest, ModelsMissingError

__all__ = ["Captioner", "ImageEmbedder", "ModelFilesError", "ModelManifest", "ModelsMissingError"]
