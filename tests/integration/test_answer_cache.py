"""`list` and `show` print a kept answer while nothing they depend on changed, and a new
one as soon as anything did: the real console script in a subprocess, on a real SQLite
catalog. Whether a run printed a kept answer is read from the imports it made (a kept
answer loads neither SQLAlchemy nor pydantic; PYTHONPROFILEIMPORTTIME lists them)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from clary_desktop.app import Registry
from clary_desktop.paths import resolve_paths
from tests.support import cli
from tests.support.download_env import write_manifest

DEFAULT = json.loads((Path(__file__).parents[2] / "resources/catalog/default.json").read_text())
LITE_ID = next(m["id"] for m in DEFAULT["models"] if m["tier"] == "lite")
PRO_ID = next(m["id"] for m in DEFAULT["models"] if m["tier"] == "professional")
COMMANDS = [
    ["list"],
    ["list", "--json"],
    ["show", LITE_ID],
    ["show", PRO_ID, "--json"],
]


@dataclass
class Answer:
    stdout: str
    stderr: str
    returncode: int
    kept: bool


@pytest.fixture(scope="module")
def vendor(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A development key pair and a professional license made with it (30 days)."""
    root = tmp_path_factory.mktemp("vendor")
    ok(cli.run("clary-license", "keygen", "--out", root / "keys"))
    (private,) = (root / "keys").glob("*.key")
    issue = ["issue", "--key", private, "--tier", "professional", "--licensee", "Ada"]
    issue += ["--email", "ada@example.com", "--days", "30", "--out", root / "pro.json"]
    ok(cli.run("clary-license", *issue))
    return {"keys": root / "keys", "license": root / "pro.json"}


@pytest.fixture
def env(tmp_path: Path, vendor: dict[str, Path]) -> dict[str, str]:
    # The policy file's place is the test's own, so a test can put one there.
    return cli.clean_env(
        CLARY_POLICY_FILE=str(tmp_path / "policy" / "policy.json"),
        CLARY_DEV_LICENSE_KEYS=str(vendor["keys"]),
        TEST_PRO_LICENSE=str(vendor["license"]),
    )


def answer(data_dir: Path, *args: str | Path, env: dict[str, str]) -> Answer:
    run = subprocess.run(
        [*cli.script("clary-models"), "--data-dir", str(data_dir), *map(str, args)],
        capture_output=True,
        text=True,
        env={**env, "PYTHONPROFILEIMPORTTIME": "1"},
        timeout=120,
    )
    imports = [line for line in run.stderr.splitlines() if line.startswith("import time:")]
    assert imports, "the import profile is missing"
    loaded = {line.rsplit("|", 1)[1].strip() for line in imports}
    stderr = "".join(
        line + "\n" for line in run.stderr.splitlines() if not line.startswith("import time:")
    )
    return Answer(run.stdout, stderr, run.returncode, kept="sqlalchemy" not in loaded)


def kept_files(data_dir: Path) -> list[Path]:
    folder = resolve_paths(data_dir).answers_dir
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def test_the_second_run_prints_the_kept_answer_and_it_is_the_same(
    data_dir: Path, env: dict[str, str]
) -> None:
    for command in COMMANDS:
        first = answer(data_dir, *command, env=env)
        assert first.returncode == 0 and first.stderr == "", first.stderr
        assert not first.kept, command
        for _ in range(2):
            again = answer(data_dir, *command, env=env)
            assert again.kept, command
            assert (again.stdout, again.stderr, again.returncode) == (first.stdout, "", 0)
    assert len(kept_files(data_dir)) == len(COMMANDS)
    shown = json.loads(answer(data_dir, "show", PRO_ID, "--json", env=env).stdout)
    assert shown["id"] == PRO_ID and shown["locked"] is True


