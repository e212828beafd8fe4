"""The status bar's online/offline indicator, and downloads that wait for the network.

Every `PROBE_INTERVAL_MS` (and once at start-up) a quick probe runs on a worker thread
(`Registry.network_available`: a TCP connect to the Hub endpoint, a few seconds
at most). Offline mode (the setting, or CLARY_OFFLINE=1) never probes and never touches
the network.

When the network goes away, the downloads still queued or running are paused (they
cannot progress, and their retries would end in "failed") and remembered; when it comes
back they are resumed by themselves. The engine has no "paused for the network" state, so
this window remembers which jobs it paused; a job the user paused stays paused.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal

from clary_desktop.app import Registry
from clary_desktop.gui.actions.base import WindowActions

if TYPE_CHECKING:
    from clary_desktop.gui.main_window import MainWindow

log = logging.getLogger(__name__)
PROBE_INTERVAL_MS = 30_000
WAITING_STATES = ("queued", "downloading")


def offline_mode(registry: Registry) -> bool:
    """The offline setting or CLARY_OFFLINE: the program touches no network at all."""
    return registry.offline


class NetworkActions(WindowActions):
    changed = Signal(object)  # True online, False offline, None offline mode

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.online: bool | None = None  # the last probe's answer; None before the first
        self.waiting_for_network: set[int] = set()  # job ids this window paused
        self._busy = False
        self._stopped = False
        self.probe_timer = QTimer(self)
        self.probe_timer.setObjectName("networkProbeTimer")
        self.probe_timer.setInterval(PROBE_INTERVAL_MS)
        self.probe_timer.timeout.connect(self.probe_now)

    def start(self) -> None:
        """At start-up, once the Registry is open: probe now and then on the timer."""
        self.settings_changed()

    def stop(self) -> None:
        self._stopped = True
        self.probe_timer.stop()

    def settings_changed(self) -> None:
        """The offline setting may have changed: stop probing, or start again."""
        registry = self.window.registry
        if self._stopped or registry is None:
            return
        if offline_mode(registry):
            self.probe_timer.stop()
            self.online = None
            self.show_indicator()
            return
        self.show_indicator()
        if not self.probe_timer.isActive():
            self.probe_timer.start()
            self.probe_now()

    def show_indicator(self) -> None:
        registry = self.window.registry
        if registry is not None and offline_mode(registry):
            self.window.status.set_online(False, offline_mode=True)
        else:
            self.window.status.set_online(self.online)

    def probe_now(self) -> None:
        registry = self.window.registry
        if self._busy or self._stopped or registry is None or offline_mode(registry):
            return
        self._busy = True
        self.tasks.spawn(self._probe(registry), "Checking the network")

    async def _probe(self, registry: Registry) -> None:
        try:
            online = bool(await self.tasks.run(registry.network_available))
        finally:
            self._busy = False
        if self._stopped or offline_mode(registry):
            return  # offline mode was switched on meanwhile
        before, self.online = self.online, online
        self.show_indicator()
        self.changed.emit(online)
        if before is not False and not online:
            await self._pause_for_network()
        elif before is False and online:
            await self._resume_after_network()

    async def _pause_for_network(self) -> None:
        registry = self.window.downloads
        jobs = [j for j in self.window.bridge.jobs() if j.state in WAITING_STATES]
        if registry is None or not jobs:
            return
        for job in jobs:
            self.waiting_for_network.add(job.job_id)
            await self.tasks.run(registry.pause_download, job.job_id)
        self.show_message(
            f"The network is unavailable: {len(jobs)} download(s) paused. They "
            "resume by themselves when it is back."
        )

    async def _resume_after_network(self) -> None:
        registry = self.window.downloads
        waiting, self.waiting_for_network = self.waiting_for_network, set()
        if registry is None or not waiting:
            return
        states = {j.job_id: j.state for j in self.window.bridge.jobs()}
        resumed = 0
        for job_id in sorted(waiting, key=str):
            state = states.get(job_id)
            if state == "paused":
                await self.tasks.run(registry.resume_download, job_id)
            elif state == "failed":  # it failed before the pause reached it
                await self.tasks.run(registry.retry_download, job_id)
            else:
                continue
            resumed += 1
        if resumed:
            self.show_message(f"The network is back: {resumed} download(s) resumed.")
