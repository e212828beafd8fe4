"""Actions on one model (download, update, roll back, remove, verify, open folder), the
download queue's buttons, the table's context menu, and the engine's job events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QUrl
from PySide6.QtWidgets import QApplication, QMenu

from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobInfo
from clary_desktop.gui.actions.base import WindowActions
from clary_desktop.gui.models.catalog_model import JobMark, ModelIdRole
from clary_desktop.gui.models.filtering import update_available
from clary_desktop.gui.models.queue_model import JobRow, plain_error

if TYPE_CHECKING:
    from clary_desktop.gui.main_window import MainWindow

KEEP_PARTIAL = "Stop download, keep what is downloaded"
DELETE_PARTIAL = "Stop download, delete it"
KEEP_DOWNLOADING = "Keep downloading"


class ModelActions(WindowActions):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.jobs_by_model: dict[str, JobRow] = {}
        #: Stopped jobs whose partial files are on disk (`Registry.kept_partial_jobs`),
        #: read at each catalog load and kept in step with this window's cancels.
        self.kept_jobs: set[int] = set()

    # ---- what a model row or the detail pane asks for ----------------------------

    def activate(self, model_id: str | None) -> None:
        """Enter / double-click: open an installed model's folder, else download it."""
        if model_id is None:
            return
        row = self.window.catalog_model.model_row(model_id)
        if row is not None and row.installed_version is not None:
            self.request_action("open_folder", model_id)
        else:
            self.request_action("download", model_id)

    def remove_selected(self) -> None:
        model_id = self.window.selected_model_id()
        if model_id is not None:
            self.request_action("remove", model_id)

    def toggle_selected(self) -> bool:
        """Space on the list: pause or resume the selected model's download; False when
        it has none to pause or resume."""
        model_id = self.window.selected_model_id()
        job = self.jobs_by_model.get(model_id) if model_id is not None else None
        if job is None:
            return False
        if job.state in ("queued", "downloading"):
            self.request_job_action("pause", job.job_id)
        elif job.state == "paused":
            self.request_job_action("resume", job.job_id)
        else:
            return False
        return True

    def locked_reason(self, model_id: str) -> str | None:
        row = self.window.catalog_model.model_row(model_id)
        if row is None:
            return None
        user_tier = self.window.user_tier
        if Tier.parse(row.tier) > user_tier:
            return (
                f"{row.name} needs the {row.tier.capitalize()} tier; your license is "
                f"{user_tier.label}. Load a {row.tier.capitalize()} license to use it."
            )
        return None

    def request_action(self, action: str, model_id: str) -> None:
        if action in ("download", "retry", "update", "link_cache"):
            locked = self.locked_reason(model_id)
            if locked is not None:
                self.show_message(locked)
                return
        if action == "download":
            self.tasks.spawn(self._download(model_id), "Download")
        elif action in ("pause", "resume", "cancel", "retry"):
            job = self.jobs_by_model.get(model_id)
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
        elif action == "link_cache":
            self.window.storage_actions.link_hf_cache(model_id)

    async def _download(self, model_id: str) -> None:
        await self.window.started()  # clicked while the window was starting
        registry = self.window.downloads
        if registry is None:
            self.show_message("Downloads are not available yet; try again in a moment.")
            return
        job_id = await self.tasks.run(registry.start_download, model_id)
        self.window.queue_dock.show()
        self.show_message(f"Downloading {self.name(model_id)}…")
        self.window.queue_panel.select_job(job_id)

    async def _update(self, model_id: str) -> None:
        registry = self.registry()
        await self.window.started()
        job_id = await self.tasks.run(registry.update, model_id)
        if job_id is None:  # the new version was already on disk: switched at once
            self.show_message(
                f"Updated {self.name(model_id)}: the new version was already on disk."
            )
            await self.window.after_change()
            return
        self.window.queue_dock.show()
        self.show_message(
            f"Updating {self.name(model_id)}: the new version downloads beside the old one, "
            "which stays in use until every file is verified."
        )
        self.window.queue_panel.select_job(job_id)

    def _rollback(self, model_id: str) -> None:
        detail = self.window.detail
        target = detail.rollback_to if detail.model_id == model_id else None
        name = self.name(model_id)
        question = (
            f"Switch {name} back to version {target}?"
            if target
            else f"Switch {name} back to the previous version?"
        )
        if self.window.confirm(question):
            self.tasks.spawn(self._rollback_async(model_id), "Roll back")

    async def _rollback_async(self, model_id: str) -> None:
        version = await self.tasks.run(self.registry().rollback, model_id)
        self.show_message(f"{self.name(model_id)} is back on version {version}.")
        await self.window.after_change()

    def _remove(self, model_id: str) -> None:
        row = self.window.catalog_model.model_row(model_id)
        if row is None or row.installed_version is None:
            self.show_message("This model is not installed; there is nothing to remove.")
            return
        self.tasks.spawn(self._remove_async(model_id), "Remove")

    async def _remove_async(self, model_id: str) -> None:
        registry = self.registry()
        row = self.window.catalog_model.model_row(model_id)
        if row is None:
            return
        usages = await self.tasks.run(registry.usages)
        tasks = [u.task for u in usages if not isinstance(u, tuple) and u.model_id == model_id]
        question = f"Remove {row.name} ({row.installed_version}) from this computer?"
        if tasks:
            many = len(tasks) > 1
            which = " and ".join(tasks) + (" tasks" if many else " task")
            question = (
                f"{row.name} is the model the {which} {'use' if many else 'uses'}. Once it is "
                f"removed, the {which} {'have' if many else 'has'} no model until you choose "
                "another.\n\n" + question
            )
        if not self.window.confirm(question):
            return
        await self.tasks.run(registry.remove, model_id)
        self.show_message(f"Removed {row.name}.")
        await self.window.after_change()

    def verify(self, model_id: str | None) -> None:
        self.tasks.spawn(self._verify(model_id), "Verify")

    async def _verify(self, model_id: str | None) -> None:
        registry = self.registry()
        self.show_message("Verifying… (this reads every file)", 0)
        results = list(await self.tasks.run(registry.verify, model_id) or [])
        bad = [r for r in results if not r.intact]
        unverified = sum(r.status == "unverified" for r in results)
        if not results:
            self.show_message("No installed models to verify.")
        elif not bad and unverified:
            self.show_message(
                f"Checked {len(results)} file(s): none damaged, but {unverified} "
                "unverified (the catalog lists no sha256 to check them against)."
            )
        elif not bad:
            self.show_message(f"Verified {len(results)} file(s): all intact.")
        else:
            lines = [
                f"{self.name(r.model_id)} {r.version}: {Path(r.path).name} is {r.status}"
                for r in bad
            ]
            self.window.show_error("Some files failed verification:\n" + "\n".join(lines[:20]))
        await self.window.load_catalog()

    def _open_folder(self, model_id: str) -> None:
        row = self.window.catalog_model.model_row(model_id)
        if row is None or not row.installed_path:
            self.show_message("This model is not installed yet.")
            return
        path = Path(row.installed_path)
        folder = path if path.is_dir() else path.parent
        self.window.open_url(QUrl.fromLocalFile(str(folder)))

    # ---- the download queue ------------------------------------------------------

    def request_job_action(self, action: str, job_id: int) -> None:
        registry = self.window.downloads
        if registry is None:
            return
        if action == "cancel":
            choice = self.window.choose(
                "Stop this download? What is already downloaded can be kept, so Resume "
                "continues from there later.",
                [KEEP_PARTIAL, DELETE_PARTIAL],
                KEEP_DOWNLOADING,
            )
            if choice is None:
                return
            keep = choice == KEEP_PARTIAL
            self.tasks.spawn(self._cancel(job_id, keep), "Cancel download")
            return
        methods = {
            "pause": registry.pause_download,
            "resume": registry.resume_download,
            "retry": registry.retry_download,
        }
        self.tasks.spawn(self._call(methods[action], job_id), f"{action.capitalize()} download")

    async def _call(self, fn: Callable[..., None], *args: object) -> None:
        return await self.tasks.run(fn, *args)

    async def _cancel(self, job_id: int, keep: bool) -> None:
        registry = self.registry()
        await self.tasks.run(registry.cancel_download, job_id, keep)
        if keep:
            self.kept_jobs.add(job_id)
        else:
            self.kept_jobs.discard(job_id)
        self.on_jobs(self.window.bridge.jobs())

    def set_kept_jobs(self, kept: set[int]) -> None:
        """The core's answer (`Registry.kept_partial_jobs`), read with the catalog."""
        if kept != self.kept_jobs:
            self.kept_jobs = kept
            self.on_jobs(self.window.bridge.jobs())

    def name(self, model_id: str) -> str:
        return self.window.catalog_model.name_of(model_id)

    def clear_finished(self) -> None:
        self.tasks.spawn(self._clear_finished(), "Clear finished downloads")

    async def _clear_finished(self) -> None:
        registry = self.window.downloads
        if registry is None:
            return

        def clear() -> list[JobInfo]:
            registry.clear_finished_downloads()
            return registry.download_jobs()

        jobs = await self.tasks.run(clear)
        self.window.bridge.reset(jobs)

    def on_jobs(self, jobs: list[JobRow]) -> None:
        window = self.window
        names = window.catalog_model
        jobs = [
            replace(j, name=names.name_of(j.model_id), partial_kept=j.job_id in self.kept_jobs)
            for j in jobs
        ]
        window.queue_model.update_jobs(jobs)
        by_model: dict[str, JobRow] = {}
        for job in jobs:  # arrival order: the newest job of a model wins, active ones first
            current = by_model.get(job.model_id)
            if current is None or job.active or not current.active:
                by_model[job.model_id] = job
        self.jobs_by_model = by_model
        window.catalog_model.set_jobs(
            {
                m: JobMark(j.state, j.percent, j.partial_kept)
                for m, j in by_model.items()
                if j.active or j.state in ("failed", "cancelled")
            }
        )
        window.detail.welcome.set_busy({m for m, j in by_model.items() if j.active})
        model_id = window.detail.model_id
        if model_id is not None:
            window.detail.set_job(by_model.get(model_id))

    def on_job_finished(self, job: JobRow) -> None:
        label = self.name(job.model_id) + (f" {job.version}" if job.version else "")
        if job.state == "completed":
            self.window.notify("Download complete", f"{label} is installed.")
        else:
            self.window.notify("Download failed", f"{label}: {plain_error(job.error)}")
        self.tasks.spawn(self.window.after_change(), "Refreshing after a download")

    # ---- the table's context menu ------------------------------------------------

    def table_menu(self, point: QPoint) -> None:
        window = self.window
        table = window.table
        index = table.indexAt(point)
        if not index.isValid():
            return
        model_id = index.data(ModelIdRole)
        row = window.catalog_model.model_row(model_id)
        if row is None:
            return
        table.selectRow(index.row())
        locked = self.locked_reason(model_id) is not None
        installed = row.installed_version is not None
        job = self.jobs_by_model.get(model_id)
        active = job is not None and job.active
        menu = QMenu(window)
        download = menu.addAction(
            f"Download (needs {row.tier.capitalize()})" if locked else "Download",
            lambda: self.request_action("download", model_id),
        )
        download.setEnabled(not locked and not active and not installed)
        if installed and not locked and update_available(row):
            update = menu.addAction(
                f"Update to {row.version}", lambda: self.request_action("update", model_id)
            )
            update.setEnabled(not active)
        if not installed and not locked and model_id in window.storage_actions.cache_models:
            menu.addAction(
                "Install from the Hugging Face cache",
                lambda: self.request_action("link_cache", model_id),
            )
        if active:
            menu.addAction("Cancel download", lambda: self.request_action("cancel", model_id))
        menu.addSeparator()
        for label, action in (
            ("Open folder", "open_folder"),
            ("Verify", "verify"),
            ("Remove", "remove"),
        ):
            item = menu.addAction(label, partial(self.request_action, action, model_id))
            item.setEnabled(installed and not active)
        menu.addSeparator()
        menu.addAction("Copy id", lambda: QApplication.clipboard().setText(model_id))
        menu.exec(table.viewport().mapToGlobal(point))