def test_commands_that_only_look_leave_the_kept_answers_in_place(
    data_dir: Path, env: dict[str, str]
) -> None:
    """Looking at the queue, the disk or the license writes nothing to the catalog, so
    the kept answers stay good (the download queue's start looks for jobs a gone process
    left behind without taking the write lock when there are none)."""
    first = answer(data_dir, "list", env=env)
    assert first.returncode == 0 and not first.kept, first.stderr
    for command in (
        ["downloads"],
        ["downloads", "--json"],
        ["storage"],
        ["verify"],
        ["license"],
        ["usage"],
        ["apikey", "list"],
    ):
        looked = answer(data_dir, *command, env=env)
        assert looked.returncode == 0, (command, looked.stderr)
        again = answer(data_dir, "list", env=env)
        assert again.kept, f"`{' '.join(command)}` dropped the kept answer"
        assert again.stdout == first.stdout


def test_narrowed_and_verbose_command_lines_are_never_kept(
    data_dir: Path, env: dict[str, str]
) -> None:
    for command in (
        ["list", "--type", "llm"],
        ["list", "--search", "ocr"],
        ["list", "--tier", "professional"],
        ["list", "--fits", "--ram", "8GB", "--vram", "0"],
        ["-v", "list"],
    ):
        for _ in range(2):
            result = answer(data_dir, *command, env=env)
            assert result.returncode == 0, result.stderr
            assert not result.kept, command
    assert kept_files(data_dir) == []


def _import_a_model(data_dir: Path, env: dict[str, str]) -> None:
    manifest = write_manifest(
        data_dir.parent / "extra.json",
        {
            "id": "kept-answers-new-model",
            "name": "A model added later",
            "type": "llm",
            "tier": "lite",
            "versions": [{"version": "1.0", "files": [{"path": "m.gguf", "url": "http://x/m"}]}],
        },
    )
    ok(cli.run("clary-models", "--data-dir", data_dir, "catalog", "import", manifest, env=env))


def _rename_in_another_program(data_dir: Path, env: dict[str, str]) -> None:
    registry = Registry.open(resolve_paths(data_dir))
    try:
        registry.update_model(LITE_ID, name="Renamed by the window")
    finally:
        registry.close()


def _install_a_license(data_dir: Path, env: dict[str, str]) -> None:
    issued = env["TEST_PRO_LICENSE"]
    ok(cli.run("clary-models", "--data-dir", data_dir, "license", "install", issued, env=env))


def _change_a_setting(data_dir: Path, env: dict[str, str]) -> None:
    setting = ["settings", "set", "concurrent_downloads", "5"]
    ok(cli.run("clary-models", "--data-dir", data_dir, *setting, env=env))


def _write_a_policy(data_dir: Path, env: dict[str, str]) -> None:
    policy = Path(env["CLARY_POLICY_FILE"])
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text(json.dumps({"settings": {"offline": True}, "locked": ["offline"]}))


def _break_the_policy(data_dir: Path, env: dict[str, str]) -> None:
    policy = Path(env["CLARY_POLICY_FILE"])
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text("{not json")


def _go_offline_for_a_run(data_dir: Path, env: dict[str, str]) -> None:
    env["CLARY_OFFLINE"] = "1"


