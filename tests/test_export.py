"""export_models.py: outputs, manifest, keeping valid exports, local directories, unreachable hub."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import onnx
import pytest

import export_models
from fashion_desktop.models.checksums import sha256_of
from fashion_desktop.models.manifest import load_manifest
from model_export.common import OPSET, update_manifest
from tests.support import REPO, TorchModel


@pytest.mark.parametrize("folder", ["resnet50", "blip"])
def test_manifest_describes_the_files(tiny_models: Path, folder: str) -> None:
    model_dir = tiny_models / folder
    manifest = load_manifest(model_dir)
    assert manifest.random_weights == "tiny"
    assert manifest.source == "random-weights:tiny"
    assert manifest.opset == OPSET
    assert {"torch", "transformers", "onnx", "onnxruntime"} <= set(manifest.exporter)
    for name, digest in manifest.files.items():
        assert sha256_of(model_dir / name) == digest
    for graph in manifest.graphs.values():
        assert graph.int8 is not None and graph.int8 in manifest.files
        proto = onnx.load(str(model_dir / graph.fp32), load_external_data=False)
        assert [i.name for i in proto.graph.input] == graph.inputs
        assert [o.name for o in proto.graph.output] == graph.outputs
        assert any(o.domain in ("", "ai.onnx") and o.version == OPSET for o in proto.opset_import)
        batch_dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
        assert batch_dim.dim_param, "batch axis must be dynamic"
    assert manifest.int8_quality is not None and not manifest.int8_quality.passed


def test_side_files(tiny_models: Path) -> None:
    resnet = json.loads((tiny_models / "resnet50" / "preprocess.json").read_text())
    assert resnet["resize"] == {"mode": "shortest_edge", "height": 256, "width": 256}
    assert resnet["crop"] == {"height": 224, "width": 224} and resnet["resample"] == "bicubic"
    generation = json.loads((tiny_models / "blip" / "generation.json").read_text())
    assert (generation["bos_token_id"], generation["eos_token_id"], generation["pad_token_id"]) == (30522, 102, 0)
    assert generation["max_positions"] == 64  # the tiny text config's max_position_embeddings
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tiny_models / "blip" / "tokenizer.json"))
    assert tokenizer.token_to_id("[DEC]") == 30522 and tokenizer.token_to_id("[SEP]") == 102


def test_valid_export_is_kept_and_force_redoes_it(tmp_path: Path) -> None:
    args = ["--random-weights", "tiny", "--only", "resnet", "--out", str(tmp_path)]
    assert export_models.main(args) == 0
    graph = tmp_path / "resnet50" / "model.onnx"
    first = graph.stat().st_mtime_ns
    time.sleep(0.01)
    assert export_models.main(args) == 0
    assert graph.stat().st_mtime_ns == first
    assert export_models.main([*args, "--force"]) == 0
    assert graph.stat().st_mtime_ns != first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "staging folders must not be left"


def test_corrupt_export_is_redone_without_force(tmp_path: Path) -> None:
    args = ["--random-weights", "tiny", "--only", "resnet", "--out", str(tmp_path)]
    assert export_models.main(args) == 0
    graph = tmp_path / "resnet50" / "model.onnx"
    graph.write_bytes(graph.read_bytes()[:-10])
    assert export_models.main(args) == 0
    assert sha256_of(graph) == load_manifest(tmp_path / "resnet50").files["model.onnx"]


def test_an_export_the_app_would_refuse_is_redone_without_force(tmp_path: Path) -> None:
    """Valid checksums are not enough: a folder from an older exporter (here: generation.json without the
    decoder's position limit) is exported again."""
    args = ["--random-weights", "tiny", "--only", "blip", "--out", str(tmp_path)]
    assert export_models.main(args) == 0
    folder = tmp_path / "blip"
    generation = json.loads((folder / "generation.json").read_text())
    del generation["max_positions"]
    (folder / "generation.json").write_text(json.dumps(generation))
    update_manifest(folder, load_manifest(folder))
    assert export_models.main(args) == 0
    assert json.loads((folder / "generation.json").read_text())["max_positions"] == 64


def test_local_save_pretrained_directories_export_offline(
    tmp_path: Path, torch_resnet: TorchModel, torch_blip: TorchModel
) -> None:
    for name, (model, processor) in {"resnet": torch_resnet, "blip": torch_blip}.items():
        model.save_pretrained(tmp_path / name)
        processor.save_pretrained(tmp_path / name)
    out = tmp_path / "out"
    code = export_models.main(
        ["--resnet", str(tmp_path / "resnet"), "--blip", str(tmp_path / "blip"), "--out", str(out)]
    )
    assert code == 0
    manifest = load_manifest(out / "blip")
    assert manifest.random_weights is None and manifest.source == str(tmp_path / "blip")
    assert manifest.parity["beams3_min0"] == "4/4"


def test_unreachable_hub_says_so_quickly(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on: connection refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {**os.environ, "HF_ENDPOINT": f"http://127.0.0.1:{port}", "HF_HUB_OFFLINE": "0"}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(REPO / "export_models.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == export_models.EXIT_HUB
    assert "cannot reach the Hugging Face hub" in result.stderr and "--random-weights" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 60
    assert not (tmp_path / "resnet50").exists()
