"""`clary-license keygen` and `issue`, called in-process (the subprocess run is in
tests/integration/test_license_cli.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clary_desktop.cli import license_tool
from clary_desktop.domain.access import Tier
from clary_desktop.domain.license_status import LicenseState
from clary_desktop.domain.signing_keys import load_key_dir
from clary_desktop.licensing import Ledger, evaluate
from clary_desktop.licensing.verifier import LicenseVerifier


def keygen(folder: Path) -> Path:
    assert license_tool.main(["keygen", "--out", str(folder)]) == 0
    (private,) = folder.glob("*.key")
    return private


def issue(key: Path, out: Path, *extra: str) -> int:
    return license_tool.main(
        [
            "issue",
            "--key",
            str(key),
            "--tier",
            "professional",
            "--licensee",
            "Ada Lovelace",
            "--email",
            "ada@example.com",
            "--days",
            "30",
            "--out",
            str(out),
            *extra,
        ]
    )


def test_keygen_writes_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    private = keygen(tmp_path / "keys")
    kid = private.name.removesuffix(".key")
    assert kid.startswith("clary-")
    assert private.stat().st_mode & 0o777 == 0o600
    assert list(load_key_dir(tmp_path / "keys")) == [kid]


def test_keygen_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fixed = Ed25519PrivateKey.generate()
    monkeypatch.setattr(license_tool.Ed25519PrivateKey, "generate", staticmethod(lambda: fixed))
    private = keygen(tmp_path)
    before = private.read_bytes()
    capsys.readouterr()
    assert license_tool.main(["keygen", "--out", str(tmp_path)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert private.read_bytes() == before


def test_keygen_rejects_a_bad_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert license_tool.main(["keygen", "--out", str(tmp_path), "--name", "bad name"]) == 1
    assert "invalid key id" in capsys.readouterr().err


def test_issue_makes_a_license_the_verifier_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    private = keygen(tmp_path / "keys")
    out = tmp_path / "license.json"
    assert issue(private, out, "--serial", "4", "--grace-days", "3", "--license-id", "acme-1") == 0
    assert "professional license for Ada Lovelace" in capsys.readouterr().out
    verifier = LicenseVerifier(load_key_dir(tmp_path / "keys"))
    status = evaluate(out.read_bytes(), verifier, Ledger(), datetime.now(UTC)).status
    assert status.state is LicenseState.VALID
    assert status.tier is Tier.PROFESSIONAL
    assert (status.license_id, status.serial) == ("acme-1", 4)
    document = json.loads(out.read_bytes())
    assert set(document) == {"v", "alg", "kid", "payload", "sig"}
    assert document["kid"] == private.name.removesuffix(".key")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--email", "not-an-email"], "email"),
        (["--days", "0"], "expires_at must be after issued_at"),
        (["--days", "999999999"], "too large"),
        (["--kid", "no/slashes"], "not a valid key id"),
    ],
)
def test_issue_errors_are_one_clean_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    private = keygen(tmp_path)
    capsys.readouterr()
    assert issue(private, tmp_path / "out.json", *extra) == 1
    err = capsys.readouterr().err
    assert err.startswith("clary-license: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert not (tmp_path / "out.json").exists()


def test_issue_with_a_file_that_is_not_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_key = tmp_path / "x.key"
    not_a_key.write_text("hello")
    assert issue(not_a_key, tmp_path / "out.json") == 1
    assert "is not an Ed25519 private key" in capsys.readouterr().err
    assert issue(tmp_path / "missing.key", tmp_path / "out.json") == 1
    assert "no such file" in capsys.readouterr().err.lower()
