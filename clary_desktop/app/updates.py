"""Updates of installed models: detect, install beside the old version, roll back.

The download engine installs a new version in its own folder and switches the
active version in the same transaction that records it as verified, so a crash
at any point leaves the old version active and whole. After an update, only the
newest `keep_previous_versions` older versions stay on disk for rollback.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update

from clary_desktop.db import Database
from clary_desktop.db.tables import Installation, ModelVersion
from clary_desktop.domain.download_values import DownloadEvent, VerifyResult
from clary_desktop.domain.model_views import ModelInfo
from clary_desktop.domain.version_order import rollback_target, versions_to_prune
from clary_desktop.errors import Action, ClaryError, Hint
from clary_desktop.settings import Settings

log = logging.getLogger(__name__)


class UpdateHost(Protocol):
    """The parts of the Registry an update uses (the Registry is one)."""

    db: Database
    settings: Settings

    def list_models(self, *, updates_only: bool = False) -> list[ModelInfo]: ...

    def check_access(self, model_id: str) -> ModelInfo: ...

    def verify_version(self, model_id: str, version: str) -> list[VerifyResult]: ...

    def start_download(
        self, model_id: str, version: str | None = None, force: bool = False
    ) -> int: ...

    def remove(self, model_id: str, version: str | None = None) -> list[str]: ...


class UpdateInfo(BaseModel):
    # defer_build: the schema is built on first use, not at import (start-up time);
    # most commands never use this value.
    model_config = ConfigDict(frozen=True, defer_build=True)

    model_id: str
    name: str
    installed_version: str
    new_version: str
    changes: str | None
    size_bytes: int | None


def find_updates(registry: UpdateHost) -> list[UpdateInfo]:
    """Installed models the user's tier allows with a newer version in the catalog."""
    found = []
    for model in registry.list_models(updates_only=True):
        if not model.update_available or model.installed_version is None:
            continue
        with registry.db.read() as session:
            newest = session.scalar(
                select(ModelVersion).where(
                    ModelVersion.model_id == model.id, ModelVersion.version == model.version
                )
            )
        found.append(
            UpdateInfo(
                model_id=model.id,
                name=model.name,
                installed_version=model.installed_version,
                new_version=model.version,
                changes=newest.changes if newest else None,
                size_bytes=model.size_bytes,
            )
        )
    return found


def start_update(registry: UpdateHost, model_id: str, pruner: VersionPruner) -> int | None:
    """Fetch the newest version beside the installed one; None when it was already on
    disk and verified, so the switch happened at once (and `pruner` prunes now: no
    download will complete to make it prune)."""
    model = registry.check_access(model_id)
    if model.installed_version is None:
        raise ClaryError(
            f"{model_id} is not installed, so there is nothing to update; download it instead.",
            hint=Hint(Action.DOWNLOAD_MODEL, model_id=model_id),
        )
    if not model.update_available:
        raise ClaryError(f"{model_id} is up to date ({model.installed_version}).")
    kept = _installs(registry, model_id)
    if model.version in kept:
        results = registry.verify_version(model_id, model.version)
        if results and all(r.status == "ok" for r in results):
            _activate(registry, model_id, model.version)
            pruner.prune(model_id)
            return None
    return registry.start_download(model_id, version=model.version, force=model.version in kept)


def rollback(registry: UpdateHost, model_id: str) -> str:
    """Make the newest kept version older than the active one active again."""
    registry.check_access(model_id)
    installs = _installs(registry, model_id)
    active = next((v for v, is_active in installs.items() if is_active), None)
    if active is None:
        raise ClaryError(f"{model_id} is not installed, so there is nothing to roll back.")
    target = rollback_target(active, installs)
    if target is None:
        raise ClaryError(
            f"No version of {model_id} older than {active} is kept on this computer, so there "
            "is nothing to roll back to."
        )
    results = registry.verify_version(model_id, target)
    bad = [r for r in results if not r.intact]
    if bad:
        raise ClaryError(
            f"The kept version {target} of {model_id} is damaged ({bad[0].path}: "
            f"{bad[0].status}), so {active} stays active. Download {target} again to use it."
        )
    _activate(registry, model_id, target)
    return target


class VersionPruner:
    """The one owner of pruning: old versions go after every completed download (on a
    thread of its own, as engine callbacks must not block) and after an update that
    switched at once. Prunes of one model run one at a time, so none removes a folder
    another is removing."""

    def __init__(self, registry: UpdateHost) -> None:
        self._registry = registry
        self._guard = threading.Lock()
        self._model_locks: dict[str, threading.Lock] = {}
        self._threads: list[threading.Thread] = []

    def prune(self, model_id: str) -> list[str]:
        """Remove inactive versions beyond the newest `keep_previous_versions` older
        ones; returns the versions removed."""
        with self._guard:
            lock = self._model_locks.setdefault(model_id, threading.Lock())
        with lock:
            return _prune(self._registry, model_id)

    def after_download(self, event: DownloadEvent) -> None:
        if event.kind != "state" or event.state != "completed":
            return
        thread = threading.Thread(
            target=self._prune_logged, args=(event.model_id,), name="clary-prune"
        )
        with self._guard:
            thread.start()
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def join(self) -> None:
        """Wait for the prunes still running (before the database closes)."""
        with self._guard:
            threads = list(self._threads)
        for thread in threads:
            thread.join()

    def _prune_logged(self, model_id: str) -> None:
        try:
            self.prune(model_id)
        except (ClaryError, OSError) as error:
            log.warning("Could not prune old versions of %s: %s", model_id, error)


def _prune(registry: UpdateHost, model_id: str) -> list[str]:
    installs = _installs(registry, model_id)
    active = next((v for v, is_active in installs.items() if is_active), None)
    removed: list[str] = []
    for version in versions_to_prune(active, installs, registry.settings.keep_previous_versions):
        try:
            removed += registry.remove(model_id, version)
        except ClaryError as error:
            log.warning("Could not remove %s %s after an update: %s", model_id, version, error)
    return removed


def _installs(registry: UpdateHost, model_id: str) -> dict[str, bool]:
    with registry.db.read() as session:
        return {
            version: bool(active)
            for version, active in session.execute(
                select(Installation.version, Installation.active).where(
                    Installation.model_id == model_id
                )
            )
        }


def _activate(registry: UpdateHost, model_id: str, version: str) -> None:
    with registry.db.write() as session:
        session.execute(
            update(Installation).where(Installation.model_id == model_id).values(active=False)
        )
        session.execute(
            update(Installation)
            .where(Installation.model_id == model_id, Installation.version == version)
            .values(active=True)
        )
