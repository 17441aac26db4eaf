"""Shared fixtures: every path redirected into temp dirs; tiny random-weight models exported once per session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _pytest.monkeypatch import MonkeyPatch

from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.paths import DATA_DIR_ENV, MODELS_ENV, AppPaths
from fashion_desktop.sample import sample_catalog_dir
from model_export.common import Source
from tests.support import TorchModel

_session_environment = MonkeyPatch()


def pytest_configure(config: pytest.Config) -> None:
    """Before collection (test modules import transformers, which reads these once): no test reaches for the
    network, and Qt runs offscreen unless a test says otherwise."""
    _session_environment.setenv("HF_HUB_OFFLINE", "1")
    _session_environment.setenv("TRANSFORMERS_OFFLINE", "1")
    _session_environment.setenv("QT_QPA_PLATFORM", "offscreen")


def pytest_unconfigure(config: pytest.Config) -> None:
    _session_environment.undo()


@pytest.fixture(autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test writes into the real data directory; the command line (which reads the environment) agrees."""
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """models/onnx-style folder with tiny random-weight ResNet and BLIP (fp32 + int8), made by export_models.py."""
    import export_models

    # FASHION_DESKTOP_TEST_MODELS=DIR keeps them between runs while iterating (export_models keeps a valid export).
    kept = os.environ.get("FASHION_DESKTOP_TEST_MODELS")
    out = Path(kept) if kept else tmp_path_factory.mktemp("models")
    code = export_models.main(["--random-weights", "tiny", "--quantize", "int8", "--out", str(out)])
    assert code == 0
    return out


@pytest.fixture
def app_paths(data_dir: Path, tiny_models: Path) -> AppPaths:
    """What the composition root would build, with a temporary data directory and the tiny models."""
    return AppPaths(data_dir, (tiny_models,), sample_catalog_dir())


OpenCatalog = Callable[[Path], Catalog]


@pytest.fixture
def embedder(tiny_models: Path) -> ImageEmbedder:
    return ImageEmbedder(tiny_models / "resnet50", variant="fp32")


@pytest.fixture
def open_catalog(app_paths: AppPaths, embedder: ImageEmbedder) -> Iterator[OpenCatalog]:
    """Catalog.open with the shared fp32 embedder; every catalog opened is closed after the test."""
    opened: list[Catalog] = []

    def open_one(root: Path) -> Catalog:
        opened.append(Catalog.open(root, app_paths, embedder=embedder))
        return opened[-1]

    yield open_one
    for catalog in opened:
        catalog.close()


@pytest.fixture
def models_env(tiny_models: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """For code that starts at the command line and so finds the models through the environment."""
    monkeypatch.setenv(MODELS_ENV, str(tiny_models))
    yield tiny_models


@pytest.fixture(scope="session")
def torch_resnet() -> TorchModel:
    """The exported tiny ResNet rebuilt in PyTorch (construction is seeded, so weights are identical)."""
    from model_export import resnet

    return resnet.load(Source("microsoft/resnet-50", random_weights="tiny"))


@pytest.fixture(scope="session")
def torch_blip() -> TorchModel:
    from model_export import blip

    return blip.load(Source("Salesforce/blip-image-captioning-base", random_weights="tiny"))
