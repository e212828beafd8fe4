"""Tools > Settings, Help > Getting started and Help > About."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clary_desktop.gui.actions.base import WindowActions
from clary_desktop.gui.dialogs.about_dialog import AboutDialog
from clary_desktop.gui.dialogs.getting_started import GettingStartedDialog
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from clary_desktop.settings import Settings


class SettingsActions(WindowActions):
    def settings_dialog(self) -> None:
        registry = self.registry()
        # The stored settings (what the user chose), never the ones in force: a one-run
        # override such as CLARY_OFFLINE is shown as a note and is not saved.
        dialog = SettingsDialog(
            registry.stored_settings,
            str(registry.paths.default_models_dir),
            self.window,
            notes=registry.overrides.notes(),
            policy=registry.policy,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.save_settings(dialog.result_settings))
        dialog.open()

    def save_settings(self, settings: Settings | None) -> None:
        if settings is not None:
            self.tasks.spawn(self._save_settings(settings), "Saving settings")

    async def _save_settings(self, settings: Settings) -> None:
        window = self.window
        registry = self.registry()
        applied = await self.tasks.run(registry.apply_settings, settings)
        window.network.settings_changed()
        self.show_message(
            "Settings saved; downloads use them at once. A new models folder is "
            "for new downloads (View > Storage… > Move models folder… moves "
            "the installed ones)."
        )
        await window.refresh_disk()
        window.catalog_actions.schedule_update_checks(applied, at_start=False)
        await window.api_actions.apply(applied)

    def about_dialog(self) -> None:
        registry = self.window.registry
        models_dir = str(registry.models_dir) if registry else "?"
        dialog = AboutDialog(self.window.paths, models_dir, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def getting_started(self) -> None:
        """The first steps, and the welcome panel (recommended models) in the detail pane."""
        window = self.window
        window.table.clearSelection()
        window.table.setCurrentIndex(window.table.model().index(-1, -1))
        dialog = window.findChild(GettingStartedDialog)
        if dialog is None:
            dialog = GettingStartedDialog(window)
        dialog.show()
        dialog.raise_()
