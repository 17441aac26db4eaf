"""The choices of a lookbook export, with no Qt in them (the command line reads them before any Qt loads)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

PER_PAGE = (1, 2, 4, 6)
PAPERS = ("a4", "letter")


@dataclass(frozen=True)
class LookbookOptions:
    per_page: int = 4
    paper: str = "a4"
    landscape: bool = False
    title: str = ""  # on the cover instead of the board's name (which is then shown below it)
    subtitle: str = ""
    max_dpi: int = 300  # pictures are downscaled to at most this many pixels per inch as printed
    date: datetime.date | None = None  # printed on the cover; today when None

    def __post_init__(self) -> None:
        if self.per_page not in PER_PAGE:
            raise ValueError(f"items per page must be one of {', '.join(map(str, PER_PAGE))}, not {self.per_page}")
        if self.paper not in PAPERS:
            raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {self.paper!r}")
        if not 36 <= self.max_dpi <= 600:
            raise ValueError("pictures' resolution must be between 36 and 600 dpi")
