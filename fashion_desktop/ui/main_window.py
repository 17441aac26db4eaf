"""The main window: query area on top, result grid below, detail pane on the right, indexing in the status bar.

All model work happens on worker threads; the window keeps the query state, sends requests to the workers as
queued signals and shows what comes back.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSize, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fashion_desktop.catalog.fields import FIELDS
from fashion_desktop.catalog.query import Query, QueryImage, Region
from fashion_desktop.imaging import IMAGE_SUFFIXES
from fashion_desktop.paths import AppPaths
from fashion_desktop.settings import Settings
from fashion_desktop.ui.detail_pane import DetailPane
from fashion_desktop.ui.errors import ErrorBridge
from fashion_desktop.ui.mime import decode_mime
from fashion_desktop.ui.query_area import QueryArea
from fashion_desktop.ui.result_delegate import TILE, ResultDelegate
from fashion_desktop.ui.results_model import CaptionRole, ItemIdRole, ResultsModel
from fashion_desktop.ui.thumbnails import ThumbnailLoader
from fashion_desktop.ui.welcome import Welcome
from fashion_desktop.workers.engine import WorkerThreads

log = logging.getLogger("fashion_desktop.ui")

BANNER = (
    "Random-weight stand-in models are loaded: similarities and captions are meaningless. "
    "Export the real models (python export_models.py) on a connected machine and copy models/onnx here."
)


class ResultsView(QListView):
    """The grid; results can be dragged out as files (moodboards) or onto the query area."""

    def __init__(self) -> None:
        super().__init__()
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setGridSize(TILE + QSize(8, 8))
        self.setSpacing(4)
        self.setDragEnabled(True)
        self.setDragDropMode(QListView.DragDropMode.DragOnly)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)


class MainWindow(QMainWindow):
    searchRequested = Signal(object)  # Query
    openCatalogRequested = Signal(str)
    refreshRequested = Signal()
    indexRequested = Signal(str)
    captionRequested = Signal(object)  # list[int]
    modelsCheckRequested = Signal()

    def __init__(self, settings: Settings, paths: AppPaths, catalog_override: Path | None = None):
        super().__init__()
        self.settings = settings
        self.paths = paths
        self.catalog_override = catalog_override
        self.catalog: str | None = None
        self.query: Query | None = None
        self.skipped: list[tuple[str, str]] = []
        self.workers: WorkerThreads | None = None
        self.missing_models_dialog: QMessageBox | None = None
        self.models_info: list[dict[str, Any]] = []
        self.setWindowTitle("Fashion Desktop")
        self.resize(1280, 860)
        self.errors = ErrorBridge()
        self.errors.message.connect(self.show_error)
        self.thumbnails = ThumbnailLoader(paths.thumbnails_dir)
        self.results = ResultsModel(self.thumbnails)
        self._build_widgets()
        self._build_menus()
        if settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(settings.window_geometry.encode()))
        self._refilter = QTimer(self, singleShot=True, interval=300)
        self._refilter.timeout.connect(self.rerun)

    # -- building ---------------------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.banner = QLabel(BANNER, wordWrap=True)
        self.banner.setStyleSheet("background:#b00020; color:white; padding:8px; font-weight:bold;")
        self.banner.setVisible(False)
        self.query_area = QueryArea()
        self.query_area.imagesDropped.connect(lambda images: self.ask(images, origin="drop"))
        self.query_area.problem.connect(self.show_error)
        self.query_area.regionSelected.connect(self.search_region)

        self.k_box = QSpinBox(minimum=1, maximum=200, value=self.settings.results_count, prefix="Show ")
        self.k_box.valueChanged.connect(self._k_changed)
        self.text_box = QLineEdit(placeholderText="Search captions and product names…", clearButtonEnabled=True)
        self.text_box.textChanged.connect(lambda _: self._refilter.start())
        self.filters: dict[str, QComboBox] = {}
        bar = QHBoxLayout()
        bar.addWidget(self.k_box)
        for field in (f for f in FIELDS if f.shown):
            combo = QComboBox()
            combo.addItem(f"Any {field.label.lower()}", "")
            combo.currentIndexChanged.connect(lambda _: self.rerun())
            self.filters[field.column] = combo
            bar.addWidget(combo)
        bar.addWidget(self.text_box, 1)

        self.view = ResultsView()
        self.view.setModel(self.results)
        self.view.setItemDelegate(ResultDelegate(self.view))
        self.view.selectionModel().currentChanged.connect(lambda current, _: self._show_detail(current.row()))
        self.view.doubleClicked.connect(lambda index: self.more_like_this(index.data(ItemIdRole)))
        self.detail = DetailPane()
        self.detail.moreLikeThis.connect(self.more_like_this)
        self.welcome = Welcome()
        self.welcome.chooseFolder.connect(self.choose_catalog)
        self.welcome.useSample.connect(self.use_sample)

        left = QWidget()
        column = QVBoxLayout(left)
        column.addWidget(self.query_area)
        column.addLayout(bar)
        column.addWidget(self.view, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(splitter)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.banner)
        outer.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self.message = QLabel()
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress_label = QLabel()
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_indexing)
        self.skipped_button = QPushButton(flat=True)
        self.skipped_button.clicked.connect(self.show_skipped)
        for hidden in (self.progress, self.pause_button, self.cancel_button, self.skipped_button):
            hidden.setVisible(False)
        status = self.statusBar()
        status.addWidget(self.message, 1)
        for widget in (self.skipped_button, self.progress_label, self.progress, self.pause_button, self.cancel_button):
            status.addPermanentWidget(widget)
        self._message_timer = QTimer(self, singleShot=True, interval=10000)
        self._message_timer.timeout.connect(self.message.clear)

    def _build_menus(self) -> None:
        def action(menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
            item = QAction(text, self)
            if shortcut is not None:
                item.setShortcut(shortcut)
            item.triggered.connect(slot)
            menu.addAction(item)
            return item

        files = self.menuBar().addMenu("&File")
        action(files, "&Open image…", self.open_images, QKeySequence.StandardKey.Open)
        action(files, "&Paste image", self.paste, QKeySequence.StandardKey.Paste)
        files.addSeparator()
        action(files, "Choose &catalog…", self.choose_catalog, QKeySequence("Ctrl+Shift+O"))
        action(files, "Use the &sample catalog", self.use_sample)
        action(files, "&Re-index catalog", self.reindex, QKeySequence("F5"))
        files.addSeparator()
        action(files, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        view = self.menuBar().addMenu("&View")
        self.captions_action = action(view, "Show &captions", self._captions_toggled)
        self.captions_action.setCheckable(True)
        self.captions_action.setChecked(self.settings.captions)
        action(view, "&Find in captions and names", self.text_box.setFocus, QKeySequence.StandardKey.Find)
        action(view, "&More like the selected result", self._more_like_selected, QKeySequence("Ctrl+M"))
        action(view, "Copy &path of the selected result", self.detail.copy_path, QKeySequence("Ctrl+Shift+C"))
        action(view, "Clear the region", self.clear_region, QKeySequence("Escape"))
        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "About the &models", self.show_models)

    # -- workers ----------------------------------------------------------------------------------------------
    def attach_workers(self, workers: WorkerThreads) -> None:
        """Connect to the worker threads (workers.engine.WorkerThreads); called once the window is on screen."""
        self.workers = workers
        self.searchRequested.connect(workers.search.worker.search)
        self.openCatalogRequested.connect(workers.search.worker.open_catalog)
        self.openCatalogRequested.connect(workers.captions.worker.open_catalog)
        self.indexRequested.connect(workers.index.worker.index)
        self.captionRequested.connect(workers.captions.worker.caption)
        self.modelsCheckRequested.connect(workers.search.worker.check_models)
        self.refreshRequested.connect(workers.search.worker.refresh)
        workers.search.worker.result.connect(self.show_results)
        workers.search.worker.failed.connect(self.show_error)
        workers.search.worker.catalogOpened.connect(self.catalog_opened)
        workers.search.worker.catalogRefreshed.connect(self.catalog_opened)
        workers.search.worker.models.connect(self.models_checked)
        workers.search.worker.modelProblem.connect(self.show_model_problem)
        workers.captions.worker.modelProblem.connect(self.show_model_problem)
        workers.captions.worker.result.connect(self.caption_ready)
        workers.captions.worker.failed.connect(self.show_error)
        workers.index.worker.progress.connect(self.index_progress)
        workers.index.worker.detail.connect(self.index_detail)
        workers.index.worker.result.connect(self.index_done)
        workers.index.worker.skipped.connect(self.index_skipped)
        workers.index.worker.failed.connect(self.show_error)
        self.modelsCheckRequested.emit()
        target = self.catalog_override or (Path(self.settings.catalog) if self.settings.catalog else None)
        if target is None:
            self.pages.setCurrentWidget(self.welcome)
        else:
            self.open_catalog(str(target))

    def open_catalog(self, folder: str) -> None:
        self.catalog = folder
        self.settings.remember_catalog(folder)
        self.pages.setCurrentIndex(1)
        self.setWindowTitle(f"Fashion Desktop — {Path(folder).name}")
        self.results.set_results([])
        self.openCatalogRequested.emit(folder)
        self.start_indexing()

    def start_indexing(self) -> None:
        if self.catalog is None or self.workers is None:
            return
        self.skipped = []
        self.skipped_button.setVisible(False)
        self.progress.setRange(0, 0)
        for widget in (self.progress, self.pause_button, self.cancel_button):
            widget.setVisible(True)
        self.pause_button.setText("Pause")
        self.progress_label.setText("Looking for new and changed photos…")
        self.workers.index.worker.control.cancel()  # a run in progress (other catalog, or F5) stops first
        self.indexRequested.emit(self.catalog)

    # -- asking -----------------------------------------------------------------------------------------------
    def ask(self, images: list[QueryImage], origin: str) -> None:
        if not images:
            return
        self.query_area.show_images(images)
        self.submit(Query(images=tuple(images), origin=origin))

    def more_like_this(self, item_id: Any) -> None:
        if not isinstance(item_id, int):
            return
        path = next(
            (r.path for r in map(self.results.result_at, range(self.results.rowCount())) if r.item_id == item_id), None
        )
        self.query_area.show_images([QueryImage(path=path)] if path else [])
        self.submit(Query(item_ids=(item_id,), origin="more-like-this"))

    def search_region(self, region: Region | None) -> None:
        if self.query is not None and len(self.query.images) == 1:
            self.submit(replace(self.query, region=region, origin=f"{self.query.origin}+region"))

    def clear_region(self) -> None:
        self.query_area.clear_region()
        self.query_area.update()
        self.search_region(None)

    def submit(self, query: Query) -> None:
        filters = tuple((name, combo.currentData()) for name, combo in self.filters.items() if combo.currentData())
        self.query = replace(query, k=self.k_box.value(), filters=filters, text=self.text_box.text().strip())
        if self.catalog is None:
            self.show_error("Choose a catalog folder first (File ▸ Choose catalog…).")
            return
        self.message.setText("Searching…")
        self.searchRequested.emit(self.query)

    def rerun(self) -> None:
        if self.query is not None:
            self.submit(self.query)
        elif self.text_box.text().strip():
            self.submit(Query(origin="text"))

    def open_images(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Open images", "", f"Images ({' '.join('*' + suffix for suffix in IMAGE_SUFFIXES)})"
        )
        if names:
            self.ask([QueryImage(path=Path(n), label=Path(n).name) for n in names], origin="open")

    def paste(self) -> None:
        if self.text_box.hasFocus():
            self.text_box.paste()
            return
        decoded = decode_mime(QGuiApplication.clipboard().mimeData())
        if decoded.problem:
            self.show_error(f"Nothing to paste: {decoded.problem}")
        else:
            self.ask(decoded.images, origin="paste")

    def choose_catalog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the folder of your product photos")
        if folder:
            self.open_catalog(folder)

    def use_sample(self) -> None:
        self.open_catalog(str(self.paths.sample_catalog))

    def reindex(self) -> None:
        self.start_indexing()

    def _k_changed(self, value: int) -> None:
        self.settings.results_count = value
        self._refilter.start()

    def _captions_toggled(self, checked: bool) -> None:
        self.settings.captions = checked
        if checked:
            self.captionRequested.emit(self.results.item_ids())

    def _more_like_selected(self) -> None:
        index = self.view.currentIndex()
        if index.isValid():
            self.more_like_this(index.data(ItemIdRole))

    # -- answers ----------------------------------------------------------------------------------------------
    def show_results(self, payload: Any) -> None:
        query, results = payload
        if query != self.query:
            return  # an older answer overtaken by a newer question
        self.results.set_results(results)
        self.message.setText(f"{len(results)} results" if results else "No results: try fewer filters.")
        self.detail.show_result(None)
        if self.workers is not None:
            self.workers.captions.worker.supersede()
        if self.settings.captions and results:
            self.captionRequested.emit([r.item_id for r in results])

    def caption_ready(self, payload: Any) -> None:
        item_id, caption = payload
        self.results.set_caption(item_id, caption)
        if self.detail.result is not None and self.detail.result.item_id == item_id:
            self.detail.set_caption(caption)

    def _show_detail(self, row: int) -> None:
        if 0 <= row < self.results.rowCount():
            result = self.results.result_at(row)
            self.detail.show_result(result, self.results.index(row).data(CaptionRole))

    def catalog_opened(self, status: dict[str, Any]) -> None:
        for name, combo in self.filters.items():
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for value in status.get("facets", {}).get(name, []):
                combo.addItem(value, value)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.blockSignals(False)
        self.show_info(f"Catalog {status.get('catalog')}: {status.get('indexed')} items indexed.")

    def models_checked(self, models: list[dict[str, Any]]) -> None:
        self.models_info = models
        missing = [m["error"] for m in models if "error" in m]
        self.banner.setVisible(any(m.get("random_weights") for m in models))
        if missing:
            self.show_model_problem("\n\n".join(missing))

    def show_model_problem(self, text: str) -> None:
        """Missing or corrupt model files: a dialog naming the file and the remedy (once per distinct text)."""
        log.error("model problem: %s", text)
        current = self.missing_models_dialog
        if current is not None and current.isVisible():
            if text not in current.text():  # several workers may hit the same problem: one dialog lists them
                current.setText(f"{current.text()}\n\n{text}")
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Models missing or damaged", text, parent=self)
        box.open()  # window-modal but not blocking the event loop
        self.missing_models_dialog = box

    def show_models(self) -> None:
        lines = []
        for info in self.models_info:
            if "error" in info:
                lines.append(f"{info['model']}: {info['error']}")
            else:
                stand_in = " — RANDOM WEIGHTS (stand-in)" if info["random_weights"] else ""
                lines.append(
                    f"{info['model']}: {info['source']} (revision {info['revision'] or 'unpinned'}){stand_in}"
                    f"\n  {info['folder']}, int8 {'in use' if info['int8'] else 'not used'}"
                )
        QMessageBox(
            QMessageBox.Icon.Information, "Models", "\n\n".join(lines) or "Not checked yet.", parent=self
        ).open()

    # -- indexing status ----------------------------------------------------------------------------------------
    def index_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def index_detail(self, progress: Any) -> None:
        eta = progress.eta_seconds
        left = f", {eta / 60:.0f} min left" if eta and eta > 90 else (f", {eta:.0f} s left" if eta else "")
        self.progress_label.setText(f"Indexing {progress.done}/{progress.total} · {progress.rate:.1f}/s{left}")
        if progress.failed:
            self.skipped_button.setText(f"{progress.failed} skipped")
            self.skipped_button.setVisible(True)

    def index_done(self, report: Any) -> None:
        for widget in (self.progress, self.pause_button, self.cancel_button):
            widget.setVisible(False)
        scan = report.scan
        state = "Indexing cancelled" if report.cancelled else "Up to date"
        self.progress_label.setText(f"{state}: {scan.new} new, {scan.changed} changed, {scan.removed} removed")
        self.refreshRequested.emit()  # new metadata values for the filters; the search index rebuilt if stale

    def index_skipped(self, failed: list[tuple[str, str]]) -> None:
        self.skipped = list(failed)
        self.skipped_button.setText(f"{len(failed)} skipped")
        self.skipped_button.setVisible(bool(failed))

    def show_skipped(self) -> None:
        text = "\n".join(f"{path}: {reason}" for path, reason in self.skipped[:500])
        QMessageBox(QMessageBox.Icon.Information, "Skipped files", text or "None", parent=self).open()

    def toggle_pause(self) -> None:
        if self.workers is None:
            return
        control = self.workers.index.worker.control
        if control.paused:
            control.resume()
            self.pause_button.setText("Pause")
        else:
            control.pause()
            self.pause_button.setText("Resume")

    def cancel_indexing(self) -> None:
        if self.workers is not None:
            self.workers.index.worker.control.cancel()

    # -- messages -----------------------------------------------------------------------------------------------
    def show_error(self, text: str) -> None:
        """Errors go to the status bar, in red, for a while, and to the log. (Missing or damaged models get a
        window-modal dialog instead: nothing works until they are fixed.)"""
        log.warning("shown to the user: %s", text)
        self.message.setStyleSheet("color:#c62828; font-weight:bold;")
        self.message.setText(text)
        self._message_timer.start()

    def show_info(self, text: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(text)
        self._message_timer.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        self.settings.save(self.paths.settings_file)
        if self.workers is not None:
            self.workers.stop()
        self.thumbnails.shutdown()
        self.errors.detach()
        super().closeEvent(event)
