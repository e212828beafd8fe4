"""Start-up as a user meets it: whole-process times of the commands (median of
CLARY_BENCH_STARTUP_RUNS runs, default 5) against the goals, the time a small download
spends above its transfer, and the slowest imports (`python -X importtime`). Figures are
printed, never asserted.

Each figure is the median wall time and the median CPU time (user + sys) of the process:
on a busy machine the wall time also holds the time spent waiting for a core, the CPU time
does not. The programs run as installed, with compiled bytecode (see
`whole_process.as_installed`); the floors are what Python and the catalog's libraries
alone take to start on this machine, which no command that reads the catalog can beat.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import bench_clary, cli
from tests.support.fault_server import make_file
from tests.support.nginx_server import NginxServer, require_tools
from tests.support.whole_process import CATALOG_LIBRARIES, Run, as_installed, timed

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(1800)]

RUNS = int(os.environ.get("CLARY_BENCH_STARTUP_RUNS", "5"))
SMALL_BYTES = 2**20
SMALL_GOAL = 0.5  # seconds above the transfer time
#: What starting Python and importing the catalog's libraries take, with nothing of ours.
FLOORS = {
    "python -c pass": "pass",
    "python -c 'import sqlalchemy'": "import sqlalchemy",
    "python -c 'import sqlalchemy.orm'": "import sqlalchemy.orm",
    "  + sqlite dialect, pydantic": CATALOG_LIBRARIES,
}


@pytest.fixture(scope="module")
def installed_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    yield as_installed(
        cli.clean_env(QT_QPA_PLATFORM="offscreen"), tmp_path_factory.mktemp("pycache")
    )


def _desktop() -> list[str]:
    found = shutil.which("clary-desktop", path=str(cli.BIN_DIR))
    return [found] if found else [sys.executable, "-m", "clary_desktop.gui.app"]


def _medians(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Median wall and CPU seconds of RUNS runs, after one run left out (it fills the
    bytecode cache)."""
    timed(argv, env=env)
    runs = [timed(argv, env=env) for _ in range(RUNS)]
    return _median(runs, "seconds"), _median(runs, "cpu_seconds")


def _median(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(run, field) for run in runs)


