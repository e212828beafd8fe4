"""The main window: filter panel | model table | detail pane, download queue dock,
menus and status bar. It holds one Registry; every call into it runs on a worker
thread through `Tasks`, and the results are applied here on the GUI thread.

The window builds the widgets, opens and reloads the catalog, shows a model's details
and owns the shared helpers (messages, confirmations, notifications). What the menus
and buttons do lives in `gui/actions/`, one group per module, assembled here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QSystemTrayIcon,
)

from clary_desktop import APP_NAME, GET_LICENSE_URL
from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.license_status import LicenseStatus
from clary_desktop.domain.model_views import ModelInfo, ModelRow, VersionInfo
from clary_desktop.domain.storage_values import CacheCandidate
from clary_desktop.errors import ClaryError
from clary_desktop.gui.actions.api_actions import ApiActions
from clary_desktop.gui.actions.catalog_actions import CatalogActions
from clary_desktop.gui.actions.fit_actions import FitActions
from clary_desktop.gui.actions.license_actions import LicenseActions
from clary_desktop.gui.actions.model_actions import ModelActions
from clary_desktop.gui.actions.network_actions import NetworkActions
from clary_desktop.gui.actions.quit_actions import QuitActions
from clary_desktop.gui.actions.settings_actions import SettingsActions
from clary_desktop.gui.actions.storage_actions import StorageActions, cache_candidates
from clary_desktop.gui.actions.usage_actions import UsageActions, UsageExtras, usage_extras
from clary_desktop.gui.bridge import DownloadBridge
from clary_desktop.gui.disk import disk_figures
from clary_desktop.gui.icons import app_icon
from clary_desktop.gui.keyboard import FIND_KEYS, FocusRing, chain_tab_order, keys_for, tab_stops
from clary_desktop.gui.layout_state import (
    load_layout,
    restore_window_layout,
    save_layout,
    window_layout,
)
from clary_desktop.gui.menus import build_menus
from clary_desktop.gui.model_table import EmptyListNote, empty_list_text, make_model_table
from clary_desktop.gui.models.catalog_model import CatalogTableModel, ModelIdRole
from clary_desktop.gui.models.filtering import FilterSpec
from clary_desktop.gui.models.natural_sort import name_ranks
from clary_desktop.gui.models.queue_model import DownloadQueueModel
from clary_desktop.gui.progress import ProgressRelay
from clary_desktop.gui.screen_fit import OnScreen, first_size
from clary_desktop.gui.tasks import Tasks
from clary_desktop.gui.widgets.detail_pane import DetailPane
from clary_desktop.gui.widgets.filter_drawer import FilterDrawer
from clary_desktop.gui.widgets.filter_panel import FilterPanel
from clary_desktop.gui.widgets.queue_panel import QueuePanel
from clary_desktop.gui.widgets.status_bar import StatusBar
from clary_desktop.paths import AppPaths

Opener = Callable[[], Registry]
DEFAULT_SIZE = (1400, 860)
DEFAULT_DOCK_HEIGHT = 130


class MainWindow(QMainWindow):
    catalog_loaded = Signal()  # rows are in the table (after start and every reload)
    ready = Signal()  # start-up finished: catalog loaded, downloads attached
    details_shown = Signal(str)  # model id shown in the detail pane
    message_shown = Signal(str)  # every status/error message, for tests and logs

    def __init__(
        self, paths: AppPaths, opener: Opener | None = None, registry: Registry | None = None
    ) -> None:
        super().__init__()
        self.paths = paths
        self._opener = opener
        self.registry: Registry | None = registry
        self._owns_registry = registry is None
        self.user_tier = Tier.LITE
        self._shut_down = False
        self._detail_request: str | None = None
        self.last_message = ""
        self.tasks = Tasks(self.show_error)
        self.tray: QSystemTrayIcon | None = None
        #: The Registry once its download engine is up (started off the GUI thread by
        #: `_start`); None before, when downloads cannot be asked for yet.
        self.downloads: Registry | None = None
        self._start_task: asyncio.Task[None] | None = None
        self.progress = ProgressRelay(self)
        self.setAcceptDrops(True)
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setObjectName("mainWindow")

        self.catalog_model = CatalogTableModel(self)
        self.queue_model = DownloadQueueModel(self)
        self.bridge = DownloadBridge(self)
        self.filters = FilterPanel()
        self.table = make_model_table(self.catalog_model)
        self.empty_note = EmptyListNote(self.table)
        self.detail = DetailPane()
        self.queue_panel = QueuePanel(self.queue_model)
        self.queue_dock = QDockWidget("Downloads", self)
        self.status = StatusBar()

        # What the menus and buttons do, one group each (gui/actions/).
        self.model_actions = ModelActions(self)
        self.license_actions = LicenseActions(self)
        self.catalog_actions = CatalogActions(self)
        self.storage_actions = StorageActions(self)
        self.api_actions = ApiActions(self)
        self.usage_actions = UsageActions(self)
        self.settings_actions = SettingsActions(self)
        self.network = NetworkActions(self)
        self.quit_actions = QuitActions(self)
        self.fit_actions = FitActions(self)
        self.fit_actions.fits_changed.connect(self._update_counts)
        self._layout_widgets()
        self._connect()
        build_menus(self)
        for key in keys_for(*FIND_KEYS):
            QShortcut(key, self).activated.connect(self.focus_search)
        self.table.installEventFilter(self)  # Delete, Space and Esc on the list
        self.focus_ring = FocusRing(self)
        first_size(self, QSize(*DEFAULT_SIZE))
        self.splitter.setSizes([240, 740, 420])
        self.resizeDocks([self.queue_dock], [DEFAULT_DOCK_HEIGHT], Qt.Orientation.Vertical)
        restore_window_layout(self, self.splitter, self.table, load_layout(paths.config_dir))
        OnScreen(self)
        self.drawer.fit(self.width())
        self.set_tab_order()
        self.table.setFocus()  # the keyboard starts in the list

    # ---- building ------------------------------------------------------------------

    def _layout_widgets(self) -> None:
        filter_scroll = QScrollArea()
        filter_scroll.setWidget(self.filters)
        filter_scroll.setWidgetResizable(True)
        filter_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        filter_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        filter_scroll.setMinimumWidth(self.filters.minimumSizeHint().width() + 16)
        filter_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.drawer = FilterDrawer(filter_scroll, self)
        self.menuBar().setCornerWidget(self.drawer.button, Qt.Corner.TopLeftCorner)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(filter_scroll)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        self.queue_dock.setObjectName("queueDock")
        self.queue_dock.setWidget(self.queue_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.queue_dock)
        self.setStatusBar(self.status)
        self.status.showMessage("Opening the catalog…")

    def _connect(self) -> None:
        models = self.model_actions
        usage = self.usage_actions
        self.bridge.jobs_changed.connect(models.on_jobs)
        self.bridge.job_finished.connect(models.on_job_finished)
        self.filters.changed.connect(self._on_filter)
        self.table.customContextMenuRequested.connect(models.table_menu)
        self.table.activated.connect(lambda index: models.activate(index.data(ModelIdRole)))
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.detail.action_requested.connect(models.request_action)
        self.detail.use_requested.connect(usage.use_model)
        self.detail.parameters_save_requested.connect(usage.save_parameters)
        self.detail.parameters_reset_requested.connect(usage.reset_parameters)
        self.detail.show_requested.connect(self.select_model)
        self.detail.license_requested.connect(self.license_actions.load_license_dialog)
        self.detail.get_license_requested.connect(lambda: self.open_url(QUrl(GET_LICENSE_URL)))
        self.queue_panel.action_requested.connect(models.request_job_action)
        self.queue_panel.clear_requested.connect(models.clear_finished)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """On the model list: Delete removes the model, Space pauses or resumes its
        download, Esc clears the search."""
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
        ):
            if event.matches(QKeySequence.StandardKey.Delete):
                self.model_actions.remove_selected()
                return True
            if event.key() == Qt.Key.Key_Space and self.model_actions.toggle_selected():
                return True
            if event.key() == Qt.Key.Key_Escape and self.filters.search.text():
                self.filters.search.clear()
                return True
        return super().eventFilter(watched, event)

    def set_tab_order(self) -> None:
        """Tab goes filters -> list -> the model's buttons -> its tabs and their fields ->
        downloads, whatever order the widgets were made in (filters and parameter fields
        are made as the catalog and the shown model need them)."""
        chain_tab_order(
            [
                self.drawer.button,
                *tab_stops(self.filters),
                self.table,
                *tab_stops(self.detail),
                *tab_stops(self.queue_panel),
            ]
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.drawer.fit(event.size().width())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        """Model files dropped on the window are imported (File > Import model file)."""
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.storage_actions.import_files(paths)

    # ---- start, reload, shutdown ---------------------------------------------------

    def start(self) -> None:
        """Open the registry (if not given) and load the catalog, off the GUI thread."""
        self._start_task = self.tasks.spawn(self._start(), "Opening the catalog")

    async def _start(self) -> None:
        if self.registry is None:
            if self._opener is None:
                raise ClaryError("No catalog to open.")
            self.registry = await self.tasks.run(self._opener)
        await self.load_catalog()
        registry = self.registry
        # The facade starts its download engine on first use (it recovers interrupted jobs
        # from the database), so the first touch happens on a worker thread too.
        # Subscribed before the snapshot is read: a job that resumed at start and moves
        # on meanwhile (even to completed) is never left showing an old state.
        await self.tasks.run(self.bridge.attach, registry.subscribe_downloads)
        jobs = await self.tasks.run(registry.download_jobs)
        self.bridge.reset(jobs)
        self.quit_actions.offer_resume(jobs)
        self.downloads = registry
        self.tasks.spawn(self.refresh_disk(), "Measuring disk space")
        self.api_actions.attach(registry)
        self.usage_actions.perf_timer.start()
        self.network.start()
        self.ready.emit()
        if registry.policy.problem is not None:  # the administrator's file is broken: say so
            self.show_error(registry.policy.problem_text())
        self.tasks.spawn(self.api_actions.apply(registry.settings), "Starting the local API")
        self.catalog_actions.schedule_update_checks(registry.settings, at_start=True)

    async def started(self) -> None:
        """Wait for start-up to finish (a click that arrives while the window starts)."""
        if self._start_task is not None and not self._start_task.done():
            await asyncio.shield(self._start_task)

    def reload(self) -> None:
        self.tasks.spawn(self.load_catalog(), "Reloading the catalog")

    async def load_catalog(self) -> None:
        """Read the catalog, the license and the Hugging Face cache again; show them."""
        registry = self.require_registry()

        def load() -> tuple[
            Tier,
            LicenseStatus,
            list[ModelRow],
            list[str],
            dict[str, CacheCandidate],
            set[int],
            list[ModelInfo],
        ]:
            status = registry.license_status()
            tier = status.tier
            return (
                tier,
                status,
                registry.model_rows(),
                registry.model_types(),
                cache_candidates(registry),
                registry.kept_partial_jobs(),
                registry.starter_models(),
            )

        tier, status, rows, types, cached, kept, starters = await self.tasks.run(load)
        selected = self.selected_model_id()
        self.user_tier = tier
        # Natural name order costs a collation key per name: worked out off this thread.
        names = await self.tasks.run(name_ranks, [r.name for r in rows])
        self.catalog_model.set_rows(rows, tier, names)
        if types != list(self.filters._type_boxes):
            self.filters.set_types(types)
            self.catalog_model.set_filter(self.filters.spec())
        self.filters.set_tags(self.catalog_model.tags())
        self.license_actions.show_license(tier, status)
        self.storage_actions.set_cache_models(cached)
        self.model_actions.set_kept_jobs(kept)
        self.detail.welcome.set_starters(starters, tier)
        self.set_tab_order()  # the type filters and starter rows are made as loaded
        self.network.show_indicator()
        self._update_counts()
        if selected is not None:
            self.select_model(selected)
        if not self.last_message or self.status.currentMessage() != self.last_message:
            # Never over a result still on show ("Download complete", "Verified ...").
            self.status.showMessage("Ready", 3000)
        self.catalog_loaded.emit()

    async def after_change(self) -> None:
        """After installs, removals and moves: the list, the shown model, the disk figures."""
        await self.load_catalog()
        self.refresh_details()
        await self.refresh_disk()

    async def refresh_disk(self) -> None:
        registry = self.require_registry()
        used, free = await self.tasks.run(disk_figures, registry.models_dir)
        self.status.set_disk(used, free)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._shut_down and not self.quit_actions.may_quit():
            event.ignore()  # "Keep running": the downloads go on, the window stays
            return
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Save the layout and stop everything this window started (idempotent)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.focus_ring.disconnect_app()
        save_layout(self.paths.config_dir, self.layout_data())
        for actions in (self.usage_actions, self.catalog_actions, self.network):
            actions.stop()
        self.bridge.close()
        self.tasks.close()
        self.api_actions.close()  # after the workers: a start still running has finished
        if self.tray is not None:
            self.tray.hide()
        if self._owns_registry and self.registry is not None:
            self.registry.close()  # also stops the downloads (running jobs become paused)
            self.registry = None

    def layout_data(self) -> dict[str, Any]:
        return window_layout(self, self.splitter, self.table)

    # ---- helpers the actions share -------------------------------------------------

    def require_registry(self) -> Registry:
        if self.registry is None:
            raise ClaryError("The catalog is still opening; try again in a moment.")
        return self.registry

    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.last_message = text
        self.status.showMessage(text, timeout_ms)
        self.message_shown.emit(text)

    def show_error(self, text: str) -> None:
        """A problem the user should read: status bar plus a non-blocking dialog."""
        self.show_message(text, 15000)
        if self._shut_down:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning, APP_NAME, text, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def confirm(self, question: str) -> bool:
        """Ask yes/no (tests replace this to answer without a modal dialog)."""
        answer = QMessageBox.question(self, APP_NAME, question)
        return answer == QMessageBox.StandardButton.Yes

    def choose(self, question: str, options: list[str], dismiss: str = "Cancel") -> str | None:
        """Ask for one of `options`; None when the user picks `dismiss` or closes the
        question (tests replace this to answer without a modal dialog)."""
        box = QMessageBox(QMessageBox.Icon.Question, APP_NAME, question, parent=self)
        buttons: dict[QAbstractButton, str] = {
            box.addButton(text, QMessageBox.ButtonRole.AcceptRole): text for text in options
        }
        box.setEscapeButton(box.addButton(dismiss, QMessageBox.ButtonRole.RejectRole))
        box.exec()
        return buttons.get(box.clickedButton())

    def notify(self, title: str, text: str) -> None:
        """A desktop notification when the platform has a tray, else a status message."""
        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            if self.tray is None:
                self.tray = QSystemTrayIcon(app_icon(), self)
                self.tray.setToolTip(APP_NAME)
            self.tray.show()
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        self.show_message(f"{title}: {text}")

    def open_url(self, url: QUrl) -> None:
        if not QDesktopServices.openUrl(url):
            self.show_message(f"Could not open {url.toLocalFile()}; open it in your file manager.")

    def focus_search(self) -> None:
        self.drawer.open()  # a narrow window keeps the filters in a drawer
        self.filters.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filters.search.selectAll()

    def selected_model_id(self) -> str | None:
        index = self.table.currentIndex()
        return index.data(ModelIdRole) if index.isValid() else None

    def select_model(self, model_id: str) -> bool:
        row = self.catalog_model.row_for(model_id)
        if row is None:
            return False
        self.table.selectRow(row)
        self.table.scrollTo(self.catalog_model.index(row, 0))
        return True

    def _update_counts(self) -> None:
        model = self.catalog_model
        locked = model.locked_tiers()
        shown = model.rowCount()
        self.status.set_counts(shown, model.total, locked)
        spec = model.filter_spec
        self.empty_note.show_text(
            empty_list_text(shown, model.total, spec.text, sum(locked.values()), spec.show_locked)
        )

    # ---- filtering, selection and the detail pane ----------------------------------

    def _on_filter(self, spec: FilterSpec) -> None:
        selected = self.selected_model_id()
        self.catalog_model.set_filter(spec)
        self._update_counts()
        if selected is not None and not self.select_model(selected):
            self.detail.clear()

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        model_id = current.data(ModelIdRole) if current.isValid() else None
        if model_id is None:
            self._detail_request = None
            self.detail.clear()
            return
        if model_id == self.detail.model_id and model_id == self._detail_request:
            return
        if self._keep_unsaved_parameters(model_id):
            return
        self._detail_request = model_id
        self.tasks.spawn(self._show_details(model_id), "Reading the model's details")

    def _keep_unsaved_parameters(self, model_id: str) -> bool:
        """Ask before another model's details replace parameter edits not saved yet; True
        (and the shown model selected again) when the user keeps editing."""
        shown = self.detail.model_id
        if shown is None or model_id == shown or not self.detail.parameters.has_unsaved():
            return False
        name = self.catalog_model.name_of(shown)
        if self.confirm(
            f"The parameters of {name} have changes that are not saved. Discard them and "
            "show the other model?"
        ):
            return False
        self.select_model(shown)
        self.detail.tabs.setCurrentWidget(self.detail.usage_tab)
        return True

    async def _show_details(self, model_id: str) -> None:
        registry = self.require_registry()

        def load() -> tuple[ModelInfo, list[VersionInfo], UsageExtras, str | None]:
            info = registry.get_model(model_id)
            extras = usage_extras(registry, info)
            return info, registry.versions(model_id), extras, registry.model_card(model_id)

        info, versions, extras, card = await self.tasks.run(load)
        if self._detail_request != model_id:
            return  # the user moved on meanwhile
        row = self.catalog_model.model_row(model_id)
        path = row.installed_path if row else None
        self.detail.show_model(
            info, versions, self.user_tier, path, self.model_actions.jobs_by_model.get(model_id)
        )
        self.detail.show_usage(extras.default_for, extras.current, extras.parameters, extras.limits)
        self.detail.show_card(card)
        self.detail.show_performance(extras.performance)
        self.set_tab_order()  # the parameter fields are made for each model
        self.details_shown.emit(model_id)

    def refresh_details(self) -> None:
        """Show the selected model again (its state changed), whatever the pane shows now."""
        model_id = self.selected_model_id() or self.detail.model_id
        if model_id is not None:
            self._detail_request = model_id
            self.tasks.spawn(self._show_details(model_id), "Reading the model's details")
