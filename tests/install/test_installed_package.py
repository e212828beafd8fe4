"""The sdist and the wheel as a user gets them: the sdist built from the checkout, the
wheel built from that sdist (as pip builds an sdist), installed into a fresh virtualenv
outside the checkout, and run from a folder that is not the checkout, with no PYTHONPATH
and none of our variables set. An editable install hides missing package data;
this does not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
RESOURCE_FILES = sorted(
    p.relative_to(ROOT / "resources").as_posix()
    for p in (ROOT / "resources").rglob("*")
    if p.is_file() and not p.name.startswith(".")  # dotfiles are for git, not users
)
DEFAULT_IDS = {
    m["id"] for m in json.loads((ROOT / "resources/catalog/default.json").read_text())["models"]
}


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    # No --sdist/--wheel: `build` then makes the sdist and builds the wheel from it, the
    # way pip installs an sdist; so the wheel run below covers both.
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=out,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    (wheel,) = out.glob("clary_desktop-*.whl")
    (sdist,) = out.glob("clary_desktop-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_wheel_carries_every_resource_file(artifacts: dict[str, Path]) -> None:
    with zipfile.ZipFile(artifacts["wheel"]) as wheel:
        names = set(wheel.namelist())
    prefix = "clary_desktop/_resources/"
    missing = [f for f in RESOURCE_FILES if prefix + f not in names]
    assert not missing, f"resources missing from the wheel: {missing}"


def test_sdist_carries_every_resource_file(artifacts: dict[str, Path]) -> None:
    with tarfile.open(artifacts["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    missing = [f for f in RESOURCE_FILES if f"resources/{f}" not in names]
    assert not missing, f"resources missing from the sdist: {missing}"
    assert "setup.py" in names


def _user_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CLARY_", "HF_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(CLARY_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", QT_QPA_PLATFORM="offscreen")
    return env


def test_installed_program_runs_outside_the_checkout(
    artifacts: dict[str, Path], tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / "bin"
    env = _user_env(tmp_path / "data")
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(artifacts["wheel"])],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stderr[-4000:]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
            cwd=tmp_path,
        )

    listed = run("clary-models", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    models = json.loads(listed.stdout)["models"]
    assert models and {m["id"] for m in models} <= DEFAULT_IDS

    shown = run("clary-models", "license", "show")
    assert shown.returncode == 0, shown.stderr
    assert "Lite" in shown.stdout

    self_test = run("clary-desktop", "--self-test")
    assert self_test.returncode == 0, self_test.stdout + self_test.stderr
    assert "self-test passed" in self_test.stdout
    resources_line = next(x for x in self_test.stdout.splitlines() if "resources:" in x)
    assert str(venv) in resources_line and str(ROOT) not in resources_line

    # A damaged installation says what is wrong and how to repair it.
    (resources,) = venv.glob("lib/python*/site-packages/clary_desktop/_resources")
    (resources / "catalog" / "default.json").unlink()
    broken = run("clary-models", "list")
    assert broken.returncode == 1
    assert "installation is incomplete" in broken.stderr and "Reinstall" in broken.stderr
    assert "error: file:" not in broken.stderr and "Traceback" not in broken.stderr