CHANGES: dict[str, tuple[Callable[[Path, dict[str, str]], None], Callable[[str], bool]]] = {
    # what changes, and what the new answer to `show PRO_ID --json` must show
    "a catalog import": (_import_a_model, lambda out: '"locked": true' in out),
    "another program writes the catalog": (
        _rename_in_another_program,
        lambda out: '"locked": true' in out,
    ),
    "a license is installed": (_install_a_license, lambda out: '"locked": false' in out),
    "a setting is changed": (_change_a_setting, lambda out: '"locked": true' in out),
    "a policy file appears": (_write_a_policy, lambda out: '"locked": true' in out),
    "a CLARY_ variable is set": (_go_offline_for_a_run, lambda out: '"locked": true' in out),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_any_change_makes_a_new_answer(change: str, data_dir: Path, env: dict[str, str]) -> None:
    make_change, shows = CHANGES[change]
    before = {tuple(c): answer(data_dir, *c, env=env) for c in COMMANDS}
    assert all(answer(data_dir, *c, env=env).kept for c in COMMANDS)

    make_change(data_dir, env)
    for command in COMMANDS:
        after = answer(data_dir, *command, env=env)
        assert not after.kept, (change, command)
        assert after.returncode == 0 and "Traceback" not in after.stderr
        again = answer(data_dir, *command, env=env)
        assert again.kept, (change, command)
        assert (again.stdout, again.returncode) == (after.stdout, 0)
    shown = answer(data_dir, "show", PRO_ID, "--json", env=env).stdout
    assert shows(shown), shown
    listed = answer(data_dir, "list", env=env).stdout
    if change == "a catalog import":
        assert "kept-answers-new-model" in listed
        assert "kept-answers-new-model" not in before[("list",)].stdout
    if change == "another program writes the catalog":
        assert "Renamed by the window" in answer(data_dir, "show", LITE_ID, env=env).stdout


def test_a_broken_policy_is_said_every_time_and_nothing_is_kept(
    data_dir: Path, env: dict[str, str]
) -> None:
    answer(data_dir, "list", env=env)
    assert answer(data_dir, "list", env=env).kept
    _break_the_policy(data_dir, env)
    for _ in range(2):
        result = answer(data_dir, "list", env=env)
        assert not result.kept
        assert result.returncode == 0 and LITE_ID in result.stdout
        assert "policy" in result.stderr and "warning" in result.stderr


def test_a_kept_answer_holds_until_the_license_expires(data_dir: Path, env: dict[str, str]) -> None:
    _install_a_license(data_dir, env)
    answer(data_dir, "list", env=env)
    (kept,) = kept_files(data_dir)
    record = json.loads(kept.read_text())
    status = json.loads(
        ok(
            cli.run("clary-models", "--data-dir", data_dir, "license", "show", "--json", env=env)
        ).stdout
    )
    assert status["state"] == "valid"
    assert datetime.fromisoformat(record["valid_until"]) == datetime.fromisoformat(
        status["expires_at"]
    )
    assert datetime.fromisoformat(record["made_at"]) < datetime.fromisoformat(record["valid_until"])


@pytest.mark.parametrize("damage", ["garbage", "truncated", "huge", "fifo", "folder"])
def test_a_damaged_kept_answer_is_never_printed(
    damage: str, data_dir: Path, env: dict[str, str]
) -> None:
    first = answer(data_dir, "list", env=env)
    (kept,) = kept_files(data_dir)
    good = kept.read_bytes()
    kept.unlink()
    if damage == "garbage":
        kept.write_bytes(b"\x00\xff not json")
    elif damage == "truncated":
        kept.write_bytes(good[: len(good) // 2])
    elif damage == "huge":
        with kept.open("wb") as handle:
            handle.truncate(64 * 2**20)
    elif damage == "fifo":
        os.mkfifo(kept)
    else:
        kept.mkdir()
    result = answer(data_dir, "list", env=env)  # a FIFO must not block it (timeout)
    assert not result.kept
    assert (result.stdout, result.returncode) == (first.stdout, 0)
    again = answer(data_dir, "list", env=env)
    assert again.stdout == first.stdout
    # The damaged file is replaced by a good answer, except a folder, which stays.
    assert again.kept is (damage != "folder")


def test_an_answer_edited_to_another_state_is_not_printed(
    data_dir: Path, env: dict[str, str]
) -> None:
    """The kept text goes with its fingerprint: one claiming another database state is
    not taken."""
    first = answer(data_dir, "list", env=env)
    (kept,) = kept_files(data_dir)
    record = json.loads(kept.read_text())
    record["fingerprint"]["database"][1] = "0" * 32
    record["text"] = "forged\n"
    kept.write_text(json.dumps(record))
    result = answer(data_dir, "list", env=env)
    assert not result.kept and result.stdout == first.stdout


def test_another_database_is_never_kept(tmp_path: Path, env: dict[str, str]) -> None:
    data_dir = tmp_path / "data"
    env["CLARY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    for _ in range(2):
        result = answer(data_dir, "list", env=env)
        assert result.returncode == 0 and not result.kept
    assert kept_files(data_dir) == []


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result
