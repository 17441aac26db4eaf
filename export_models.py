#!/usr/bin/env python3
"""Export ResNet50 and BLIP to ONNX for Fashion Desktop, and prove the export by parity.

    python export_models.py                          # download the real checkpoints, export to models/onnx
    python export_models.py --random-weights tiny    # offline stand-ins (tests); `full` for benchmarks
    python export_models.py --quantize int8          # also write int8 variants (used only after --check-quality)
    python export_models.py --check-quality DIR      # judge int8 against fp32 on your own images

Needs the `export` extra (torch, transformers, optimum); the app itself needs none of them.
Exit codes: 0 done, 1 export failed (e.g. parity miss), 2 usage error, 3 hub unreachable.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_RESNET = "microsoft/resnet-50"
DEFAULT_BLIP = "Salesforce/blip-image-captioning-base"
EXIT_FAILED, EXIT_USAGE, EXIT_HUB = 1, 2, 3

log = logging.getLogger("fashion_desktop.export")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resnet", default=DEFAULT_RESNET, help="hub id or local save_pretrained directory")
    parser.add_argument("--resnet-revision", default=None, help="hub revision (commit, tag or branch) to pin")
    parser.add_argument("--blip", default=DEFAULT_BLIP, help="hub id or local save_pretrained directory")
    parser.add_argument("--blip-revision", default=None, help="hub revision (commit, tag or branch) to pin")
    parser.add_argument("--out", type=Path, default=REPO / "models" / "onnx", help="output folder")
    parser.add_argument("--only", choices=["resnet", "blip"], help="export just one of the two models")
    parser.add_argument(
        "--random-weights",
        choices=["tiny", "full"],
        help="same architectures with random weights, offline (full = the real configs)",
    )
    parser.add_argument("--quantize", choices=["int8"], help="also write int8 variants")
    parser.add_argument(
        "--calibration-images",
        type=Path,
        help="folder of images to calibrate int8 ResNet activations (default: synthetic images)",
    )
    parser.add_argument(
        "--check-quality",
        type=Path,
        metavar="IMAGES_DIR",
        help="compare int8 with fp32 on these images and record the verdict in the manifests",
    )
    parser.add_argument("--max-quality-images", type=int, default=200)
    parser.add_argument("--force", action="store_true", help="re-export even if a valid export exists")
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    from model_export.common import ExportError
    from model_export.pipeline import HubUnreachableError, check_quality, export_all

    try:
        if args.check_quality is not None:
            check_quality(args.out, args.check_quality, args.max_quality_images)
        else:
            export_all(args)
    except HubUnreachableError as exc:
        print(f"export_models.py: {exc}", file=sys.stderr)
        return EXIT_HUB
    except (ExportError, FileNotFoundError, ValueError) as exc:
        print(f"export_models.py: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
