"""The status bar's parts: messages with a level (information in the palette's text colour, success and
errors in colours readable on light and dark palettes alike), indexing (progress, rate and time left,
Paused, Pause/Resume, Cancel, "Resume indexing" after a cancel, skipped files), and captioning the catalog in the
background (how many of how many, Pause/Resume)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QSizePolicy, QWidget

from fashion_desktop.ui.colours import message_colour
from fashion_desktop.ui.presenter import CaptionsState, IndexingState, grouped

log = logging.getLogger("fashion_desktop.ui")


INFO_MS, ERROR_MS = 10_000, 20_000  # how long a message stays before the view's summary comes back


class MessageLabel(QLabel):
    """The one place messages are shown; each message sets its own colour, so a success after an error is not
    red. Errors stay longer. Between messages it says what the grid shows (as Lightroom's "68 photos"), never
    nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.level = "info"
        self.summary = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._rest)

    def show_message(self, text: str, level: str) -> None:
        if level == "error":
            log.warning("shown to the user: %s", text)
        self._show(text, level)
        self._timer.start(ERROR_MS if level == "error" else INFO_MS)

    def set_summary(self, text: str) -> None:
        self.summary = text
        if not self._timer.isActive():
            self._rest()

    def _rest(self) -> None:
        self._show(self.summary, "info")

    def _show(self, text: str, level: str) -> None:
        self.level = level
        self._apply_colour()
        self.setText(text)
        self.setToolTip(text)

    def _apply_colour(self) -> None:
        palette = self.palette()
        parent = self.parentWidget()
        palette.setColor(QPalette.ColorRole.WindowText, message_colour(self.level, (parent or self).palette()))
        self.setPalette(palette)
        font = self.font()
        font.setBold(self.level == "error")
        self.setFont(font)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            self._apply_colour()


def duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds > 90 else f"{seconds:.0f} s"


class IndexingStatus(QWidget):
    pauseRequested = Signal()
    resumeRequested = Signal()
    cancelRequested = Signal()
    reindexRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.state = IndexingState()
        self.skipped: list[tuple[str, str]] = []
        self.label = QLabel()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(140)
        self.pause = QPushButton("Pause")
        self.pause.clicked.connect(self._pause_clicked)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancelRequested)
        self.resume_indexing = QPushButton("Resume indexing")
        self.resume_indexing.clicked.connect(self.reindexRequested)
        self.skipped_button = QPushButton(flat=True)
        self.skipped_button.clicked.connect(self.show_skipped)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.skipped_button, self.label, self.progress, self.pause, self.cancel, self.resume_indexing):
            row.addWidget(widget)
        self.show_state(self.state)

    def show_state(self, state: IndexingState) -> None:
        self.state = state
        active = state.active
        for widget in (self.progress, self.pause, self.cancel):
            widget.setVisible(active)
        self.resume_indexing.setVisible(state.phase == "cancelled")
        self.pause.setText("Resume" if state.phase == "paused" else "Pause")
        if state.phase == "scanning":
            self.progress.setRange(0, 0)
            self.label.setText("Looking for new and changed photos…")
        elif state.phase in ("running", "paused"):
            self.progress.setRange(0, max(state.total, 1))
            self.progress.setValue(state.done)
            if state.phase == "paused":
                self.label.setText(f"Indexing paused at {state.done}/{state.total}")
            else:
                left = f", {duration(state.eta_seconds)} left" if state.eta_seconds else ""
                self.label.setText(f"Indexing {state.done}/{state.total} · {state.rate:.1f}/s{left}")
        else:
            self.label.setText(state.summary)
        self._show_skipped_count(state.failed if active else 0)

    def set_skipped(self, skipped: list[tuple[str, str]]) -> None:
        self.skipped = list(skipped)
        self._show_skipped_count(self.state.failed if self.state.active else 0)

    def _show_skipped_count(self, found_now: int) -> None:
        count = max(len(self.skipped), found_now)
        self.skipped_button.setText(f"{count} skipped")
        self.skipped_button.setVisible(count > 0)

    def _pause_clicked(self) -> None:
        if self.state.phase == "paused":
            self.resumeRequested.emit()
        else:
            self.pauseRequested.emit()

    def show_skipped(self) -> None:
        lines = [f"{path}: {reason}" for path, reason in self.skipped[:500]]
        if len(self.skipped) > 500:
            lines.append(f"… and {len(self.skipped) - 500} more")
        if self.state.active:
            running = f"Indexing is running: {self.state.failed} file(s) skipped so far in this run."
            lines.insert(
                0, running + (" Known from earlier runs:" if self.skipped else " The list follows when it ends.")
            )
        text = "\n".join(lines) or "Every photo in this catalog could be read."
        box = QMessageBox(QMessageBox.Icon.Information, "Skipped files", text, parent=self.window())
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.open()


class CaptionStatus(QWidget):
    """The background captions: shown while they run or are paused, hidden when done, off or not started."""

    pauseRequested = Signal()
    resumeRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.state = CaptionsState()
        self.label = QLabel()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(100)
        self.pause = QPushButton("Pause")
        self.pause.setToolTip("Captions of the photos shown are always written first")
        self.pause.clicked.connect(self._pause_clicked)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.progress, self.pause):
            row.addWidget(widget)
        self.show_state(self.state)

    def show_state(self, state: CaptionsState) -> None:
        self.state = state
        self.setVisible(state.phase in ("running", "paused") and state.known)
        self.progress.setRange(0, max(state.total, 1))
        self.progress.setValue(state.captioned)
        counts = f"{grouped(state.captioned)}/{grouped(state.total)}"
        self.label.setText(f"Captions paused at {counts}" if state.phase == "paused" else f"Captioning {counts}")
        self.pause.setText("Resume" if state.phase == "paused" else "Pause")

    def _pause_clicked(self) -> None:
        if self.state.phase == "paused":
            self.resumeRequested.emit()
        else:
            self.pauseRequested.emit()
