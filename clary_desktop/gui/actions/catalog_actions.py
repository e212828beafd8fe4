"""File > Import catalog; Tools > Check for updates and Sync catalog, with the
periodic update check."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFileDialog

from clary_desktop.app.updates import UpdateInfo
from clary_desktop.errors import ClaryError
from clary_desktop.gui.actions.base import WindowActions
from clary_desktop.gui.actions.network_actions import offline_mode
from clary_desktop.gui.dialogs.sync_dialog import SyncCatalogDialog
from clary_desktop.gui.hints import error_text
from clary_desktop.settings import Settings

if TYPE_CHECKING:
    from clary_desktop.gui.main_window import MainWindow

log = logging.getLogger(__name__)
MAX_TIMER_MS = 2_000_000_000  # QTimer takes an int (about 23 days)


class CatalogActions(WindowActions):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.update_timer = QTimer(self)
        self.update_timer.setObjectName("updateCheckTimer")
        self.update_timer.timeout.connect(lambda: self.check_updates(manual=False))
        self._updates_notified: frozenset[tuple[str, str]] = frozenset()
        self.updates: list[UpdateInfo] = []

    def stop(self) -> None:
        self.update_timer.stop()

    # ---- import a catalog file ---------------------------------------------------

    def import_catalog_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Import catalog",
            str(Path.home()),
            "Catalog manifests (*.json);;All files (*)",
        )
        if path:
            self.tasks.spawn(self._import_catalog(Path(path)), "Importing the catalog")

    async def _import_catalog(self, path: Path) -> None:
        summary = await self.tasks.run(self.registry().import_catalog, path)
        await self.window.load_catalog()
        self.show_message(f"Imported {summary.added} new and {summary.updated} updated models.")

    # ---- updates ------------------------------------------------------------------

    def schedule_update_checks(self, settings: Settings, at_start: bool) -> None:
        hours = settings.update_check_hours
        registry = self.window.registry
        if hours <= 0 or registry is None:
            self.update_timer.stop()
            return
        self.update_timer.start(min(MAX_TIMER_MS, int(hours * 3_600_000)))
        if at_start:
            self.check_updates(manual=False)

    def check_updates(self, manual: bool = True) -> None:
        """Sync the published catalog when online (automatic checks), then look for
        newer versions of installed models. Never blocks the window."""
        registry = self.window.registry
        if registry is None:
            self.show_message("The catalog is still opening; try again in a moment.")
            return
        self.tasks.spawn(self._check_updates(manual), "Check for updates")

    async def _check_updates(self, manual: bool, sync: bool = True) -> None:
        registry = self.registry()
        synced = None
        if sync and not manual and not offline_mode(registry) and registry.settings.catalog_url:
            try:
                synced = await self.tasks.run(registry.sync_catalog)
            except ClaryError as error:  # an automatic check only mentions it
                log.info("automatic catalog sync: %s", error)
                self.show_message(f"Could not sync the catalog: {error_text(error)}")
        if manual:
            self.show_message("Checking for updates…", 0)
        updates = list(await self.tasks.run(registry.check_updates))
        self.updates = updates
        if synced is not None and not synced.unchanged:
            await self.window.load_catalog()
        found = frozenset((u.model_id, u.new_version) for u in updates)
        if not updates:
            if manual:
                self.show_message("All installed models are up to date.")
            return
        names = ", ".join(f"{u.name} {u.new_version}" for u in updates[:4])
        more = f" and {len(updates) - 4} more" if len(updates) > 4 else ""
        text = f"{names}{more}. Choose the Updates status filter, or Update in a model's details."
        title = f"{len(updates)} update(s) available"
        if manual:
            self.show_message(f"{title}: {text}")
        elif found != self._updates_notified:
            self.window.notify(title, text)
        self._updates_notified = found

    # ---- catalog sync -------------------------------------------------------------

    def sync_catalog_dialog(self) -> None:
        registry = self.registry()
        dialog = SyncCatalogDialog(registry.catalog_address(), self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.sync_catalog(*dialog.chosen()))
        dialog.open()

    def sync_catalog(self, source: str | None, allow_unsigned: bool = False) -> None:
        self.tasks.spawn(self._sync_catalog(source, allow_unsigned), "Sync catalog")

    async def _sync_catalog(self, source: str | None, allow_unsigned: bool) -> None:
        registry = self.registry()
        self.show_message("Syncing the catalog…", 0)
        summary = await self.tasks.run(registry.sync_catalog, source, allow_unsigned)
        await self.window.load_catalog()
        self.window.refresh_details()
        if summary.unchanged:
            self.show_message("The catalog is already up to date.")
        else:
            signed = "signed" if summary.signed else "unsigned"
            self.show_message(
                f"Catalog synced ({signed}): {summary.added} new, {summary.updated} updated, "
                f"{summary.retired} retired."
            )
        await self._check_updates(manual=False, sync=False)
