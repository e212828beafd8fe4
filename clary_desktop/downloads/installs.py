"""Installed model versions: removing them and re-verifying their files."""

from __future__ import annotations

import shutil
import time
from contextlib import suppress
from pathlib import Path

from clary_desktop.domain.download_values import JobInfo, VerifyResult
from clary_desktop.domain.layout import version_dir
from clary_desktop.downloads.store import JobStore
from clary_desktop.downloads.verify import verify_version
from clary_desktop.errors import Action, ClaryError, Hint, NotFoundError


def remove_installed(
    store: JobStore,
    models_dir: Path,
    unfinished: list[JobInfo],
    model_id: str,
    version: str | None,
) -> list[str]:
    """Delete installed versions of a model, unless one of the `unfinished` jobs is
    fetching it."""
    store.model_tier(model_id)  # NotFoundError for unknown ids
    for job in unfinished:
        if job.model_id == model_id and (version is None or job.version == version):
            raise ClaryError(
                f"{model_id} {job.version} is being downloaded (job {job.job_id}); "
                "cancel that download first.",
                hint=Hint(Action.CANCEL_DOWNLOAD, job_id=job.job_id),
            )
    versions = [v for _, v in store.installed_versions(model_id) if version in (None, v)]
    if not versions:
        what = f"{model_id} {version}" if version else model_id
        raise NotFoundError(f"{what} is not installed; nothing to remove.")
    for v in versions:
        folder = version_dir(models_dir, store.version_spec(model_id, v))
        store.forget_install(model_id, v)
        _remove_folder(folder)
        with suppress(OSError):  # not empty (other versions), or already gone
            folder.parent.rmdir()
    return versions


def _remove_folder(folder: Path) -> None:
    """Delete `folder`. Another process may be removing it at the same time (a prune in
    the window and one in the CLI): what is already gone is not an error."""
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        shutil.rmtree(folder, ignore_errors=True)  # finish whatever the other one left
    except OSError as error:
        raise ClaryError(
            f"Cannot delete {folder} ({error.strerror}). Close any program using its files "
            "and try again."
        ) from None


def verify_installed(store: JobStore, models_dir: Path, model_id: str | None) -> list[VerifyResult]:
    if model_id is not None:
        store.model_tier(model_id)
    installed = store.installed_versions(model_id)
    if model_id is not None and not installed:
        raise NotFoundError(f"{model_id} is not installed; nothing to verify.")
    results: list[VerifyResult] = []
    for mid, version in installed:
        results.extend(verify_installed_version(store, models_dir, mid, version))
    return results


def verify_installed_version(
    store: JobStore, models_dir: Path, model_id: str, version: str
) -> list[VerifyResult]:
    """Re-hash one installed version; a clean result records when and how long it took."""
    started = time.monotonic()
    found = verify_version(models_dir, store.version_spec(model_id, version))
    if all(r.status == "ok" for r in found):
        store.mark_verified(model_id, version, time.monotonic() - started)
    return found
