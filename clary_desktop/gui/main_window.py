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

from PySide6.QtCore import QByteArray, QEvent, QObject, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDesktopServices,
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
from clary_desktop.gui.bridge import DownloadBridge
from clary_desktop.gui.dialogs.about_dialog import AboutDialog
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
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
from clary_desktop.gui.models.filtering import FilterSpec
from clary_desktop.gui.models.queue_model import DownloadQueueModel, JobRow, plain_error
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
        self.splitter.setSizes([250, 610, 540])
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
        for column, width in ((NAME, 240), (1, 62), (2, 64), (SIZE, 74), (TIER, 116),
                              (STATUS, 132)):
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
        quit_action = file_menu.addAction("&Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.queue_dock.toggleViewAction())
        reload_action = view_menu.addAction("&Reload catalog", self.reload)
        reload_action.setShortcut(QKeySequence.StandardKey.Refresh)

        tools = bar.addMenu("&Tools")
        tools.addAction("&Verify all installed models", lambda: self.verify(None))
        tools.addAction("&Reclaim space from partial downloads", self.reclaim_space)
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
        self.ready.emit()

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
        self.status.set_online(not registry.settings.offline)
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
        self.bridge.close()
        self.tasks.close()
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
        info, versions = await self.tasks.run(
            lambda: (registry.get_model(model_id), registry.versions(model_id)))
        if self._detail_request != model_id:
            return  # the user moved on meanwhile
        row = self.catalog_model.model_row(model_id)
        path = row.installed_path if row else None
        self.detail.show_model(info, versions, self.user_tier, path,
                               self._jobs_by_model.get(model_id))
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
        if row is not None and row.installed_version is not None \
                and row.installed_version == row.version:
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
        if action in ("download", "retry"):
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
        download.setEnabled(not locked and not active
                            and (not installed or row.installed_version != row.version))
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
        self.status.set_online(not settings.offline)
        self.show_message("Settings saved. A new models folder or download limit applies "
                          "to downloads started from now on.")
        await self._refresh_disk()

    def about_dialog(self) -> None:
        models_dir = str(self.registry.models_dir) if self.registry else "?"
        dialog = AboutDialog(self.paths, models_dir, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

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

