"""The administrator's policy file: read whole or not at all, merged over the user's
settings, and locked settings refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clary_desktop import paths as paths_module
from clary_desktop.paths import POLICY_FILE_ENV, default_policy_file, policy_file
from clary_desktop.policy import (
    LOCKED_WORDS,
    MAX_POLICY_BYTES,
    Policy,
    PolicyLockedError,
    load_policy,
)
from clary_desktop.settings import Settings
from tests.support.cli import NO_POLICY_FILE

#: The user's own choices, which a broken policy must leave exactly as they are.
USER = Settings(proxy="http://mine.example:8080", concurrent_downloads=5, api_port=9000)


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "policy.json"
    text = document if isinstance(document, str) else json.dumps(document)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_policy_sets_and_locks_values_and_starts_others(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "settings": {
                "offline": True,
                "proxy": "http://proxy.corp:3128",
                "catalog_url": "https://catalog.corp/catalog.json",
                "concurrent_downloads": 4,
            },
            "locked": ["offline", "proxy", "catalog_url"],
        },
    )
    policy = load_policy(path)
    assert policy.problem is None and policy.source == path
    assert policy.locked == {"offline", "proxy", "catalog_url"}
    assert policy.starting == {"concurrent_downloads": 4}

    in_force = policy.apply(USER)
    assert (in_force.offline, in_force.proxy) == (True, "http://proxy.corp:3128")
    assert in_force.catalog_url == "https://catalog.corp/catalog.json"
    assert (in_force.concurrent_downloads, in_force.api_port) == (5, 9000)  # the user's
    assert policy.notes() == [f'Settings marked "{LOCKED_WORDS}" come from {path}.']

    # A starting value fills only what the user's file does not hold.
    assert policy.fill(Settings()).concurrent_downloads == 4
    assert policy.fill(Settings.model_validate_json('{"concurrent_downloads": 2}')) == Settings()


def test_a_locked_change_is_refused_and_the_users_own_value_is_what_is_saved(
    tmp_path: Path,
) -> None:
    policy = load_policy(
        write(tmp_path, {"settings": {"proxy": "http://proxy.corp:3128"}, "locked": ["proxy"]})
    )
    with pytest.raises(PolicyLockedError) as refused:
        policy.check_change(USER, USER.model_copy(update={"proxy": "http://other:1"}))
    assert str(refused.value) == (
        f"proxy: {LOCKED_WORDS} (in {tmp_path / 'policy.json'}); nothing was changed. "
        "Ask your IT department if it should be different."
    )
    with pytest.raises(PolicyLockedError, match=LOCKED_WORDS):
        policy.require_unlocked(["concurrent_downloads", "proxy"])
    policy.require_unlocked(["concurrent_downloads"])

    # A front that started from the settings in force sends the policy's value back:
    # that is no change, and the user's own value is saved, never the policy's.
    wanted = policy.apply(USER).model_copy(update={"concurrent_downloads": 9})
    saved = policy.check_change(USER, wanted)
    assert (saved.proxy, saved.concurrent_downloads) == ("http://mine.example:8080", 9)


def test_no_file_means_no_policy(tmp_path: Path) -> None:
    for missing in (tmp_path / "none.json", tmp_path / "no-folder" / "policy.json"):
        policy = load_policy(missing)
        assert policy == Policy()
        assert policy.apply(USER) == USER and policy.notes() == []
        policy.check_change(USER, USER.model_copy(update={"offline": True}))


def test_the_file_comes_from_the_environment_else_the_per_os_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(POLICY_FILE_ENV, str(tmp_path / "it.json"))
    assert policy_file() == tmp_path / "it.json"
    monkeypatch.setenv(POLICY_FILE_ENV, "")
    assert policy_file() == default_policy_file()
    for platform, expected in (
        ("linux", Path("/etc/clary-desktop/policy.json")),
        ("darwin", Path("/Library/Application Support/Clary Desktop/policy.json")),
    ):
        monkeypatch.setattr(paths_module.sys, "platform", platform)
        assert default_policy_file() == expected
    monkeypatch.setattr(paths_module.sys, "platform", "win32")
    monkeypatch.setenv("PROGRAMDATA", r"D:\ProgramData")
    assert default_policy_file() == Path(r"D:\ProgramData", "Clary Desktop", "policy.json")


def test_tests_never_read_the_machines_policy() -> None:
    """The shared fixtures point every test (and every CLI it starts) at a missing file."""
    assert os.environ[POLICY_FILE_ENV] == str(NO_POLICY_FILE)
    assert policy_file() == NO_POLICY_FILE and not NO_POLICY_FILE.exists()


VALID_SETTINGS = {"proxy": "http://proxy.corp:3128", "concurrent_downloads": 3}

MALFORMED: dict[str, tuple[Any, str]] = {
    "bad JSON": (
        '{"settings": {"proxy": "http://p:1",}}',
        "it is not valid JSON (line 1, column 37: Expecting property name enclosed in double "
        "quotes)",
    ),
    "empty": ("  \n", "it is empty"),
    "not UTF-8": (b'{"settings": {"proxy": "\xff"}}', "it is not UTF-8 text"),
    "a list": ("[1, 2]", 'it must hold one JSON object: {"settings": {...}, "locked": [...]}'),
    "unknown top-level key": (
        {"settings": VALID_SETTINGS, "lock": ["proxy"]},
        'it has "lock" at the top, where only "settings" and "locked" belong',
    ),
    "settings not an object": (
        {"settings": ["proxy"]},
        '"settings" must be an object of setting names and values',
    ),
    "unknown setting": (
        {"settings": {**VALID_SETTINGS, "ofline": True}},
        '"settings" has "ofline", which is not a setting (did you mean "offline"?)',
    ),
    "locked not a list": (
        {"settings": VALID_SETTINGS, "locked": "proxy"},
        '"locked" must be a list of setting names',
    ),
    "locked unknown": (
        {"settings": VALID_SETTINGS, "locked": ["proxy", "colour"]},
        '"locked" has "colour", which is not a setting',
    ),
    "locked without a value": (
        {"settings": VALID_SETTINGS, "locked": ["offline"]},
        '"locked" names "offline", which "settings" gives no value',
    ),
    "text for a number": (
        {"settings": {**VALID_SETTINGS, "api_port": "8080"}},
        "\"api_port\": input should be a valid integer (found '8080')",
    ),
    "fraction for a whole number": (
        {"settings": {"concurrent_downloads": 2.5}},
        '"concurrent_downloads": input should be a valid integer (found 2.5)',
    ),
    "text for a switch": (
        {"settings": {"offline": "yes"}},
        "\"offline\": input should be a valid boolean (found 'yes')",
    ),
    "out of range": (
        {"settings": {**VALID_SETTINGS, "parallel_parts": 99}},
        '"parallel_parts": input should be less than or equal to 32 (found 99)',
    ),
    "negative limit": (
        {"settings": {"bandwidth_limit_bps": -1}},
        '"bandwidth_limit_bps": input should be greater than 0 (found -1)',
    ),
    "a name given twice": (
        '{"settings": {"offline": false, "offline": true}}',
        'it gives "offline" twice',
    ),
}


def assert_nothing_applied(policy: Policy, path: Path, problem: str | None) -> None:
    """A broken policy: none of its values, the user's settings kept, offline with the
    API off for the run, every change refused, and the problem in plain words."""
    assert policy.problem is not None and policy.source == path
    if problem is not None:
        assert policy.problem == problem
    in_force = policy.apply(USER)
    assert in_force == USER.model_copy(update={"offline": True, "api_enabled": False})
    assert in_force.proxy == "http://mine.example:8080"  # not the broken file's proxy
    assert policy.locked == set(Settings.model_fields)
    assert policy.starting == {}
    [note] = policy.notes()
    assert note.startswith(f"The administrator's policy file {path} cannot be used: ")
    assert "Ask your IT department to fix the file." in note
    with pytest.raises(PolicyLockedError) as refused:
        policy.check_change(USER, USER.model_copy(update={"concurrent_downloads": 6}))
    assert str(refused.value).startswith(
        f"Settings cannot be changed: the administrator's policy file {path} cannot be used ("
    )


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_policy_is_reported_and_nothing_in_it_is_applied(
    tmp_path: Path, case: str
) -> None:
    content, problem = MALFORMED[case]
    path = tmp_path / "policy.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        write(tmp_path, content)
    assert_nothing_applied(load_policy(path), path, problem)


def test_a_policy_too_large_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, {"settings": {"proxy": "http://p:1" + " " * 299_950}})
    assert MAX_POLICY_BYTES == 256_000
    assert_nothing_applied(load_policy(path), path, "it is too large (300 kB; the limit is 256 kB)")


def test_a_folder_a_device_or_a_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    folder = tmp_path / "policy.json"
    folder.mkdir()
    assert_nothing_applied(load_policy(folder), folder, "it is a folder, not a regular file")
    if Path("/dev/zero").exists():
        device = tmp_path / "device.json"
        device.symlink_to("/dev/zero")
        assert_nothing_applied(load_policy(device), device, "it is a device, not a regular file")
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.json"
        os.mkfifo(fifo)  # opening it to read would wait for a writer forever
        assert_nothing_applied(
            load_policy(fifo), fifo, "it is a named pipe (FIFO), not a regular file"
        )


def test_a_policy_the_program_cannot_read_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, {"settings": VALID_SETTINGS})
    path.chmod(0)
    if os.geteuid() != 0:
        assert_nothing_applied(load_policy(path), path, None)
        assert "cannot be read" in (load_policy(path).problem or "")
        return
    # Root reads every file, so the program runs without the capabilities that let it
    # (setpriv, util-linux), as a user without rights to the file would.
    check = (
        "import sys\nfrom pathlib import Path\n"
        "from clary_desktop.policy import load_policy\n"
        "from tests.unit.test_policy import assert_nothing_applied\n"
        "path = Path(sys.argv[1])\npolicy = load_policy(path)\n"
        "assert_nothing_applied(policy, path, None)\nprint(policy.problem)\n"
    )
    repo = Path(__file__).resolve().parents[2]
    without_read_rights = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    run = subprocess.run(
        [*without_read_rights, sys.executable, "-c", check, str(path)],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "cannot be read" in run.stdout


def test_a_byte_order_mark_from_notepad_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"settings": VALID_SETTINGS}).encode())
    policy = load_policy(path)
    assert policy.problem is None and policy.starting == VALID_SETTINGS


def test_an_empty_policy_object_changes_nothing(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, {}))
    assert policy.problem is None and policy.apply(USER) == USER and not policy.locked
