"""File > Load license, and the license shown in the status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from clary_desktop.domain.access import Tier
from clary_desktop.domain.license_status import LicenseStatus
from clary_desktop.gui.actions.base import WindowActions
from clary_desktop.gui.hints import with_hint


class LicenseActions(WindowActions):
    def load_license_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Load license",
            str(Path.home()),
            "License files (*.json *.lic);;All files (*)",
        )
        if path:
            self.load_license(Path(path))

    def load_license(self, path: Path) -> None:
        self.tasks.spawn(self._load_license(path), "Loading the license")

    async def _load_license(self, path: Path) -> None:
        registry = self.registry()
        status = await self.tasks.run(registry.install_license, path)
        await self.window.load_catalog()
        self.window.refresh_details()
        self.show_message(f"License loaded: {status.tier.label} tier.")

    def show_license(self, tier: Tier, status: LicenseStatus) -> None:
        """The tier badge and the words beside it (licensee, expiry, or what is wrong)."""
        bar = self.window.status
        if status is None:
            bar.set_license(tier, "")
            return
        state = str(getattr(status.state, "value", status.state))
        if state == "none":
            bar.set_license(tier, "No license — free Lite tier")
        elif state in ("valid", "grace"):
            who = status.licensee or status.reason or "licensed"
            until = f", until {status.expires_at:%Y-%m-%d}" if status.expires_at else ""
            grace = " (grace period)" if state == "grace" else ""
            bar.set_license(tier, f"{who}{until}{grace}")
        else:
            reason = with_hint(status.reason, status.hint) if status.reason else "not usable"
            bar.set_license(tier, f"License {state}: {reason}", problem=True)
