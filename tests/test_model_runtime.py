"""The run-time model core beyond parity: decode settings and prompt length refused with a message, the checksum
memo, releasing and reloading, one model shared by threads, identities, and no Python warnings."""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_desktop.app import cli
from fashion_desktop.models import base, checksums
from fashion_desktop.models.captioner import Captioner
from fashion_desktop.models.decoding import DecodeSettings
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.models.manifest import ModelFilesError, load_manifest
from fashion_desktop.paths import AppPaths
from model_export.common import synthetic_images
from tests.images import gradient


@pytest.fixture
def model_copy(tiny_models: Path, tmp_path: Path) -> Path:
    shutil.copytree(tiny_models, tmp_path / "onnx")
    return tmp_path / "onnx"


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"max_new_tokens": 0}, "at least 1"),
        ({"max_new_tokens": 3, "min_new_tokens": 4}, "between 0 and the maximum"),
        ({"min_new_tokens": -1}, "between 0"),
        ({"num_beams": 0}, "beams must be at least 1"),
        ({"length_penalty": float("nan")}, "finite"),
    ],
)
def test_impossible_decode_settings_are_refused(settings: dict[str, float], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        DecodeSettings(**settings)  # type: ignore[arg-type]


def test_default_minimum_follows_a_smaller_maximum(tiny_models: Path) -> None:
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    image = synthetic_images(1, seed=2)[0]
    assert captioner.caption([image], max_tokens=3, beams=2)  # BLIP's minimum of 5 becomes 3
    with pytest.raises(ValueError, match="between 0 and the maximum"):
        captioner.caption([image], max_tokens=3, min_tokens=4)


def test_a_prompt_longer_than_the_decoder_reads_is_refused_before_any_work(tiny_models: Path) -> None:
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    limit = captioner.layout.max_positions  # 64 for the tiny stand-in
    words = ["red"] * (limit - 5)  # one token each; with bos, limit - 4 positions
    image = synthetic_images(1, seed=3)[0]
    with pytest.raises(ValueError, match=f"reads at most {limit}"):
        captioner.caption([image], prompt=" ".join(words), max_tokens=6)
    assert not captioner.loaded, "refused before loading the sessions"
    (fits,) = captioner.generate_ids(
        np.stack([captioner.pixel_values(image)]),
        settings=DecodeSettings(max_new_tokens=5, min_new_tokens=5, num_beams=2),
        prompt=" ".join(words),
    )
    assert len(fits) == limit + 1, "prompt and five new tokens use every position (the last is never fed)"


def test_caption_command_usage_errors_exit_2(
    models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gradient(64, 64).save(tmp_path / "a.png")
    assert cli.main(["caption", str(tmp_path / "a.png"), "--min-tokens", "6", "--max-tokens", "3"]) == cli.EXIT_USAGE
    assert "minimum number of new tokens (6)" in capsys.readouterr().err
    assert cli.main(["caption", str(tmp_path / "a.png"), "--prompt", "red " * 80]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "shorten the prompt" in err and "Traceback" not in err
    assert cli.main(["caption", str(tmp_path / "a.png"), "--max-tokens", "3", "--json"]) == cli.EXIT_OK
    assert json.loads(capsys.readouterr().out)["caption"]


def test_no_python_warnings_from_odd_inputs(tiny_models: Path) -> None:
    images = [
        Image.new("RGB", (1, 1)),
        Image.new("RGB", (5000, 2), (255, 255, 255)),
        Image.new("RGB", (64, 64), (0, 0, 0)),
        gradient(3, 900),
    ]
    embedder = ImageEmbedder(tiny_models / "resnet50", variant="fp32")
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vectors = embedder.embed(images)
        captions = captioner.caption(images, beams=3, max_tokens=6, min_tokens=6)
        captions += captioner.caption(images, beams=1, max_tokens=6, min_tokens=6)
        with pytest.raises(ValueError, match="finite"):
            embedder.embed_pixels(np.full((1, 3, 224, 224), np.nan, dtype=np.float32))
    assert np.isfinite(vectors).all() and len(captions) == 8


def test_checksums_are_remembered_per_file_identity(
    model_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memo = tmp_path / "data" / "model-checks.json"
    hashed: list[str] = []
    hash_file = checksums._hash_regular_file

    def counting(path: Path) -> tuple[str, os.stat_result]:
        hashed.append(path.name)
        return hash_file(path)

    monkeypatch.setattr(checksums, "_hash_regular_file", counting)
    folder = model_copy / "resnet50"
    time.sleep(2 * checksums.RACY_SECONDS)  # files changed this instant are not remembered (see RACY_SECONDS)

    ImageEmbedder(folder, variant="fp32", checksum_memo=memo).load()
    assert sorted(hashed) == ["model.onnx", "preprocess.json"]
    recorded = json.loads(memo.read_text())["files"]
    assert recorded[str(folder / "model.onnx")]["sha256"] == load_manifest(folder).files["model.onnx"]

    hashed.clear()
    ImageEmbedder(folder, variant="fp32", checksum_memo=memo).load()
    assert hashed == [], "an unchanged file is not hashed again"

    graph = folder / "model.onnx"
    stat = graph.stat()
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF
    graph.write_bytes(bytes(data))
    os.utime(graph, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and mtime: ctime still tells
    with pytest.raises(ModelFilesError, match="corrupt"):
        ImageEmbedder(folder, variant="fp32", checksum_memo=memo).load()
    assert hashed == ["model.onnx"]


@pytest.mark.parametrize("memo_text", ["{broken", '{"format": 1, "files": [1]}', '{"format": 99}', "[]"])
def test_an_unreadable_memo_only_means_hashing_again(model_copy: Path, tmp_path: Path, memo_text: str) -> None:
    memo = tmp_path / "model-checks.json"
    memo.write_text(memo_text)
    time.sleep(2 * checksums.RACY_SECONDS)
    ImageEmbedder(model_copy / "resnet50", variant="fp32", checksum_memo=memo).load()
    assert set(json.loads(memo.read_text())["files"]) == {
        str(model_copy / "resnet50" / name) for name in ("model.onnx", "preprocess.json")
    }


def test_a_memo_that_cannot_be_written_is_no_error(model_copy: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    embedder = ImageEmbedder(model_copy / "resnet50", variant="fp32", checksum_memo=blocked / "model-checks.json")
    assert embedder.embed([gradient(40, 40)]).shape == (1, 128)


def test_from_paths_uses_the_data_directory_memo(app_paths: AppPaths) -> None:
    time.sleep(2 * checksums.RACY_SECONDS)
    captioner = Captioner.from_paths(app_paths)
    captioner.load()
    files = json.loads(app_paths.model_checks_file.read_text())["files"]
    assert {Path(name).name for name in files} >= {captioner.vision_file, captioner.decoder_file, "tokenizer.json"}
    assert not [p for p in app_paths.data_dir.iterdir() if p.name.startswith(".")], "no temporary file left"


def test_release_frees_the_sessions_and_the_next_caption_reloads(tiny_models: Path) -> None:
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    images = synthetic_images(2, seed=9)
    first = captioner.caption(images)
    assert captioner.loaded
    captioner.release()
    assert not captioner.loaded
    assert captioner.caption(images) == first
    assert captioner.loaded


class HeavySession(bytearray):
    """Stands in for a session whose memory takes long to go back: freeing 200 MB of touched pages is C code (the
    kernel unmapping them) that holds the GIL throughout, as onnxruntime's session destructor does."""


@pytest.fixture
def quick_gil_handover() -> Iterator[None]:
    """A thread waiting for the GIL asks for it after 1 ms instead of 5: well inside the time one session takes."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    yield
    sys.setswitchinterval(before)


def test_released_sessions_are_freed_one_at_a_time_so_other_threads_run_between(
    tiny_models: Path, monkeypatch: pytest.MonkeyPatch, quick_gil_handover: None
) -> None:
    """Freeing BLIP's two sessions together held the GIL for 79-100 ms: the window could not paint meanwhile."""
    freed: dict[str, weakref.ref[HeavySession]] = {}

    def create_heavy(path: Path, threads: int | None = None) -> HeavySession:
        session = HeavySession(200 << 20)  # zero-filled: every page touched
        freed[path.name] = weakref.ref(session)
        return session

    monkeypatch.setattr(base, "create_session", create_heavy)
    monkeypatch.setattr(Captioner, "check_graphs", lambda self, sessions: None)
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    captioner.load()
    assert len(freed) == 2

    seen: list[tuple[bool, ...]] = []  # which sessions were alive each time the other thread ran
    looking, releasing = threading.Event(), threading.Event()

    def look() -> None:
        looking.set()
        while not releasing.is_set():
            seen.append(tuple(session() is not None for session in freed.values()))
            time.sleep(0.0002)

    other = threading.Thread(target=look)
    other.start()
    looking.wait()
    captioner.release()
    releasing.set()
    other.join()
    assert not captioner.loaded and all(session() is None for session in freed.values())
    assert seen[0] == (True, True)
    assert any(alive.count(True) == 1 for alive in seen), "the other thread ran after one session was freed"


def test_one_embedder_shared_by_two_threads(tiny_models: Path) -> None:
    embedder = ImageEmbedder(tiny_models / "resnet50", variant="fp32")
    images = [gradient(80, 60, seed=s) for s in range(6)]
    expected = ImageEmbedder(tiny_models / "resnet50", variant="fp32").embed(images)
    start = threading.Barrier(2)
    results: dict[int, list[np.ndarray]] = {0: [], 1: []}
    sessions: list[object] = []

    def work(worker: int) -> None:
        start.wait()  # both threads reach the lazy load together
        sessions.append(embedder.sessions()["model"])
        for _ in range(3):
            results[worker].append(embedder.embed(images, batch_size=4))

    threads = [threading.Thread(target=work, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sessions) == 2 and sessions[0] is sessions[1], "one session, created once"
    for vectors in results[0] + results[1]:
        np.testing.assert_allclose(vectors, expected, atol=1e-6)


def test_identity_names_source_revision_graph_and_checksum(model_copy: Path) -> None:
    folder = model_copy / "resnet50"
    manifest = load_manifest(folder)
    fp32 = ImageEmbedder(folder, variant="fp32")
    int8 = ImageEmbedder(folder, variant="int8")
    assert fp32.identity == f"random-weights:tiny@-:model.onnx:{manifest.files['model.onnx'][:12]}"
    assert int8.identity.startswith("random-weights:tiny@-:model_int8.onnx:") and int8.identity != fp32.identity
    captioner = Captioner(model_copy / "blip", variant="fp32")
    decoder_sha = load_manifest(model_copy / "blip").files["text_decoder.onnx"]
    assert captioner.identity == f"random-weights:tiny@-:text_decoder.onnx:{decoder_sha[:12]}"


def test_unreadable_images_are_reported_in_place_and_the_others_captioned(tiny_models: Path, tmp_path: Path) -> None:
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    good = [tmp_path / f"good{i}.png" for i in range(3)]
    for index, path in enumerate(good):
        gradient(70, 90, seed=index).save(path)
    (tmp_path / "truncated.jpg").write_bytes(b"\xff\xd8\xff\xe0 not much more")
    (tmp_path / "a-folder.jpg").mkdir()
    inputs = [good[0], tmp_path / "truncated.jpg", good[1], tmp_path / "a-folder.jpg", good[2]]
    outcomes = list(captioner.captions_or_errors(inputs, batch_size=2, max_tokens=5))
    assert [type(o).__name__ for o in outcomes] == ["str", "ImageDecodeError", "str", "ImageDecodeError", "str"]
    assert [o for o in outcomes if isinstance(o, str)] == captioner.caption(good, max_tokens=5)
    assert list(captioner.captions_or_errors([])) == []
