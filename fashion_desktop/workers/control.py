"""The indexer's pause/cancel hooks answered by a worker's request gate (imported on the worker thread)."""

from __future__ import annotations

from fashion_desktop.catalog.indexer import IndexControl
from fashion_desktop.workers.base import RequestGate


class GateControl(IndexControl):
    """An IndexControl for one request: cancelled when the gate cancels it, paused while the gate is paused."""

    def __init__(self, gate: RequestGate, request_id: int) -> None:
        super().__init__()
        self.gate = gate
        self.request_id = request_id

    @property
    def cancelled(self) -> bool:
        return self.gate.is_cancelled(self.request_id)

    @property
    def paused(self) -> bool:
        return self.gate.paused

    def wait_while_paused(self) -> None:
        self.gate.wait_while_paused(self.request_id)
