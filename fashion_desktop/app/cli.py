"""The `fashion-desktop` command: the window by default, plus command-line tools.

Exit codes: 0 success, 1 some inputs failed (each reported; for `board export`, items drawn as placeholders because
their file is missing or unreadable), 2 usage error (also: no such board), 3 models missing or corrupt, 4 catalog
missing, 130 interrupted (Ctrl-C; work committed so far is kept).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fashion_desktop.app.board_cli import add_board_parser, board_command
from fashion_desktop.app.output import json_line, path_fields, say
from fashion_desktop.catalog.fields import NAME
from fashion_desktop.paths import AppPaths, shown

if TYPE_CHECKING:
    from fashion_desktop.app.single_instance import SingleInstance
    from fashion_desktop.catalog.catalog import Catalog
    from fashion_desktop.catalog.indexer import IndexControl
    from fashion_desktop.catalog.query import SearchResult
    from fashion_desktop.models.captioner import Captioner
    from fashion_desktop.ui.open_request import OpenRequest

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_NO_MODELS, EXIT_NO_CATALOG = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130  # the shell's convention for a command stopped by Ctrl-C (128 + SIGINT)

log = logging.getLogger("fashion_desktop.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fashion-desktop", description="Visual search for a photo library.")
    parser.add_argument(
        "--threads", type=_threads, default=None, help=f"inference threads, 1 to {max_threads()} (default: cores)"
    )
    commands = parser.add_subparsers(dest="command")

    caption = commands.add_parser("caption", help="describe images with the captioning model")
    caption.add_argument("images", nargs="+", type=_query)
    caption.add_argument("--beams", type=_positive, default=3)
    caption.add_argument("--max-tokens", type=_positive, default=20, help="new tokens at most")
    caption.add_argument("--min-tokens", type=int, default=None, help="new tokens at least (default 5, at most max)")
    caption.add_argument("--prompt", default=None, help='text the caption starts with, e.g. "a picture of"')
    caption.add_argument("--json", action="store_true", help="one JSON object per image")

    index = commands.add_parser("index", help="index a catalog folder (default: the sample catalog)")
    index.add_argument("catalog", nargs="?", type=Path)
    index.add_argument("--captions", action="store_true", help="also caption every item (slow)")
    index.add_argument("--batch-size", type=_positive, default=None, help=argparse.SUPPRESS)

    search = commands.add_parser("search", help="find the catalog items most like these images")
    search.add_argument("images", nargs="+", type=_query)
    search.add_argument("--catalog", type=Path, default=None)
    search.add_argument("-k", type=_positive, default=10)
    search.add_argument("--captions", action="store_true", help="caption each result (cached after once)")
    search.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="folder=..., article_type=..., base_colour=..., gender=..., season=..., usage=...",
    )
    search.add_argument(
        "--text", default=None, help="only items whose caption, name, any field or path match these words"
    )
    search.add_argument("--json", action="store_true")

    status = commands.add_parser("status", help="what is indexed")
    status.add_argument("catalog", nargs="?", type=Path)
    status.add_argument("--json", action="store_true")
    add_board_parser(commands)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _query(text: str) -> Path | str:
    """A query image's path; a web address stays text, so that it can be recognised and refused (Path would
    fold its //)."""
    from fashion_desktop.imaging import looks_like_url

    return text if looks_like_url(text) else Path(text)


def max_threads() -> int:
    """More inference threads than twice the processor's cores only slow everything down."""
    return 2 * (os.cpu_count() or 1)


def _threads(text: str) -> int:
    value = int(text)
    if not 1 <= value <= max_threads():
        raise argparse.ArgumentTypeError(f"must be between 1 and {max_threads()} (twice this machine's cores)")
    return value


CLI_COMMANDS = {"board", "caption", "index", "search", "status"}


def prepare_process() -> None:
    """First thing in the process (the app, and bench/app.py measuring it): before any thread allocates or paints.

    Qt's raster engine hands every large fill, blit and image scaling to a pool of threads of its own and waits for
    them. On a laptop whose cores are busy (a model running, other programs) the GUI thread then waits for threads
    that get no core, and the pool's threads are not lowered in priority with the workers that call it. Serial
    painting stays on the calling thread: QT_NO_GUI_THREADPOOL, Qt's own switch (read once, at first use)."""
    from fashion_desktop.memory import limit_allocator

    limit_allocator()
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")


