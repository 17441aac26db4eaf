"""Shared fixtures: every path redirected into temp dirs; tiny random-weight models exported once per session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"  # tests never reach for the network
os.environ["TRANSFORMERS_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_paths(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes into the real data directory."""
    monkeypatch.setenv("FASHION_DESKTOP_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """models/onnx-style folder with tiny random-weight ResNet and BLIP (fp32 + int8), made by export_models.py."""
    import export_models

    out = tmp_path_factory.mktemp("models")
    code = export_models.main(["--random-weights", "tiny", "--quantize", "int8", "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture
def models_env(tiny_models: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("FASHION_DESKTOP_MODELS", str(tiny_models))
    yield tiny_models


@pytest.fixture(scope="session")
def torch_resnet():  # type: ignore[no-untyped-def]
    """The exported tiny ResNet rebuilt in PyTorch (construction is seeded, so weights are identical)."""
    from model_export import resnet
    from model_export.common import Source

    return resnet.load(Source("microsoft/resnet-50", random_weights="tiny"))


@pytest.fixture(scope="session")
def torch_blip():  # type: ignore[no-untyped-def]
    from model_export import blip
    from model_export.common import Source

    return blip.load(Source("Salesforce/blip-image-captioning-base", random_weights="tiny"))
