"""The int8 quality gate."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import export_models
from fashion_desktop.models.manifest import load_manifest
from model_export.quality import neighbour_overlap
from tests.images import gradient


def test_neighbour_overlap_counts_shared_neighbours() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert neighbour_overlap(vectors, vectors) == 1.0
    shuffled = vectors[rng.permutation(30)]
    assert neighbour_overlap(vectors, shuffled) < 0.6
    with pytest.raises(ValueError):
        neighbour_overlap(vectors[:1], vectors[:1])


def test_check_quality_refuses_to_pass_random_weights(tiny_models: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(tiny_models, models)
    images = tmp_path / "images"
    images.mkdir()
    for index in range(12):
        gradient(90 + index, 120, seed=index).save(images / f"{index}.png")
    assert export_models.main(["--out", str(models), "--check-quality", str(images)]) == 0
    for folder in ("resnet50", "blip"):
        quality = load_manifest(models / folder).int8_quality
        assert quality is not None and not quality.passed and "random weights" in quality.reason
        assert quality.images == 12 and quality.metrics


def test_check_quality_needs_enough_images(tiny_models: Path, tmp_path: Path) -> None:
    (tmp_path / "few").mkdir()
    gradient(50, 50).save(tmp_path / "few" / "a.png")
    assert export_models.main(["--out", str(tiny_models), "--check-quality", str(tmp_path / "few")]) == 1