def main(argv: Sequence[str] | None = None) -> int:
    from fashion_desktop.app.environment import app_paths

    prepare_process()

    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments == ["--self-test"]:
        return self_test_command()
    paths = app_paths()
    if not arguments or (arguments[0] not in CLI_COMMANDS and not arguments[0].startswith("-")):
        return window_command(arguments, paths)
    parser = build_parser()
    args = parser.parse_args(arguments)
    from fashion_desktop import logs

    logs.setup(paths.log_file)
    from fashion_desktop.catalog.catalog import CatalogMissingError
    from fashion_desktop.catalog.store import DatabaseFailure, StoreError
    from fashion_desktop.models.manifest import ModelFilesError

    commands: dict[str, Callable[[argparse.Namespace, AppPaths], int]] = {
        "caption": caption_command,
        "index": index_command,
        "search": search_command,
        "status": status_command,
        "board": board_command,
    }
    try:
        if args.command in commands:
            return commands[args.command](args, paths)
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        log.info("%s interrupted", args.command)
        print(f"\nfashion-desktop: {args.command} interrupted; work committed so far is kept.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ModelFilesError as exc:
        say(f"fashion-desktop: {exc}")
        return EXIT_NO_MODELS
    except CatalogMissingError as exc:
        say(f"fashion-desktop: {exc}")
        return EXIT_NO_CATALOG
    except (StoreError, ValueError) as exc:
        say(f"fashion-desktop: {exc}")
        return EXIT_USAGE if isinstance(exc, ValueError) else EXIT_PARTIAL
    except (OSError, DatabaseFailure) as exc:  # e.g. the data directory's disk is full: nothing committed is lost
        log.error("stopped: %s", exc)
        say(f"fashion-desktop: stopped: {exc}. Work done so far is kept; run the command again once fixed.")
        return EXIT_PARTIAL


def window_command(arguments: list[str], paths: AppPaths) -> int:
    """`fashion-desktop [FILE_OR_FOLDER ...]` (the desktop entry's `%F`): the window on the last catalog (the welcome
    on first launch), a folder opened as the catalog, images searched with as one query. When a window already runs
    for this user and data directory, it gets them instead and this process exits at once."""
    from fashion_desktop.ui.open_request import OpenRequest, absolute_paths, read_paths

    files, unusable = absolute_paths(arguments)
    request = OpenRequest(unusable=tuple(unusable))  # web addresses and the like: said here, never handed over
    for problem in request.problems:
        say(f"fashion-desktop: {problem}")
    from fashion_desktop.app.environment import instance_name
    from fashion_desktop.app.single_instance import HandOverError, SingleInstance

    instance = SingleInstance(paths.data_dir, instance_name(paths.data_dir))
    try:
        if not instance.claim([str(file) for file in files]):
            return EXIT_OK  # the running window has them, and says what it could not open
    except HandOverError as exc:
        say(f"fashion-desktop: {exc}")
        return EXIT_PARTIAL
    opened = read_paths(files)
    for problem in opened.problems:
        say(f"fashion-desktop: {problem}")
    request = opened.merged(request)
    try:
        return _start_window(paths, request, instance)
    finally:
        instance.close()


def _start_window(paths: AppPaths, request: OpenRequest, instance: SingleInstance) -> int:
    from fashion_desktop.models.installed import describe_models

    problems = [m["error"] for m in describe_models(paths) if "error" in m]
    if problems:
        print(f"fashion-desktop: {problems[0]}", file=sys.stderr)
        return EXIT_NO_MODELS
    if no_display():
        print(
            "fashion-desktop: no display found. Run it on a desktop session, or under a virtual screen: "
            "xvfb-run fashion-desktop",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from fashion_desktop import logs

    logs.setup(paths.log_file)
    from fashion_desktop.app.window import run_window

    return run_window(paths, request, instance)


def self_test_command() -> int:
    from fashion_desktop.app.selftest import run_self_test
    from fashion_desktop.imaging import ImageDecodeError
    from fashion_desktop.models.manifest import ModelFilesError

    try:
        return run_self_test()
    except ModelFilesError as exc:
        print(f"self-test FAILED: {exc}", file=sys.stderr)
        return EXIT_NO_MODELS
    except (OSError, ImageDecodeError, ValueError) as exc:
        print(f"self-test FAILED: {exc}", file=sys.stderr)
        return EXIT_PARTIAL


def no_display() -> bool:
    import os

    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def make_captioner(paths: AppPaths, threads: int | None) -> Captioner:
    from fashion_desktop.models.captioner import Captioner

    return Captioner.from_paths(paths, threads=threads)


def caption_command(args: argparse.Namespace, paths: AppPaths) -> int:
    """Captions in batches; the models load while the first images decode. Paths that are not image files and
    unreadable images are reported, and the others still captioned."""
    from fashion_desktop.imaging import ImageDecodeError, query_path_problem

    captioner = make_captioner(paths, args.threads)
    if captioner.manifest.random_weights:
        print("fashion-desktop: random-weight stand-in models: captions are meaningless", file=sys.stderr)
    problems = {path: ImageDecodeError(p) for path in args.images if (p := query_path_problem(path)) is not None}
    captions = captioner.captions_or_errors(
        [path for path in args.images if path not in problems],
        beams=args.beams,
        max_tokens=args.max_tokens,
        min_tokens=args.min_tokens,
        prompt=args.prompt,
    )
    failures = 0
    for path in args.images:
        outcome = problems[path] if path in problems else next(captions)
        if isinstance(outcome, ImageDecodeError):
            failures += 1
            say(f"fashion-desktop: {path}: {outcome}")
            if args.json:
                print(json_line(path_fields(path) | {"error": str(outcome)}))
            continue
        log.info("captioned %r", str(path))
        print(json_line(path_fields(path) | {"caption": outcome}) if args.json else f"{shown(path)}\t{outcome}")
    return EXIT_PARTIAL if failures else EXIT_OK


def open_catalog(folder: Path | None, paths: AppPaths, threads: int | None) -> Catalog:
    """The catalog of `folder` (default: the sample catalog), warning on stderr when the models are stand-ins."""
    from fashion_desktop.catalog.catalog import Catalog

    catalog = Catalog.open(folder if folder is not None else paths.sample_catalog, paths, threads=threads)
    if catalog.embedder.manifest.random_weights:
        print("fashion-desktop: random-weight stand-in models: similarities are meaningless", file=sys.stderr)
    return catalog


def index_command(args: argparse.Namespace, paths: AppPaths) -> int:
    from fashion_desktop.catalog.indexer import IndexControl, IndexProgress
    from fashion_desktop.catalog.styles import StylesReport

    catalog = open_catalog(args.catalog, paths, args.threads)
    tty = sys.stderr.isatty()

    def show(progress: IndexProgress) -> None:
        eta = f", {progress.eta_seconds:.0f}s left" if progress.eta_seconds is not None else ""
        line = f"indexed {progress.done}/{progress.total} ({progress.rate:.1f}/s{eta}, {progress.failed} skipped)"
        print(f"\r{line}" if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    def styles_read(styles: StylesReport) -> None:
        say(styles.summary(), stdout=not (styles.error or styles.unreadable))

    control = IndexControl()
    with ctrl_c_cancels(control):
        report = catalog.index(control, on_progress=show, batch_size=args.batch_size, on_styles=styles_read)
        if tty:
            print(file=sys.stderr)
        for warning in report.warnings:
            say(f"fashion-desktop: {warning}")
        scan = report.scan
        say(
            f"{catalog.root}: {scan.new} new, {scan.changed} changed, {scan.removed} removed, {scan.unchanged} "
            f"unchanged; {report.embedded} embedded, {report.reused} reused, {len(report.failed)} skipped "
            f"in {report.seconds:.1f}s",
            stdout=True,
        )
        if report.damaged:
            say(f"  {report.damaged} items whose stored vector was missing or damaged were embedded again", stdout=True)
        for path, reason in report.failed:
            say(f"  skipped {path}: {reason}", stdout=True)
        if args.captions and not control.cancelled:
            done = catalog.caption_all(make_captioner(paths, args.threads), control, on_progress=show_captions)
            print(f"captioned {done} items")
    if control.cancelled:
        say("fashion-desktop: indexing stopped (Ctrl-C); what was indexed is kept, run it again to continue.")
        return EXIT_INTERRUPTED
    return EXIT_PARTIAL if report.warnings else EXIT_OK


@contextmanager
def ctrl_c_cancels(control: IndexControl) -> Iterator[None]:
    """The first Ctrl-C stops indexing after the batch in hand (committed, lock released, a message); a second
    one stops at once (the batch in flight is lost, everything committed is kept)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def first_then_at_once(signum: int, frame: object) -> None:
        if control.cancelled:
            raise KeyboardInterrupt
        control.cancel()
        say_from_a_signal_handler(
            "\nfashion-desktop: stopping after the current batch (Ctrl-C again to stop at once)…\n"
        )

    previous = signal.signal(signal.SIGINT, first_then_at_once)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def say_from_a_signal_handler(text: str) -> None:
    """Straight to stderr's file descriptor. A handler runs between two bytecodes of the main thread, which may
    be inside a print to stderr (the progress line): printing there raises "reentrant call inside
    BufferedWriter", and Ctrl-C ended in a traceback (seen in CI). Without a descriptor (captured), printed."""
    try:
        descriptor = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        print(text, end="", file=sys.stderr)
        return
    os.write(descriptor, text.encode(sys.stderr.encoding or "utf-8", errors="replace"))


def show_captions(done: int, total: int) -> None:
    print(f"captioned {done}/{total}", file=sys.stderr)


def search_command(args: argparse.Namespace, paths: AppPaths) -> int:
    from fashion_desktop.imaging import ImageDecodeError, query_path_problem

    problems = [(path, query_path_problem(path)) for path in args.images]
    for path, problem in problems:
        if problem is not None:
            say(f"fashion-desktop: {path}: {problem}")
    if any(problem is not None for _, problem in problems):
        return EXIT_USAGE
    catalog = open_catalog(args.catalog, paths, args.threads)
    if catalog.store.counts().get("ok", 0) == 0:
        say(f"fashion-desktop: {catalog.root} is not indexed yet: run `fashion-desktop index`")
        return EXIT_NO_CATALOG
    filters = {}
    for spec in args.filter:
        name, sep, value = spec.partition("=")
        if not sep:
            raise ValueError(f"--filter takes FIELD=VALUE, got {spec!r}")
        filters[name.strip()] = value.strip()
    try:
        results = catalog.search_images(list(args.images), args.k, filters=filters, text=args.text)
    except ImageDecodeError as exc:
        say(f"fashion-desktop: query image unreadable: {exc}")
        return EXIT_PARTIAL
    log.info("query from command line: %d images, %d results", len(args.images), len(results))
    damaged = len(catalog.search_index().damaged)
    if damaged:
        say(
            f"fashion-desktop: {damaged} items were left out: their stored vectors are damaged; "
            "`fashion-desktop index` embeds them again"
        )
    captions: dict[int, str] = {}
    if args.captions and results:
        captions = catalog.captions_for([r.item_id for r in results], make_captioner(paths, args.threads))
    for result in results:
        caption = captions.get(result.item_id)
        if args.json:
            print(json_line(_result_fields(result, caption, args.captions)))
        else:
            name = result.metadata.get(NAME, "")
            score = f"{result.score:.3f}" if math.isfinite(result.score) else "  -  "
            line = f"{score}  {result.path}" + (f"  {name}" if name else "") + (f"  — {caption}" if caption else "")
            say(line, stdout=True)
    return EXIT_OK


def _result_fields(result: SearchResult, caption: str | None, with_caption: bool) -> dict[str, object]:
    """One JSON result: always valid JSON (no NaN: a text-only match has a null score)."""
    row: dict[str, object] = path_fields(result.path) | {
        "score": round(result.score, 6) if math.isfinite(result.score) else None,
        "metadata": result.metadata,
    }
    if with_caption:
        row["caption"] = caption
    return row


def status_command(args: argparse.Namespace, paths: AppPaths) -> int:
    catalog = open_catalog(args.catalog, paths, args.threads)
    status = catalog.status()
    if args.json:
        print(json_line(status))
    else:
        for key, value in status.items():
            say(f"{key:>9}: {value}", stdout=True)
    return EXIT_OK
