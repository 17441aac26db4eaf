"""Help ▸ Open-source licences: what a source checkout shows (the installed run-time distributions' metadata, Python,
the models, the sample artwork), what a bundle shows (its NOTICES.txt as the build writes it, parsed back), and the
window: searchable, the LGPL note on replacing Qt, readable at 800×600 and on a dark palette."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import PySide6
import pytest
from PySide6.QtGui import QPalette, QTextCharFormat
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from fashion_desktop import licences
from fashion_desktop.paths import AppPaths
from fashion_desktop.settings import Settings
from fashion_desktop.ui.colours import MIN_CONTRAST, contrast
from fashion_desktop.ui.licences import LicenceNotices, LicencesWindow, licence_notices
from fashion_desktop.ui.main_window import MainWindow
from tests.test_packaging import attributed, dist_file, made_up_model, notices
from tests.window_support import dark_palette


def by_title(found: list[licences.Notice]) -> dict[str, licences.Notice]:
    return {notice.title.split(" ")[0].casefold(): notice for notice in found}


def test_a_source_checkout_lists_what_a_bundle_would_ship(app_paths: AppPaths) -> None:
    shown = licence_notices(app_paths)
    assert not shown.bundled and "source checkout" in shown.origin
    found = by_title(shown.notices)
    assert shown.notices[0].title.startswith("fashion-desktop "), "the app itself first"
    numpy = found["numpy"]
    assert numpy.license == importlib.metadata.metadata("numpy")["License-Expression"]
    assert "Copyright" in numpy.copyright and "Permission" in numpy.text or "Redistribution" in numpy.text
    qt = found["pyside6_essentials"]
    assert qt.license is not None and qt.license.startswith("LGPL-3.0-only")
    assert "replace them with your own build of Qt" in qt.comment
    assert found["python"].license == "PSF-2.0" and "PYTHON SOFTWARE FOUNDATION LICENSE" in found["python"].text
    assert {"torch", "transformers", "pytest", "mypy"}.isdisjoint(found), "export and test tools are not shipped"
    models = [n for n in shown.notices if n.title.endswith("model weights")]
    assert [n.license for n in models] == ["Apache-2.0", "BSD-3-Clause"]
    assert all("random-weight stand-ins" in n.comment for n in models), "the tiny test models say what they are"
    artwork = {n.license for n in shown.notices if n.title.endswith("artwork")}
    assert artwork == {"CC-BY-4.0", "OFL-1.1"}


def test_a_bundles_notices_are_read_back_with_their_full_texts(tmp_path: Path) -> None:
    """The NOTICES.txt that installer/notices.py writes into a bundle, as the window reads it."""
    resnet = made_up_model(tmp_path, "resnet50", source="microsoft/resnet-50", revision="abc", random_weights=None)
    twemoji = next((Path(licences.__file__).parent / "sample_catalog" / "twemoji").iterdir())
    components = attributed(
        tmp_path,
        [
            ("_internal/numpy/__init__.py", dist_file("numpy", "numpy/__init__.py")),
            ("_internal/PySide6/__init__.py", dist_file("PySide6_Essentials", "PySide6/__init__.py")),
            (f"_internal/fashion_desktop/sample_catalog/twemoji/{twemoji.name}", twemoji),
            ("_internal/models/onnx/resnet50/graph.onnx", resnet / "graph.onnx"),
        ],
    )
    parsed = licences.parse_notices(notices.render(components, debian=False))
    assert [n.title for n in parsed] == [c.title for c in components]
    found = by_title(parsed)
    qt = found["pyside6_essentials"]
    assert qt.license is not None and qt.license.startswith("LGPL-3.0-only")
    assert "replace them with your own build of Qt" in qt.comment
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in qt.text and "GNU GENERAL PUBLIC LICENSE" in qt.text
    assert "\n\n" in qt.text, "paragraph breaks ( . in the file) come back"
    assert "PySide6/*" in qt.files
    assert found["numpy"].text and "Copyright" in found["numpy"].copyright
    assert "Attribution 4.0 International" in found["twemoji"].text, "the standard text, from its own paragraph"
    assert "revision abc" in found["resnet50"].comment and "Apache License" in found["resnet50"].text


@pytest.fixture
def licences_window(qtbot: QtBot, app_paths: AppPaths) -> LicencesWindow:
    window = LicencesWindow(licence_notices(app_paths))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_the_window_lists_every_component_and_searches_them(qtbot: QtBot, licences_window: LicencesWindow) -> None:
    window = licences_window
    total = len(window.notices)
    assert window.components.count() == total > 10 and window.count.text() == f"{total} components"
    assert window.components.currentRow() == 0 and window.text.toPlainText().startswith("fashion-desktop ")
    assert "replace them with your own build of Qt" in window.qt_note.text()
    assert PySide6.__version__ in window.qt_note.text()
    qtbot.keyClicks(window.search, "lgpl qt")
    shown = [window.components.item(row) for row in range(total) if not window.components.item(row).isHidden()]
    assert 0 < len(shown) < total and window.count.text() == f"{len(shown)} of {total} components"
    assert any(item.text().startswith("PySide6") for item in shown)
    text = window.text.toPlainText()
    assert "lgpl" in text.casefold() and window.text.extraSelections(), "the words are marked in the text"
    window.search.setText("no-such-licence-anywhere")
    assert window.count.text() == f"0 of {total} components"
    assert window.text.toPlainText() == "No component matches the search."
    window.search.clear()
    assert window.count.text() == f"{total} components" and window.components.currentRow() >= 0


def test_the_window_fits_a_small_screen(qtbot: QtBot, app_paths: AppPaths) -> None:
    screen = QApplication.primaryScreen()
    assert screen is not None
    room = screen.availableGeometry()
    window = LicencesWindow(licence_notices(app_paths))
    qtbot.addWidget(window)
    window.show()
    assert window.width() <= min(900, room.width()) and window.height() <= min(700, room.height())
    window.resize(780, 540)  # 800×600 less the window frame and a panel
    assert window.minimumSizeHint().width() <= 780 and window.minimumSizeHint().height() <= 540
    assert window.text.height() > 200, "the licence text keeps most of the height"


def test_the_window_follows_a_dark_palette(qtbot: QtBot, app_paths: AppPaths) -> None:
    window = LicencesWindow(LicenceNotices(licence_notices(app_paths).notices, "origin", bundled=False))
    window.setPalette(dark_palette())
    qtbot.addWidget(window)
    window.show()
    window.search.setText("license")
    shown = window.text.palette()
    assert contrast(shown.color(QPalette.ColorRole.Text), shown.color(QPalette.ColorRole.Base)) >= MIN_CONTRAST
    note = window.qt_note.palette()
    assert contrast(note.color(QPalette.ColorRole.WindowText), note.color(QPalette.ColorRole.Window)) >= MIN_CONTRAST
    selections = window.text.extraSelections()
    marked = QTextCharFormat(selections[0].format)  # type: ignore[attr-defined]
    assert contrast(marked.foreground().color(), marked.background().color()) >= MIN_CONTRAST


def test_help_opens_one_licences_window(qtbot: QtBot, app_paths: AppPaths) -> None:
    window = MainWindow(Settings(), app_paths)
    qtbot.addWidget(window)
    window.show()
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert isinstance(help_menu, QMenu)
    action = next(a for a in help_menu.actions() if a.text() == "Open-source &licences")
    action.trigger()
    shown = window.licences_window
    assert shown is not None and shown.isVisible() and shown.components.count() > 10
    action.trigger()
    assert window.licences_window is shown, "asked again: the same window, raised"
    window.close()
