"""Tools > Settings, Help > Getting started, Help > Keyboard shortcuts and Help > About."""

from __future__ import annotations

from PySide6.QtCore import Qt
from shiboken6 import isValid

from clary_desktop.gui.actions.base import WindowActions
from clary_desktop.gui.dialogs.about_dialog import AboutDialog
from clary_desktop.gui.dialogs.getting_started import GettingStartedDialog
from clary_desktop.gui.dialogs.settings_dialog import SettingsDialog
from clary_desktop.gui.dialogs.shortcuts_dialog import ShortcutsDialog
from clary_desktop.gui.widgets.sources_editor import SourcesEditor
from clary_desktop.settings import Settings, Source


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
        dialog.accepted.connect(
            lambda: self.save_settings(dialog.result_settings, dialog.proxy_password_entered())
        )
        dialog.sources.testRequested.connect(
            lambda source: self.test_source(dialog.sources, source)
        )
        dialog.open()

    def test_source(self, editor: SourcesEditor, source: Source) -> None:
        self.tasks.spawn(self._test_source(editor, source), "Testing a source")

    async def _test_source(self, editor: SourcesEditor, source: Source) -> None:
        # The source as listed in the dialog, saved or not; the network work off the GUI thread.
        check = await self.tasks.run(self.registry().test_source, source)
        if isValid(editor):  # the dialog may have closed meanwhile
            editor.show_check(check)

    def save_settings(self, settings: Settings | None, proxy_password: str | None = None) -> None:
        if settings is not None:
            self.tasks.spawn(self._save_settings(settings, proxy_password), "Saving settings")

    async def _save_settings(self, settings: Settings, proxy_password: str | None) -> None:
        window = self.window
        registry = self.registry()
        applied = await self.tasks.run(registry.apply_settings, settings)
        window.network.settings_changed()
        # The password goes to the keychain, never into the settings file.
        stored = (
            await self.tasks.run(registry.set_proxy_password, proxy_password)
            if proxy_password
            else ""
        )
        self.show_message(
            "Settings saved; downloads use them at once. A new models folder is "
            "for new downloads (View > Storage… > Move models folder… moves "
            f"the installed ones).{' ' + stored if stored else ''}"
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

    def keyboard_help(self) -> None:
        dialog = ShortcutsDialog(self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
