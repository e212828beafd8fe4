"""Datetimes read back from SQLite have one owner (`db.timestamps.as_utc`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from clary_desktop.db.timestamps import as_utc
from tests.support.storage_env import open_registry

NAIVE = datetime(2026, 1, 2, 3, 4, 5)
PLUS_TWO = timezone(timedelta(hours=2))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (NAIVE, NAIVE.replace(tzinfo=UTC)),
        (NAIVE.replace(tzinfo=UTC), NAIVE.replace(tzinfo=UTC)),
        # An aware value is kept as it is (same instant, same offset), never re-labelled.
        (NAIVE.replace(tzinfo=PLUS_TWO), NAIVE.replace(tzinfo=PLUS_TWO)),
    ],
)
def test_naive_is_utc_and_aware_is_kept(value: datetime | None, expected: datetime | None) -> None:
    result = as_utc(value)
    assert result == expected
    if result is not None and expected is not None:
        assert result.utcoffset() == expected.utcoffset()


def test_what_the_registry_reads_back_is_aware(tmp_path: Path) -> None:
    with open_registry(tmp_path / "data") as registry:
        models = registry.list_models()
        assert models
        assert all(m.created_at.tzinfo is not None for m in models)
        key, _secret = registry.create_api_key("pipeline")
        assert [k.created_at.utcoffset() for k in registry.list_api_keys()] == [timedelta(0)]
        assert key.created_at.tzinfo is not None
