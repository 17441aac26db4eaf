""" "Open with Fashion Desktop": arguments read into one request, the window's entry point (a folder opens as the
catalog, images are one query, problems are said), files gathered from several arrivals, macOS's file-open event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fashion_desktop import logs
from fashion_desktop.app import cli
from fashion_desktop.app.opened_files import GATHER_MS, OpenedFiles
from fashion_desktop.paths import AppPaths
from fashion_desktop.settings import Settings
from fashion_desktop.ui.main_window import MainWindow
from fashion_desktop.ui.open_request import OpenRequest, read_arguments, read_paths
from fashion_desktop.workers.engine import WorkerThreads
from tests.images import gradient, jpeg_bytes
from tests.window_support import CATALOG_SIZE, drag, file_mime, make_catalog, up_to_date


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    folder = tmp_path / "downloads"
    folder.mkdir()
    made = {
        "photo": folder / "photo.jpg",
        "upper": folder / "my SHOT.PNG",
        "no suffix": folder / "camera-export",  # a JPEG whose name says nothing: read by content
        "notes": folder / "notes.txt",
        "fake": folder / "fake.webp.txt",
    }
    gradient(80, 60, seed=1).save(made["photo"])
    gradient(70, 50, seed=2).save(made["upper"], format="PNG")
    made["no suffix"].write_bytes(jpeg_bytes(gradient(40, 40, seed=3)))
    made["notes"].write_text("not a picture")
    made["fake"].write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt ")  # RIFF but not WebP
    return made


def test_arguments_become_images_a_folder_and_plain_problems(files: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "second catalog"
    other.mkdir()
    request = read_arguments(
        [
            "downloads/photo.jpg",  # relative to the working folder
            f"file://{files['upper'].as_posix().replace(' ', '%20')}",
            str(files["no suffix"]),
            str(files["notes"]),
            str(files["fake"]),
            str(tmp_path / "gone.jpg"),
            "https://shop.example/dress.jpg",
            str(tmp_path),
            str(other),
            str(files["photo"]),  # twice: once
        ],
        cwd=tmp_path,
    )
    assert request.images == (files["photo"], files["upper"], files["no suffix"])
    assert request.folder == tmp_path and request.folders == (tmp_path, other)
    assert request.problems == [
        "Not found: gone.jpg.",
        "Not an image: notes.txt, fake.webp.txt (JPEG, PNG, WebP, BMP, GIF and TIFF open).",
        "Cannot open https://shop.example/dress.jpg: only files and folders on this computer open.",
        f"One catalog at a time: {tmp_path.name} opened, not second catalog.",
    ]
    assert all(path.is_absolute() for path in request.images + request.folders)


def test_paths_from_elsewhere_never_raise_and_long_lists_are_summed_up(tmp_path: Path) -> None:
    weird = [
        Path("relative.jpg"),
        Path("/" + "x" * 5000),
        Path(f"{tmp_path}/bad\udcffname.jpg"),  # undecodable bytes in a Linux file name (surrogate escapes)
        tmp_path / ("n" * 300 + ".jpg"),  # longer than a file name may be
    ] + [tmp_path / f"missing{i}.png" for i in range(5)]
    request = read_paths(weird)
    assert request.images == () and request.folders == ()
    assert len(request.unusable) == 2 and len(request.not_found) == 7
    assert request.problems[0].endswith("and 4 more.")
    assert all(len(problem) < 400 and problem.isprintable() for problem in request.problems)


def test_requests_merge_in_order_without_repeats(files: dict[str, Path]) -> None:
    first = read_paths([files["photo"], files["notes"]])
    second = read_paths([files["upper"], files["photo"]])
    merged = first.merged(second)
    assert merged.images == (files["photo"], files["upper"]) and merged.not_images == ("notes.txt",)
    assert OpenRequest().merged(OpenRequest()) == OpenRequest() and OpenRequest().problems == []


def test_window_command_says_what_it_cannot_open_before_anything_else(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two files no longer give a usage error; a missing catalog folder is said, then the usual checks follow."""
    monkeypatch.setenv("FASHION_DESKTOP_MODELS", str(tmp_path / "no-models"))
    code = cli.main([str(files["photo"]), str(files["notes"]), str(tmp_path / "no-such-catalog")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_NO_MODELS and "usage" not in err
    assert "Not found: no-such-catalog." in err and "Not an image: notes.txt" in err


# -- the window's entry point ---------------------------------------------------------------------------------------
@pytest.fixture
def window(qtbot: QtBot, app_paths: AppPaths, tmp_path: Path) -> Iterator[MainWindow]:
    logs.setup(app_paths.log_file)
    window = MainWindow(Settings(results_count=6), app_paths, make_catalog(tmp_path / "catalog"))
    qtbot.addWidget(window)
    window.show()
    window.attach_workers(WorkerThreads(app_paths, None))
    qtbot.waitUntil(lambda: up_to_date(window) and window.results.rowCount() == CATALOG_SIZE, timeout=60000)
    yield window
    window.close()


def test_opened_images_are_one_query_and_what_failed_is_said_after_the_answer(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path], tmp_path: Path
) -> None:
    request = read_arguments([str(files["photo"]), str(files["upper"]), str(files["notes"]), str(tmp_path / "x.jpg")])
    window.showMinimized()
    with qtbot.waitSignal(window.presenter.answerShown, timeout=30000):
        window.open_files(request)
    query = window.presenter.query
    assert query.origin == "open-with" and [image.path for image in query.images] == [files["photo"], files["upper"]]
    assert window.strip.isVisible() and not window.isMinimized(), "the window comes to the front, chips shown"
    assert window.results.rowCount() == 6
    assert window.message.level == "error"
    assert (
        window.message.text() == "Not found: x.jpg. Not an image: notes.txt (JPEG, PNG, WebP, BMP, GIF and TIFF open)."
    )
    assert window.presenter.history.can_go(-1), "Back returns to what was shown before"


def test_an_opened_folder_becomes_the_catalog_and_the_images_search_it(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path], tmp_path: Path
) -> None:
    second = make_catalog(tmp_path / "second")
    with qtbot.waitSignal(window.presenter.catalogChanged, timeout=10000):
        window.open_files(read_arguments([str(files["photo"]), str(second)]))
    assert window.presenter.catalog == str(second) and window.windowTitle().endswith("second")
    qtbot.waitUntil(
        lambda: window.presenter.query.origin == "open-with" and not window.presenter.waiting, timeout=30000
    )
    assert [image.path for image in window.presenter.query.images] == [files["photo"]]
    qtbot.waitUntil(lambda: up_to_date(window), timeout=60000)
    window.open_files(read_arguments([str(second)]))  # the catalog already open: not opened again
    assert [image.path for image in window.presenter.query.images] == [files["photo"]]


