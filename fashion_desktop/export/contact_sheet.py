"""The contact sheet: every item of a board on one PNG, numbered in board order, with its product name."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from fashion_desktop.catalog.boards import Board, BoardItem
from fashion_desktop.export.job import Cancelled, ExportReport, ExportRun, Progress, atomic_output
from fashion_desktop.export.painting import GREY, draw_picture, draw_text, font, key_metadata
from fashion_desktop.export.pictures import prefetched, record_problem

CELL_WIDTH = 240  # pixels per picture, unless the sheet would exceed PIXEL_BUDGET
MIN_CELL_WIDTH = 80
PIXEL_BUDGET = 40_000_000  # a sheet larger than this is hard to open, mail or print
SHEET_RATIO = math.sqrt(2)  # height / width of the sheet, about: a page's proportions
POINTS_PER_METRE = 72 / 0.0254  # the sheet is set at 72 dpi, so a font's points are pixels


class _Sheet:
    """The geometry of a sheet of `count` items (pixels)."""

    def __init__(self, count: int, cell_width: int = CELL_WIDTH):
        self.count = count
        self.columns = 1
        self.cell_width = cell_width
        while True:
            self.padding = max(8, self.cell_width // 12)
            self.picture_height = round(self.cell_width * 4 / 3)
            self.text_size = max(7.0, self.cell_width / 16)
            self.text_height = math.ceil(self.text_size * 1.35 * 2)
            self.pitch_x = self.cell_width + self.padding
            self.pitch_y = self.picture_height + self.text_height + 2 * self.padding
            self.columns = max(1, min(count, round(math.sqrt(count * self.pitch_y / (self.pitch_x * SHEET_RATIO)))))
            self.rows = math.ceil(count / self.columns)
            self.header = round(self.cell_width * 0.45) + 2 * self.padding
            self.width = max(self.columns * self.pitch_x + self.padding, 3 * self.cell_width)  # room for the title
            self.height = self.header + self.rows * self.pitch_y + self.padding
            if self.width * self.height <= PIXEL_BUDGET or self.cell_width <= MIN_CELL_WIDTH:
                break
            shrink = math.sqrt(PIXEL_BUDGET / (self.width * self.height))
            self.cell_width = max(MIN_CELL_WIDTH, int(self.cell_width * shrink))

    def cell(self, index: int) -> QRectF:
        column, row = index % self.columns, index // self.columns
        return QRectF(
            self.padding + column * self.pitch_x, self.header + row * self.pitch_y, self.cell_width, self.picture_height
        )


def export_contact_sheet(
    board: Board,
    items: Sequence[BoardItem],
    out: Path,
    *,
    date: datetime.date | None = None,
    on_progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ExportReport:
    """Write one PNG showing every item of the board, numbered, to `out`, atomically."""
    run = ExportRun(out, len(items), on_progress, cancelled)
    sheet = _Sheet(len(items))
    image = QImage(sheet.width, sheet.height, QImage.Format.Format_RGB32)
    if image.isNull():
        raise MemoryError(f"not enough memory for a {sheet.width}×{sheet.height} contact sheet")
    image.setDotsPerMeterX(round(POINTS_PER_METRE))
    image.setDotsPerMeterY(round(POINTS_PER_METRE))
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        width = sheet.width - 2 * sheet.padding
        day = date or datetime.date.today()
        title_size = sheet.cell_width * 0.16
        top = QPointF(sheet.padding, sheet.padding)
        title_height = draw_text(painter, board.name, font(title_size, bold=True), top, width, 1)
        details = f"{len(items)} item{'' if len(items) == 1 else 's'} · {day.isoformat()}"
        draw_text(painter, details, font(title_size * 0.6), top + QPointF(0, title_height), width, 1, GREY)
        name_font, detail_font = font(sheet.text_size, bold=True), font(sheet.text_size)
        requests = [(item.path, sheet.cell_width, sheet.picture_height) for item in items]
        with closing(prefetched(requests)) as pictures:
            for index, (item, picture) in enumerate(zip(items, pictures, strict=True)):
                box = sheet.cell(index)
                draw_picture(painter, picture, box, detail_font)
                below = QPointF(box.left(), box.bottom() + sheet.padding / 2)
                height = draw_text(painter, f"{index + 1}  {item.product_name}", name_font, below, box.width(), 1)
                draw_text(painter, key_metadata(item), detail_font, below + QPointF(0, height), box.width(), 1, GREY)
                record_problem(run.report, picture, item.last_path)
                run.advance()
    finally:
        painter.end()
    with atomic_output(out) as temporary:
        if not image.save(str(temporary), "PNG"):  # type: ignore[call-overload]  # stubs say bytes; it takes str
            raise OSError(f"cannot write {out}")
    run.advance()
    return run.finish()
