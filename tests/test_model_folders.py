"""Model folders are checked before use: checksums first, then every JSON file's shape, then the graphs against
them. Each broken folder gives a ModelFilesError naming the file and the remedy; the command line and the
self-test turn it into exit code 3 with that message and no traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fashion_desktop.models.base import OnnxModel
from fashion_desktop.models.captioner import Captioner
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.models.manifest import MANIFEST_NAME, ModelFilesError, load_manifest
from model_export.common import update_manifest
from tests.support import REPO

Breakage = Callable[[Path], None]  # breaks the copied models folder (holding resnet50/ and blip/)


def edit_json(relative: str, change: Callable[[Any], Any], *, rechecksum: bool = True) -> Breakage:
    """Rewrite a JSON file; with `rechecksum` the manifest is updated to match, so only its shape is wrong."""

    def apply(models: Path) -> None:
        path = models / relative
        path.write_text(json.dumps(change(json.loads(path.read_text()))))
        if rechecksum:
            update_manifest(path.parent, load_manifest(path.parent))

    return apply


def write_file(relative: str, text: str, *, rechecksum: bool = True) -> Breakage:
    def apply(models: Path) -> None:
        (models / relative).write_text(text)
        if rechecksum:
            update_manifest((models / relative).parent, load_manifest((models / relative).parent))

    return apply


def edit_manifest(folder: str, change: Callable[[dict[str, Any]], object]) -> Breakage:
    """Rewrite the manifest itself (it holds the checksums, so nothing is re-checksummed)."""

    def apply(models: Path) -> None:
        path = models / folder / MANIFEST_NAME
        raw = json.loads(path.read_text())
        path.write_text(json.dumps(change(raw)))

    return apply


def swap_folders(models: Path) -> None:
    (models / "resnet50").rename(models / "tmp")
    (models / "blip").rename(models / "resnet50")
    (models / "tmp").rename(models / "blip")


def swap_graph(models: Path) -> None:
    """ResNet's graph replaced by BLIP's vision encoder, with a manifest that vouches for it."""
    shutil.copy(models / "blip" / "vision_encoder.onnx", models / "resnet50" / "model.onnx")
    update_manifest(models / "resnet50", load_manifest(models / "resnet50"))


def setting(key: str, value: object) -> Callable[[Any], Any]:
    def change(raw: Any) -> Any:
        target = raw
        *parents, last = key.split(".")
        for parent in parents:
            target = target[parent]
        target[last] = value
        return raw

    return change


def listing(name: str, checksum: str) -> Callable[[Any], Any]:
    def change(raw: Any) -> Any:
        raw["files"][name] = checksum
        return raw

    return change


def without(key: str) -> Callable[[Any], Any]:
    def change(raw: Any) -> Any:
        del raw[key]
        return raw

    return change


RESNET, BLIP = "resnet50", "blip"
CASES: list[Any] = [
    # (which model is opened, how the folder is broken, the file the message names, what it says)
    pytest.param(
        RESNET, write_file("resnet50/manifest.json", "{not json", rechecksum=False), "manifest", "not valid JSON"
    ),
    pytest.param(RESNET, write_file("resnet50/manifest.json", "[1, 2]", rechecksum=False), "manifest.json", "object"),
    pytest.param(RESNET, edit_manifest(RESNET, without("graphs")), "manifest.json", "'graphs' is missing"),
    pytest.param(RESNET, edit_manifest(RESNET, setting("opset", "17")), "manifest.json", "whole number"),
    pytest.param(RESNET, edit_manifest(RESNET, setting("format", 2)), "manifest.json", "format 2"),
    pytest.param(BLIP, edit_manifest(BLIP, listing("tokenizer.json", "abc")), "manifest.json", "sha256"),
    pytest.param(BLIP, edit_manifest(BLIP, listing("../x", "0" * 64)), "manifest.json", "plain file name"),
    pytest.param(BLIP, edit_manifest(BLIP, setting("graphs.text_decoder", {})), "manifest.json", "fp32"),
    pytest.param(BLIP, edit_manifest(BLIP, setting("graphs.text_decoder.fp32", "x.onnx")), "manifest.json", "x.onnx"),
    pytest.param(RESNET, edit_manifest(RESNET, setting("graphs", {})), "manifest.json", "lacks the graph"),
    pytest.param(RESNET, edit_manifest(RESNET, setting("properties.dimension", 0)), "manifest.json", "dimension"),
    pytest.param(RESNET, edit_manifest(RESNET, setting("properties.dimension", 64)), "model.onnx", "64-long"),
    pytest.param(RESNET, swap_folders, "manifest.json", "'blip' model where the 'resnet50'"),
    pytest.param(BLIP, swap_folders, "manifest.json", "'resnet50' model where the 'blip'"),
    pytest.param(RESNET, swap_graph, "model.onnx", "inputs/outputs"),
    # Checksums come first: a damaged JSON file is reported as damaged, whatever it now holds.
    pytest.param(RESNET, write_file("resnet50/preprocess.json", "{", rechecksum=False), "preprocess.json", "corrupt"),
    pytest.param(RESNET, write_file("resnet50/preprocess.json", "{"), "preprocess.json", "not valid JSON"),
    pytest.param(RESNET, write_file("resnet50/preprocess.json", ""), "preprocess.json", "not valid JSON"),
    pytest.param(BLIP, write_file("blip/preprocess.json", "[" * 100_000 + "]" * 100_000), "preprocess.json", "deep"),
    pytest.param(
        RESNET, edit_json("resnet50/preprocess.json", setting("resize.height", 0)), "preprocess", "at least 1"
    ),
    pytest.param(RESNET, edit_json("resnet50/preprocess.json", setting("resize.width", -3)), "preprocess", "at least"),
    pytest.param(RESNET, edit_json("resnet50/preprocess.json", setting("std", [0.2, 0, 0.2])), "preprocess", "std[1]"),
    pytest.param(RESNET, edit_json("resnet50/preprocess.json", setting("mean", [0.5, 0.5])), "preprocess", "3 numbers"),
    pytest.param(BLIP, edit_json("blip/preprocess.json", setting("resample", "cubic")), "preprocess", "one of"),
    pytest.param(BLIP, edit_json("blip/preprocess.json", setting("rescale_factor", "1/255")), "preprocess", "number"),
    pytest.param(BLIP, edit_json("blip/preprocess.json", without("resize")), "preprocess", "'resize' is missing"),
    pytest.param(RESNET, edit_json("resnet50/preprocess.json", setting("crop.height", 200)), "model.onnx", "224×224"),
    pytest.param(BLIP, edit_json("blip/preprocess.json", setting("resize.height", 32)), "vision_encoder", "64×64"),
    pytest.param(BLIP, edit_json("blip/generation.json", without("max_positions")), "generation.json", "missing"),
    pytest.param(BLIP, edit_json("blip/generation.json", setting("eos_token_id", -1)), "generation.json", "at least 0"),
    pytest.param(BLIP, edit_json("blip/generation.json", setting("num_heads", True)), "generation.json", "whole"),
    pytest.param(BLIP, edit_json("blip/generation.json", setting("num_layers", 3)), "generation.json", "3-layer"),
    pytest.param(BLIP, edit_json("blip/generation.json", setting("num_heads", 4)), "text_decoder", "4 heads"),
    pytest.param(BLIP, edit_json("blip/generation.json", setting("bos_token_id", 10**6)), "tokenizer", "no token"),
    pytest.param(BLIP, edit_json("blip/tokenizer.json", lambda raw: {}), "tokenizer.json", "tokenizer"),
    pytest.param(BLIP, write_file("blip/tokenizer.json", "\xff\xfe"), "tokenizer.json", "tokenizer"),
    pytest.param(BLIP, lambda m: (m / "blip" / "generation.json").unlink(), "generation.json", "missing"),
]
MODEL_CLASSES: dict[str, type[OnnxModel]] = {RESNET: ImageEmbedder, BLIP: Captioner}


@pytest.fixture
def model_copy(tiny_models: Path, tmp_path: Path) -> Path:
    shutil.copytree(tiny_models, tmp_path / "onnx")
    return tmp_path / "onnx"


@pytest.mark.parametrize(("model", "breakage", "file", "says"), CASES)
def test_broken_folder_names_file_and_remedy(
    model_copy: Path, model: str, breakage: Breakage, file: str, says: str
) -> None:
    breakage(model_copy)
    with pytest.raises(ModelFilesError) as error:
        MODEL_CLASSES[model](model_copy / model, variant="fp32").load()
    message = str(error.value)
    assert file in message and says in message
    assert "export_models.py" in message, "the message says how to get working models"


def test_the_intact_copy_loads(model_copy: Path) -> None:
    """The cases above fail because of what they break, not because of the copy."""
    for model, model_class in MODEL_CLASSES.items():
        model_class(model_copy / model, variant="fp32").verify_all()


@pytest.mark.parametrize("model", [RESNET, BLIP])
def test_a_fifo_in_place_of_a_graph_is_refused_without_blocking(model_copy: Path, model: str) -> None:
    instance = MODEL_CLASSES[model](model_copy / model, variant="fp32")
    graph = model_copy / model / next(iter(instance.graph_files.values()))
    graph.unlink()
    os.mkfifo(graph)
    with pytest.raises(ModelFilesError, match="not a regular file"):
        instance.load()


def broken_models(model_copy: Path, model: str) -> dict[str, str]:
    edit_json(f"{model}/preprocess.json", setting("resize.height", 0))(model_copy)
    return {**os.environ, "FASHION_DESKTOP_MODELS": str(model_copy)}


@pytest.mark.parametrize("model", [RESNET, BLIP])
def test_self_test_exits_3_with_the_message(model_copy: Path, model: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fashion_desktop", "--self-test"],
        env=broken_models(model_copy, model) | {"FASHION_DESKTOP_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == 3, result.stderr
    assert f"{model}/preprocess.json" in result.stderr and "'resize.height' must be at least 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_caption_command_exits_3_with_the_message(model_copy: Path, tmp_path: Path) -> None:
    image = REPO / "fashion_desktop" / "sample_catalog" / "noto" / "noto-dress.jpg"
    result = subprocess.run(
        [sys.executable, "-m", "fashion_desktop", "caption", str(image)],
        env=broken_models(model_copy, BLIP) | {"FASHION_DESKTOP_DATA_DIR": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == 3
    assert "blip/preprocess.json" in result.stderr and "export_models.py" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("model", [RESNET, BLIP])
def test_models_dialog_and_window_launch_report_the_same_message(
    model_copy: Path, model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The window's launch check and its models dialog (describe_models) open each folder as its worker will: a
    broken JSON file is named before the window opens. FASHION_DESKTOP_MODELS is the only place looked in, so the
    source checkout's intact models/onnx is no fallback."""
    from fashion_desktop.app.cli import EXIT_NO_MODELS, main
    from fashion_desktop.app.environment import app_paths
    from fashion_desktop.models.installed import describe_models

    for name, value in broken_models(model_copy, model).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FASHION_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    described = {entry["model"]: entry for entry in describe_models(app_paths())}
    assert f"{model}/preprocess.json" in described[model]["error"]
    assert "'resize.height' must be at least 1" in described[model]["error"]
    intact = BLIP if model == RESNET else RESNET
    assert "error" not in described[intact] and described[intact]["folder"] == str(model_copy / intact)

    assert main([]) == EXIT_NO_MODELS
    assert described[model]["error"] in capsys.readouterr().err


def test_naming_the_captioner_parses_no_tokenizer(model_copy: Path) -> None:
    """The boards worker names the captioner on every catalog opened (to find cached captions): that must not parse
    tokenizer.json, which holds the GIL for tens of ms. A broken one is said when the model loads."""
    write_file("blip/tokenizer.json", "\xff\xfe")(model_copy)
    named = Captioner(model_copy / "blip", variant="fp32")
    assert named.identity, "named, and its identity known, without the tokenizer"
    with pytest.raises(ModelFilesError, match="tokenizer.json"):
        named.load()
