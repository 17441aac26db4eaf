"""Logging set-up: named loggers, a rotating file in the data directory, and hooks for uncaught errors."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"

ErrorListener = Callable[[str], None]
_listeners: list[ErrorListener] = []


def setup(target: Path, level: int = logging.INFO) -> Path | None:
    """Log to the rotating file `target` (AppPaths.log_file) and install the excepthooks. Returns the log file, or
    None when it cannot be written (said on stderr: a read-only home must not stop the app)."""
    root = logging.getLogger("fashion_desktop")
    root.setLevel(level)
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
    folder = target.parent
    for old in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        if Path(old.baseFilename) == target:
            _capture_warnings(old)
            return target
        root.removeHandler(old)  # the data directory changed (tests, or a moved portable install)
        old.close()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # backslashreplace: a file name that is not valid UTF-8 is logged as escapes, not as a logging error
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            target, maxBytes=2_000_000, backupCount=3, encoding="utf-8", errors="backslashreplace"
        )
    except OSError as exc:
        print(f"fashion-desktop: cannot write log file in {folder}: {exc}", file=sys.stderr)
        _capture_warnings(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    _capture_warnings(handler)
    return target


def _capture_warnings(handler: logging.Handler) -> None:
    """Python warnings (Pillow's DecompressionBombWarning, numpy's RuntimeWarning, ...) go to the log, never to
    the stylist's terminal."""
    logging.captureWarnings(True)
    warnings_log = logging.getLogger("py.warnings")
    warnings_log.propagate = False
    for old in list(warnings_log.handlers):
        warnings_log.removeHandler(old)
    warnings_log.addHandler(handler)


def add_error_listener(listener: ErrorListener) -> None:
    """The UI registers here to show uncaught errors in its one non-modal error channel."""
    _listeners.append(listener)


def remove_error_listener(listener: ErrorListener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    logging.getLogger("fashion_desktop.errors").critical("uncaught exception", exc_info=(kind, value, tb))
    for listener in list(_listeners):
        listener(f"Unexpected error: {value}")
    if not _listeners:
        sys.__excepthook__(kind, value, tb)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    logging.getLogger("fashion_desktop.errors").critical(
        "uncaught exception in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=args.exc_value if args.exc_value is not None else True,
    )
    for listener in list(_listeners):
        listener(f"Unexpected error in a background task: {args.exc_value}")
