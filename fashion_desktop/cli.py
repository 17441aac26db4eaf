"""The `fashion-desktop` command: the window by default, plus command-line tools.

Exit codes: 0 success, 1 some inputs failed, 2 usage error, 3 models missing or corrupt, 4 catalog missing.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_NO_MODELS, EXIT_NO_CATALOG = 0, 1, 2, 3, 4

log = logging.getLogger("fashion_desktop.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fashion-desktop", description="Visual search for a photo library.")
    parser.add_argument("--threads", type=int, default=None, help="inference threads (default: physical cores)")
    commands = parser.add_subparsers(dest="command")

    caption = commands.add_parser("caption", help="describe images with the captioning model")
    caption.add_argument("images", nargs="+", type=Path)
    caption.add_argument("--beams", type=_positive, default=3)
    caption.add_argument("--max-tokens", type=_positive, default=20, help="new tokens at most")
    caption.add_argument("--min-tokens", type=int, default=5, help="new tokens at least")
    caption.add_argument("--prompt", default=None, help='text the caption starts with, e.g. "a picture of"')
    caption.add_argument("--json", action="store_true", help="one JSON object per image")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from fashion_desktop import logs

    logs.setup()
    from fashion_desktop.models.manifest import ModelFilesError

    try:
        if args.command == "caption":
            return caption_command(args)
        return models_status()
    except ModelFilesError as exc:
        print(f"fashion-desktop: {exc}", file=sys.stderr)
        return EXIT_NO_MODELS


def models_status() -> int:
    from fashion_desktop.models.manifest import BLIP_DIR, RESNET_DIR, find_model_dir, load_manifest

    for name in (RESNET_DIR, BLIP_DIR):
        manifest = load_manifest(find_model_dir(name))
        stand_in = " — RANDOM WEIGHTS: results are meaningless stand-ins" if manifest.random_weights else ""
        print(f"{manifest.model}: {manifest.source} (revision {manifest.revision or 'unpinned'}){stand_in}")
    return EXIT_OK


def caption_command(args: argparse.Namespace) -> int:
    from fashion_desktop.imaging import ImageDecodeError
    from fashion_desktop.models.captioner import Captioner

    captioner = Captioner(threads=args.threads)
    captioner.load()
    if captioner.manifest.random_weights:
        print("fashion-desktop: random-weight stand-in models: captions are meaningless", file=sys.stderr)
    failures = 0
    for path in args.images:
        try:
            (text,) = captioner.caption(
                [path], beams=args.beams, max_tokens=args.max_tokens, min_tokens=args.min_tokens, prompt=args.prompt
            )
        except (ImageDecodeError, OSError) as exc:
            failures += 1
            print(f"fashion-desktop: {path}: {exc}", file=sys.stderr)
            if args.json:
                print(json.dumps({"path": str(path), "error": str(exc)}))
            continue
        log.info("captioned %s", path)
        print(json.dumps({"path": str(path), "caption": text}) if args.json else f"{path}\t{text}")
    return EXIT_PARTIAL if failures else EXIT_OK
