"""User settings, declared with their defaults in one place and kept as JSON in the data directory."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

log = logging.getLogger("fashion_desktop.settings")


@dataclass
class Settings:
    catalog: str | None = None  # the last catalog folder; None until the stylist picks one
    recent_catalogs: list[str] = field(default_factory=list)
    results_count: int = 24  # k
    captions: bool = True
    threads: int | None = None  # inference threads; None = physical cores
    window_geometry: str | None = None  # Qt's saveGeometry(), base64
    window_state: str | None = None  # Qt's splitter state (detail pane width), base64
    sort: str = "name"  # the library's order while browsing
    collapse_duplicates: bool = False
    thumbnail_size: int = 140  # tile picture side in pixels (the slider, Ctrl+wheel)
    details_shown: bool = True  # the detail pane
    session: dict[str, object] = field(default_factory=dict)  # the last query (catalog, images, filters, text)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """The settings in `path` (AppPaths.settings_file); defaults when there are none or they are unreadable."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            log.warning("settings unreadable (%s); using defaults", exc)
            return cls()
        known = {f.name for f in fields(cls)}
        settings = cls(**{k: v for k, v in raw.items() if k in known})
        settings.results_count = min(max(int(settings.results_count), 1), 200)
        return settings

    def save(self, path: Path) -> None:
        """Write atomically, so a crash mid-write never leaves half a file."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
            os.replace(temporary, path)
        except OSError as exc:
            log.warning("settings not saved: %s", exc)

    def remember_catalog(self, folder: str) -> None:
        self.catalog = folder
        self.recent_catalogs = [folder] + [c for c in self.recent_catalogs if c != folder][:7]
