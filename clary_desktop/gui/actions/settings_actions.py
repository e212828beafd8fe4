"""Tools > Settings and Help > About."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clary_desktop.gui.actions.base import WindowActions
from clary_desktop.gui.dialogs.about_dialog import AboutDialog
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from clary_desktop.settings import Settings, save_settings


class SettingsActions(WindowActions):
    def settings_dialog(self) -> None:
        registry = self.registry()
        dialog = SettingsDialog(registry.settings, str(registry.paths.default_models_dir),
                                self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.save_settings(dialog.result_settings))
        dialog.open()

    def save_settings(self, settings: Settings | None) -> None:
        if settings is not None:
            self.tasks.spawn(self._save_settings(settings), "Saving settings")

    async def _save_settings(self, settings: Settings) -> None:
        window = self.window
        registry = self.registry()
        await self.tasks.run(save_settings, registry.paths.settings_file, settings)
        registry.settings = settings
        window.network.settings_changed()
        self.show_message("Settings saved. A new models folder or download limit applies "
                          "to downloads started from now on.")
        await window.refresh_disk()
        window.catalog_actions.schedule_update_checks(settings, at_start=False)
        await window.api_actions.apply(settings)

    def about_dialog(self) -> None:
        registry = self.window.registry
        models_dir = str(registry.models_dir) if registry else "?"
        dialog = AboutDialog(self.window.paths, models_dir, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
