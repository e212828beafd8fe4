"""The license as the Registry sees it: where it lives, install, memory between runs, keys."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.license_status import LicenseState
from clary_desktop.domain.signing_keys import (
    DEV_KEYS_ENV,
    default_trusted_keys,
    load_key_dir,
    shipped_keys_dir,
)
from clary_desktop.errors import Action, ClaryError, Hint
from clary_desktop.licensing import LicenseError, LicenseManager, Reason
from clary_desktop.licensing.ledger import load_ledger
from clary_desktop.paths import AppPaths, resolve_license_path
from tests.support.licenses import NOW, Signer


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def signer() -> Signer:
    return Signer()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def manager(paths: AppPaths, signer: Signer, clock: Clock) -> LicenseManager:
    return LicenseManager.for_paths(paths, verifier=signer.verifier(), clock=clock)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ---- where the license lives ---------------------------------------------------------


def test_license_path_order(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert resolve_license_path(None, paths) == paths.license_file
    assert paths.license_file.parent == paths.config_dir
    monkeypatch.setenv("CLARY_LICENSE_FILE", str(tmp_path / "env.json"))
    assert resolve_license_path(None, paths) == tmp_path / "env.json"
    assert resolve_license_path(tmp_path / "cli.json", paths) == tmp_path / "cli.json"


def test_no_file_means_lite(manager: LicenseManager) -> None:
    status = manager.status()
    assert status.state is LicenseState.NONE
    assert status.tier is Tier.LITE
    assert status.summary == "none: Lite (free)"
    assert "Install the license file you received from Clary." in (status.reason or "")
    assert status.hint == Hint(Action.INSTALL_LICENSE)  # each front says how to install
    assert manager() is Tier.LITE


def test_unreadable_file_means_lite(manager: LicenseManager) -> None:
    manager.license_path.mkdir(parents=True)
    status = manager.status()
    assert status.state is LicenseState.INVALID
    assert status.tier is Tier.LITE
    assert status.reason_code == Reason.UNREADABLE.value
    assert "Cannot read the license file" in status.reason


# ---- install ---------------------------------------------------------------------------


def test_install_copies_the_exact_bytes(
    manager: LicenseManager, signer: Signer, tmp_path: Path
) -> None:
    data = signer.license(tier="standard")
    status = manager.install(write(tmp_path / "new.json", data))
    assert status.state is LicenseState.VALID
    assert manager.license_path.read_bytes() == data
    assert manager.license_path.stat().st_mode & 0o777 == 0o600
    assert manager() is Tier.STANDARD


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b"{not json", Reason.MALFORMED),
        (b"x" * 20000, Reason.TOO_LARGE),
    ],
)
def test_invalid_file_never_replaces_a_valid_one(
    manager: LicenseManager, signer: Signer, tmp_path: Path, bad: bytes, reason: Reason
) -> None:
    good = signer.license()
    manager.install(write(tmp_path / "good.json", good))
    with pytest.raises(LicenseError) as caught:
        manager.install(write(tmp_path / "bad.json", bad))
    assert caught.value.reason is reason
    assert "was not installed" in str(caught.value)
    assert "current license is unchanged" in str(caught.value)
    assert manager.license_path.read_bytes() == good
    assert manager() is Tier.PROFESSIONAL


def test_forged_and_expired_files_are_not_installed(
    manager: LicenseManager, signer: Signer, tmp_path: Path
) -> None:
    good = signer.license()
    manager.install(write(tmp_path / "good.json", good))
    forged = Signer(kid=signer.kid).license(tier="professional", serial=99)
    expired = signer.license(
        issued_at=NOW - timedelta(days=90), expires_at=NOW - timedelta(days=60), serial=5
    )
    for data, reason in ((forged, Reason.BAD_SIGNATURE), (expired, Reason.EXPIRED)):
        with pytest.raises(LicenseError) as caught:
            manager.install(write(tmp_path / "bad.json", data))
        assert caught.value.reason is reason
        assert manager.license_path.read_bytes() == good


def test_install_refuses_an_older_serial(
    manager: LicenseManager, signer: Signer, tmp_path: Path
) -> None:
    manager.install(write(tmp_path / "v2.json", signer.license(serial=2, tier="standard")))
    with pytest.raises(LicenseError) as caught:
        manager.install(write(tmp_path / "v1.json", signer.license(serial=1)))
    assert caught.value.reason is Reason.REPLAYED
    assert manager() is Tier.STANDARD


def test_install_of_a_missing_file(manager: LicenseManager, tmp_path: Path) -> None:
    with pytest.raises(LicenseError, match="There is no file"):
        manager.install(tmp_path / "missing.json")


def test_install_into_an_unwritable_place(
    paths: AppPaths, signer: Signer, clock: Clock, tmp_path: Path
) -> None:
    blocker = write(tmp_path / "blocker", b"a file, not a folder")
    manager = LicenseManager(
        blocker / "license.json", paths.license_state_file, signer.verifier(), clock
    )
    with pytest.raises(LicenseError) as caught:
        manager.install(write(tmp_path / "good.json", signer.license()))
    assert caught.value.reason is Reason.CANNOT_INSTALL


# ---- memory between runs ---------------------------------------------------------------


def test_replay_is_remembered_across_runs(paths: AppPaths, signer: Signer, clock: Clock) -> None:
    write(paths.license_file, signer.license(serial=3))
    first = LicenseManager.for_paths(paths, verifier=signer.verifier(), clock=clock)
    assert first() is Tier.PROFESSIONAL
    assert load_ledger(paths.license_state_file).serials == {"lic-test-1": 3}

    write(paths.license_file, signer.license(serial=2))  # an old copy put back by hand
    second = LicenseManager.for_paths(paths, verifier=signer.verifier(), clock=clock)
    status = second.status()
    assert status.state is LicenseState.INVALID
    assert status.reason_code == Reason.REPLAYED.value
    assert second() is Tier.LITE


def test_clock_set_back_is_remembered_across_runs(paths: AppPaths, signer: Signer) -> None:
    write(
        paths.license_file,
        signer.license(issued_at=NOW - timedelta(days=60), expires_at=NOW - timedelta(days=1)),
    )
    ahead = LicenseManager.for_paths(
        paths, verifier=signer.verifier(), clock=Clock(NOW + timedelta(days=3))
    )
    assert ahead.status().state is LicenseState.GRACE
    rewound = LicenseManager.for_paths(paths, verifier=signer.verifier(), clock=Clock(NOW))
    status = rewound.status()
    assert status.state is LicenseState.EXPIRED
    assert status.clock_set_back
    assert rewound() is Tier.LITE


def test_damaged_state_file_starts_afresh(
    paths: AppPaths, manager: LicenseManager, signer: Signer
) -> None:
    write(paths.license_file, signer.license())
    for junk in (
        b"\xff\xfe",
        b"[]",
        b'{"latest_seen": "yesterday"}',
        b"[" * 100000,
        b'{"latest_seen": "0001-01-01T00:00:00+00:00"}',
        b'{"latest_seen": "9999-12-31T23:59:59-12:00"}',
        b'{"serials": [1]}',
    ):
        write(paths.license_state_file, junk)
        assert manager.status(refresh=True).state is LicenseState.VALID
    assert json.loads(paths.license_state_file.read_text())["serials"] == {"lic-test-1": 1}


def test_status_is_cached_until_the_file_changes_or_time_passes(
    manager: LicenseManager, signer: Signer, clock: Clock
) -> None:
    write(
        manager.license_path, signer.license(expires_at=NOW + timedelta(seconds=30), grace_days=0)
    )
    first = manager.status()
    assert manager.status() is first
    clock.now = NOW + timedelta(seconds=61)
    assert manager.status().state is LicenseState.EXPIRED
    write(manager.license_path, signer.license(serial=2, tier="standard"))
    os.utime(manager.license_path, ns=(1, 1))
    assert manager() is Tier.STANDARD


# ---- trusted keys ----------------------------------------------------------------------


def test_the_vendor_key_ships_with_the_program() -> None:
    folder = shipped_keys_dir()
    assert folder is not None
    keys = load_key_dir(folder)
    assert keys, "resources/keys must hold at least one vendor public key"
    assert not list(folder.glob("*.key")), "a private key must never be in resources/keys"


def test_key_dir_skips_unusable_files(tmp_path: Path, signer: Signer) -> None:
    signer.write_public(tmp_path)
    write(tmp_path / "garbage.pub", b"not a key")
    write(tmp_path / "bad name!.pub", (tmp_path / "test-key.pub").read_bytes())
    write(tmp_path / "private.pub", (signer.write_private(tmp_path / "p")).read_bytes())
    assert list(load_key_dir(tmp_path)) == ["test-key"]
    assert load_key_dir(tmp_path / "missing") == {}


def test_dev_keys_are_trusted_only_in_a_source_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, signer: Signer
) -> None:
    assert "test-key" not in default_trusted_keys()
    signer.write_public(tmp_path / "dev")
    monkeypatch.setenv(DEV_KEYS_ENV, str(tmp_path / "dev"))
    assert "test-key" in default_trusted_keys()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert "test-key" not in default_trusted_keys()


def test_a_frozen_build_ignores_another_resources_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, signer: Signer
) -> None:
    """CLARY_RESOURCES_DIR swaps the trusted keys (and the shipped tiers): a source checkout
    may point it at a test folder, a frozen build uses only the folder it ships."""
    from clary_desktop import resources

    forged = tmp_path / "forged"
    (forged / "catalog").mkdir(parents=True)
    (forged / "catalog" / "default.json").write_text('{"models": []}')
    signer.write_public(forged / "keys")
    monkeypatch.setenv(resources.RESOURCES_ENV, str(forged))
    resources.resources_dir.cache_clear()
    try:
        assert "test-key" in default_trusted_keys()
        monkeypatch.setattr(sys, "frozen", True, raising=False)
        bundled = Path(__file__).resolve().parents[2]  # holds resources/, as _MEIPASS does
        monkeypatch.setattr(sys, "_MEIPASS", str(bundled), raising=False)
        resources.resources_dir.cache_clear()
        assert resources.resources_dir() == bundled / "resources"
        assert "test-key" not in default_trusted_keys()
        assert set(default_trusted_keys()) == set(load_key_dir(resources.resource_path("keys")))
    finally:
        resources.resources_dir.cache_clear()


# ---- the Registry's tier comes from the license ----------------------------------------


def real_now_license(signer: Signer, **overrides: object) -> bytes:
    now = datetime.now(UTC)
    return signer.license(
        issued_at=now - timedelta(days=1), expires_at=now + timedelta(days=30), **overrides
    )


def test_registry_reads_the_license_by_default(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, signer: Signer
) -> None:
    signer.write_public(tmp_path / "dev")
    monkeypatch.setenv(DEV_KEYS_ENV, str(tmp_path / "dev"))
    write(paths.license_file, real_now_license(signer, tier="standard"))
    with Registry.open(paths) as registry:
        assert registry.tier is Tier.STANDARD
        assert registry.license_status().licensee == "Test User"


def test_dropping_the_tier_locks_models_but_keeps_them(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, signer: Signer
) -> None:
    signer.write_public(tmp_path / "dev")
    monkeypatch.setenv(DEV_KEYS_ENV, str(tmp_path / "dev"))
    write(paths.license_file, real_now_license(signer))
    manager = LicenseManager.for_paths(paths)
    with Registry.open(paths, tier_source=manager) as registry:
        everything = registry.list_models(tier=Tier.PROFESSIONAL)
        assert not any(m.locked for m in everything)
        write(paths.license_file, b"tampered")
        os.utime(paths.license_file, ns=(1, 1))
        assert registry.tier is Tier.LITE
        after = registry.list_models(tier=Tier.PROFESSIONAL)
        assert [m.id for m in after] == [m.id for m in everything]
        assert {m.id for m in after if m.locked} == {m.id for m in after if m.tier != "lite"}


def test_registry_with_a_tier_set_by_code(paths: AppPaths, tmp_path: Path) -> None:
    with Registry.open(paths, tier_source=lambda: Tier.STANDARD) as registry:
        status = registry.license_status()
        assert status.tier is Tier.STANDARD
        with pytest.raises(ClaryError):
            registry.install_license(tmp_path / "x.json")
