"""`fashion-desktop board …`: boards and their exports from the command line, with its exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from fashion_desktop.app import cli
from tests.board_support import make_board_catalog, pdf_pages, pdf_text, snapshot
from tests.support import REPO


def run(capsys: pytest.CaptureFixture[str], *arguments: object) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in arguments])
    out, err = capsys.readouterr()
    return code, out, err


def test_board_commands(
    models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], qapp: QApplication
) -> None:
    """(qapp: a test process must hold the QApplication before the command line would make a QGuiApplication.)"""
    root = tmp_path / "catalog"
    files = make_board_catalog(root, count=5)
    assert run(capsys, "index", root)[0] == cli.EXIT_OK
    before = snapshot(root)
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(files[0].read_bytes())
    at = ("--catalog", root)

    code, out, err = run(capsys, "board", "add", "Shoot", files[0], outside, files[1], *at)
    assert code == cli.EXIT_PARTIAL and "added 2 to 'Shoot'" in out
    assert "outside.jpg: not an image of the catalog" in err
    code, out, _ = run(capsys, "board", "add", "shoot", files[1], files[2], *at)
    assert code == cli.EXIT_OK and "added 1 to 'Shoot' (1 already on it)" in out
    assert run(capsys, "board", "note", "Shoot", files[1], "=SUM(1;2)", *at)[0] == cli.EXIT_OK

    code, out, _ = run(capsys, "board", "list", "--json", *at)
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["name"] == "Shoot"
    assert row["items"] == [
        {"path": str(files[i]), "product_name": f"Product number {i}", "note": note, "missing": False}
        for i, note in ((0, ""), (1, "=SUM(1;2)"), (2, ""))
    ]

    code, out, err = run(capsys, "board", "remove", "Shoot", files[0], files[4], *at)
    assert code == cli.EXIT_PARTIAL and "removed 1" in out and "look4.jpg: not on the board" in err
    assert run(capsys, "board", "rename", "Shoot", "Resort", *at)[0] == cli.EXIT_OK
    assert "as 'Resort copy' (2 items)" in run(capsys, "board", "duplicate", "Resort", *at)[1]
    code, out, _ = run(capsys, "board", "delete", "Resort copy", *at)
    assert code == cli.EXIT_OK and "board restore 'Resort copy'" in out
    assert run(capsys, "board", "list", *at)[1].splitlines() == ["Resort\t2 items"]
    assert run(capsys, "board", "restore", "resort copy", *at)[0] == cli.EXIT_OK
    assert len(run(capsys, "board", "list", *at)[1].splitlines()) == 2

    pdf, png, archive = tmp_path / "resort.pdf", tmp_path / "resort.png", tmp_path / "resort.zip"
    options = ("--per-page", "1", "--paper", "letter", "--landscape", "--title", "Resort 27", "--subtitle", "Capri")
    code, out, err = run(capsys, "board", "export", "Resort", pdf, *options, *at)
    assert code == cli.EXIT_OK and "3 pages" in out and "exported 3/3" in err
    assert pdf_pages(pdf) == 3 and "Capri" in pdf_text(pdf) and "Product number 2" in pdf_text(pdf)
    assert "792 x 612 pts (letter)" in subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
    assert run(capsys, "board", "export", "Resort", png, *at)[0] == cli.EXIT_OK and png.stat().st_size > 1000
    assert run(capsys, "board", "export", "Resort", archive, *at)[0] == cli.EXIT_OK
    with zipfile.ZipFile(archive) as opened:
        assert sorted(opened.namelist()) == ["Resort/Resort.csv", "Resort/look1.jpg", "Resort/look2.jpg"]
    assert snapshot(root) == before, "no board command writes into the catalog folder"

    files[2].unlink()
    code, out, err = run(capsys, "board", "export", "Resort", pdf, *at)
    assert code == cli.EXIT_PARTIAL and "shoes/look2.jpg: no longer in the catalog" in err
    assert pdf_pages(pdf) == 2  # cover + one page of two (4 per page by default)
    assert json.loads(run(capsys, "board", "list", "--json", *at)[1].splitlines()[0])["items"][1]["missing"]


def test_board_usage_errors(models_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "catalog"
    files = make_board_catalog(root, count=2)
    at = ("--catalog", root)
    assert run(capsys, "board", "add", "Shoot", files[0], *at)[0] == cli.EXIT_OK
    code, _, err = run(capsys, "board", "export", "Nope", tmp_path / "x.pdf", *at)
    assert code == cli.EXIT_USAGE and "no board named 'Nope' (boards: 'Shoot')" in err
    code, _, err = run(capsys, "board", "export", "Shoot", tmp_path / "x.docx", *at)
    assert code == cli.EXIT_USAGE and "must end in .pdf, .png, .zip" in err
    code, _, err = run(capsys, "board", "export", "Shoot", tmp_path / "no-folder" / "x.pdf", *at)
    assert code == cli.EXIT_USAGE and "folder not found" in err
    code, _, err = run(capsys, "board", "export", "Shoot", tmp_path / "x.pdf", "--dpi", "5", *at)
    assert code == cli.EXIT_USAGE and "between 36 and 600 dpi" in err
    assert not (tmp_path / "x.docx").exists() and not (tmp_path / "x.pdf").exists()
    assert run(capsys, "board", "rename", "Nope", "Other", *at)[0] == cli.EXIT_USAGE
    assert run(capsys, "board", "add", "   ", files[0], *at)[0] == cli.EXIT_USAGE
    assert run(capsys, "board", "list", "--catalog", tmp_path / "missing")[0] == cli.EXIT_NO_CATALOG
    with pytest.raises(SystemExit) as stopped:
        cli.main(["board", "export", "Shoot", str(tmp_path / "x.pdf"), "--per-page", "3"])
    assert stopped.value.code == cli.EXIT_USAGE


@pytest.mark.slow
def test_board_export_in_a_fresh_process_without_a_display(models_env: Path, tmp_path: Path) -> None:
    """What a stylist's script runs: no display, no Qt platform chosen; the command picks offscreen itself."""
    root = tmp_path / "catalog"
    files = make_board_catalog(root, count=3)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    command = [sys.executable, "-m", "fashion_desktop", "board"]
    added = subprocess.run([*command, "add", "Look", *map(str, files), "--catalog", str(root)], env=env, cwd=REPO)
    assert added.returncode == 0
    out = tmp_path / "look.pdf"
    export = [*command, "export", "Look", str(out), "--catalog", str(root)]
    result = subprocess.run(export, env=env, cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert pdf_pages(out) == 2 and "look1.jpg" in pdf_text(out)  # not indexed: no styles.csv names yet
    assert "QGuiApplication" not in result.stderr and "Traceback" not in result.stderr
