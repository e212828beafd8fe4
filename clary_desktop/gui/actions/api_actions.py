"""The local API inside the window: start/stop it as the settings say, and
Tools > API keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clary_desktop.app import Registry
from clary_desktop.domain.hosts import is_loopback
from clary_desktop.errors import ClaryError
from clary_desktop.gui.actions.base import WindowActions
from clary_desktop.gui.api_runner import ApiRunner
from clary_desktop.gui.dialogs.api_keys_dialog import ApiKeysDialog
from clary_desktop.gui.hints import error_text
from clary_desktop.settings import Settings

if TYPE_CHECKING:
    from clary_desktop.gui.main_window import MainWindow


class ApiActions(WindowActions):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.runner: ApiRunner | None = None
        self.keys_dialog: ApiKeysDialog | None = None

    def attach(self, registry: Registry) -> None:
        """Once the Registry is open; the server starts later, off the GUI thread."""
        self.runner = ApiRunner(registry)

    def close(self) -> None:
        """After the workers have stopped: a start still running has finished."""
        if self.runner is not None:
            self.runner.close()

    async def apply(self, settings: Settings) -> None:
        """Start, restart or stop the API as the settings say (binding runs off the GUI)."""
        api = self.runner
        if api is None:
            return
        status = self.window.status
        enabled, host, port = settings.api_enabled, settings.api_host, settings.api_port
        was_running = api.running
        try:
            url = await self.tasks.run(api.apply, enabled, host, port)
        except ClaryError:
            status.set_api(None)
            raise
        status.set_api(url, exposed=url is not None and not is_loopback(host))
        if self.keys_dialog is not None:
            self.keys_dialog.set_api_url(url)
        if url is not None:
            self.show_message(f"The local API listens on {url}.")
        elif was_running:
            self.show_message("The local API is stopped.")

    # ---- Tools > API keys ---------------------------------------------------------

    def api_keys_dialog(self) -> None:
        if self.keys_dialog is None:
            dialog = ApiKeysDialog(self.runner.url if self.runner else None, self.window)
            dialog.refresh_requested.connect(self._refresh_keys)
            dialog.create_requested.connect(
                lambda name: self.tasks.spawn(self._create_key(name), "Create API key")
            )
            dialog.revoke_requested.connect(self._revoke_key)
            self.keys_dialog = dialog
        self.keys_dialog.show()
        self.keys_dialog.raise_()
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        self.tasks.spawn(self._load_keys(), "Reading API keys")

    async def _load_keys(self) -> None:
        keys = await self.tasks.run(self.registry().list_api_keys)
        if self.keys_dialog is not None:
            self.keys_dialog.set_keys(keys)

    async def _create_key(self, name: str) -> None:
        try:
            info, secret = await self.tasks.run(self.registry().create_api_key, name)
        except ClaryError as error:
            if self.keys_dialog is not None:
                self.keys_dialog.show_error(error_text(error))
            return
        if self.keys_dialog is not None:
            self.keys_dialog.show_secret(info.name, secret)
        self.show_message(f"Created the API key {info.name!r}.")
        await self._load_keys()

    def _revoke_key(self, name: str) -> None:
        if not self.window.confirm(f"Revoke the API key {name!r}? Programs using it stop working."):
            return
        self.tasks.spawn(self._revoke(name), "Revoke API key")

    async def _revoke(self, name: str) -> None:
        await self.tasks.run(self.registry().revoke_api_key, name)
        self.show_message(f"Revoked the API key {name!r}.")
        await self._load_keys()
