"""What the command line prints about files: readable whatever a name holds, and valid JSON."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Any

from fashion_desktop.paths import shown, valid_unicode


def say(text: str, *, stdout: bool = False) -> None:
    """One message line (on stderr unless `stdout`), readable whatever it quotes: a file name with a newline,
    a terminal escape or bytes that are not UTF-8 in it."""
    print(shown(text), file=sys.stdout if stdout else sys.stderr)


def path_fields(path: Path | str) -> dict[str, str]:
    """A path for JSON output: "path" as valid Unicode (bytes of a name that is not UTF-8 shown as U+FFFD), and
    then also "path_bytes", the exact name in base64, to open it."""
    text = valid_unicode(path)
    if text == str(path):
        return {"path": text}
    return {"path": text, "path_bytes": base64.b64encode(os.fsencode(path)).decode("ascii")}


def json_line(row: dict[str, Any]) -> str:
    """One JSON object on one line, valid whatever it holds: text that came from a file name not valid UTF-8
    (a product name falling back to it, an error naming it) gets U+FFFD, NaN or infinity are refused, and the
    line is ASCII (escapes), so any terminal's encoding can print it."""
    return json.dumps(_valid(row), allow_nan=False)


def _valid(value: Any) -> Any:
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, dict):
        return {key: _valid(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_valid(item) for item in value]
    return value
