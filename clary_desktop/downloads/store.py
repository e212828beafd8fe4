"""The persistent queue: download jobs (the seed's `ModelDownload` rows, extended)
and installations, read and written in short transactions from any thread."""

from __future__ import annotations

import os
import socket
from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session, selectinload

from clary_desktop.db import Database
from clary_desktop.db.tables import (
    Installation,
    ModelDownload,
    ModelMetadata,
    ModelVersion,
    VersionFile,
)
from clary_desktop.db.timestamps import as_utc
from clary_desktop.domain.download_values import (
    FINISHED_STATES,
    INTERRUPTED,
    PAUSED_AT_QUIT,
    JobInfo,
    JobState,
)
from clary_desktop.domain.layout import CatalogFile, VersionSpec
from clary_desktop.errors import Action, Hint, NotFoundError
from clary_desktop.registry.catalog import unknown_model
from clary_desktop.registry.installed import record_installation

SHUTDOWN_OWNER = "shutdown"
"""`owner` of a job paused because the program closed (not by the user)."""


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def job_info(row: ModelDownload, speed: float | None = None) -> JobInfo:
    state = JobState(row.status)
    live = state == JobState.DOWNLOADING
    speed = speed if speed is not None else (row.speed_bps if live else None)
    eta = None
    if live and speed and row.bytes_total:
        eta = max(0.0, (row.bytes_total - row.bytes_done) / speed)
    return JobInfo(
        job_id=row.id,
        model_id=row.model_id,
        version=row.version,
        state=state,
        bytes_done=row.bytes_done or 0,
        bytes_total=row.bytes_total,
        speed_bps=speed if live else None,
        eta_seconds=eta,
        error=row.error,
        current_file=row.current_file,
        created_at=as_utc(row.created_at) or datetime.now(UTC),
        updated_at=as_utc(row.updated_at) or datetime.now(UTC),
    )


class JobStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    # ---- catalog facts --------------------------------------------------------------

    def model_tier(self, model_id: str) -> tuple[str, str]:
        """(tier, newest version) of a model; NotFoundError for unknown ids."""

        with self.db.read() as session:
            row = session.get(ModelMetadata, model_id)
            if row is None:
                raise unknown_model(model_id)
            return row.tier, row.version

    def version_spec(self, model_id: str, version: str) -> VersionSpec:
        with self.db.read() as session:
            model = session.get(ModelMetadata, model_id)
            row = session.scalars(
                select(ModelVersion)
                .where(ModelVersion.model_id == model_id, ModelVersion.version == version)
                .options(selectinload(ModelVersion.files))
            ).one_or_none()
            if model is None or row is None:
                raise NotFoundError(
                    f"{model_id} has no version {version!r}.",
                    hint=Hint(Action.LIST_VERSIONS, model_id=model_id),
                )
            files = tuple(
                CatalogFile(f.path, f.size_bytes, f.sha256, f.url) for f in row.files
            ) or (
                (CatalogFile(row.filename, row.size_bytes, None, row.download_url),)
                if row.filename
                else ()
            )
            folder = session.scalar(
                select(Installation.path).where(
                    Installation.model_id == model_id, Installation.version == version
                )
            )
            return VersionSpec(
                model_id=model_id,
                model_type=model.type,
                version=version,
                repo_id=row.repo_id,
                revision=row.revision,
                download_url=row.download_url,
                files=files,
                installed_folder=Path(folder) if folder else None,
            )

    def installed_versions(self, model_id: str | None = None) -> list[tuple[str, str]]:
        with self.db.read() as session:
            stmt = select(Installation.model_id, Installation.version)
            if model_id is not None:
                stmt = stmt.where(Installation.model_id == model_id)
            rows = session.execute(stmt.order_by(Installation.model_id))
            return [(model_id, version) for model_id, version in rows]

    def is_installed(self, model_id: str, version: str) -> bool:
        return (model_id, version) in self.installed_versions(model_id)

    # ---- jobs -----------------------------------------------------------------------

    def create(self, model_id: str, version: str, force: bool, total: int | None) -> int:
        with self.db.write() as session:
            row = ModelDownload(
                model_id=model_id,
                version=version,
                status=JobState.QUEUED.value,
                force=force,
                bytes_done=0,
                bytes_total=total,
                owner=this_process(),
            )
            session.add(row)
            session.flush()
            return row.id

    def open_job(self, model_id: str, version: str) -> ModelDownload | None:
        """The unfinished job for this model version, if any."""
        with self.db.read() as session:
            return session.scalars(
                select(ModelDownload)
                .where(
                    ModelDownload.model_id == model_id,
                    ModelDownload.version == version,
                    ModelDownload.status.not_in([s.value for s in FINISHED_STATES]),
                )
                .order_by(ModelDownload.id.desc())
            ).first()

    def get(self, job_id: int) -> ModelDownload:
        with self.db.read() as session:
            row = session.get(ModelDownload, job_id)
            if row is None:
                raise NotFoundError(f"No download job {job_id}.", hint=Hint(Action.LIST_DOWNLOADS))
            return row

    def rows(self, include_finished: bool = True) -> list[ModelDownload]:
        with self.db.read() as session:
            stmt = select(ModelDownload).order_by(ModelDownload.id)
            if not include_finished:
                stmt = stmt.where(ModelDownload.status.not_in([s.value for s in FINISHED_STATES]))
            return list(session.scalars(stmt))

    def update(self, job_id: int, **values: object) -> None:
        values.setdefault("updated_at", datetime.now(UTC))
        with self.db.write() as session:
            session.execute(
                update(ModelDownload).where(ModelDownload.id == job_id).values(**values)
            )

    # A cancel is final whichever process asked: the process running the job moves it
    # on only while nobody cancelled it, and pause or cancel from anywhere only stop a
    # job that has not finished. Each check and write is one transaction.

    def advance(self, job_id: int, state: JobState, **values: object) -> bool:
        """Move a running job to `state` (downloading, verifying); False when it was
        cancelled meanwhile (from another process), and nothing is written."""
        return self._set_state(job_id, state, unless={JobState.CANCELLED}, **values)

    def finish(self, job_id: int, state: JobState, **values: object) -> None:
        """Record how a run ended; a job another process cancelled stays cancelled,
        whatever the run saw, and is released."""
        if not self._set_state(job_id, state, unless={JobState.CANCELLED}, **values):
            self.update(job_id, owner=None, speed_bps=None)

    def stop(self, job_id: int, state: JobState, **values: object) -> bool:
        """Pause or cancel a job not running here; False when it had already finished."""
        return self._set_state(job_id, state, unless=FINISHED_STATES, **values)

    def _set_state(
        self, job_id: int, state: JobState, unless: Collection[JobState], **values: object
    ) -> bool:
        values.setdefault("updated_at", datetime.now(UTC))
        with self.db.write() as session:
            result = session.execute(
                update(ModelDownload)
                .where(
                    ModelDownload.id == job_id,
                    ModelDownload.status.not_in([s.value for s in unless]),
                )
                .values(status=state.value, **values)
            )
            return bool(_rowcount(result))

    def statuses(self, job_ids: list[int]) -> dict[int, JobState]:
        with self.db.read() as session:
            rows = session.execute(
                select(ModelDownload.id, ModelDownload.status).where(ModelDownload.id.in_(job_ids))
            )
            return {job_id: JobState(status) for job_id, status in rows}

    def save_progress(
        self,
        job_id: int,
        bytes_done: int,
        bytes_total: int | None,
        speed: float | None,
        current_file: str | None,
    ) -> None:
        with self.db.write() as session:
            session.execute(
                update(ModelDownload)
                .where(ModelDownload.id == job_id)
                .values(
                    bytes_done=bytes_done,
                    bytes_total=bytes_total,
                    speed_bps=speed,
                    current_file=current_file,
                    updated_at=datetime.now(UTC),
                )
            )

    def delete_finished(self) -> int:
        with self.db.write() as session:
            result = session.execute(
                delete(ModelDownload).where(
                    ModelDownload.status.in_([s.value for s in FINISHED_STATES])
                )
            )
            return _rowcount(result)

    def recover(self, resume: bool) -> list[int]:
        """Jobs left running by a process that is gone come back paused (or queued).

        Returns the ids put back in the queue."""
        alive_here = this_process().split(":")[0]
        # Most starts find nothing left behind: that is looked up without the write lock,
        # so a start neither waits on another process's writes nor stamps the database
        # (which would drop the command line's kept answers for nothing).
        with self.db.read() as session:
            if not _left_behind(session, alive_here):
                return []
        requeued: list[int] = []
        with self.db.write() as session:
            for row in _left_behind(session, alive_here):
                if resume:
                    row.status = JobState.QUEUED.value
                    requeued.append(row.id)
                else:
                    row.status = JobState.PAUSED.value
                    quit_here = row.owner == SHUTDOWN_OWNER
                    row.error = row.error or (PAUSED_AT_QUIT if quit_here else INTERRUPTED)
                row.owner = this_process() if resume else None
                row.speed_bps = None
        return requeued

    # ---- installations --------------------------------------------------------------

    def record_install(
        self,
        model_id: str,
        version: str,
        folder: Path,
        size: int,
        learned: dict[str, tuple[str, int]],
        job_id: int,
    ) -> bool:
        """Installation row + job completed + digests learned from the source, in one
        transaction: a model is installed only once every file is verified. False (and
        nothing recorded) when the job was cancelled meanwhile."""
        now = datetime.now(UTC)
        with self.db.write() as session:
            status = session.scalar(
                select(ModelDownload.status).where(ModelDownload.id == job_id).with_for_update()
            )
            if status == JobState.CANCELLED.value:
                return False
            record_installation(session, model_id, version, folder, size, learned, now)
            session.execute(
                update(ModelDownload)
                .where(ModelDownload.id == job_id)
                .values(
                    status=JobState.COMPLETED.value,
                    downloaded_at=now,
                    updated_at=now,
                    bytes_done=size,
                    bytes_total=size,
                    error=None,
                    speed_bps=None,
                    owner=None,
                    current_file=None,
                )
            )
            return True

    def forget_install(self, model_id: str, version: str | None) -> list[tuple[str, str]]:
        with self.db.write() as session:
            stmt = select(Installation).where(Installation.model_id == model_id)
            if version is not None:
                stmt = stmt.where(Installation.version == version)
            rows = session.scalars(stmt).all()
            removed = [(r.model_id, r.version) for r in rows]
            for r in rows:
                session.delete(r)
            return removed

    def mark_verified(self, model_id: str, version: str, seconds: float | None = None) -> None:
        with self.db.write() as session:
            session.execute(
                update(Installation)
                .where(Installation.model_id == model_id, Installation.version == version)
                .values(verified_at=datetime.now(UTC), verify_seconds=seconds)
            )

    def version_files(self, model_id: str, version: str) -> list[VersionFile]:
        with self.db.read() as session:
            return list(
                session.scalars(
                    select(VersionFile)
                    .join(ModelVersion)
                    .where(ModelVersion.model_id == model_id, ModelVersion.version == version)
                )
            )


def owner_alive(owner: str | None, host: str) -> bool:
    if not owner or ":" not in owner:
        return False
    owner_host, _, pid_text = owner.rpartition(":")
    if owner_host != host:
        return True  # another machine on a shared database: not ours to judge
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return False  # this process just started; anything marked ours is stale
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _rowcount(result: object) -> int:
    """Rows an UPDATE or DELETE touched (its result is always a cursor result)."""
    assert isinstance(result, CursorResult)
    return result.rowcount or 0


def _left_behind(session: Session, alive_here: str) -> list[ModelDownload]:
    """Unfinished jobs whose process is gone, or that were paused at a quit."""
    rows = session.scalars(
        select(ModelDownload).where(
            ModelDownload.status.in_(
                [JobState.QUEUED.value, JobState.DOWNLOADING.value, JobState.VERIFYING.value]
            )
            | (
                (ModelDownload.owner == SHUTDOWN_OWNER)
                & ModelDownload.status.not_in([s.value for s in FINISHED_STATES])
            )
        )
    ).all()
    return [
        row for row in rows if row.owner == SHUTDOWN_OWNER or not owner_alive(row.owner, alive_here)
    ]
