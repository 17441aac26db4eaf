"""What export_models.py does: per model, keep a valid export or build a new one in a staging folder."""

from __future__ import annotations

import argparse
import logging
import os
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from typing import Any

from fashion_desktop.models.base import PREPROCESS_FILE
from fashion_desktop.models.captioner import Captioner
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.models.manifest import BLIP_DIR, RESNET_DIR, Int8Quality, load_manifest, read_model_json
from fashion_desktop.models.preprocess import PreprocessConfig
from model_export import quality
from model_export.common import (
    ExportError,
    Source,
    existing_export_is_valid,
    is_hub_unreachable,
    staging_dir,
    synthetic_images,
    update_manifest,
)

log = logging.getLogger("fashion_desktop.export")

NOT_CHECKED = Int8Quality(passed=False, reason="not checked: run export_models.py --check-quality IMAGES_DIR")


class HubUnreachableError(ExportError):
    """The Hugging Face hub could not be reached and the weights are not cached."""


def hub_endpoint() -> str:
    """The hub the download would use: huggingface_hub reads HF_ENDPOINT too."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_reachable(timeout: float = 5.0) -> bool:
    """Whether the hub answers HTTP (any status: it is there), through the proxy settings a download would use."""
    request = urllib.request.Request(hub_endpoint() + "/", method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):  # URLError, timeouts, refused connections, a malformed endpoint
        return False


def _check_source(source: Source) -> None:
    if source.random_weights or Path(source.name_or_path).is_dir() or os.environ.get("HF_HUB_OFFLINE") == "1":
        return
    if not hub_reachable():
        raise HubUnreachableError(
            f"cannot reach the Hugging Face hub to download {source.name_or_path}. Run this on a machine with "
            "internet access and copy models/onnx over, pass a local save_pretrained directory "
            "(--resnet DIR / --blip DIR), or build offline stand-ins with --random-weights tiny|full."
        )


def _matches(model_dir: Path, source: Source) -> bool:
    manifest = load_manifest(model_dir)
    return manifest.source == source.label and manifest.revision == source.revision


def export_all(args: argparse.Namespace) -> None:
    from model_export import blip, resnet

    wanted = {
        "resnet": (RESNET_DIR, ImageEmbedder, args.resnet, args.resnet_revision, resnet.export),
        "blip": (BLIP_DIR, Captioner, args.blip, args.blip_revision, blip.export),
    }
    for key, (folder, model_class, name, revision, export) in wanted.items():
        if args.only and args.only != key:
            continue
        source = Source(name, revision=None if args.random_weights else revision, random_weights=args.random_weights)
        final = args.out / folder
        if not args.force and existing_export_is_valid(final, model_class) and _matches(final, source):
            log.info("%s: keeping the valid export in %s (use --force to redo it)", key, final)
            if args.quantize and not all(g.int8 for g in load_manifest(final).graphs.values()):
                _quantize(key, final, args.calibration_images)
            continue
        _check_source(source)
        with staging_dir(final) as staging:
            try:
                parity = export(source, staging)
            except OSError as exc:
                if is_hub_unreachable(exc):
                    raise HubUnreachableError(f"cannot download {name}: {exc}") from None
                raise
            if args.quantize:
                _quantize(key, staging, args.calibration_images)
        log.info("%s: exported to %s (parity %s)", key, final, parity)


def _quantize(key: str, model_dir: Path, calibration_dir: Path | None) -> None:
    from model_export import quantize

    manifest = load_manifest(model_dir)
    if key == "resnet":
        images = _calibration_images(calibration_dir)
        config = read_model_json(model_dir, PREPROCESS_FILE, PreprocessConfig.from_dict)
        int8 = quantize.quantize_resnet(model_dir, images, config)
    else:
        int8 = quantize.quantize_blip(model_dir)
    graphs = {name: replace(info, int8=int8[name]) for name, info in manifest.graphs.items()}
    update_manifest(model_dir, manifest, graphs=graphs, int8_quality=NOT_CHECKED)


def _calibration_images(folder: Path | None, count: int = 64) -> list[Any]:
    from PIL import Image

    if folder is None:
        return synthetic_images(count, seed=7)
    paths = quality.list_images(folder, count)
    if not paths:
        raise ExportError(f"no images found in {folder} for int8 calibration")
    return [Image.open(path).convert("RGB") for path in paths]


def check_quality(out: Path, images_dir: Path, limit: int) -> None:
    images = quality.list_images(images_dir, limit)
    if len(images) < quality.NEIGHBOURS + 1:
        raise ExportError(f"--check-quality needs at least {quality.NEIGHBOURS + 1} images in {images_dir}")
    for folder, check in ((RESNET_DIR, quality.check_resnet), (BLIP_DIR, quality.check_blip)):
        model_dir = out / folder
        manifest = load_manifest(model_dir)
        if not all(g.int8 for g in manifest.graphs.values()):
            raise ExportError(f"{model_dir} has no int8 variant: export with --quantize int8 first")
        verdict = check(model_dir, images[:50] if folder == BLIP_DIR else images)
        update_manifest(model_dir, manifest, int8_quality=verdict)
        print(
            f"{manifest.model}: int8 {'PASSED' if verdict.passed else 'not used'} — {verdict.reason} "
            f"({verdict.metrics}, {verdict.images} images)"
        )
