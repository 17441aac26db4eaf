"""User settings, declared with their defaults in one place and kept as JSON in the data directory.

Whatever the file holds never blocks a launch: each value is checked against its declared type (and bounds),
a wrong one falls back to its default with a notice, and a file that is not a settings object at all is set
aside (renamed `settings.json.bad-<time>`) with a notice, and defaults are used.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

log = logging.getLogger("fashion_desktop.settings")

SCHEMA_VERSION = 1  # written as "version"; a file from a newer app keeps the values this one understands
MAX_RESULTS = 200
MAX_RECENT = 8
DEFAULT_CAPTION_IDLE_MINUTES = 5.0
MAX_CAPTION_IDLE_MINUTES = 24 * 60.0
_SIMPLE_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "None": (type(None),),
}


@dataclass
class Settings:
    catalog: str | None = None  # the last catalog folder; None until the stylist picks one
    recent_catalogs: list[str] = field(default_factory=list)
    results_count: int = 24  # k
    captions: bool = True
    background_captions: bool = True  # after indexing, caption the whole catalog (lowest priority, pausable)
    caption_idle_minutes: float = DEFAULT_CAPTION_IDLE_MINUTES  # BLIP's memory is handed back after this idle time
    threads: int | None = None  # inference threads; None = physical cores
    window_geometry: str | None = None  # Qt's saveGeometry(), base64
    window_state: str | None = None  # Qt's splitter state (detail pane width), base64
    sort: str = "name"  # the library's order while browsing
    collapse_duplicates: bool = False
    thumbnail_size: int = 140  # tile picture side in pixels (the slider, Ctrl+wheel)
    details_shown: bool = True  # the detail pane
    session: dict[str, object] = field(default_factory=dict)  # the last query (catalog, images, filters, text)
    boards_collapsed: bool = False  # the boards panel folded away (by hand)
    boards_width: int = 190  # the boards panel's width when open
    board_targets: dict[str, int] = field(default_factory=dict)  # catalog folder → the board B adds to (last used)
    export_options: dict[str, object] = field(default_factory=dict)  # the last export's format, layout and folder

    @classmethod
    def load(cls, path: Path) -> Settings:
        """The settings in `path` (AppPaths.settings_file); defaults for whatever is missing or wrong."""
        return cls.load_checked(path)[0]

    @classmethod
    def load_checked(cls, path: Path) -> tuple[Settings, list[str]]:
        """The settings, and notices for the stylist about what was wrong with the file (empty when nothing)."""
        try:
            raw = json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            return cls(), []
        except OSError as exc:
            notice = f"Your settings could not be read ({exc.strerror or exc}); defaults are used for now."
            log.warning(notice)
            return cls(), [notice]
        except ValueError as exc:  # not UTF-8, not JSON
            return cls(), [_set_aside(path, f"it is not valid JSON ({exc})")]
        if not isinstance(raw, dict):
            return cls(), [_set_aside(path, f"it holds a {type(raw).__name__}, not settings")]
        settings = cls()
        wrong = []
        for spec in fields(cls):
            if spec.name not in raw:
                continue
            value = raw[spec.name]
            if _conforms(value, str(spec.type)):
                setattr(settings, spec.name, value)
            else:
                wrong.append(spec.name)
        notices = []
        if wrong:
            notices.append(f"Some settings had values of the wrong kind ({', '.join(wrong)}); their defaults are used.")
        version = raw.get("version")
        if isinstance(version, int) and version > SCHEMA_VERSION:
            log.info("settings written by a newer version (%s); keeping what this version understands", version)
        for notice in notices:
            log.warning(notice)
        return settings.bounded(), notices

    def bounded(self) -> Settings:
        """Values within their ranges (the number of results, the threads, the recent catalogs, BLIP's idle time)."""
        self.results_count = min(max(self.results_count, 1), MAX_RESULTS)
        if self.threads is not None and not 1 <= self.threads <= 2 * (os.cpu_count() or 1):
            self.threads = None
        self.recent_catalogs = [c for c in dict.fromkeys(self.recent_catalogs) if c][:MAX_RECENT]
        if not 0 < self.caption_idle_minutes <= MAX_CAPTION_IDLE_MINUTES:  # also NaN
            self.caption_idle_minutes = DEFAULT_CAPTION_IDLE_MINUTES
        return self

    def save(self, path: Path) -> None:
        """Write atomically, so a crash mid-write never leaves half a file."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(json.dumps({"version": SCHEMA_VERSION} | asdict(self), indent=2), encoding="utf-8")
            os.replace(temporary, path)
        except OSError as exc:
            log.warning("settings not saved: %s", exc)

    def remember_catalog(self, folder: str) -> None:
        self.catalog = folder
        self.recent_catalogs = [folder] + [c for c in self.recent_catalogs if c != folder][: MAX_RECENT - 1]


def _conforms(value: Any, annotation: str) -> bool:
    """Whether a JSON value fits a field's declared type ("int | None", "list[str]", ...). A field with a type
    this does not know accepts values of its default's kind."""
    for option in (part.strip() for part in annotation.split("|")):
        if option.startswith("list[") and option.endswith("]"):
            if isinstance(value, list) and all(_conforms(item, option[5:-1]) for item in value):
                return True
        elif option in _SIMPLE_TYPES:
            if isinstance(value, bool) and option in ("int", "float"):
                continue  # JSON true is not a number of results
            if isinstance(value, _SIMPLE_TYPES[option]):
                return True
        else:
            return _like_default(value, annotation)
    return False


def _like_default(value: Any, annotation: str) -> bool:
    defaults = Settings()
    kinds = [type(getattr(defaults, spec.name)) for spec in fields(Settings) if str(spec.type) == annotation]
    return any(isinstance(value, kind) for kind in kinds)


def _set_aside(path: Path, why: str) -> str:
    """Rename a settings file that cannot be used, so the stylist's data is not overwritten; the notice says so."""
    aside = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        os.replace(path, aside)
        notice = f"Your settings file could not be used ({why}); it was set aside as {aside.name}; defaults are used."
    except OSError:
        notice = f"Your settings file could not be used ({why}); defaults are used."
    log.warning(notice)
    return notice
