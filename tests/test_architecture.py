"""What the run-time core really loads. (Which module may import which is checked statically by import-linter:
see the contracts in pyproject.toml, run by ./test.sh.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO

EXPORT_ONLY = {"torch", "transformers", "optimum", "onnx"}
QT = {"PySide6", "shiboken6", "PyQt5", "PyQt6"}


def test_captioning_and_embedding_load_neither_torch_nor_transformers(tiny_models: Path, tmp_path: Path) -> None:
    """Run the real core in a fresh interpreter and inspect what it loaded (catches transitive imports too)."""
    script = """
import json, sys
from pathlib import Path
from fashion_desktop.models import Captioner, ImageEmbedder
from PIL import Image
image = Image.new("RGB", (120, 90), (180, 40, 40))
models = Path(sys.argv[1])
ImageEmbedder(models / 'resnet50').embed([image]); Captioner(models / 'blip').caption([image], max_tokens=4)
print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))
"""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "FASHION_DESKTOP_MODELS": str(tiny_models),
        "FASHION_DESKTOP_DATA_DIR": str(tmp_path),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    env.pop("ORT_DISABLE_TELEMETRY", None)
    result = subprocess.run(
        [sys.executable, "-c", script, str(tiny_models)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    assert list(home.rglob("*")) == [], "nothing may be written outside the data directory (onnxruntime device id)"
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "onnxruntime" in loaded
    assert loaded & (EXPORT_ONLY | QT) == set()


def test_board_exports_paint_with_qtgui_but_load_no_widgets() -> None:
    """The export layer runs on worker threads and under the offscreen platform: QtGui, never QtWidgets.
    (import-linter cannot forbid a submodule of an external package, so this checks what importing it loads.)"""
    script = """
import importlib, json, pkgutil, sys
import fashion_desktop.export as package
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(module.name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("PySide6"))))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=120, check=True
    )
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "PySide6.QtGui" in loaded and "PySide6.QtWidgets" not in loaded


def test_the_store_is_the_only_owner_of_sql() -> None:
    """No module but catalog/store.py talks to SQLite (callers catch store.DatabaseFailure, not sqlite3 errors)."""
    import re

    package = REPO / "fashion_desktop"
    sql = re.compile(r"\bsqlite3\b|\.execute(many|script)?\(|\b(SELECT|INSERT|UPDATE|DELETE)\s+\w")
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path != package / "catalog" / "store.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if sql.search(line)
    ]
    assert offenders == []
