"""The main window: filter panel | model table | detail pane, download queue dock,
menus and status bar. It holds one Registry; every call into it runs on a worker
thread through `Tasks`, and the results are applied here on the GUI thread."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeyEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QFileDialog,
    QHeaderView,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QSystemTrayIcon,
    QTableView,
)

from clary_desktop import APP_NAME
from clary_desktop.errors import ClaryError
from clary_desktop.formatting import format_size
from clary_desktop.gui.api_runner import ApiRunner, is_loopback
from clary_desktop.gui.bridge import DownloadBridge
from clary_desktop.gui.dialogs.about_dialog import AboutDialog
from clary_desktop.gui.dialogs.api_keys_dialog import ApiKeysDialog
from clary_desktop.gui.dialogs.export_dialog import ExportDialog
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from clary_desktop.gui.dialogs.storage_dialog import StorageDialog
from clary_desktop.gui.dialogs.sync_dialog import SyncCatalogDialog
from clary_desktop.gui.dialogs.usage_dialog import UsageDialog
from clary_desktop.gui.icons import app_icon
from clary_desktop.gui.layout_state import load_layout, save_layout
from clary_desktop.gui.models.catalog_model import (
    NAME,
    SIZE,
    STATUS,
    TIER,
    CatalogTableModel,
    LockedRole,
    ModelIdRole,
    TierRole,
)
from clary_desktop.gui.models.filtering import FilterSpec, update_available
from clary_desktop.gui.models.queue_model import DownloadQueueModel, JobRow, plain_error
from clary_desktop.gui.progress import ProgressRelay
from clary_desktop.gui.tasks import Tasks
from clary_desktop.gui.widgets.badges import TierBadgeDelegate
from clary_desktop.gui.widgets.detail_pane import DetailPane
from clary_desktop.gui.widgets.filter_panel import FilterPanel
from clary_desktop.gui.widgets.queue_panel import QueuePanel
from clary_desktop.gui.widgets.status_bar import StatusBar
from clary_desktop.paths import AppPaths
from clary_desktop.registry.access import Tier
from clary_desktop.registry.facade import Registry
from clary_desktop.settings import Settings, save_settings

log = logging.getLogger(__name__)
Opener = Callable[[], Registry]
DEFAULT_SIZE = (1400, 860)
PERFORMANCE_REFRESH_MS = 5000  # the shown model's performance, while the pane is visible
MAX_TIMER_MS = 2_000_000_000  # QTimer takes an int (about 23 days)


def folder_size(folder: Path) -> int:
    """Bytes under `folder` (worker thread only: it walks the disk)."""
    total = 0
    stack = [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
        except OSError:
            continue
    return total


def disk_figures(models_dir: Path) -> tuple[int | None, int | None]:
    used = folder_size(models_dir) if models_dir.is_dir() else 0
    probe = models_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free: int | None = shutil.disk_usage(probe).free
    except OSError:
        free = None
    return used, free


def usage_extras(registry: Registry, info: Any) -> dict[str, Any]:
    """What the detail pane's Usage and Performance tabs show (worker thread only)."""
    default_for: list[str] = []
    current: str | None = None
    for usage in registry.usages():
        if isinstance(usage, tuple):
            continue
        if usage.model_id == info.id:
            default_for.append(usage.task)
        elif usage.task == info.type:
            current = usage.name
    try:
        parameters: dict[str, Any] | None = registry.model_parameters(info.id)
    except ClaryError:
        parameters = None
    try:
        performance: Any = registry.performance(info.id)
    except ClaryError:
        performance = None
    return {"default_for": default_for, "current": current, "parameters": parameters,
            "performance": performance}


