"""Guards against a Qt binding regression seen in PySide6-Essentials 6.12.0.

There, every call of a Python model's data() that returns None (the normal answer for a role a model does not
serve, asked for on every repaint) released one reference to None too many; after enough repaints Python aborts
with "deallocating None". The app would crash after a while of ordinary use.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from pytestqt.qtbot import QtBot


class _Model(QAbstractListModel):
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 3

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return "item" if role == Qt.ItemDataRole.DisplayRole else None


def test_model_data_returning_none_keeps_none_alive(qtbot: QtBot) -> None:
    model = _Model()
    index = model.index(0)
    before = sys.getrefcount(None)
    for _ in range(20000):
        index.data(Qt.ItemDataRole.UserRole)
    assert sys.getrefcount(None) >= before - 100, "the Qt binding over-releases None (PySide6 6.12.0 bug)"
