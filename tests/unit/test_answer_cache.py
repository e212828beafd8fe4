"""Which command lines a kept answer may serve, and for how long it holds."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clary_desktop.cli.answer_cache import (
    MAX_ANSWERS,
    answer_file_name,
    answer_key,
    fingerprint,
    keep_answer,
    next_change,
    read_answer,
)
from clary_desktop.cli.main import build_parser
from clary_desktop.db import open_database
from clary_desktop.paths import AppPaths

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def key_of(*argv: str) -> str | None:
    return answer_key(build_parser().parse_args(list(argv)))


def test_only_plain_list_and_show_are_kept() -> None:
    kept = [("list",), ("list", "--json"), ("show", "m"), ("show", "m", "--json")]
    keys = {key_of(*argv) for argv in kept}
    assert None not in keys and len(keys) == len(kept)
    for argv in (
        ("list", "--type", "llm"),
        ("list", "--tier", "lite"),
        ("list", "--search", "x"),
        ("list", "--updates"),
        ("list", "--fits"),
        ("list", "--ram", "8GB"),
        ("list", "--vram", "0"),
        ("-v", "list"),
        ("versions", "m"),
        ("fit", "m"),
    ):
        assert key_of(*argv) is None, argv


def test_a_kept_answer_holds_from_when_it_was_made_until_the_license_changes(
    paths: AppPaths,
) -> None:
    made_from = {"anything": ["the", "fingerprint"]}
    until = NOW + timedelta(days=30)
    key = key_of("list")
    assert key is not None
    keep_answer(paths, key, "text\n", made_at=NOW, valid_until=until, made_from=made_from)
    assert read_answer(paths, key, NOW, made_from) == "text\n"
    assert read_answer(paths, key, until - timedelta(microseconds=1), made_from) == "text\n"
    assert read_answer(paths, key, until, made_from) is None  # the license expired
    assert read_answer(paths, key, NOW - timedelta(seconds=1), made_from) is None  # clock back
    assert read_answer(paths, key, NOW, {"anything": "else"}) is None
    assert read_answer(paths, key_of("list", "--json") or "", NOW, made_from) is None


def test_an_answer_too_large_to_keep_is_not_kept(paths: AppPaths) -> None:
    key = key_of("list") or ""
    keep_answer(paths, key, "x" * (9 * 2**20), made_at=NOW, valid_until=None, made_from={})
    assert read_answer(paths, key, NOW, {}) is None


def test_the_next_change_is_the_first_license_time_after_now() -> None:
    day = timedelta(days=1)
    assert next_change([NOW - day, NOW + 3 * day, None, NOW + day], NOW) == NOW + day
    assert next_change([NOW - day, None], NOW) is None
    assert next_change([NOW], NOW) is None


@pytest.mark.parametrize("odd", ["settings", "license"])
def test_no_fingerprint_without_a_database_or_with_an_odd_input_file(
    paths: AppPaths, tmp_path: Path, odd: str
) -> None:
    assert fingerprint(paths, None) is None  # no database yet
    db = open_database(paths.effective_database_url)
    with db.write():  # stamps the database
        pass
    db.close()
    assert fingerprint(paths, None) is not None
    target = paths.settings_file if odd == "settings" else tmp_path / "lic.json"
    target.mkdir(parents=True)  # a folder where a file belongs
    license_arg = str(target) if odd == "license" else None
    assert fingerprint(paths, license_arg) is None


def test_at_most_max_answers_are_kept_and_the_oldest_go(paths: AppPaths) -> None:
    keys = [key_of("show", f"model-{n}") or "" for n in range(MAX_ANSWERS + 5)]
    for key in keys[:MAX_ANSWERS]:
        keep_answer(paths, key, key, made_at=NOW, valid_until=None, made_from={})
    # Distinct ages, oldest first, all before the next five are kept.
    for age, key in enumerate(reversed(keys[:MAX_ANSWERS]), start=100):
        path = paths.answers_dir / answer_file_name(key)
        os.utime(path, (time.time() - age, time.time() - age))
    for key in keys[MAX_ANSWERS:]:
        keep_answer(paths, key, key, made_at=NOW, valid_until=None, made_from={})
    assert len(list(paths.answers_dir.glob("*.json"))) == MAX_ANSWERS
    assert [read_answer(paths, key, NOW, {}) for key in keys[:5]] == [None] * 5
    assert all(read_answer(paths, key, NOW, {}) == key for key in keys[5:])


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000, b'"just a string"', b'{"key": 1}', b"\xff\xfe", b""],
    ids=["deeply-nested", "a-string", "wrong-fields", "not-utf8", "empty"],
)
def test_a_file_that_is_not_a_kept_answer_is_never_read_as_one(
    paths: AppPaths, content: bytes
) -> None:
    key = key_of("list") or ""
    paths.answers_dir.mkdir(parents=True)
    (paths.answers_dir / answer_file_name(key)).write_bytes(content)
    assert read_answer(paths, key, NOW, {}) is None
