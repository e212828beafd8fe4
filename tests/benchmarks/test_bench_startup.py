"""Start-up as a user meets it: whole-process times of the commands (median of
CLARY_BENCH_STARTUP_RUNS runs, default 5) against the goals, the time a small download
spends above its transfer, and the slowest imports of `clary-models --version`
(`python -X importtime`). Figures are printed, never asserted.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import bench_clary, cli
from tests.support.fault_server import make_file
from tests.support.nginx_server import NginxServer, require_tools
from tests.support.whole_process import timed

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(1800)]

RUNS = int(os.environ.get("CLARY_BENCH_STARTUP_RUNS", "5"))
SMALL_BYTES = 2**20
SMALL_GOAL = 0.5  # seconds above the transfer time


def _desktop() -> list[str]:
    found = shutil.which("clary-desktop", path=str(cli.BIN_DIR))
    return [found] if found else [sys.executable, "-m", "clary_desktop.gui.app"]


def _median_seconds(argv: list[str], env: dict[str, str]) -> float:
    return statistics.median(timed(argv, env=env).seconds for _ in range(RUNS))


def test_command_start_up(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = cli.clean_env(QT_QPA_PLATFORM="offscreen")
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
    rows = [(name, _median_seconds(argv, env), goal) for name, argv, goal in commands]
    with capsys.disabled():
        print(f"\nstart-up, whole process, median of {RUNS} runs")
        print(f"{'command':<36}{'seconds':>9}{'goal':>8}  verdict")
        for name, seconds, goal in rows:
            verdict = "" if goal is None else ("met" if seconds < goal else "MISSED")
            print(f"{name:<36}{seconds:>9.3f}{_goal(goal):>8}  {verdict}")


def test_small_download_above_its_transfer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tools = require_tools("nginx", "curl")
    served = tmp_path / "served"
    served.mkdir()
    digest = make_file(served / "small.bin", SMALL_BYTES, seed=7)
    clary: list[float] = []
    transfer: list[float] = []
    with NginxServer(tools["nginx"], served) as server:
        url = server.url("small.bin")
        for _ in range(RUNS):
            # curl's own figure from connect to last byte: the transfer, without start-up.
            curl = subprocess.run(
                [tools["curl"], "-sSf", "-o", os.devnull, "-w", "%{time_total}", url],
                capture_output=True,
                text=True,
                check=True,
            )
            transfer.append(float(curl.stdout))
            data_dir = bench_clary.fresh_data_dir(tmp_path / "data", url, SMALL_BYTES, digest)
            clary.append(bench_clary.download(data_dir).seconds)
            installed = bench_clary.installed_file(data_dir)
            assert bench_clary.file_sha256(installed) == digest
    whole, moving = statistics.median(clary), statistics.median(transfer)
    above = whole - moving
    with capsys.disabled():
        print(f"\n{SMALL_BYTES // 2**20} MiB download from nginx, median of {RUNS} runs")
        print(f"clary-models download: {whole:.3f} s; the transfer (curl): {moving:.3f} s")
        print(
            f"above the transfer: {above:.3f} s (goal < {SMALL_GOAL} s): "
            f"{'met' if above < SMALL_GOAL else 'MISSED'}"
        )


def test_slowest_imports(capsys: pytest.CaptureFixture[str]) -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "clary_desktop.cli.main", "--version"],
        capture_output=True,
        text=True,
        env=cli.clean_env(),
        check=True,
        timeout=120,
    )
    imports: list[tuple[int, int, str]] = []
    for line in run.stderr.splitlines():
        # "import time:      self [us] | cumulative | imported package"
        if not line.startswith("import time:") or "imported package" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        imports.append((int(cumulative), int(own), name.rstrip()))
    assert imports, "python -X importtime printed nothing"
    imports.sort(reverse=True)
    with capsys.disabled():
        print("\n`python -X importtime -m clary_desktop.cli.main --version`, top 10 cumulative")
        print(f"{'cumulative':>12}{'self':>10}  module")
        for cumulative, own, name in imports[:10]:
            print(f"{cumulative / 1000:>9.1f} ms{own / 1000:>7.1f} ms  {name}")


def _goal(goal: float | None) -> str:
    return f"{goal:.2f}" if goal is not None else "-"
