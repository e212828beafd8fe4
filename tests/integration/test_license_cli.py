"""End to end with a development key: `clary-license` issues, `clary-models` obeys."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.support import cli as cli_support

DEFAULT = json.loads((Path(__file__).parents[2] / "resources/catalog/default.json").read_text())
ALL_IDS = sorted(m["id"] for m in DEFAULT["models"])
LITE_IDS = sorted(m["id"] for m in DEFAULT["models"] if m["tier"] == "lite")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture(scope="module")
def vendor(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A dev key pair and a professional license, made once by the real tool."""
    root = tmp_path_factory.mktemp("vendor")
    ok(cli_support.run("clary-license", "keygen", "--out", root / "keys"))
    (private,) = (root / "keys").glob("*.key")
    license_file = root / "pro.json"
    ok(
        cli_support.run(
            "clary-license",
            "issue",
            "--key",
            private,
            "--tier",
            "professional",
            "--licensee",
            "Ada Lovelace",
            "--email",
            "ada@example.com",
            "--days",
            "30",
            "--out",
            license_file,
        )
    )
    return {"keys": root / "keys", "license": license_file}


@pytest.fixture
def models(vendor: dict[str, Path], data_dir: Path):
    env = cli_support.clean_env(CLARY_DEV_LICENSE_KEYS=str(vendor["keys"]))

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return cli_support.run("clary-models", "--data-dir", data_dir, *args, env=env)

    return run


def list_json(models, *args: str | Path) -> dict:
    return json.loads(ok(models(*args, "list", "--json")).stdout)


def status_json(models, *args: str | Path) -> dict:
    return json.loads(ok(models(*args, "license", "show", "--json")).stdout)


def tampered(original: Path, out: Path, field: str) -> Path:
    """Change one character inside the payload or the signature, keeping it base64url."""
    text = original.read_text()
    value = json.loads(text)[field]
    start = text.index(value) + len(value) // 2
    old = text[start]
    new = B64[(B64.index(old) + 1) % len(B64)]
    out.write_text(text[:start] + new + text[start + 1 :])
    return out


def test_a_professional_license_unlocks_every_model(models, vendor: dict[str, Path]) -> None:
    out = list_json(models, "--license", vendor["license"])
    assert out["user_tier"] == "professional"
    assert sorted(m["id"] for m in out["models"]) == ALL_IDS
    assert len(ALL_IDS) == 6
    assert not any(m["locked"] for m in out["models"])

    shown = ok(models("--license", vendor["license"], "license", "show")).stdout
    for text in ("valid", "Professional", "Ada Lovelace <ada@example.com>", "Expires"):
        assert text in shown


def test_no_license_is_lite(models) -> None:
    assert "none: Lite (free)" in ok(models("license", "show")).stdout
    out = list_json(models)
    assert out["user_tier"] == "lite"
    assert sorted(m["id"] for m in out["models"]) == LITE_IDS


@pytest.mark.parametrize("field", ["payload", "sig"])
def test_one_changed_byte_makes_it_lite(
    models, vendor: dict[str, Path], tmp_path: Path, field: str
) -> None:
    forged = tampered(vendor["license"], tmp_path / "forged.json", field)
    status = status_json(models, "--license", forged)
    assert status["state"] == "invalid"
    assert status["tier"] == "lite"
    assert status["reason_code"] == "bad_signature"
    assert "changed or damaged" in status["reason"]

    shown = ok(models("--license", forged, "license", "show")).stdout
    assert "invalid" in shown and "signature does not match" in shown

    out = list_json(models, "--license", forged)
    assert out["user_tier"] == "lite"
    assert sorted(m["id"] for m in out["models"]) == LITE_IDS


def test_install_then_list_and_an_invalid_file_never_replaces_it(
    models, vendor: dict[str, Path], data_dir: Path, tmp_path: Path
) -> None:
    result = ok(models("license", "install", vendor["license"]))
    assert "Installed the license for Ada Lovelace" in result.stdout
    installed = data_dir / "license.json"
    assert installed.read_bytes() == vendor["license"].read_bytes()
    assert list_json(models)["user_tier"] == "professional"

    forged = tampered(vendor["license"], tmp_path / "forged.json", "payload")
    result = models("license", "install", forged)
    assert result.returncode == 1
    assert result.stderr.startswith("clary-models: error: ")
    assert "was not installed" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert installed.read_bytes() == vendor["license"].read_bytes()
    assert status_json(models)["state"] == "valid"