def test_command_start_up(
    tmp_path: Path, installed_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    env = installed_env
    models = [*cli.script("clary-models"), "--data-dir", str(tmp_path / "data")]
    # The first run creates the database and loads the default catalog; users meet that
    # once, so it is left out of the figures.
    listed = json.loads(timed([*models, "list", "--json"], env=env).stdout)
    assert listed["models"], "the default catalog is empty"
    shown = listed["models"][0]["id"]
    commands: list[tuple[str, list[str], float | None]] = [
        ("clary-models --version", [*models, "--version"], 0.15),
        ("clary-models --help", [*models, "--help"], 0.15),
        ("clary-models list", [*models, "list"], 0.35),
        (f"clary-models show {shown}", [*models, "show", shown], 0.35),
        ("clary-desktop --version", [*_desktop(), "--version"], None),
    ]
    commands += [(name, [sys.executable, "-c", code], None) for name, code in FLOORS.items()]
    rows = [(name, *_medians(argv, env), goal) for name, argv, goal in commands]
    with capsys.disabled():
        print(f"\nstart-up, whole process, median of {RUNS} runs (bytecode compiled)")
        print(f"{'command':<44}{'wall s':>8}{'cpu s':>8}{'goal':>7}  verdict")
        for index, (name, seconds, cpu, goal) in enumerate(rows):
            if index == len(rows) - len(FLOORS):
                print("floors (Python and the catalog's libraries alone):")
            verdict = "" if goal is None else ("met" if seconds < goal else "MISSED")
            print(f"{name:<44}{seconds:>8.3f}{cpu:>8.3f}{_goal(goal):>7}  {verdict}")


def test_small_download_above_its_transfer(
    tmp_path: Path, installed_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tools = require_tools("nginx", "curl")
    served = tmp_path / "served"
    served.mkdir()
    digest = make_file(served / "small.bin", SMALL_BYTES, seed=7)
    clary: list[Run] = []
    transfer: list[float] = []
    # The libraries' floor timed in the same minutes, one run beside each download: on a
    # shared machine the speed of Python itself moves by half from one hour to the next.
    floor: list[Run] = []
    with NginxServer(tools["nginx"], served) as server:
        url = server.url("small.bin")
        for run in range(RUNS + 1):
            # curl's own figure from connect to last byte: the transfer, without start-up.
            curl = subprocess.run(
                [tools["curl"], "-sSf", "-o", os.devnull, "-w", "%{time_total}", url],
                capture_output=True,
                text=True,
                check=True,
            )
            data_dir = bench_clary.fresh_data_dir(tmp_path / "data", url, SMALL_BYTES, digest)
            downloaded = bench_clary.download(data_dir, env=installed_env)
            installed = bench_clary.installed_file(data_dir)
            assert bench_clary.file_sha256(installed) == digest
            libraries = timed([sys.executable, "-c", CATALOG_LIBRARIES], env=installed_env)
            if run:  # the first run fills the bytecode cache
                transfer.append(float(curl.stdout))
                clary.append(downloaded)
                floor.append(libraries)
    whole, moving = _median(clary, "seconds"), statistics.median(transfer)
    above = whole - moving
    libraries_alone = _median(floor, "seconds")
    with capsys.disabled():
        print(f"\n{SMALL_BYTES // 2**20} MiB download from nginx, median of {RUNS} runs")
        print(
            f"clary-models download: {whole:.3f} s wall, {_median(clary, 'cpu_seconds'):.3f} s "
            f"cpu; the transfer (curl): {moving:.3f} s"
        )
        print(
            f"above the transfer: {above:.3f} s (goal < {SMALL_GOAL} s): "
            f"{'met' if above < SMALL_GOAL else 'MISSED'}"
        )
        print(
            f"  of which Python importing the catalog's libraries alone (same minutes): "
            f"{libraries_alone:.3f} s; clary's own start-up, work and exit: "
            f"{above - libraries_alone:.3f} s"
        )


@pytest.mark.parametrize("command", [["--version"], ["list"]], ids=["version", "list"])
def test_slowest_imports(
    command: list[str],
    tmp_path: Path,
    installed_env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [sys.executable, "-X", "importtime", "-m", "clary_desktop.cli.main"]
    argv += ["--data-dir", str(tmp_path / "data"), *command]
    # Twice: the first run creates the database and fills the bytecode cache.
    for _ in range(2):
        run = subprocess.run(
            argv, capture_output=True, text=True, env=installed_env, check=True, timeout=120
        )
    imports: list[tuple[int, int, str]] = []
    for line in run.stderr.splitlines():
        # "import time:      self [us] | cumulative | imported package"
        if not line.startswith("import time:") or "imported package" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        imports.append((int(cumulative), int(own), name.rstrip()))
    assert imports, "python -X importtime printed nothing"
    total = sum(own for _cumulative, own, _name in imports)
    with capsys.disabled():
        print(
            f"\n`python -X importtime -m clary_desktop.cli.main {' '.join(command)}`: "
            f"{total / 1000:.1f} ms of imports; top 10 cumulative, then top 10 self"
        )
        print(f"{'cumulative':>12}{'self':>10}  module")
        for cumulative, own, name in sorted(imports, reverse=True)[:10]:
            print(f"{cumulative / 1000:>9.1f} ms{own / 1000:>7.1f} ms  {name}")
        for cumulative, own, name in sorted(imports, key=lambda i: -i[1])[:10]:
            print(f"{cumulative / 1000:>9.1f} ms{own / 1000:>7.1f} ms  {name.strip()}")


def _goal(goal: float | None) -> str:
    return f"{goal:.2f}" if goal is not None else "-"
