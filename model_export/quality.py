"""The int8 quality gate: int8 against fp32 on the user's own images, with real weights only."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from fashion_desktop.imaging import IMAGE_SUFFIXES
from fashion_desktop.models.captioner import Captioner
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.models.manifest import Int8Quality, load_manifest

log = logging.getLogger("fashion_desktop.export.quality")

MIN_NEIGHBOUR_OVERLAP = 0.9
MIN_IDENTICAL_CAPTIONS = 0.8
NEIGHBOURS = 10


def list_images(folder: Path, limit: int) -> list[Path]:
    found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    return found[:limit]


def neighbour_overlap(reference: np.ndarray, candidate: np.ndarray, k: int = NEIGHBOURS) -> float:
    """Mean share of each item's k nearest neighbours (itself excluded) that both vector sets agree on."""
    k = min(k, len(reference) - 1)
    if k < 1:
        raise ValueError("need at least two images to compare neighbours")

    def top(vectors: np.ndarray) -> np.ndarray:
        similarity = vectors @ vectors.T
        np.fill_diagonal(similarity, -np.inf)
        return np.argsort(-similarity, axis=1)[:, :k]

    ref, cand = top(reference), top(candidate)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(ref, cand, strict=True)]))


def check_resnet(model_dir: Path, images: list[Path]) -> Int8Quality:
    fp32 = ImageEmbedder(model_dir, variant="fp32").embed(images)
    int8 = ImageEmbedder(model_dir, variant="int8").embed(images)
    overlap = neighbour_overlap(fp32, int8)
    cosine = float(np.min(np.sum(fp32 * int8, axis=1)))
    return _verdict(
        model_dir, len(images), overlap >= MIN_NEIGHBOUR_OVERLAP, {"top10_overlap": overlap, "min_cosine": cosine}
    )


def check_blip(model_dir: Path, images: list[Path]) -> Int8Quality:
    fp32 = Captioner(model_dir, variant="fp32").caption(images)
    int8 = Captioner(model_dir, variant="int8").caption(images)
    identical = float(np.mean([a == b for a, b in zip(fp32, int8, strict=True)]))
    return _verdict(model_dir, len(images), identical >= MIN_IDENTICAL_CAPTIONS, {"identical_captions": identical})


def _verdict(model_dir: Path, count: int, meets_bars: bool, metrics: dict[str, float]) -> Int8Quality:
    manifest = load_manifest(model_dir)
    if manifest.random_weights:
        reason = "random weights: int8 quality cannot be judged; fp32 stays in use"
        passed = False
    else:
        passed = meets_bars
        reason = "meets the bars" if passed else "below the bars; fp32 stays in use"
    log.info("%s int8 on %d images: %s (%s)", manifest.model, count, metrics, reason)
    return Int8Quality(passed=passed, reason=reason, images=count, metrics=metrics)