def test_license_file_from_the_environment(vendor: dict[str, Path], data_dir: Path) -> None:
    env = cli_support.clean_env(
        CLARY_DEV_LICENSE_KEYS=str(vendor["keys"]), CLARY_LICENSE_FILE=str(vendor["license"])
    )
    result = ok(cli_support.run("clary-models", "--data-dir", data_dir, "list", "--json", env=env))
    assert json.loads(result.stdout)["user_tier"] == "professional"


def test_without_the_dev_key_the_license_is_unknown(
    vendor: dict[str, Path], data_dir: Path
) -> None:
    result = ok(
        cli_support.run(
            "clary-models",
            "--data-dir",
            data_dir,
            "--license",
            vendor["license"],
            "license",
            "show",
            "--json",
        )
    )
    status = json.loads(result.stdout)
    assert (status["state"], status["tier"], status["reason_code"]) == (
        "invalid",
        "lite",
        "unknown_key",
    )


def test_clary_license_errors_are_one_line(tmp_path: Path) -> None:
    result = cli_support.run(
        "clary-license",
        "issue",
        "--key",
        tmp_path / "missing.key",
        "--tier",
        "standard",
        "--licensee",
        "X",
        "--email",
        "x@example.com",
        "--days",
        "1",
        "--out",
        tmp_path / "out.json",
    )
    assert result.returncode == 1
    assert result.stderr.startswith("clary-license: error: ")
    assert result.stderr.count("\n") == 1


def test_a_run_with_the_clock_far_ahead_is_undone_by_a_renewal(
    data_dir: Path, tmp_path: Path
) -> None:
    """One run with the clock in 2035 expired every license for good; a license Clary
    issues after that run restarts the clock check, and `license show` says so first."""
    from datetime import UTC, datetime, timedelta

    from clary_desktop.licensing import LicenseManager
    from clary_desktop.paths import resolve_paths
    from tests.support.licenses import Signer

    signer = Signer(kid="dev-clock-test")
    signer.write_public(tmp_path / "keys")
    env = cli_support.clean_env(CLARY_DEV_LICENSE_KEYS=str(tmp_path / "keys"))

    def models(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return cli_support.run("clary-models", "--data-dir", data_dir, *args, env=env)

    now = datetime.now(UTC)
    current = tmp_path / "current.json"
    current.write_bytes(
        signer.license(
            issued_at=now - timedelta(days=30), expires_at=now + timedelta(days=335), serial=1
        )
    )
    ok(models("license", "install", current))

    # The program once ran with the computer's clock in 2035 (the same core, another clock).
    ahead = LicenseManager.for_paths(
        resolve_paths(data_dir),
        verifier=signer.verifier(),
        clock=lambda: datetime(2035, 1, 1, tzinfo=UTC),
    )
    assert ahead.status().state.value == "expired"

    status = status_json(models)
    assert (status["state"], status["tier"], status["clock_set_back"]) == ("expired", "lite", True)
    assert "ahead when Clary Desktop saw that time" in status["reason"]
    assert "ask Clary for a new license file" in status["reason"]
    shown = ok(models("license", "show")).stdout
    assert "2035-01-01" in shown and "install it" in shown
    assert list_json(models)["user_tier"] == "lite"

    renewal = tmp_path / "renewal.json"
    renewal.write_bytes(
        signer.license(issued_at=datetime.now(UTC), expires_at=now + timedelta(days=365), serial=2)
    )
    result = ok(models("license", "install", renewal))
    assert "Installed the license for Test User (Professional" in result.stdout
    assert "restarted the clock check" in result.stdout
    status = status_json(models)
    assert (status["state"], status["tier"], status["clock_set_back"]) == (
        "valid",
        "professional",
        False,
    )
    assert list_json(models)["user_tier"] == "professional"
    state = json.loads((data_dir / "license-state.json").read_text())
    assert state["clock_restarts"] == 1 and not state["latest_seen"].startswith("2035")
