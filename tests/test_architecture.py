"""Layering rules: domain code imports no Qt; the run-time core never imports torch/transformers/optimum."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "fashion_desktop"
EXPORT_ONLY = {"torch", "transformers", "optimum", "onnx"}
QT = {"PySide6", "shiboken6", "PyQt5", "PyQt6"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_code_imports_no_qt() -> None:
    domain = [p for p in PACKAGE.rglob("*.py") if not {"ui", "workers"} & set(p.relative_to(PACKAGE).parts)]
    assert len(domain) > 5
    offenders = {str(p.relative_to(REPO)): imported_roots(p) & QT for p in domain if imported_roots(p) & QT}
    assert offenders == {}


def test_app_package_never_imports_export_dependencies() -> None:
    offenders = {
        str(p.relative_to(REPO)): imported_roots(p) & EXPORT_ONLY
        for p in PACKAGE.rglob("*.py")
        if imported_roots(p) & EXPORT_ONLY
    }
    assert offenders == {}


def test_captioning_and_embedding_load_neither_torch_nor_transformers(tiny_models: Path, tmp_path: Path) -> None:
    """Run the real core in a fresh interpreter and inspect what it loaded (catches transitive imports too)."""
    script = """
import json, sys
from fashion_desktop.models import Captioner, ImageEmbedder
from PIL import Image
image = Image.new("RGB", (120, 90), (180, 40, 40))
ImageEmbedder().embed([image]); Captioner().caption([image], max_tokens=4)
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
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=REPO, timeout=120, check=True
    )
    assert list(home.rglob("*")) == [], "nothing may be written outside the data directory (onnxruntime device id)"
    loaded = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "onnxruntime" in loaded
    assert loaded & (EXPORT_ONLY | QT) == set()
