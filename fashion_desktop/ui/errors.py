"""The one error channel the window listens to: messages from any thread arrive on the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from fashion_desktop import logs


class ErrorBridge(QObject):
    message = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        logs.add_error_listener(self._forward)

    def _forward(self, text: str) -> None:
        self.message.emit(text)  # queued to the GUI thread when called from another thread

    def detach(self) -> None:
        logs.remove_error_listener(self._forward)