def test_images_opened_on_the_welcome_are_searched_once_a_catalog_is_open(
    qtbot: QtBot, app_paths: AppPaths, files: dict[str, Path], tmp_path: Path
) -> None:
    window = MainWindow(Settings(), app_paths)
    qtbot.addWidget(window)
    window.show()
    window.attach_workers(WorkerThreads(app_paths, None))
    assert window.pages.currentWidget() is window.welcome
    window.open_files(read_arguments([str(files["photo"])]))
    assert window.pages.currentWidget() is window.welcome and window.presenter.query.browsing
    assert "the search with photo.jpg starts once it is open" in window.message.text()
    with qtbot.waitSignal(window.presenter.answerShown, timeout=60000):
        window.open_catalog(str(make_catalog(tmp_path / "chosen")))
    assert window.presenter.query.origin == "open-with"
    assert [image.path for image in window.presenter.query.images] == [files["photo"]]
    window.close()


def test_pictures_dropped_on_the_welcome_wait_for_a_catalog(
    qtbot: QtBot, app_paths: AppPaths, files: dict[str, Path], tmp_path: Path
) -> None:
    """A drop (or paste) before any catalog is open is not an error: it is kept, the stylist is told in an info
    line what happens, and the search runs once she picks a catalog. Also for a picture with no file (a browser's
    bytes)."""
    window = MainWindow(Settings(), app_paths)
    qtbot.addWidget(window)
    window.show()
    window.attach_workers(WorkerThreads(app_paths, None))
    try:
        assert drag(window.welcome, file_mime(files["photo"]))
        assert window.pages.currentWidget() is window.welcome and window.presenter.query.browsing
        assert window.message.level == "info"
        assert "the search with photo.jpg starts once it is open" in window.message.text()
        browser = QMimeData()  # what replaces the file: the last picture given
        browser.setUrls([QUrl("https://shop.example/images/dress.jpg")])
        browser.setData("application/octet-stream", (data := jpeg_bytes(gradient(90, 120, seed=8))))
        assert drag(window.welcome, browser)
        assert window.message.level == "info" and "the search with dress.jpg starts" in window.message.text()
        with qtbot.waitSignal(window.presenter.answerShown, timeout=60000):
            window.open_catalog(str(make_catalog(tmp_path / "chosen")))
        query = window.presenter.query
        assert query.origin == "drop" and [image.data for image in query.images] == [data]
        qtbot.waitUntil(lambda: up_to_date(window) and window.results.rowCount() == CATALOG_SIZE, timeout=60000)
        assert window.presenter.query.images == query.images, "asked again as the catalog is indexed"
    finally:
        window.close()


# -- arrivals gathered into one request, and macOS's file-open event ------------------------------------------------
def test_files_arriving_together_are_delivered_once_when_the_window_can_search(
    qtbot: QtBot, files: dict[str, Path]
) -> None:
    delivered: list[OpenRequest] = []
    gatherer = OpenedFiles()
    gatherer.add(read_paths([files["photo"]]))  # this launch's own files, before the window can search
    qtbot.wait(GATHER_MS + 100)
    assert delivered == []
    gatherer.deliver_to(delivered.append)
    gatherer.add_paths([files["upper"]])  # Explorer: one process per selected file, moments apart
    qtbot.wait(GATHER_MS // 2)
    gatherer.add_paths([files["notes"]])
    qtbot.waitUntil(lambda: len(delivered) == 1, timeout=5000)
    assert delivered[0].images == (files["photo"], files["upper"]) and delivered[0].not_images == ("notes.txt",)
    qtbot.wait(GATHER_MS + 100)
    assert len(delivered) == 1
    gatherer.deleteLater()


def test_macos_file_open_events_reach_the_window_as_one_query(
    qtbot: QtBot, window: MainWindow, files: dict[str, Path]
) -> None:
    app = QApplication.instance()
    assert app is not None
    gatherer = OpenedFiles()
    gatherer.deliver_to(window.open_files)
    app.installEventFilter(gatherer)
    try:
        with qtbot.waitSignal(window.presenter.answerShown, timeout=30000):
            for name in ("photo", "upper"):  # Finder: one event per file
                QApplication.sendEvent(app, QFileOpenEvent(str(files[name])))
    finally:
        app.removeEventFilter(gatherer)
        gatherer.deleteLater()
    assert [image.path for image in window.presenter.query.images] == [files["photo"], files["upper"]]
