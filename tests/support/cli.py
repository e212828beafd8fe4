"""Run the real console scripts in a subprocess, as a user would."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BIN_DIR = Path(sys.executable).parent
#: Where every test run looks for the administrator's policy unless the test writes one:
#: a file that does not exist, so the machine's own /etc/clary-desktop/policy.json is
#: never read. Nothing creates it.
NO_POLICY_FILE = Path(__file__).with_name("no-policy-here") / "policy.json"


def script(name: str) -> list[str]:
    found = shutil.which(name, path=str(BIN_DIR))
    if found:
        return [found]
    module = {
        "clary-models": "clary_desktop.cli.main",
        "clary-license": "clary_desktop.cli.license_tool",
        "clary-catalog": "clary_desktop.cli.catalog_tool",
    }[name]
    return [sys.executable, "-m", module]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that would point the program at the user's files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLARY_", "HF_"))}
    env["HF_HUB_OFFLINE"] = "1"
    env["CLARY_POLICY_FILE"] = str(NO_POLICY_FILE)
    env.update(extra)
    return env


def run(
    name: str,
    *args: str | os.PathLike[str],
    env: dict[str, str] | None = None,
    timeout: float = 120,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*script(name), *map(str, args)],
        capture_output=True,
        text=True,
        env=env if env is not None else clean_env(),
        timeout=timeout,
        input=input,
    )


def spawn(
    *args: str | os.PathLike[str], env: dict[str, str], output: int | None = subprocess.DEVNULL
) -> subprocess.Popen[str]:
    """Start `clary-models ARGS` without waiting for it (`output=subprocess.PIPE` keeps
    what it prints; read it with `communicate`)."""
    return subprocess.Popen(
        [*script("clary-models"), *map(str, args)],
        env=env,
        stdout=output,
        stderr=output,
        text=True,
    )


def kill_when(
    *args: str | os.PathLike[str],
    ready: Callable[[], bool],
    env: dict[str, str],
    settle: float = 0.0,
    timeout: float = 60,
) -> None:
    """Run `clary-models ARGS`, wait until `ready()` (then `settle` seconds more), and
    SIGKILL it: the hard stop a crash or a power cut gives."""
    process = spawn(*args, env=env)
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise AssertionError(f"clary-models {args[-2:]} never got going")
            time.sleep(0.02)
        time.sleep(settle)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(10)
