"""What models are installed, checked as the app will use them, for the window's launch check and models dialog.

Each model is opened as its worker opens it (`OnnxModel.from_paths`): checksums of the small files, then each
JSON file's shape. A broken folder is reported with the file and the remedy, exactly as loading would report it;
the graphs themselves are checked when they load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fashion_desktop.models.captioner import Captioner
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.models.manifest import ModelFilesError

if TYPE_CHECKING:
    from fashion_desktop.paths import AppPaths


def describe_models(paths: AppPaths) -> list[dict[str, Any]]:
    """One entry per model: its folder, source, revision, random weights and int8 use, or the error that stops it
    (reported, not raised)."""
    described: list[dict[str, Any]] = []
    for kind in (ImageEmbedder, Captioner):
        try:
            model = kind.from_paths(paths)
        except ModelFilesError as exc:
            described.append({"model": kind.name, "error": str(exc)})
            continue
        manifest = model.manifest
        described.append(
            {
                "model": manifest.model,
                "folder": str(model.model_dir),
                "source": manifest.source,
                "revision": manifest.revision,
                "random_weights": manifest.random_weights,
                "int8": manifest.int8_usable,
                "exporter": manifest.exporter,
            }
        )
    return described
