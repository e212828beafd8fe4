"""Quitting while downloads run, and resuming them at the next start.

Quitting with downloads running asks first: "Pause and quit" lets the Registry pause
them as it closes (the engine marks them paused-at-quit), "Keep running" keeps the
window open. At the next start the engine reports them paused with that reason; the
Downloads dock offers to resume them all, unless the resume-on-start setting is on, in
which case the engine has already queued them again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from clary_desktop.domain.download_values import JobInfo
from clary_desktop.gui.actions.base import WindowActions

if TYPE_CHECKING:
    from clary_desktop.gui.main_window import MainWindow

PAUSE_AND_QUIT = "Pause and quit"
KEEP_RUNNING = "Keep running"
RUNNING_STATES = frozenset({"queued", "downloading", "verifying"})


def quit_question(count: int) -> str:
    running = "1 download running" if count == 1 else f"{count} downloads running"
    return (
        f"{running}: pause and quit? Paused downloads keep what they have; the next "
        "start offers to resume them where they stopped."
    )


class QuitActions(WindowActions):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.to_resume: list[int] = []
        self.window.queue_panel.resume_bar.resume_requested.connect(self.resume_all)

    def may_quit(self) -> bool:
        """True when nothing runs, or the user chose to pause the downloads and quit."""
        running = [j for j in self.window.bridge.jobs() if j.state in RUNNING_STATES]
        if not running:
            return True
        # "Keep running" is the answer that does nothing (also Esc, or closing the box).
        answer = self.window.choose(quit_question(len(running)), [PAUSE_AND_QUIT], KEEP_RUNNING)
        return answer == PAUSE_AND_QUIT

    def offer_resume(self, jobs: Iterable[JobInfo]) -> None:
        """At start: offer to resume the downloads the last run left paused on exit."""
        self.to_resume = [j.job_id for j in jobs if j.stopped_by_exit]
        if self.to_resume:
            self.window.queue_dock.show()
        self.window.queue_panel.resume_bar.offer(len(self.to_resume))

    def resume_all(self) -> None:
        paused = {j.job_id for j in self.window.bridge.jobs() if j.state == "paused"}
        # Those still paused: one resumed (or removed) by hand meanwhile is left alone.
        job_ids = [job_id for job_id in self.to_resume if job_id in paused]
        self.to_resume = []
        registry = self.window.downloads
        if registry is None or not job_ids:
            return
        self.tasks.spawn(self._resume(registry.resume_download, job_ids), "Resume downloads")

    async def _resume(self, resume: Callable[[int], None], job_ids: list[int]) -> None:
        for job_id in job_ids:
            await self.tasks.run(resume, job_id)
        count = len(job_ids)
        self.show_message(f"Resumed {count} download{'s' if count != 1 else ''}.")
