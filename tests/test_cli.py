"""`fashion-desktop caption` and the exit codes of the command line."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fashion_desktop.app import cli
from fashion_desktop.catalog.indexer import IndexControl
from fashion_desktop.sample import sample_catalog_dir
from tests.images import gradient


def test_caption_json_one_object_per_image(
    models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for index in range(2):
        paths.append(tmp_path / f"look {index}.png")
        gradient(150, 200, seed=index).save(paths[-1])
    code = cli.main(["caption", *map(str, paths), "--json", "--beams", "2", "--max-tokens", "6"])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_OK
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["path"] for row in rows] == [str(p) for p in paths]
    assert all(row["caption"] for row in rows)
    assert "random-weight" in err


def test_prompt_starts_the_caption(models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gradient(100, 100).save(tmp_path / "a.png")
    assert cli.main(["caption", str(tmp_path / "a.png"), "--prompt", "a picture of", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["caption"].startswith("a picture of")


def test_bad_image_is_reported_and_others_still_captioned(
    models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    gradient(80, 80).save(tmp_path / "fine.png")
    code = cli.main(["caption", str(tmp_path / "broken.jpg"), str(tmp_path / "fine.png"), "--json"])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_PARTIAL
    rows = [json.loads(line) for line in out.splitlines()]
    assert "error" in rows[0] and rows[1]["caption"]
    assert "broken.jpg" in err


def test_missing_models_exit_code_and_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FASHION_DESKTOP_MODELS", str(tmp_path / "none"))
    gradient(40, 40).save(tmp_path / "a.png")
    assert cli.main(["caption", str(tmp_path / "a.png")]) == cli.EXIT_NO_MODELS
    err = capsys.readouterr().err
    assert "No exported 'blip' model found" in err and "Traceback" not in err


def test_usage_error_exit_code() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fashion_desktop", "caption", "--beams", "0", "x.png"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == cli.EXIT_USAGE
    assert "must be at least 1" in result.stderr


def test_index_search_status_on_the_sample_catalog(models_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["index"]) == cli.EXIT_OK
    assert "68 new" in capsys.readouterr().out
    query = sample_catalog_dir() / "noto" / "noto-handbag.jpg"
    assert (
        cli.main(["search", str(query), "-k", "4", "--json", "--captions", "--filter", "masterCategory=Footwear"]) == 0
    )
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 4 and all(r["metadata"]["master_category"] == "Footwear" for r in rows)
    assert all(r["caption"] and -1.0 <= r["score"] <= 1.0 for r in rows)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert cli.main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["indexed"] == 68 and status["styles"] == 68 and status["captions"] >= 4


def test_catalog_exit_codes(models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gradient(60, 60).save(tmp_path / "q.png")
    assert cli.main(["index", str(tmp_path / "missing")]) == cli.EXIT_NO_CATALOG
    (tmp_path / "empty").mkdir()
    assert cli.main(["search", str(tmp_path / "q.png"), "--catalog", str(tmp_path / "empty")]) == cli.EXIT_NO_CATALOG
    assert "not indexed yet" in capsys.readouterr().err
    assert cli.main(["search", str(tmp_path / "nope.png"), "--catalog", str(tmp_path / "empty")]) == cli.EXIT_USAGE
    assert "nope.png: no such file" in capsys.readouterr().err, "a bad query is refused before loading anything"
    assert cli.main(["index", str(tmp_path / "empty")]) == 0
    gradient(60, 60, seed=3).save(tmp_path / "empty" / "one.png")
    assert cli.main(["index", str(tmp_path / "empty")]) == 0
    code = cli.main(["search", str(tmp_path / "q.png"), "--catalog", str(tmp_path / "empty"), "--filter", "oops"])
    assert code == cli.EXIT_USAGE and "FIELD=VALUE" in capsys.readouterr().err


def test_window_command_stops_with_a_message_when_models_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FASHION_DESKTOP_MODELS", str(tmp_path / "none"))
    assert cli.main([]) == cli.EXIT_NO_MODELS
    err = capsys.readouterr().err
    assert "export_models.py" in err and "--random-weights tiny" in err and "Traceback" not in err


def test_window_command_without_a_display_says_so(
    models_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main([]) == cli.EXIT_USAGE
    assert "no display found" in capsys.readouterr().err


class _SignalDuringWrite(io.RawIOBase):
    """A pipe whose writes let Python run the SIGINT handler halfway, as a real Ctrl-C can while the progress line
    is being printed (the handler runs between two bytecodes of the main thread, inside print's buffered write)."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.interrupt = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.descriptor

    def write(self, data: object) -> int:
        assert isinstance(data, bytes | bytearray | memoryview)
        if self.interrupt:
            self.interrupt = False
            handler = signal.getsignal(signal.SIGINT)
            assert callable(handler)
            handler(signal.SIGINT, None)
        return os.write(self.descriptor, bytes(data))


def test_ctrl_c_while_the_progress_line_is_printed_says_so_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CI saw `fashion-desktop index` end in "RuntimeError: reentrant call inside BufferedWriter" and exit 1: the
    handler printed to stderr while the interrupted main thread was printing to it."""
    read_end, write_end = os.pipe()
    raw = _SignalDuringWrite(write_end)
    stderr = io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", line_buffering=True)
    monkeypatch.setattr(sys, "stderr", stderr)
    control = IndexControl()
    try:
        with cli.ctrl_c_cancels(control):
            raw.interrupt = True
            print("indexed 4/40 (3.1/s, 12s left, 0 skipped)", file=sys.stderr, flush=True)
        stderr.flush()
    finally:
        os.close(write_end)
        said = os.read(read_end, 4096).decode()
        os.close(read_end)
    assert control.cancelled
    assert "stopping after the current batch" in said and "indexed 4/40" in said