def _b64(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _unb64(text: Any) -> QByteArray | None:
    if not isinstance(text, str):
        return None
    try:
        return QByteArray(base64.b64decode(text))
    except ValueError:
        return None


class MainWindow(QMainWindow):
    catalog_loaded = Signal()  # rows are in the table (after start and every reload)
    ready = Signal()  # start-up finished: catalog loaded, downloads attached
    details_shown = Signal(str)  # model id shown in the detail pane
    message_shown = Signal(str)  # every status/error message, for tests and logs

    def __init__(self, paths: AppPaths, opener: Opener | None = None,
                 registry: Registry | None = None) -> None:
        super().__init__()
        self.paths = paths
        self._opener = opener
        self.registry: Registry | None = registry
        self._owns_registry = registry is None
        self.user_tier = Tier.LITE
        self._shut_down = False
        self._detail_request: str | None = None
        self._jobs_by_model: dict[str, JobRow] = {}
        self.last_message = ""
        self.tasks = Tasks(self.show_error)
        self.tray: QSystemTrayIcon | None = None
        self._manager: Any = None
        self._start_task: asyncio.Task[Any] | None = None
        self.api: ApiRunner | None = None
        self._perf_busy = False
        self.usage_dialog: UsageDialog | None = None
        self.keys_dialog: ApiKeysDialog | None = None
        self._perf_timer = QTimer(self)
        self._perf_timer.setObjectName("performanceTimer")
        self._perf_timer.setInterval(PERFORMANCE_REFRESH_MS)
        self._perf_timer.timeout.connect(self._refresh_performance)
        self._update_timer = QTimer(self)
        self._update_timer.setObjectName("updateCheckTimer")
        self._update_timer.timeout.connect(lambda: self.check_updates(manual=False))
        self._updates_notified: frozenset[tuple[str, str]] = frozenset()
        self.updates: list[Any] = []
        self.storage_dialog: StorageDialog | None = None
        self.progress = ProgressRelay(self)
        self.progress.changed.connect(self._on_progress)
        self._operation = ""
        self.setAcceptDrops(True)

        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(app_icon())
        self.setObjectName("mainWindow")

        self.catalog_model = CatalogTableModel(self)
        self.queue_model = DownloadQueueModel(self)
        self.bridge = DownloadBridge(self)
        self.bridge.jobs_changed.connect(self._on_jobs)
        self.bridge.job_finished.connect(self._on_job_finished)

        self.filters = FilterPanel()
        self.filters.changed.connect(self._on_filter)
        self.table = self._make_table()
        self.detail = DetailPane()
        self.detail.action_requested.connect(self.request_action)
        self.detail.use_requested.connect(self.use_model)
        self.detail.parameters_save_requested.connect(self.save_parameters)
        self.detail.parameters_reset_requested.connect(self.reset_parameters)

        filter_scroll = QScrollArea()
        filter_scroll.setWidget(self.filters)
        filter_scroll.setWidgetResizable(True)
        filter_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        filter_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        filter_scroll.setMinimumWidth(self.filters.minimumSizeHint().width() + 16)
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

        self.queue_panel = QueuePanel(self.queue_model)
        self.queue_panel.action_requested.connect(self.request_job_action)
        self.queue_panel.clear_requested.connect(self.clear_finished)
        self.queue_dock = QDockWidget("Downloads", self)
        self.queue_dock.setObjectName("queueDock")
        self.queue_dock.setWidget(self.queue_panel)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.queue_dock)

        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.status.showMessage("Opening the catalog…")
        self._make_menus()
        self._make_shortcuts()
        self.resize(*DEFAULT_SIZE)
        self.splitter.setSizes([240, 740, 420])
        self.resizeDocks([self.queue_dock], [170], Qt.Orientation.Vertical)
        self._restore_layout()

    # ---- building ------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("modelTable")
        table.setModel(self.catalog_model)
        table.setSortingEnabled(True)
        table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setShowGrid(False)
        vertical = table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 10)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(50)
        for column, width in ((NAME, 300), (1, 60), (2, 64), (SIZE, 74), (TIER, 108),
                              (STATUS, 128)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        table.setItemDelegateForColumn(TIER, TierBadgeDelegate(TierRole, LockedRole, table))
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._table_menu)
        table.activated.connect(lambda index: self._activate(index.data(ModelIdRole)))
        table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        return table

    def _make_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.action_load_license = file_menu.addAction("Load &license…", self.load_license_dialog)
        file_menu.addAction("&Import catalog…", self.import_catalog_dialog)
        file_menu.addSeparator()
        file_menu.addAction("Import model &file…", self.import_file_dialog)
        file_menu.addAction("&Export models…", self.export_dialog)
        file_menu.addAction("Import &bundle…", self.import_bundle_dialog)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.queue_dock.toggleViewAction())
        view_menu.addAction("Model &usage…", self.usage_view)
        view_menu.addAction("&Storage…", self.storage_view)
        reload_action = view_menu.addAction("&Reload catalog", self.reload)
        reload_action.setShortcut(QKeySequence.StandardKey.Refresh)

        tools = bar.addMenu("&Tools")
        tools.addAction("&Verify all installed models", lambda: self.verify(None))
        tools.addAction("&Reclaim space from partial downloads", self.reclaim_space)
        tools.addSeparator()
        tools.addAction("Check for &updates", lambda: self.check_updates(manual=True))
        tools.addAction("&Sync catalog…", self.sync_catalog_dialog)
        tools.addSeparator()
        tools.addAction("API &keys…", self.api_keys_dialog)
        tools.addSeparator()
        settings_action = tools.addAction("&Settings…", self.settings_dialog)
        settings_action.setShortcut(QKeySequence.StandardKey.Preferences)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(f"&About {APP_NAME}", self.about_dialog)

    def _make_shortcuts(self) -> None:
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.activated.connect(self.focus_search)
        self.table.installEventFilter(self)  # Delete on the table removes the model

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        delete = QKeySequence.StandardKey.Delete
        if (watched is self.table and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.matches(delete)):
            self._remove_selected()
            return True
        return super().eventFilter(watched, event)

    # ---- start, reload, shutdown ---------------------------------------------------

    def start(self) -> None:
        """Open the registry (if not given) and load the catalog, off the GUI thread."""
        self._start_task = self.tasks.spawn(self._start(), "Opening the catalog")

    async def _start(self) -> None:
        if self.registry is None:
            if self._opener is None:
                raise ClaryError("No catalog to open.")
            self.registry = await self.tasks.run(self._opener)
        await self._reload()
        registry = self.registry
        # The facade creates the manager on first use (it recovers interrupted jobs from the
        # database), so the first touch happens on a worker thread too.
        manager = await self.tasks.run(lambda: getattr(registry, "downloads", None))
        self._manager = manager
        if manager is not None:
            self.bridge.attach(manager.subscribe)
            jobs = await self.tasks.run(manager.jobs)
            self.bridge.reset(jobs)
        self.tasks.spawn(self._refresh_disk(), "Measuring disk space")
        self.api = ApiRunner(registry)
        self._perf_timer.start()
        self.ready.emit()
        self.tasks.spawn(self._apply_api(registry.settings), "Starting the local API")
        self._schedule_update_checks(registry.settings, at_start=True)

    def reload(self) -> None:
        self.tasks.spawn(self._reload(), "Reloading the catalog")

    async def _reload(self) -> None:
        registry = self._registry()

        def load() -> tuple[Tier, Any, list[Any], list[str]]:
            status = registry.license_status() if hasattr(registry, "license_status") else None
            tier = status.tier if status is not None else registry.tier
            return tier, status, registry.model_rows(), registry.model_types()

        tier, status, rows, types = await self.tasks.run(load)
        selected = self.selected_model_id()
        self.user_tier = tier
        self.catalog_model.set_rows(rows, tier)
        if types != list(self.filters._type_boxes):
            self.filters.set_types(types)
            self.catalog_model.set_filter(self.filters.spec())
        self.filters.set_tags(self.catalog_model.tags())
        self._show_license(tier, status)
        self.status.set_online(not self._offline(registry))
        self._update_counts()
        if selected is not None:
            self.select_model(selected)
        self.status.showMessage("Ready", 3000)
        self.catalog_loaded.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Save the layout and stop everything this window started (idempotent)."""
        if self._shut_down:
            return
        self._shut_down = True
        self._save_layout()
        self._perf_timer.stop()
        self._update_timer.stop()
        self.bridge.close()
        self.tasks.close()
        if self.api is not None:
            self.api.close()  # after the workers: a start still running has finished
        if self.tray is not None:
            self.tray.hide()
        if self._owns_registry and self.registry is not None:
            self.registry.close()  # also stops the downloads (running jobs become paused)
            self.registry = None

    # ---- helpers -------------------------------------------------------------------

    def _registry(self) -> Registry:
        if self.registry is None:
            raise ClaryError("The catalog is still opening; try again in a moment.")
        return self.registry

    def _downloads(self) -> Any:
        """The registry's download manager, once `_start` has fetched it off the GUI thread."""
        return self._manager

    def show_message(self, text: str, timeout_ms: int = 8000) -> None:
        self.last_message = text
        self.status.showMessage(text, timeout_ms)
        self.message_shown.emit(text)

    def show_error(self, text: str) -> None:
        """A problem the user should read: status bar plus a non-blocking dialog."""
        self.show_message(text, 15000)
        if self._shut_down:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, text,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def confirm(self, question: str) -> bool:
        """Ask yes/no (tests replace this to answer without a modal dialog)."""
        answer = QMessageBox.question(self, APP_NAME, question)
        return answer == QMessageBox.StandardButton.Yes

    def notify(self, title: str, text: str) -> None:
        """A desktop notification when the platform has a tray, else a status message."""
        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            if self.tray is None:
                self.tray = QSystemTrayIcon(app_icon(), self)
                self.tray.setToolTip(APP_NAME)
            self.tray.show()
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        self.show_message(f"{title}: {text}")

    def focus_search(self) -> None:
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
        self.status.set_counts(self.catalog_model.rowCount(), self.catalog_model.total)

    def _show_license(self, tier: Tier, status: Any) -> None:
        if status is None:
            self.status.set_license(tier, "")
            return
        state = str(getattr(status.state, "value", status.state))
        if state == "none":
            self.status.set_license(tier, "No license — free Lite tier")
        elif state in ("valid", "grace"):
            who = status.licensee or status.reason or "licensed"
            until = f", until {status.expires_at:%Y-%m-%d}" if status.expires_at else ""
            grace = " (grace period)" if state == "grace" else ""
            self.status.set_license(tier, f"{who}{until}{grace}")
        else:
            self.status.set_license(tier, f"License {state}: {status.reason or 'not usable'}",
                                    problem=True)

    async def _refresh_disk(self) -> None:
        registry = self._registry()
        used, free = await self.tasks.run(disk_figures, registry.models_dir)
        self.status.set_disk(used, free)

    # ---- filtering and selection ---------------------------------------------------

    def _on_filter(self, spec: FilterSpec) -> None:
        selected = self.selected_model_id()
        self.catalog_model.set_filter(spec)
        self._update_counts()
        if selected is not None and not self.select_model(selected):
            self.detail.clear()

    def _on_current_changed(self, current: Any, _previous: Any) -> None:
        model_id = current.data(ModelIdRole) if current.isValid() else None
        if model_id is None:
            self._detail_request = None
            self.detail.clear()
            return
        if model_id == self.detail.model_id and model_id == self._detail_request:
            return
        self._detail_request = model_id
        self.tasks.spawn(self._show_details(model_id), "Reading the model's details")

    async def _show_details(self, model_id: str) -> None:
        registry = self._registry()

        def load() -> tuple[Any, Any, dict[str, Any]]:
            info = registry.get_model(model_id)
            return info, registry.versions(model_id), usage_extras(registry, info)

        info, versions, extras = await self.tasks.run(load)
        if self._detail_request != model_id:
            return  # the user moved on meanwhile
        row = self.catalog_model.model_row(model_id)
        path = row.installed_path if row else None
        self.detail.show_model(info, versions, self.user_tier, path,
                               self._jobs_by_model.get(model_id))
        self.detail.show_usage(extras["default_for"], extras["current"], extras["parameters"])
        self.detail.show_performance(extras["performance"])
        self.details_shown.emit(model_id)

    def _refresh_details(self) -> None:
        """Show the selected model again (its state changed), whatever the pane shows now."""
        model_id = self.selected_model_id() or self.detail.model_id
        if model_id is not None:
            self._detail_request = model_id
            self.tasks.spawn(self._show_details(model_id), "Reading the model's details")

    # ---- actions on models ---------------------------------------------------------

    def _activate(self, model_id: str | None) -> None:
        """Enter / double-click: open an installed model's folder, else download it."""
        if model_id is None:
            return
        row = self.catalog_model.model_row(model_id)
        if row is not None and row.installed_version is not None:
            self.request_action("open_folder", model_id)
        else:
            self.request_action("download", model_id)

    def _remove_selected(self) -> None:
        model_id = self.selected_model_id()
        if model_id is not None:
            self.request_action("remove", model_id)

    def _locked_reason(self, model_id: str) -> str | None:
        row = self.catalog_model.model_row(model_id)
        if row is None:
            return None
        if Tier.parse(row.tier) > self.user_tier:
            return (f"{row.name} needs the {row.tier.capitalize()} tier; your license is "
                    f"{self.user_tier.label}. Load a {row.tier.capitalize()} license to use it.")
        return None

    def request_action(self, action: str, model_id: str) -> None:
        if action in ("download", "retry", "update"):
            locked = self._locked_reason(model_id)
            if locked is not None:
                self.show_message(locked)
                return
        if action == "download":
            self.tasks.spawn(self._download(model_id), "Download")
        elif action in ("pause", "resume", "cancel", "retry"):
            job = self._jobs_by_model.get(model_id)
            if job is None:
                self.show_message("There is no download of this model to change.")
                return
            self.request_job_action(action, job.job_id)
        elif action == "remove":
            self._remove(model_id)
        elif action == "verify":
            self.verify(model_id)
        elif action == "open_folder":
            self._open_folder(model_id)
        elif action == "update":
            self.tasks.spawn(self._update(model_id), "Update")
        elif action == "rollback":
            self._rollback(model_id)

    async def _update(self, model_id: str) -> None:
        registry = self._registry()
        if not hasattr(registry, "update"):
            self.show_message("Updating models is not available in this version.")
            return
        if self._start_task is not None and not self._start_task.done():
            await asyncio.shield(self._start_task)
        job_id = await self.tasks.run(registry.update, model_id)
        if job_id is None:  # the new version was already on disk: switched at once
            self.show_message(f"Updated {model_id}: the new version was already on disk.")
            await self._after_job()
            return
        self.queue_dock.show()
        self.show_message(f"Updating {model_id}: the new version downloads beside the old one, "
                          "which stays in use until every file is verified.")
        self.queue_panel.select_job(job_id)

    def _rollback(self, model_id: str) -> None:
        registry = self._registry()
        if not hasattr(registry, "rollback"):
            self.show_message("Rolling back is not available in this version.")
            return
        target = self.detail.rollback_to if self.detail.model_id == model_id else None
        question = (f"Switch {model_id} back to version {target}?" if target
                    else f"Switch {model_id} back to the previous version?")
        if self.confirm(question):
            self.tasks.spawn(self._rollback_async(model_id), "Roll back")

    async def _rollback_async(self, model_id: str) -> None:
        version = await self.tasks.run(self._registry().rollback, model_id)
        self.show_message(f"{model_id} is back on version {version}.")
        await self._after_job()

    async def _download(self, model_id: str) -> None:
        if self._start_task is not None and not self._start_task.done():
            await asyncio.shield(self._start_task)  # clicked while the window was starting
        manager = self._downloads()
        if manager is None:
            self.show_message("Downloads are not available in this version.")
            return
        job_id = await self.tasks.run(manager.start, model_id)
        self.queue_dock.show()
        self.show_message(f"Downloading {model_id}…")
        self.queue_panel.select_job(job_id)

    def request_job_action(self, action: str, job_id: Any) -> None:
        manager = self._downloads()
        if manager is None:
            return
        method = getattr(manager, action)
        self.tasks.spawn(self._call(method, job_id), f"{action.capitalize()} download")

    async def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self.tasks.run(fn, *args)

    def clear_finished(self) -> None:
        self.tasks.spawn(self._clear_finished(), "Clear finished downloads")

    async def _clear_finished(self) -> None:
        manager = self._downloads()
        if manager is None:
            return
        jobs = await self.tasks.run(lambda: (manager.clear_finished(), manager.jobs())[1])
        self.bridge.reset(jobs)

    def _remove(self, model_id: str) -> None:
        registry = self._registry()
        row = self.catalog_model.model_row(model_id)
        if row is None or row.installed_version is None:
            self.show_message("This model is not installed; there is nothing to remove.")
            return
        if not hasattr(registry, "remove"):
            self.show_message("Removing models is not available in this version.")
            return
        if not self.confirm(f"Remove {row.name} ({row.installed_version}) from this computer?"):
            return
        self.tasks.spawn(self._remove_async(model_id), "Remove")

    async def _remove_async(self, model_id: str) -> None:
        await self.tasks.run(self._registry().remove, model_id)
        self.show_message(f"Removed {model_id}.")
        await self._reload()
        self._refresh_details()
        await self._refresh_disk()

    def verify(self, model_id: str | None) -> None:
        if self.registry is not None and not hasattr(self.registry, "verify"):
            self.show_message("Verifying models is not available in this version.")
            return
        self.tasks.spawn(self._verify(model_id), "Verify")

    async def _verify(self, model_id: str | None) -> None:
        registry = self._registry()
        self.show_message("Verifying… (this reads every file)", 0)
        results = list(await self.tasks.run(registry.verify, model_id) or [])
        bad = [r for r in results if getattr(r, "status", "ok") != "ok"]
        if not results:
            self.show_message("No installed models to verify.")
        elif not bad:
            self.show_message(f"Verified {len(results)} file(s): all intact.")
        else:
            lines = [f"{r.model_id} {r.version}: {Path(r.path).name} is {r.status}" for r in bad]
            self.show_error("Some files failed verification:\n" + "\n".join(lines[:20]))
        await self._reload()

    def reclaim_space(self) -> None:
        self.tasks.spawn(self._reclaim(), "Reclaim space")

    async def _reclaim(self) -> None:
        registry = self._registry()
        if not hasattr(registry, "reclaim_space"):
            self.show_message("Reclaiming space is not available in this version.")
            return
        deleted = await self.tasks.run(registry.reclaim_space)
        freed = sum(p.size_bytes for p in deleted)
        self.show_message(f"Deleted {len(deleted)} leftover partial download(s), "
                          f"{format_size(freed)} reclaimed.")
        await self._refresh_disk()

    def _open_folder(self, model_id: str) -> None:
        row = self.catalog_model.model_row(model_id)
        if row is None or not row.installed_path:
            self.show_message("This model is not installed yet.")
            return
        path = Path(row.installed_path)
        folder = path if path.is_dir() else path.parent
        self.open_url(QUrl.fromLocalFile(str(folder)))

    def open_url(self, url: QUrl) -> None:
        if not QDesktopServices.openUrl(url):
            self.show_message(f"Could not open {url.toLocalFile()}; open it in your file manager.")

    def _table_menu(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        if not index.isValid():
            return
        model_id = index.data(ModelIdRole)
        row = self.catalog_model.model_row(model_id)
        if row is None:
            return
        self.table.selectRow(index.row())
        locked = self._locked_reason(model_id) is not None
        installed = row.installed_version is not None
        job = self._jobs_by_model.get(model_id)
        active = job is not None and job.active
        menu = QMenu(self)
        download = menu.addAction(
            f"Download (needs {row.tier.capitalize()})" if locked else "Download",
            lambda: self.request_action("download", model_id))
        download.setEnabled(not locked and not active and not installed)
        if installed and not locked and update_available(row):
            update = menu.addAction(f"Update to {row.version}",
                                    lambda: self.request_action("update", model_id))
            update.setEnabled(not active)
        if active:
            menu.addAction("Cancel download", lambda: self.request_action("cancel", model_id))
        menu.addSeparator()
        for label, action in (("Open folder", "open_folder"), ("Verify", "verify"),
                              ("Remove", "remove")):
            item = menu.addAction(label, lambda a=action: self.request_action(a, model_id))
            item.setEnabled(installed and not active)
        menu.addSeparator()
        menu.addAction("Copy id", lambda: QApplication.clipboard().setText(model_id))
        menu.exec(self.table.viewport().mapToGlobal(point))

    # ---- download events -----------------------------------------------------------

    def _on_jobs(self, jobs: list[JobRow]) -> None:
        self.queue_model.update_jobs(jobs)
        by_model: dict[str, JobRow] = {}
        for job in jobs:  # arrival order: the newest job of a model wins, active ones first
            current = by_model.get(job.model_id)
            if current is None or job.active or not current.active:
                by_model[job.model_id] = job
        self._jobs_by_model = by_model
        self.catalog_model.set_jobs({
            m: (j.state, j.percent) for m, j in by_model.items() if j.active
        })
        model_id = self.detail.model_id
        if model_id is not None:
            self.detail.set_job(by_model.get(model_id))

    def _on_job_finished(self, job: JobRow) -> None:
        if job.state == "completed":
            self.notify("Download complete", f"{job.model_id} {job.version or ''} is installed.")
        else:
            self.notify("Download failed", f"{job.model_id}: {plain_error(job.error)}")
        self.tasks.spawn(self._after_job(), "Refreshing after a download")

    async def _after_job(self) -> None:
        await self._reload()
        self._refresh_details()
        await self._refresh_disk()

    # ---- menus: license, catalog, settings, about ----------------------------------

    def load_license_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load license", str(Path.home()),
                                              "License files (*.json *.lic);;All files (*)")
        if path:
            self.load_license(Path(path))

    def load_license(self, path: Path) -> None:
        self.tasks.spawn(self._load_license(path), "Loading the license")

    async def _load_license(self, path: Path) -> None:
        registry = self._registry()
        if not hasattr(registry, "install_license"):
            self.show_message("Loading licenses is not available in this version.")
            return
        status = await self.tasks.run(registry.install_license, path)
        await self._reload()
        self._refresh_details()
        self.show_message(f"License loaded: {status.tier.label} tier.")

    def import_catalog_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import catalog", str(Path.home()),
                                              "Catalog manifests (*.json);;All files (*)")
        if path:
            self.tasks.spawn(self._import_catalog(Path(path)), "Importing the catalog")

    async def _import_catalog(self, path: Path) -> None:
        summary = await self.tasks.run(self._registry().import_catalog, path)
        await self._reload()
        self.show_message(f"Imported {summary.added} new and {summary.updated} updated models.")

    def settings_dialog(self) -> None:
        registry = self._registry()
        dialog = SettingsDialog(registry.settings, str(registry.paths.default_models_dir), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.save_settings(dialog.result_settings))
        dialog.open()

    def save_settings(self, settings: Settings | None) -> None:
        if settings is not None:
            self.tasks.spawn(self._save_settings(settings), "Saving settings")

    async def _save_settings(self, settings: Settings) -> None:
        registry = self._registry()
        await self.tasks.run(save_settings, registry.paths.settings_file, settings)
        registry.settings = settings
        self.status.set_online(not self._offline(registry))
        self.show_message("Settings saved. A new models folder or download limit applies "
                          "to downloads started from now on.")
        await self._refresh_disk()
        self._schedule_update_checks(settings, at_start=False)
        await self._apply_api(settings)

    def about_dialog(self) -> None:
        models_dir = str(self.registry.models_dir) if self.registry else "?"
        dialog = AboutDialog(self.paths, models_dir, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # ---- model usage, parameters, performance (issue 8) -----------------------------

    def use_model(self, task: str, model_id: str) -> None:
        self.tasks.spawn(self._use_model(task, model_id), f"Use for {task}")

    async def _use_model(self, task: str, model_id: str) -> None:
        usage = await self.tasks.run(self._registry().use_model, task, model_id)
        self.show_message(f"The {task} task now uses {usage.name} {usage.version}.")
        self._refresh_details()
        await self._refresh_usage_view()

    def save_parameters(self, model_id: str, values: dict[str, Any]) -> None:
        self.tasks.spawn(self._save_parameters(model_id, values), "Saving parameters")

    async def _save_parameters(self, model_id: str, values: dict[str, Any]) -> None:
        registry = self._registry()
        try:
            effective = await self.tasks.run(registry.set_model_parameters, model_id, values)
        except ClaryError as error:  # the core's own words, next to the form
            self.detail.parameters.show_error(str(error))
            self.show_message(f"Parameters not saved: {error}")
            return
        if self.detail.model_id == model_id:
            self.detail.parameters.show_parameters(model_id, effective)
            self.detail.parameters.show_note("Saved.")
        self.show_message(f"Saved the parameters of {model_id}.")

    def reset_parameters(self, model_id: str) -> None:
        self.tasks.spawn(self._reset_parameters(model_id), "Resetting parameters")

    async def _reset_parameters(self, model_id: str) -> None:
        registry = self._registry()
        effective = await self.tasks.run(registry.reset_model_parameters, model_id)
        if self.detail.model_id == model_id:
            self.detail.parameters.show_parameters(model_id, effective)
            self.detail.parameters.show_note("Back to the catalog's values.")

    def _refresh_performance(self) -> None:
        """Timer: re-read the shown model's figures (runs reported through the API)."""
        model_id = self.detail.model_id
        if model_id is None or self._perf_busy or self.registry is None \
                or not self.detail.isVisible():
            return
        self._perf_busy = True
        self.tasks.spawn(self._load_performance(model_id), "Reading performance figures")

    async def _load_performance(self, model_id: str) -> None:
        try:
            performance = await self.tasks.run(self._registry().performance, model_id)
        finally:
            self._perf_busy = False
        self.detail.show_performance(performance)

    def usage_view(self) -> None:
        if self.usage_dialog is None:
            self.usage_dialog = UsageDialog(self)
            self.usage_dialog.refresh_requested.connect(
                lambda: self.tasks.spawn(self._refresh_usage_view(), "Reading model usage"))
        self.usage_dialog.show()
        self.usage_dialog.raise_()
        self.tasks.spawn(self._refresh_usage_view(), "Reading model usage")

    async def _refresh_usage_view(self) -> None:
        if self.usage_dialog is None:
            return
        usages = await self.tasks.run(self._registry().usages)
        if self.usage_dialog is not None:
            self.usage_dialog.set_usages(usages)

    # ---- offline model management (issue 7) ---------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.import_files(paths)

    def import_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import model file", str(Path.home()),
            "Model files (*.gguf *.safetensors *.bin *.onnx *.pt *.pth);;All files (*)")
        if path:
            self.import_files([Path(path)])

    def import_files(self, paths: list[Path]) -> None:
        registry = self._registry()
        if not hasattr(registry, "import_file"):
            self.show_message("Importing model files is not available in this version.")
            return
        self.tasks.spawn(self._import_files(paths), "Import model file")

    async def _import_files(self, paths: list[Path]) -> None:
        registry = self._registry()
        last = None
        said: list[str] = []
        try:
            for path in paths:
                self._start_operation(f"Importing {path.name}")
                last = await self.tasks.run(
                    lambda p=path: registry.import_file(p, progress=self.progress))
                how = ("matches the catalog's" if last.matched_catalog
                       else "is a new local model,")
                facts = ""
                if last.gguf is not None:
                    facts = f" ({last.gguf.architecture or '?'}, {last.gguf.quantization or '?'})"
                said.append(f"Imported {path.name}: it {how} {last.model_id} "
                            f"{last.version}{facts}.")
        finally:
            self.status.clear_operation()
            if last is not None:
                await self._reload()
                self.select_model(last.model_id)
        self.show_message(" ".join(said))
        await self._refresh_disk()

    def export_dialog(self) -> None:
        registry = self._registry()
        if not hasattr(registry, "export_models"):
            self.show_message("Exporting models is not available in this version.")
            return
        installed = [(r.id, r.name, r.installed_version or "")
                     for r in self.catalog_model.installed_rows()]
        if not installed:
            self.show_message("No model is installed, so there is nothing to export.")
            return
        dialog = ExportDialog(installed, self.selected_model_id(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.export_models(
            dialog.chosen_ids(), Path(dialog.target.text().strip())))
        dialog.open()

    def export_models(self, model_ids: list[str], target: Path) -> None:
        self.tasks.spawn(self._export(model_ids, target), "Export models")

    async def _export(self, model_ids: list[str], target: Path) -> None:
        registry = self._registry()
        self._start_operation("Exporting")
        try:
            result = await self.tasks.run(
                lambda: registry.export_models(model_ids, target, progress=self.progress))
        finally:
            self.status.clear_operation()
        self.show_message(f"Exported {len(result.models)} model(s), "
                          f"{format_size(result.size_bytes)}, to {result.path}.")

    def import_bundle_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import bundle (a .tar, or the manifest of a bundle folder)", str(Path.home()),
            "Bundles (*.tar *.json);;All files (*)")
        if path:
            chosen = Path(path)
            self.import_bundle(chosen.parent if chosen.suffix == ".json" else chosen)

    def import_bundle(self, source: Path) -> None:
        registry = self._registry()
        if not hasattr(registry, "import_bundle"):
            self.show_message("Importing bundles is not available in this version.")
            return
        self.tasks.spawn(self._import_bundle(source), "Import bundle")

    async def _import_bundle(self, source: Path) -> None:
        registry = self._registry()
        self._start_operation("Checking the bundle")
        try:
            result = await self.tasks.run(
                lambda: registry.import_bundle(source, progress=self.progress))
        finally:
            self.status.clear_operation()
        names = ", ".join(f"{m.model_id} {m.version}" for m in result.models)
        self.show_message(f"Imported {len(result.models)} model(s) from the bundle, every file "
                          f"verified: {names}.")
        await self._reload()
        self._refresh_details()
        await self._refresh_disk()

    def _start_operation(self, text: str) -> None:
        self._operation = text
        self.status.set_operation(text, None)

    def _on_progress(self, stage: str, fraction: Any, current: Any) -> None:
        if self.status.operation.isHidden():
            return  # a late update after the operation ended
        name = Path(str(current)).name if current else ""
        text = f"{stage.capitalize()} {name}".strip() if stage else self._operation
        self.status.set_operation(text, fraction)

    def storage_view(self) -> None:
        registry = self._registry()
        if not hasattr(registry, "storage_report"):
            self.show_message("The storage view is not available in this version.")
            return
        if self.storage_dialog is None:
            dialog = StorageDialog(self)
            dialog.refresh_requested.connect(self._refresh_storage)
            dialog.reclaim_requested.connect(self._reclaim_storage)
            dialog.move_requested.connect(self.move_models_dialog)
            self.storage_dialog = dialog
        self.storage_dialog.show()
        self.storage_dialog.raise_()
        self._refresh_storage()

    def _refresh_storage(self) -> None:
        self.tasks.spawn(self._load_storage(), "Reading disk use")

    async def _load_storage(self) -> None:
        report = await self.tasks.run(self._registry().storage_report)
        if self.storage_dialog is not None:
            self.storage_dialog.set_report(report)

    def _reclaim_storage(self) -> None:
        dialog = self.storage_dialog
        report = dialog.report if dialog is not None else None
        if report is None or not report.reclaimable:
            return
        files = report.reclaimable
        listing = "\n".join(files[:10]) + (f"\n… and {len(files) - 10} more"
                                            if len(files) > 10 else "")
        if self.confirm(f"Delete {len(files)} file(s), "
                        f"{format_size(report.reclaimable_bytes)}?\n\n{listing}"):
            self.tasks.spawn(self._reclaim_files(files), "Reclaim space")

    async def _reclaim_files(self, files: list[str]) -> None:
        result = await self.tasks.run(self._registry().reclaim_storage, files)
        self.show_message(f"Deleted {len(result.deleted)} file(s), "
                          f"{format_size(result.size_bytes)} reclaimed.")
        await self._load_storage()
        await self._refresh_disk()

    def move_models_dialog(self) -> None:
        registry = self._registry()
        folder = QFileDialog.getExistingDirectory(self, "Move the models folder to",
                                                  str(registry.models_dir.parent))
        if folder:
            self.move_models(Path(folder))

    def move_models(self, new_dir: Path) -> None:
        if not self.confirm(f"Move every model to {new_dir}? Each file is copied and verified "
                            "before the switch; the old folder stays as it is if anything "
                            "fails."):
            return
        self.tasks.spawn(self._move_models(new_dir), "Move models folder")

    async def _move_models(self, new_dir: Path) -> None:
        registry = self._registry()
        self._start_operation("Moving models")
        try:
            result = await self.tasks.run(
                lambda: registry.move_models_dir(new_dir, progress=self.progress))
        finally:
            self.status.clear_operation()
        note = f" {result.note}" if result.note else ""
        self.show_message(f"Moved {result.files} file(s), {format_size(result.size_bytes)}, to "
                          f"{result.new_dir}.{note}")
        await self._reload()
        self._refresh_details()
        await self._refresh_disk()
        if self.storage_dialog is not None and self.storage_dialog.isVisible():
            await self._load_storage()

    # ---- updates and catalog sync (issue 6) ----------------------------------------

    def _schedule_update_checks(self, settings: Settings, at_start: bool) -> None:
        hours = float(getattr(settings, "update_check_hours", 0) or 0)
        registry = self.registry
        if hours <= 0 or registry is None or not hasattr(registry, "check_updates"):
            self._update_timer.stop()
            return
        self._update_timer.start(min(MAX_TIMER_MS, int(hours * 3_600_000)))
        if at_start:
            self.check_updates(manual=False)

    def check_updates(self, manual: bool = True) -> None:
        """Sync the published catalog when online (automatic checks), then look for
        newer versions of installed models. Never blocks the window."""
        registry = self.registry
        if registry is None:
            self.show_message("The catalog is still opening; try again in a moment.")
            return
        if not hasattr(registry, "check_updates"):
            if manual:
                self.show_message("Checking for updates is not available in this version.")
            return
        self.tasks.spawn(self._check_updates(manual), "Check for updates")

    async def _check_updates(self, manual: bool, sync: bool = True) -> None:
        registry = self._registry()
        synced = None
        if sync and not manual and not self._offline(registry) and getattr(
                registry.settings, "catalog_url", None) and hasattr(registry, "sync_catalog"):
            try:
                synced = await self.tasks.run(registry.sync_catalog)
            except ClaryError as error:  # an automatic check only mentions it
                log.info("automatic catalog sync: %s", error)
                self.show_message(f"Could not sync the catalog: {error}")
        if manual:
            self.show_message("Checking for updates…", 0)
        updates = list(await self.tasks.run(registry.check_updates))
        self.updates = updates
        if synced is not None and not getattr(synced, "unchanged", False):
            await self._reload()
        found = frozenset((u.model_id, u.new_version) for u in updates)
        if not updates:
            if manual:
                self.show_message("All installed models are up to date.")
            return
        names = ", ".join(f"{u.name} {u.new_version}" for u in updates[:4])
        more = f" and {len(updates) - 4} more" if len(updates) > 4 else ""
        text = (f"{names}{more}. Choose the Updates status filter, or Update in a model's "
                "details.")
        title = f"{len(updates)} update(s) available"
        if manual:
            self.show_message(f"{title}: {text}")
        elif found != self._updates_notified:
            self.notify(title, text)
        self._updates_notified = found

    def sync_catalog_dialog(self) -> None:
        registry = self._registry()
        if not hasattr(registry, "sync_catalog"):
            self.show_message("Syncing the catalog is not available in this version.")
            return
        dialog = SyncCatalogDialog(getattr(registry.settings, "catalog_url", None), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.sync_catalog(*dialog.chosen()))
        dialog.open()

    def sync_catalog(self, source: str | None, allow_unsigned: bool = False) -> None:
        self.tasks.spawn(self._sync_catalog(source, allow_unsigned), "Sync catalog")

    async def _sync_catalog(self, source: str | None, allow_unsigned: bool) -> None:
        registry = self._registry()
        self.show_message("Syncing the catalog…", 0)
        summary = await self.tasks.run(registry.sync_catalog, source, allow_unsigned)
        await self._reload()
        self._refresh_details()
        if getattr(summary, "unchanged", False):
            self.show_message("The catalog is already up to date.")
        else:
            signed = "signed" if getattr(summary, "signed", False) else "unsigned"
            self.show_message(
                f"Catalog synced ({signed}): {summary.added} new, {summary.updated} updated, "
                f"{summary.retired} retired.")
        await self._check_updates(manual=False, sync=False)

    # ---- the local API and its keys (issue 8) --------------------------------------

    @staticmethod
    def _offline(registry: Registry) -> bool:
        """The offline setting or CLARY_OFFLINE (the core's `offline`, when it has one)."""
        offline = getattr(type(registry), "offline", None)
        if isinstance(offline, property):
            return bool(registry.offline)  # type: ignore[attr-defined]
        return bool(registry.settings.offline) or os.environ.get("CLARY_OFFLINE", "") \
            not in ("", "0")

    async def _apply_api(self, settings: Settings) -> None:
        """Start, restart or stop the API as the settings say (binding runs off the GUI)."""
        api = self.api
        if api is None:
            return
        enabled = bool(getattr(settings, "api_enabled", False))
        host = getattr(settings, "api_host", "127.0.0.1")
        port = int(getattr(settings, "api_port", 8765))
        was_running = api.running
        try:
            url = await self.tasks.run(api.apply, enabled, host, port)
        except ClaryError:
            self.status.set_api(None)
            raise
        self.status.set_api(url, exposed=url is not None and not is_loopback(host))
        if self.keys_dialog is not None:
            self.keys_dialog.set_api_url(url)
        if url is not None:
            self.show_message(f"The local API listens on {url}.")
        elif was_running:
            self.show_message("The local API is stopped.")

    def api_keys_dialog(self) -> None:
        if self.keys_dialog is None:
            dialog = ApiKeysDialog(self.api.url if self.api else None, self)
            dialog.refresh_requested.connect(self._refresh_keys)
            dialog.create_requested.connect(
                lambda name: self.tasks.spawn(self._create_key(name), "Create API key"))
            dialog.revoke_requested.connect(self._revoke_key)
            self.keys_dialog = dialog
        self.keys_dialog.show()
        self.keys_dialog.raise_()
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        self.tasks.spawn(self._load_keys(), "Reading API keys")

    async def _load_keys(self) -> None:
        keys = await self.tasks.run(self._registry().api_keys.list)
        if self.keys_dialog is not None:
            self.keys_dialog.set_keys(keys)

    async def _create_key(self, name: str) -> None:
        try:
            info, secret = await self.tasks.run(self._registry().api_keys.create, name)
        except ClaryError as error:
            if self.keys_dialog is not None:
                self.keys_dialog.show_error(str(error))
            return
        if self.keys_dialog is not None:
            self.keys_dialog.show_secret(info.name, secret)
        self.show_message(f"Created the API key {info.name!r}.")
        await self._load_keys()

    def _revoke_key(self, name: str) -> None:
        if not self.confirm(f"Revoke the API key {name!r}? Programs using it stop working."):
            return
        self.tasks.spawn(self._revoke(name), "Revoke API key")

    async def _revoke(self, name: str) -> None:
        await self.tasks.run(self._registry().api_keys.revoke, name)
        self.show_message(f"Revoked the API key {name!r}.")
        await self._load_keys()

    # ---- layout persistence --------------------------------------------------------

    def _restore_layout(self) -> None:
        data = load_layout(self.paths.config_dir)
        geometry = _unb64(data.get("geometry"))
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = _unb64(data.get("state"))
        if state is not None:
            self.restoreState(state)
        sizes = data.get("splitter")
        if isinstance(sizes, list) and len(sizes) == 3 and all(isinstance(s, int) for s in sizes):
            self.splitter.setSizes(sizes)
        columns = data.get("columns")
        if isinstance(columns, list):
            header = self.table.horizontalHeader()
            for column, width in enumerate(columns[: header.count() - 1]):
                if isinstance(width, int) and 20 <= width <= 2000:
                    header.resizeSection(column, width)

    def layout_data(self) -> dict[str, Any]:
        header = self.table.horizontalHeader()
        return {
            "geometry": _b64(self.saveGeometry()),
            "state": _b64(self.saveState()),
            "splitter": self.splitter.sizes(),
            "columns": [header.sectionSize(c) for c in range(header.count())],
        }

    def _save_layout(self) -> None:
        save_layout(self.paths.config_dir, self.layout_data())

