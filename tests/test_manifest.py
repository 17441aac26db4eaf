"""Checksums are verified on load; missing or corrupt files name the file and the remedy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fashion_desktop.app.environment import models_search_path
from fashion_desktop.models.captioner import Captioner
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.models.manifest import (
    Int8Quality,
    ModelFilesError,
    ModelsMissingError,
    find_model_dir,
    load_manifest,
)
from fashion_desktop.paths import MODELS_ENV
from model_export.common import update_manifest
from tests.images import gradient
from tests.support import REPO


@pytest.fixture
def model_copy(tiny_models: Path, tmp_path: Path) -> Path:
    shutil.copytree(tiny_models, tmp_path / "onnx")
    return tmp_path / "onnx"


def test_corrupt_graph_names_file_and_remedy(model_copy: Path) -> None:
    graph = model_copy / "resnet50" / "model.onnx"
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF
    graph.write_bytes(bytes(data))
    embedder = ImageEmbedder(model_copy / "resnet50", variant="fp32")
    with pytest.raises(ModelFilesError, match="corrupt") as error:
        embedder.embed([gradient(64, 64)])
    assert str(graph) in str(error.value) and "export_models.py" in str(error.value)


def test_missing_tokenizer_names_file(model_copy: Path) -> None:
    (model_copy / "blip" / "tokenizer.json").unlink()
    with pytest.raises(ModelFilesError, match="missing") as error:
        Captioner(model_copy / "blip").load()
    assert "tokenizer.json" in str(error.value)


def test_missing_or_broken_manifest(model_copy: Path) -> None:
    (model_copy / "blip" / "manifest.json").write_text("{not json")
    with pytest.raises(ModelFilesError, match="unreadable"):
        Captioner(model_copy / "blip")
    (model_copy / "blip" / "manifest.json").unlink()
    with pytest.raises(ModelFilesError, match="missing"):
        Captioner(model_copy / "blip")


def test_models_found_on_the_search_path(model_copy: Path, tmp_path: Path) -> None:
    assert find_model_dir("blip", [tmp_path / "empty", model_copy]) == model_copy / "blip"
    with pytest.raises(ModelsMissingError, match="--random-weights tiny") as error:
        find_model_dir("blip", [tmp_path / "nowhere"])
    assert str(tmp_path / "nowhere" / "blip") in str(error.value)


def test_models_override_in_the_environment_is_the_only_place_looked(model_copy: Path, tmp_path: Path) -> None:
    """A FASHION_DESKTOP_MODELS that points at a wrong folder is an error, never a silent fallback."""
    assert models_search_path({MODELS_ENV: str(model_copy)}) == (model_copy,)
    assert models_search_path({})[-1] == REPO / "models" / "onnx"
    with pytest.raises(ModelsMissingError):
        find_model_dir("blip", models_search_path({MODELS_ENV: str(tmp_path / "typo")}))


def test_fp32_unless_int8_passed_the_gate(model_copy: Path) -> None:
    folder = model_copy / "resnet50"
    assert ImageEmbedder(folder).graph_file == "model.onnx"
    update_manifest(folder, load_manifest(folder), int8_quality=Int8Quality(passed=True, reason="test", images=20))
    assert ImageEmbedder(folder).graph_file == "model_int8.onnx"
    assert ImageEmbedder(folder, variant="fp32").graph_file == "model.onnx"
