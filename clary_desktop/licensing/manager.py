"""The license as the Registry sees it: where the file is, and the tier it grants.

`LicenseManager` is a Registry tier source (call it for the Tier) and also
answers `status()` and `install()` for the fronts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clary_desktop.domain.access import Tier
from clary_desktop.domain.license_status import NO_LICENSE_TEXT, LicenseState, LicenseStatus
from clary_desktop.errors import Action, Hint
from clary_desktop.licensing.check import evaluate, invalid
from clary_desktop.licensing.envelope import MAX_LICENSE_BYTES
from clary_desktop.licensing.errors import LicenseError, Reason
from clary_desktop.licensing.ledger import Ledger, load_ledger, save_ledger, write_atomically
from clary_desktop.licensing.verifier import LicenseVerifier
from clary_desktop.paths import LICENSE_FILE_ENV, AppPaths, resolve_license_path
from clary_desktop.userfiles import FileProblem, UserFileError, read_user_file

Clock = Callable[[], datetime]
# A long-running window notices expiry and a replaced file without a restart.
RECHECK_AFTER = timedelta(seconds=60)
# Remember the time at most this often, so a run of commands does not rewrite the file each time.
_SEEN_STEP = timedelta(minutes=10)


def utc_now() -> datetime:
    return datetime.now(UTC)


def read_license_file(path: Path) -> bytes | None:
    """The file's bytes, or None when there is no file."""
    try:
        return read_user_file(path, MAX_LICENSE_BYTES)
    except UserFileError as error:
        if error.problem is FileProblem.MISSING:
            return None
        if error.problem is FileProblem.TOO_LARGE:
            raise LicenseError(
                Reason.TOO_LARGE,
                f"The license file {path} {error.detail}, so it is not a Clary license. "
                "Install the license file you received from Clary.",
            ) from None
        raise LicenseError(
            Reason.UNREADABLE,
            f"Cannot read the license file {path}: it {error.detail}. "
            "Check that it is a readable file, or install the license again.",
        ) from None


class LicenseManager:
    def __init__(
        self,
        license_path: Path,
        ledger_path: Path,
        verifier: LicenseVerifier | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.license_path = license_path
        self.ledger_path = ledger_path
        self._verifier = verifier
        self._clock = clock
        self._cached: tuple[object, datetime, LicenseStatus] | None = None

    @classmethod
    def for_paths(
        cls,
        paths: AppPaths,
        license_file: str | os.PathLike[str] | None = None,
        *,
        verifier: LicenseVerifier | None = None,
        clock: Clock = utc_now,
    ) -> LicenseManager:
        return cls(
            resolve_license_path(license_file, paths), paths.license_state_file, verifier, clock
        )

    @property
    def verifier(self) -> LicenseVerifier:
        if self._verifier is None:
            self._verifier = LicenseVerifier.default()
        return self._verifier

    def __call__(self) -> Tier:
        """The tier source the Registry calls."""
        return self.status().tier

    def status(self, *, refresh: bool = False) -> LicenseStatus:
        now = self._clock()
        key = self._file_key()
        if not refresh and self._cached is not None:
            cached_key, checked_at, status = self._cached
            if cached_key == key and checked_at <= now < checked_at + RECHECK_AFTER:
                return status
        status = self._check(now)
        self._cached = (key, now, status)
        return status

    def install(self, source: Path) -> LicenseStatus:
        """Verify `source`, and only if it grants a tier copy it into place atomically."""
        try:
            data = read_license_file(source)
        except LicenseError as error:
            raise LicenseError(
                error.reason,
                f"{source} was not installed: {error} The current license is unchanged.",
            ) from None
        if data is None:
            raise LicenseError(Reason.UNREADABLE, f"There is no file {source}. Check the path.")
        ledger = load_ledger(self.ledger_path)
        result = evaluate(data, self.verifier, ledger, self._clock(), str(self.license_path))
        if not result.status.grants_tier:
            raise LicenseError(
                Reason(result.status.reason_code or Reason.MALFORMED),
                f"{source} was not installed: {result.status.reason} "
                "The current license is unchanged.",
            )
        try:
            write_atomically(self.license_path, data, mode=0o600)
        except OSError as error:
            raise LicenseError(
                Reason.CANNOT_INSTALL,
                f"Cannot install the license into {self.license_path} "
                f"({error.strerror or error}). Check that folder's permissions, or keep the "
                f"license in another place ({LICENSE_FILE_ENV}).",
                hint=Hint(Action.CHOOSE_LICENSE_FILE),
            ) from None
        save_ledger(self.ledger_path, result.ledger)
        self._cached = None
        return result.status

    def _check(self, now: datetime) -> LicenseStatus:
        ledger = load_ledger(self.ledger_path)
        path = str(self.license_path)
        try:
            data = read_license_file(self.license_path)
        except LicenseError as error:
            status, new_ledger = invalid(error, path), ledger.saw(now)
        else:
            if data is None:
                status = LicenseStatus(
                    state=LicenseState.NONE,
                    reason=f"No license is installed, so Clary Desktop runs as {NO_LICENSE_TEXT}. "
                    "Install the license file you received from Clary.",
                    hint=Hint(Action.INSTALL_LICENSE),
                    path=path,
                )
                new_ledger = ledger.saw(now)
            else:
                result = evaluate(data, self.verifier, ledger, now, path)
                status, new_ledger = result.status, result.ledger
        if _worth_saving(ledger, new_ledger):
            save_ledger(self.ledger_path, new_ledger)
        return status

    def _file_key(self) -> object:
        try:
            info = self.license_path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)


def _worth_saving(old: Ledger, new: Ledger) -> bool:
    if new.serials != old.serials or new.clock_restarts != old.clock_restarts:
        return True
    if new.latest_seen is None:
        return False
    return old.latest_seen is None or new.latest_seen - old.latest_seen >= _SEEN_STEP
