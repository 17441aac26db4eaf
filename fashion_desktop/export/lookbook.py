"""The PDF lookbook, drawn with Qt's own PDF writer: a cover, then pages of 1, 2, 4 or 6 items, each with its
picture, product name, key metadata, caption and note. Text is real text (searchable, selectable, extractable
with pdftotext); pictures are embedded at most at `max_dpi` for the size they are printed at, never upscaled."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QDate, QFile, QIODevice, QLocale, QMarginsF, QPointF, QRectF
from PySide6.QtGui import QFontMetricsF, QPageLayout, QPageSize, QPainter, QPdfWriter

from fashion_desktop.catalog.boards import Board, BoardItem
from fashion_desktop.export.job import Cancelled, ExportReport, ExportRun, Progress, atomic_output
from fashion_desktop.export.options import LookbookOptions
from fashion_desktop.export.painting import (
    GREY,
    INK,
    draw_lines,
    draw_picture,
    draw_text,
    font,
    key_metadata,
    line_height,
)
from fashion_desktop.export.pictures import load_picture, prefetched, record_problem

PAGE_SIZES = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}
DEVICE_DPI = 300  # the painter's units: one device pixel is 1/300 inch
MM = DEVICE_DPI / 25.4
COVER_PICTURES = 4


@dataclass(frozen=True)
class _Type:
    """Font sizes (points) and how many lines each text may take, by items per page."""

    name: float
    body: float
    caption_lines: int
    note_lines: int


_TYPE = {1: _Type(16, 11, 3, 8), 2: _Type(12, 10, 2, 5), 4: _Type(11, 9, 2, 3), 6: _Type(10, 8.5, 2, 3)}


class _Page:
    """Where things go on a page of `per_page` items (device units)."""

    def __init__(self, writer: QPdfWriter, per_page: int):
        self.width, self.height = float(writer.width()), float(writer.height())
        self.margin = 14 * MM
        self.footer = 7 * MM
        self.gap = 6 * MM
        self.spacing = 1.2 * MM
        self.type = _TYPE[per_page]
        self.name_font = font(self.type.name, bold=True)
        self.body_font = font(self.type.body)
        self.caption_font = font(self.type.body, italic=True)
        self.footer_font = font(8)
        self.name_line = line_height(self.name_font, writer)
        self.body_line = line_height(self.body_font, writer)
        body_lines = 1 + self.type.caption_lines + self.type.note_lines  # metadata, caption, note
        self.text_height = 2 * self.name_line + body_lines * self.body_line + 4 * self.spacing
        self.content = QRectF(
            self.margin, self.margin, self.width - 2 * self.margin, self.height - 2 * self.margin - self.footer
        )
        self.columns, self.rows = self._grid(per_page)
        self.cell_width = (self.content.width() - (self.columns - 1) * self.gap) / self.columns
        self.cell_height = (self.content.height() - (self.rows - 1) * self.gap) / self.rows
        # pictures up to 2:3 portrait; a taller box would only push the text away from the picture
        self.picture_height = min(self.cell_height - self.text_height, self.cell_width * 1.5)

    def _grid(self, per_page: int) -> tuple[int, int]:
        """The columns × rows that print a 3:4 portrait picture largest (product shots are mostly portrait)."""

        def picture_scale(columns: int, rows: int) -> float:
            width = (self.content.width() - (columns - 1) * self.gap) / columns
            height = (self.content.height() - (rows - 1) * self.gap) / rows - self.text_height
            return min(width / 3, height / 4)

        pairs = [(c, per_page // c) for c in range(1, per_page + 1) if per_page % c == 0]
        return max(pairs, key=lambda pair: picture_scale(*pair))

    def cell(self, slot: int) -> QRectF:
        """The area of the slot-th item on a page, its picture and text centred vertically in the cell."""
        column, row = slot % self.columns, slot // self.columns
        used = self.picture_height + self.text_height
        left = self.content.left() + column * (self.cell_width + self.gap)
        top = self.content.top() + row * (self.cell_height + self.gap) + (self.cell_height - used) / 2
        return QRectF(left, top, self.cell_width, used)

    def picture_pixels(self, max_dpi: int) -> tuple[int, int]:
        """The most pixels a picture needs: its box at `max_dpi`."""
        scale = max_dpi / DEVICE_DPI
        return math.ceil(self.cell_width * scale), math.ceil(self.picture_height * scale)


def page_count(items: int, per_page: int) -> int:
    """The cover, then as many pages as the items need."""
    return 1 + math.ceil(items / per_page)


def export_pdf(
    board: Board,
    items: Sequence[BoardItem],
    out: Path,
    options: LookbookOptions | None = None,
    *,
    on_progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ExportReport:
    """Write the lookbook of `items` (a board's items, in order) to `out`, atomically."""
    options = options or LookbookOptions()
    pages = page_count(len(items), options.per_page)
    run = ExportRun(out, len(items), on_progress, cancelled, pages=pages)
    with atomic_output(out) as temporary:
        device = QFile(str(temporary))
        if not device.open(QIODevice.OpenModeFlag.WriteOnly):
            raise OSError(f"cannot write {out}: {device.errorString()}")
        writer = QPdfWriter(device)
        writer.setResolution(DEVICE_DPI)
        orientation = QPageLayout.Orientation.Landscape if options.landscape else QPageLayout.Orientation.Portrait
        writer.setPageLayout(QPageLayout(QPageSize(PAGE_SIZES[options.paper]), orientation, QMarginsF(0, 0, 0, 0)))
        writer.setTitle(options.title or board.name)
        writer.setCreator("Fashion Desktop")
        painter = QPainter()
        try:
            if not painter.begin(writer):
                raise OSError(f"cannot write {out}")
            page = _Page(writer, options.per_page)
            _paint_cover(painter, page, board, items, options)
            run.advance()
            size = page.picture_pixels(options.max_dpi)
            with closing(prefetched([(item.path, *size) for item in items])) as pictures:
                for index, (item, picture) in enumerate(zip(items, pictures, strict=True)):
                    slot = index % options.per_page
                    if slot == 0:
                        writer.newPage()
                        _paint_footer(painter, page, board, 2 + index // options.per_page, pages)
                    cell = page.cell(slot)
                    box = QRectF(cell.left(), cell.top(), cell.width(), page.picture_height)
                    draw_picture(painter, picture, box, page.body_font)
                    _paint_text(painter, page, item, index + 1, cell)
                    record_problem(run.report, picture, item.last_path)
                    run.advance()
        finally:
            if painter.isActive():
                painter.end()
            device.close()
        if device.error() != QFile.FileError.NoError:
            raise OSError(f"cannot write {out}: {device.errorString()}")
    return run.finish()


def _paint_text(painter: QPainter, page: _Page, item: BoardItem, number: int, cell: QRectF) -> None:
    """Number and product name, type · colour · season, the caption (italic) and the note, under the picture."""
    left, width = cell.left(), cell.width()
    texts = [
        (f"{number}  {item.product_name}", page.name_font, 2, INK),
        (key_metadata(item), page.body_font, 1, GREY),
        (item.caption or "", page.caption_font, page.type.caption_lines, GREY),
        (item.note, page.body_font, page.type.note_lines, INK),
    ]
    y = cell.top() + page.picture_height
    for text, chosen, lines, colour in texts:
        if text:
            y += page.spacing
            y += draw_text(painter, text, chosen, QPointF(left, y), width, lines, colour)


def _paint_footer(painter: QPainter, page: _Page, board: Board, number: int, pages: int) -> None:
    baseline_top = page.height - page.margin - line_height(page.footer_font, painter.device())
    draw_lines(painter, [board.name], page.footer_font, QPointF(page.content.left(), baseline_top), GREY)
    label = f"{number} / {pages}"
    width = QFontMetricsF(page.footer_font, painter.device()).horizontalAdvance(label)
    draw_lines(painter, [label], page.footer_font, QPointF(page.content.right() - width, baseline_top), GREY)


def _paint_cover(
    painter: QPainter, page: _Page, board: Board, items: Sequence[BoardItem], options: LookbookOptions
) -> None:
    """Title (the board's name unless a title is given), subtitle, board name, number of items and date, and the
    first few pictures."""
    left, width = page.content.left(), page.content.width()
    y = page.content.top() + page.content.height() * 0.12
    title_font = font(30, bold=True)
    y += draw_text(painter, options.title or board.name, title_font, QPointF(left, y), width, 3)
    if options.subtitle:
        y += 2 * MM + draw_text(painter, options.subtitle, font(16), QPointF(left, y + 2 * MM), width, 3, GREY)
    details_font = font(12)
    day = options.date or datetime.date.today()
    when = QLocale().toString(QDate(day.year, day.month, day.day), "d MMMM yyyy")
    count = f"{len(items)} item{'' if len(items) == 1 else 's'}"
    details = [f"Board: {board.name}"] if options.title and options.title != board.name else []
    details.append(f"{count} · {when}")
    y += 8 * MM
    y += draw_lines(painter, details, details_font, QPointF(left, y), GREY)
    gap = page.gap
    box_width = (width - (COVER_PICTURES - 1) * gap) / COVER_PICTURES
    box_height = min(box_width * 4 / 3, page.content.bottom() - y - 12 * MM)
    if box_height < 20 * MM:  # a long title left no room
        return
    scale = options.max_dpi / DEVICE_DPI
    shown = 0
    for item in items:
        if shown == COVER_PICTURES:
            break
        picture = load_picture(item.path, math.ceil(box_width * scale), math.ceil(box_height * scale))
        if picture.image is not None:  # the first pictures there are: no placeholders on the cover
            box = QRectF(left + shown * (box_width + gap), page.content.bottom() - box_height, box_width, box_height)
            draw_picture(painter, picture, box, page.body_font)
            shown += 1
