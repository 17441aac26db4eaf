"""Every filesystem location the app uses, as one value passed to whatever needs it.

Nothing below the entry points reads the environment: `fashion_desktop.app.environment` builds an `AppPaths` once
(from the environment, the platform's user data folder and the installed bundle) and hands it down, as rclip
injects its paths. Tests and the self-test build their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath

APP_NAME = "fashion-desktop"
MODELS_ENV = "FASHION_DESKTOP_MODELS"
DATA_DIR_ENV = "FASHION_DESKTOP_DATA_DIR"

LOG_FILE = "fashion-desktop.log"
SETTINGS_FILE = "settings.json"
MODEL_CHECKS_FILE = "model-checks.json"

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class AppPaths:
    """Where the app keeps its own state (never inside a catalog folder) and where it looks for models."""

    data_dir: Path
    models_search_path: tuple[Path, ...]  # folders holding resnet50/ and blip/, searched in order
    sample_catalog: Path

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def log_file(self) -> Path:
        return self.log_dir / LOG_FILE

    @property
    def settings_file(self) -> Path:
        return self.data_dir / SETTINGS_FILE

    @property
    def catalogs_dir(self) -> Path:
        """One store folder per catalog below this (see catalog.store.store_dir_for)."""
        return self.data_dir / "catalogs"

    @property
    def thumbnails_dir(self) -> Path:
        return self.data_dir / "thumbnails"

    @property
    def model_checks_file(self) -> Path:
        """Which model files were found to have their manifest's checksum (models.checksums.ChecksumMemo)."""
        return self.data_dir / MODEL_CHECKS_FILE

    def with_data_dir(self, data_dir: Path) -> AppPaths:
        return AppPaths(data_dir, self.models_search_path, self.sample_catalog)


def valid_unicode(text: str | PurePath) -> str:
    """`text` with each byte of a file name that is not valid UTF-8 (which Python keeps as a surrogate escape)
    shown as U+FFFD: printable, and valid in JSON. Opening the file needs the original, not this."""
    text = str(text)
    return text if text.isascii() else _SURROGATE.sub("\ufffd", text)


def shown(text: str | PurePath) -> str:
    """A path or name as shown to the stylist on one line: `valid_unicode`, and control characters (a newline in a
    file name, a terminal escape sequence) as visible escapes such as \\n."""
    text = valid_unicode(text)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)
