"""The main window: composes the boards panel, the query strip, the filter bar, the grid, the detail pane and the
status bar around the presenter (which owns the query, its history, the boards and the workers), and holds the
menus, the dialogs and drag-and-drop."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QModelIndex, QObject, QPoint, Qt, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QCursor,
    QGuiApplication,
    QKeySequence,
    QMouseEvent,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSlider,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from fashion_desktop.catalog.query import SORTS, Query, SearchResult
from fashion_desktop.export.job import ExportReport
from fashion_desktop.export.options import LookbookOptions
from fashion_desktop.imaging import IMAGE_SUFFIXES
from fashion_desktop.paths import AppPaths
from fashion_desktop.settings import Settings
from fashion_desktop.ui.boards_panel import NARROW_WINDOW, BoardsPanel
from fashion_desktop.ui.detail_pane import DetailPane, open_in_default_app, reveal_in_file_manager
from fashion_desktop.ui.drops import DropTarget
from fashion_desktop.ui.errors import ErrorBridge
from fashion_desktop.ui.export_dialog import ExportDialog, ExportStatus, default_folder
from fashion_desktop.ui.filter_bar import FilterBar
from fashion_desktop.ui.help import GUIDE, about_text, models_text, show_message
from fashion_desktop.ui.licences import LicencesWindow, licence_notices
from fashion_desktop.ui.mime import DecodedMime, decode_mime
from fashion_desktop.ui.open_request import OpenRequest
from fashion_desktop.ui.presenter import Presenter
from fashion_desktop.ui.query_strip import QueryStrip
from fashion_desktop.ui.quick_look import QuickLook
from fashion_desktop.ui.results_model import RowKey
from fashion_desktop.ui.results_view import MAX_SIDE, MIN_SIDE, ResultsView
from fashion_desktop.ui.status import CaptionStatus, IndexingStatus, MessageLabel
from fashion_desktop.ui.thumbnails import ThumbnailLoader
from fashion_desktop.ui.welcome import Welcome
from fashion_desktop.workers.board_edits import (
    DeleteBoard,
    DuplicateBoard,
    ItemsToAdd,
    MoveOnBoard,
    RemoveFromBoard,
    RenameBoard,
    SetNote,
)
from fashion_desktop.workers.engine import WorkerThreads
from fashion_desktop.workers.messages import BoardSummary

log = logging.getLogger("fashion_desktop.ui")

BANNER = (
    "Random-weight stand-in models are loaded: similarities and captions are meaningless. "
    "Export the real models (python export_models.py) on a connected machine and copy models/onnx here."
)


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings, paths: AppPaths, catalog_override: Path | None = None):
        super().__init__()
        self.settings = settings
        self.paths = paths
        self.catalog_override = catalog_override
        self.workers: WorkerThreads | None = None
        self.models_info: list[dict[str, Any]] = []
        self.missing_models_dialog: QMessageBox | None = None
        self.licences_window: LicencesWindow | None = None
        self.setWindowTitle("Fashion Desktop")
        self.resize(1280, 860)
        self.setMinimumSize(760, 560)
        self.errors = ErrorBridge()
        self.thumbnails = ThumbnailLoader(paths.thumbnails_dir)
        self.presenter = Presenter(settings, self.thumbnails)
        self.results = self.presenter.model
        self._detail_key: RowKey | None = None  # the tile the detail pane shows
        self._build_widgets()
        self._build_menus()
        self._connect()
        if settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(settings.window_geometry.encode()))
        if settings.window_state:
            self.splitter.restoreState(QByteArray.fromBase64(settings.window_state.encode()))
        self.set_details_shown(settings.details_shown)
        self.view.setFocus()

    # -- building ---------------------------------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.banner = QLabel(BANNER, wordWrap=True)
        self.banner.setStyleSheet("background:#b00020; color:white; padding:6px; font-weight:bold;")
        self.banner.setVisible(False)
        self.strip = QueryStrip(self.thumbnails)
        self.filter_bar = FilterBar()
        side = max(MIN_SIDE, min(MAX_SIDE, self.settings.thumbnail_size))
        self.view = ResultsView(self.results, side)
        self.detail = DetailPane(self.thumbnails)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setSizes([980, 300])
        self.boards_panel = BoardsPanel(self.settings.boards_width, self.settings.boards_collapsed)
        strip_row = self.strip.layout()
        assert isinstance(strip_row, QHBoxLayout)
        strip_row.insertWidget(0, self.boards_panel.unfold)  # the way back to the folded panel, before Back
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        searching = QWidget()
        column = QVBoxLayout(searching)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.strip)
        column.addWidget(self.filter_bar)
        column.addWidget(self.splitter, 1)
        browse = QWidget()
        row = QHBoxLayout(browse)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.boards_panel)
        row.addWidget(searching, 1)
        self.welcome = Welcome()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(browse)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.banner)
        outer.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.drops = DropTarget(self, central, self.view, self.strip)
        self.overlay = self.drops.overlay
        self.quick_look = QuickLook(self.thumbnails, self)

        self.message = MessageLabel()
        self.indexing = IndexingStatus()
        self.caption_status = CaptionStatus()
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setRange(MIN_SIDE, MAX_SIDE)
        self.size_slider.setValue(side)
        self.size_slider.setFixedWidth(90)
        self.size_slider.setToolTip("Thumbnail size (Ctrl+wheel, Ctrl+plus, Ctrl+minus)")
        self.size_slider.setAccessibleName("Thumbnail size")
        self.export_status = ExportStatus()
        self.exported: ExportReport | None = None
        status = self.statusBar()
        status.addWidget(self.message, 1)
        status.addPermanentWidget(self.export_status)
        status.addPermanentWidget(self.indexing)
        status.addPermanentWidget(self.caption_status)
        status.addPermanentWidget(self.size_slider)

    def _build_menus(self) -> None:
        def action(menu: QMenu, text: str, slot: Any, shortcut: Any = None, checkable: bool = False) -> QAction:
            item = QAction(text, self)
            if shortcut is not None:
                item.setShortcut(shortcut)
            item.setCheckable(checkable)
            (item.toggled if checkable else item.triggered).connect(slot)
            menu.addAction(item)
            return item

        files = self.menuBar().addMenu("&File")
        action(files, "&Open image…", self.open_images, QKeySequence.StandardKey.Open)
        action(files, "&Paste image", self.paste, QKeySequence.StandardKey.Paste)
        files.addSeparator()
        action(files, "Choose &catalog…", self.choose_catalog, QKeySequence("Ctrl+Shift+O"))
        self.recent_menu = files.addMenu("&Recent catalogs")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        action(files, "Use the &sample catalog", self.use_sample)
        action(files, "&Re-index catalog", self.presenter.start_indexing, QKeySequence("F5"))
        files.addSeparator()
        action(files, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit = self.menuBar().addMenu("&Edit")
        self.undo_action = action(edit, "&Undo", self.presenter.undo, QKeySequence.StandardKey.Undo)
        self.undo_action.setEnabled(False)
        edit.addSeparator()
        action(edit, "Copy &paths of the selected items", self.copy_paths, QKeySequence("Ctrl+Shift+C"))
        action(edit, "Select &all", self.view.selectAll)
        action(edit, "&Find words", self._focus_text, QKeySequence.StandardKey.Find)
        action(edit, "&Clear filters and words", self.presenter.clear_filters)

        view = self.menuBar().addMenu("&View")
        self.captions_action = action(view, "Show &captions", self._captions_toggled, checkable=True)
        self.background_captions_action = action(
            view, "Caption the whole catalog in the &background", self.presenter.set_background_captions, None, True
        )
        self.details_action = action(view, "Show &details", self.set_details_shown, QKeySequence("Ctrl+I"), True)
        self.collapse_action = action(view, "Fold &near-duplicates", self.presenter.set_collapse, None, True)
        action(view, "&Larger thumbnails", lambda: self.view.zoom(1), QKeySequence.StandardKey.ZoomIn)
        action(view, "&Smaller thumbnails", lambda: self.view.zoom(-1), QKeySequence.StandardKey.ZoomOut)
        action(view, "&Quick look (Space)", self.quick_look_selected)
        sort_menu = view.addMenu("S&ort the library by")
        for key, label in SORTS.items():
            action(sort_menu, label, lambda _=False, k=key: self.presenter.set_sort(k))

        go = self.menuBar().addMenu("&Go")
        self.back_action = action(go, "&Back", lambda: self.presenter.go(-1), QKeySequence("Alt+Left"))
        self.forward_action = action(go, "&Forward", lambda: self.presenter.go(1), QKeySequence("Alt+Right"))
        action(go, "&Clear the query (browse)", self.presenter.clear_images, QKeySequence("Escape"))
        action(go, "&More like the selected items", self.more_like_selected, QKeySequence("Ctrl+M"))

        boards = self.menuBar().addMenu("&Boards")
        action(boards, "&Add the selection to a board", self.add_selection_to_board, QKeySequence("B"))
        action(boards, "Add the selection to a &new board…", lambda: self.new_board(self.selected_items()))
        self.remove_action = action(
            boards, "&Remove from this board", self.remove_selected, QKeySequence.StandardKey.Delete
        )
        self.note_action = action(boards, "Edit the &note…", self.edit_note)
        boards.addSeparator()
        action(boards, "&New board…", lambda: self.new_board(ItemsToAdd()))
        self.export_action = action(
            boards, "&Export this board…", lambda: self.export_board(None), QKeySequence("Ctrl+E")
        )
        self.panel_action = action(boards, "Show the boards &panel", self._panel_toggled, QKeySequence("Ctrl+B"), True)
        for item in (self.remove_action, self.note_action, self.export_action):
            item.setEnabled(False)

        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "&Guide and shortcuts", self.show_guide, QKeySequence.StandardKey.HelpContents)
        action(help_menu, "About the &models", self.show_models)
        action(help_menu, "Open-source &licences", self.show_licences)
        action(help_menu, "&About Fashion Desktop", self.show_about)
        self.captions_action.setChecked(self.settings.captions)
        self.background_captions_action.setChecked(self.settings.background_captions)
        self.collapse_action.setChecked(self.settings.collapse_duplicates)

    def _connect(self) -> None:
        presenter = self.presenter
        presenter.queryChanged.connect(self._query_changed)
        presenter.historyChanged.connect(self._history_changed)
        presenter.facetsChanged.connect(self.filter_bar.show_facets)
        presenter.message.connect(self.message.show_message)
        presenter.viewSummary.connect(self.message.set_summary)
        presenter.catalogChanged.connect(self._catalog_changed)
        presenter.indexingChanged.connect(self.indexing.show_state)
        presenter.captionsChanged.connect(self.caption_status.show_state)
        self.caption_status.pauseRequested.connect(presenter.pause_background_captions)
        self.caption_status.resumeRequested.connect(presenter.resume_background_captions)
        presenter.skippedChanged.connect(self.indexing.set_skipped)
        presenter.captionReady.connect(self._caption_ready)
        presenter.modelsChecked.connect(self.models_checked)
        presenter.modelProblem.connect(self.show_model_problem)
        presenter.emptyStateChanged.connect(self.view.empty.show_kind)
        presenter.answerShown.connect(self._show_current)
        self.errors.message.connect(lambda text: self.message.show_message(text, "error"))
        self.strip.backRequested.connect(lambda: presenter.go(-1))
        self.strip.forwardRequested.connect(lambda: presenter.go(1))
        self.strip.clearRequested.connect(presenter.clear_images)
        self.strip.removeRequested.connect(presenter.remove_image)
        self.strip.regionChosen.connect(presenter.set_region)
        self.filter_bar.filtersChanged.connect(presenter.set_filters)
        self.filter_bar.textChanged.connect(presenter.set_text)
        self.filter_bar.sortChanged.connect(presenter.set_sort)
        self.filter_bar.countChanged.connect(presenter.set_count)
        self.filter_bar.clearRequested.connect(presenter.clear_filters)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.results.dataChanged.connect(self._tiles_changed)
        self.view.doubleClicked.connect(lambda _: self.more_like_selected())
        self.view.moreLikeRequested.connect(self.more_like_selected)
        self.view.quickLookRequested.connect(self.quick_look_selected)
        self.view.visibleRowsChanged.connect(presenter.caption_rows)
        self.view.verticalScrollBar().valueChanged.connect(lambda _: presenter.give_way())
        self.view.sideChanged.connect(self._side_changed)
        self.view.empty.clearFilters.connect(presenter.clear_filters)
        self.view.viewport().installEventFilter(self)  # the mouse's back and forward buttons over the grid
        self.size_slider.valueChanged.connect(self.view.set_side)
        self.indexing.pauseRequested.connect(presenter.pause_indexing)
        self.indexing.resumeRequested.connect(presenter.resume_indexing)
        self.indexing.cancelRequested.connect(presenter.cancel_indexing)
        self.indexing.reindexRequested.connect(presenter.start_indexing)
        self.detail.moreLikeThis.connect(self.more_like_selected)
        self.detail.problem.connect(lambda text: self.message.show_message(text, "error"))
        self.quick_look.moveRequested.connect(self._quick_look_move)
        self.drops.dropped.connect(lambda decoded: self._ask_from(decoded, "drop"))
        self.drops.resultsDropped.connect(self.more_like_selected)
        self.welcome.chooseFolder.connect(self.choose_catalog)
        self.welcome.useSample.connect(self.use_sample)
        self._connect_boards()

    def _connect_boards(self) -> None:
        presenter, panel = self.presenter, self.boards_panel
        presenter.boardsChanged.connect(panel.model.set_boards)
        presenter.boardShown.connect(self._board_shown)
        presenter.undoChanged.connect(self._undo_changed)
        presenter.exportProgressed.connect(self.export_status.step)
        presenter.exportFinished.connect(self._export_finished)
        panel.openRequested.connect(presenter.open_board)
        panel.createRequested.connect(lambda: self.new_board(ItemsToAdd()))
        panel.renameRequested.connect(self.rename_board)
        panel.duplicateRequested.connect(lambda board: presenter.edit_board(DuplicateBoard(board)))
        panel.deleteRequested.connect(self.delete_board)
        panel.exportRequested.connect(self.export_board)
        panel.foldedChanged.connect(self._panel_folded)
        panel.model.itemsDropped.connect(presenter.add_to_board)
        self.view.reorderDropped.connect(self._reorder_dropped)
        self.view.addToBoardRequested.connect(self.add_selection_to_board)
        self.view.customContextMenuRequested.connect(self._results_menu)
        self.detail.noteEdited.connect(self._note_edited)
        self.export_status.cancelRequested.connect(presenter.cancel_export)
        self.export_status.openRequested.connect(lambda: self._exported_file(open_in_default_app))
        self.export_status.revealRequested.connect(lambda: self._exported_file(reveal_in_file_manager))
        self.panel_action.setChecked(not panel.folded)

    # -- workers and catalogs ------------------------------------------------------------------------------------
    def attach_workers(self, workers: WorkerThreads) -> None:
        """Connect to the worker threads; called once the window is on screen."""
        self.workers = workers
        self.presenter.attach(workers)
        target = self.catalog_override or (Path(self.settings.catalog) if self.settings.catalog else None)
        if target is None:
            self.pages.setCurrentWidget(self.welcome)
        else:
            self.open_catalog(str(target), restore_session=True)

    def open_catalog(self, folder: str, restore_session: bool = False) -> None:
        self.pages.setCurrentIndex(1)
        restore = self.presenter.restored_query(folder) if restore_session else None
        self.presenter.open_catalog(folder, restore)
        self.view.setFocus()

    def _catalog_changed(self, folder: str) -> None:
        self.setWindowTitle(f"Fashion Desktop — {Path(folder).name}")
        self.detail.show_result(None)
        self.boards_panel.model.catalog = folder

    def choose_catalog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the folder of your product photos")
        if folder:
            self.open_catalog(folder)

    def use_sample(self) -> None:
        self.open_catalog(str(self.paths.sample_catalog))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for folder in self.settings.recent_catalogs:
            item = self.recent_menu.addAction(folder)
            item.triggered.connect(partial(self.open_catalog, folder))
            item.setEnabled(Path(folder).is_dir())
        if not self.settings.recent_catalogs:
            self.recent_menu.addAction("No catalogs yet").setEnabled(False)

    # -- asking --------------------------------------------------------------------------------------------------
    def open_images(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Open images", "", f"Images ({' '.join('*' + suffix for suffix in IMAGE_SUFFIXES)})"
        )
        if names:
            self._ask_from(decode_files([Path(n) for n in names]), "open")

    def paste(self) -> None:
        """Ctrl+V anywhere but a text field searches with the clipboard's picture or copied image files."""
        focused = QGuiApplication.focusObject()
        if isinstance(focused, QLineEdit):
            focused.paste()
            return
        decoded = decode_mime(QGuiApplication.clipboard().mimeData())
        if decoded.problem:
            self.message.show_message(f"Nothing to paste: {decoded.problem}", "error")
        else:
            self._ask_from(decoded, "paste")

    def _ask_from(self, decoded: DecodedMime, origin: str) -> None:
        if decoded.folders and not decoded.images:
            self.offer_catalog(decoded.folders[0])
        elif decoded.problem:
            self.message.show_message(decoded.problem, "error")
        else:
            self.presenter.ask_images(decoded.images, origin)  # on the welcome, it waits for a catalog

    def offer_catalog(self, folder: Path) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Open as a catalog?",
            f"Open the folder “{folder.name}” as a catalog?\n\n{folder}\n\nIts photos are indexed on this computer; "
            "the folder itself is never changed.",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.accepted.connect(lambda: self.open_catalog(str(folder)))
        box.open()

    def selected_results(self) -> list[SearchResult]:
        return [r for r in map(self.results.result_at, self.view.selected_rows()) if r is not None]

    def more_like_selected(self) -> None:
        chosen = self.selected_results()
        if chosen:
            self.presenter.more_like(chosen)

    def copy_paths(self) -> None:
        paths = self.results.paths(self.view.selected_rows())
        if paths:
            QGuiApplication.clipboard().setText("\n".join(str(p) for p in paths))
            self.message.show_message(f"Copied {len(paths)} path{'s' if len(paths) > 1 else ''}", "info")

    def _focus_text(self) -> None:
        self.filter_bar.text.setFocus()
        self.filter_bar.text.selectAll()

    # -- showing -------------------------------------------------------------------------------------------------
    def _query_changed(self, query: Query) -> None:
        self.strip.show_images(query.images)
        self.filter_bar.show_query(query)

    def _history_changed(self, back: bool, forward: bool) -> None:
        self.strip.set_history(back, forward)
        self.back_action.setEnabled(back)
        self.forward_action.setEnabled(forward)

    def _current_changed(self, current: QModelIndex, _: QModelIndex) -> None:
        result = self._show_current()
        if self.quick_look.isVisible() and result is not None:
            self._show_quick_look(current.row(), result)

    def _selection_changed(self) -> None:
        self.detail.show_selected(self.view.selected_count())
        chosen = self.view.chosen_current()
        if (self.results.key_at(chosen) if chosen is not None else None) != self._detail_key:
            self._show_current()  # a click makes the tile current, then selects it; Ctrl+click unselects it

    def _tiles_changed(self, top: QModelIndex, bottom: QModelIndex) -> None:
        """The current tile's details arrived (a page of a big library read after Back returned to it)."""
        row = self.view.chosen_current()
        if self.detail.result is None and row is not None and top.row() <= row <= bottom.row():
            self._show_current()

    def _show_current(self) -> SearchResult | None:
        """The detail pane follows the grid's current item (kept across a refresh of the same view), else is
        empty. Its caption is asked for even when the tile is out of view."""
        self.detail.show_selected(self.view.selected_count())  # a new view: Qt cleared it without a signal
        row = self.view.chosen_current()  # not Qt's unmarked current tile (the grid took the focus)
        self._detail_key = self.results.key_at(row) if row is not None else None
        self.presenter.set_detail_row(row)
        result = self.results.result_at(row) if row is not None else None
        if result is None and row is not None:
            self.results.fetch(row)  # shown when its page arrives (_tiles_changed)
        caption = self.results.caption_of(result) if result else None
        card = self.results.card_at(row) if row is not None else None
        if card is not None:
            self.detail.show_card(card, result, caption)
        else:
            self.detail.show_result(result, caption)
        return result

    def _caption_ready(self, item_id: int, caption: str) -> None:
        if self.detail.result is not None and self.detail.result.item_id == item_id:
            self.detail.set_caption(caption)

    def quick_look_selected(self) -> None:
        if self.quick_look.isVisible():
            self.quick_look.close()
            return
        rows = self.view.selected_rows()
        result = self.results.result_at(rows[0]) if rows else None
        if result is not None:
            self._show_quick_look(rows[0], result)
            self.quick_look.resize(self.size() * 0.9)
            self.quick_look.open()

    def _show_quick_look(self, row: int, result: SearchResult) -> None:
        tile = self.results.index(row).data(Qt.ItemDataRole.DecorationRole)
        self.quick_look.show_result(result, tile if isinstance(tile, QPixmap) else None)

    def _quick_look_move(self, step: int) -> None:
        rows = self.view.selected_rows()
        row = (rows[0] if rows else -1) + step
        if 0 <= row < self.results.rowCount():
            self.view.select_row(row)

    def _side_changed(self, side: int) -> None:
        self.settings.thumbnail_size = side
        self.size_slider.blockSignals(True)
        self.size_slider.setValue(side)
        self.size_slider.blockSignals(False)

    def set_details_shown(self, shown: bool) -> None:
        self.settings.details_shown = shown
        self.detail.setVisible(shown)
        self.details_action.blockSignals(True)
        self.details_action.setChecked(shown)
        self.details_action.blockSignals(False)

    def _captions_toggled(self, checked: bool) -> None:
        self.settings.captions = checked
        if checked:
            self.presenter.caption_rows(self.view.visible_rows())
        else:
            self.presenter.stop_captions()

    # -- boards ----------------------------------------------------------------------------------------------------
    def selected_items(self) -> ItemsToAdd:
        return self.results.items_at(self.view.selected_rows())

    def add_selection_to_board(self) -> None:
        """B: the selection goes to the board last added to; the first time (or from that board) it asks which."""
        items = self.selected_items()
        if not len(items):
            self.message.show_message("Select photos first, then press B to put them on a board.", "info")
            return
        target = self.presenter.board_target
        if target is not None:
            self.presenter.add_to_board(target.board_id, items)
            return
        menu = self.board_menu(items)
        current = self.view.visualRect(self.view.currentIndex()) if self.view.currentIndex().isValid() else None
        where = self.view.viewport().mapToGlobal(current.center()) if current is not None else QCursor.pos()
        menu.popup(where)

    def board_menu(self, items: ItemsToAdd, title: str = "Add to board") -> QMenu:
        """The boards to add `items` to (the one shown left out), then a new one."""
        menu = QMenu(title, self)
        shown = self.presenter.board_shown
        for board in self.presenter.boards:
            if shown is None or board.board_id != shown.board_id:
                menu.addAction(board.name, partial(self.presenter.add_to_board, board.board_id, items))
        if menu.actions():
            menu.addSeparator()
        menu.addAction("New board…", lambda: self.new_board(items))
        return menu

    def _results_menu(self, point: QPoint) -> None:
        """Right-click on the grid: the actions on the selection (the tile under the mouse joins it)."""
        index = self.view.indexAt(point)
        if index.isValid() and index.row() not in self.view.selected_rows():
            self.view.select_row(index.row())
        rows = self.view.selected_rows()
        if not rows:
            return
        menu = QMenu(self)
        found = bool(self.selected_results())
        for text, slot, enabled in (
            ("More like this", self.more_like_selected, found),
            ("Quick look", self.quick_look_selected, found),
            ("Copy path", self.copy_paths, bool(self.results.paths(rows))),
        ):
            menu.addAction(text, slot).setEnabled(enabled)
        menu.addSeparator()
        menu.addMenu(self.board_menu(self.selected_items(), "Add to board"))
        if self.presenter.board_shown is not None:
            menu.addAction("Edit the note…", self.edit_note).setEnabled(len(rows) == 1)
            menu.addAction("Remove from this board", self.remove_selected)
        menu.popup(self.view.viewport().mapToGlobal(point))

    def new_board(self, items: ItemsToAdd) -> None:
        count = len(items)
        label = f"Name of the new board ({count} item{'' if count == 1 else 's'} go on it):" if count else "Name:"
        self._ask_text("New board", label, "", lambda name: self.presenter.create_board(name, items))

    def rename_board(self, board_id: int) -> None:
        board = self.presenter.board_named(board_id)
        if board is not None:
            rename = partial(self._rename, board_id)
            self._ask_text("Rename board", f"New name of “{board.name}”:", board.name, rename)

    def _rename(self, board_id: int, name: str) -> None:
        self.presenter.edit_board(RenameBoard(board_id, name))

    def _ask_text(self, title: str, label: str, text: str, done: Any) -> None:
        """A one-line question, window-modal but not blocking the event loop; empty answers are ignored."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        dialog.textValueSelected.connect(lambda value: done(value.strip()) if value.strip() else None)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def delete_board(self, board_id: int) -> None:
        board = self.presenter.board_named(board_id)
        if board is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete board?",
            f"Delete the board “{board.name}” ({board.count} item{'' if board.count == 1 else 's'})?\n\n"
            "The photos stay where they are. Edit ▸ Undo brings the board back.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
        box.buttonClicked.connect(
            lambda button: self.presenter.edit_board(DeleteBoard(board_id)) if button is delete else None
        )
        box.finished.connect(box.deleteLater)
        box.open()

    def remove_selected(self) -> None:
        board = self.presenter.board_shown
        rows = self.view.selected_rows()
        if board is not None and rows:
            hashes = tuple(str(self.results.key_at(row)) for row in rows)
            self.presenter.edit_board(RemoveFromBoard(board.board_id, hashes))

    def edit_note(self) -> None:
        """The note of the current board item, in the detail pane (shown if hidden)."""
        if self.detail.card is None:
            return
        self.set_details_shown(True)
        self.detail.note.setFocus()
        self.detail.note.selectAll()

    def _note_edited(self, content_hash: str, note: str) -> None:
        board = self.presenter.board_shown
        if board is not None:
            self.presenter.edit_board(SetNote(board.board_id, content_hash, note))

    def _reorder_dropped(self, hashes: object, position: int) -> None:
        board = self.presenter.board_shown
        if board is not None and isinstance(hashes, list):
            self.presenter.edit_board(MoveOnBoard(board.board_id, tuple(hashes), position))

    def _board_shown(self, board: BoardSummary | None) -> None:
        self.boards_panel.set_shown(board.board_id if board is not None else None)
        self.strip.show_board(board.name if board is not None else None)
        for item in (self.remove_action, self.note_action, self.export_action):
            item.setEnabled(board is not None)
        name = f" — {board.name}" if board is not None else ""
        self.setWindowTitle(f"Fashion Desktop — {Path(self.presenter.catalog or '').name}{name}")

    def _undo_changed(self, label: str) -> None:
        self.undo_action.setText(f"&Undo {label}" if label else "&Undo")
        self.undo_action.setEnabled(bool(label))

    def _panel_toggled(self, shown: bool) -> None:
        if shown == self.boards_panel.folded:
            self.boards_panel.toggle()

    def _panel_folded(self, folded: bool) -> None:
        self.settings.boards_collapsed = folded
        self.panel_action.blockSignals(True)
        self.panel_action.setChecked(not self.boards_panel.folded)
        self.panel_action.blockSignals(False)

    # -- exporting a board -----------------------------------------------------------------------------------------
    def export_board(self, board_id: int | None) -> ExportDialog | None:
        """The export dialog for a board (None: the one shown); the export runs on its own thread."""
        board = self.presenter.board_named(board_id) if board_id is not None else self.presenter.board_shown
        catalog = self.presenter.catalog
        if board is None or catalog is None:
            return None
        last = self.settings.export_options if isinstance(self.settings.export_options, dict) else {}
        folder = default_folder(str(last.get("folder", "")), Path(catalog), Path.home())
        dialog = ExportDialog(board.name, folder, Path(catalog), last, self)
        dialog.chosen.connect(partial(self._export_chosen, board, dialog))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _export_chosen(self, board: BoardSummary, dialog: ExportDialog, out: object, options: object) -> None:
        assert isinstance(out, Path) and (options is None or isinstance(options, LookbookOptions))
        self.settings.export_options = dialog.choices()
        self.exported = None
        self.export_status.running()
        self.message.show_message(f"Exporting “{board.name}” to {out.name}…", "info")
        self.presenter.export_board(board.board_id, out, options)

    def _export_finished(self, report: object, text: str, level: str) -> None:
        if not isinstance(report, ExportReport):
            self.export_status.finished(False)
            self.message.show_message(text, level)
            return
        self.exported = report
        self.export_status.finished(True)
        parts = [f"{report.items} item{'' if report.items == 1 else 's'}"]
        if report.pages:
            parts.append(f"{report.pages} pages")
        if report.missing:
            parts.append(f"{len(report.missing)} missing (listed in the file)")
        self.message.show_message(f"Exported {report.path.name} ({', '.join(parts)}) to {report.path.parent}", level)

    def _exported_file(self, action: Any) -> None:
        if self.exported is not None:
            action(self.exported.path, lambda text: self.message.show_message(text, "error"))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.boards_panel.set_narrow(self.width() < NARROW_WINDOW)
        self.panel_action.setChecked(not self.boards_panel.folded)

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
        show_message(self, "Models", models_text(self.models_info))

    def show_guide(self) -> None:
        show_message(self, "Guide and shortcuts", GUIDE, rich=True)

    def show_about(self) -> None:
        show_message(self, "About Fashion Desktop", about_text(self.models_info), rich=True)

    def show_licences(self) -> None:
        """Help ▸ Open-source licences: one window, raised when asked again."""
        if self.licences_window is None:
            self.licences_window = LicencesWindow(licence_notices(self.paths), self)
        self.licences_window.show()
        self.licences_window.raise_()
        self.licences_window.activateWindow()

    # -- files opened from outside (Open with, a second launch, macOS's file-open event) --------------------------
    def open_files(self, request: OpenRequest) -> None:
        """The window comes to the front; a folder opens as the catalog, images are searched with as one query
        (once a catalog is open), and what could not be opened is said in the status bar."""
        self.bring_to_front()
        folder = request.folder
        if folder is not None and not _same_folder(folder, self.presenter.catalog):
            self.open_catalog(str(folder))
        self.presenter.search_opened_files(request.images, " ".join(request.problems))

    def bring_to_front(self) -> None:
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress and isinstance(event, QMouseEvent):
            if self._history_button(event):
                return True
        return super().eventFilter(watched, event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if not self._history_button(event):
            super().mousePressEvent(event)

    def _history_button(self, event: QMouseEvent) -> bool:
        step = {Qt.MouseButton.BackButton: -1, Qt.MouseButton.ForwardButton: 1}.get(event.button())
        if step is None:
            return False
        self.presenter.go(step)
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode()
        self.settings.window_state = bytes(self.splitter.saveState().toBase64().data()).decode()
        self.settings.save(self.paths.settings_file)
        self.presenter.stop()
        if self.workers is not None:
            self.workers.stop()
        self.quick_look.close()
        self.thumbnails.shutdown()
        self.errors.detach()
        super().closeEvent(event)


def _same_folder(folder: Path, catalog: str | None) -> bool:
    try:
        return catalog is not None and folder.resolve() == Path(catalog).resolve()
    except OSError:
        return False


def decode_files(paths: list[Path]) -> DecodedMime:
    """Files chosen in the Open dialog, decoded like a drop of those files."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return decode_mime(mime)
