"""The catalog database: SQLite settings, migrations with a backup, refusal of newer files."""

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from clary_desktop.db import open_database
from clary_desktop.db.database import WRITE_STAMP_KEY, Database, create_sqlite_file
from clary_desktop.db.engine import create_catalog_engine
from clary_desktop.db.migrations import LATEST_SCHEMA, migrate
from clary_desktop.db.tables import Base
from clary_desktop.errors import DatabaseError


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_sqlite_runs_with_wal_full_sync_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    db = open_database(_url(tmp_path / "c.db"))
    try:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        db.close()


def test_write_sessions_begin_immediate_so_a_second_writer_waits(tmp_path: Path) -> None:
    db = open_database(_url(tmp_path / "c.db"))
    try:
        with db.write() as session:
            session.execute(text("INSERT INTO clary_meta(key, value) VALUES ('a', '1')"))
            # The RESERVED lock is held from BEGIN on: another connection cannot write now.
            other = sqlite3.connect(tmp_path / "c.db", timeout=0.05)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
    finally:
        db.close()


def test_orm_tables_match_the_migrated_schema(tmp_path: Path) -> None:
    db = open_database(_url(tmp_path / "c.db"))
    try:
        inspector = inspect(db.engine)
        for table in Base.metadata.sorted_tables:
            migrated = {c["name"] for c in inspector.get_columns(table.name)}
            assert migrated == {c.name for c in table.columns}, table.name
            migrated_indexes = {i["name"] for i in inspector.get_indexes(table.name)}
            assert {i.name for i in table.indexes} <= migrated_indexes, table.name
    finally:
        db.close()


def _make_v1_database(path: Path) -> None:
    """A database as the first release left it, with one seed-shaped model in it."""
    engine = create_catalog_engine(_url(path))
    with engine.begin() as conn:
        migrate(conn, target=1)
        conn.execute(
            text(
                "INSERT INTO models (id, name, description, type, version, size_bytes, filename,"
                " repo_id, download_url, tier, created_at, updated_at, parameters, tags) VALUES"
                " ('old-model', 'Old Model', 'From release one', 'llm', '1.0', 42, 'old.gguf',"
                " 'org/old', NULL, 'standard', '2024-01-01 00:00:00', '2024-01-01 00:00:00',"
                " :params, :tags)"
            ),
            {"params": json.dumps({"context_length": 2048}), "tags": json.dumps(["legacy"])},
        )
        conn.execute(
            text(
                "INSERT INTO model_versions (model_id, version, filename, size_bytes,"
                " download_url, created_at, changes) VALUES ('old-model', '1.0', 'old.gguf', 42,"
                " NULL, '2024-01-01 00:00:00', 'first')"
            )
        )
    engine.dispose()


def test_a_first_schema_database_is_backed_up_and_migrated_keeping_its_data(tmp_path: Path) -> None:
    db_file = tmp_path / "catalog.db"
    _make_v1_database(db_file)

    db = open_database(_url(db_file))
    try:
        with db.engine.connect() as conn:
            assert conn.execute(
                text("SELECT value FROM clary_meta WHERE key='schema_version'")
            ).scalar() == str(LATEST_SCHEMA)
            row = conn.execute(text("SELECT name, tier, search_text, origin FROM models")).one()
        assert row.name == "Old Model" and row.tier == "standard"
        assert "legacy" in row.search_text and "old model" in row.search_text
        assert row.origin == "default"
    finally:
        db.close()

    backups = list(tmp_path.glob("catalog.db.backup-v1-*"))
    assert len(backups) == 1
    backup = sqlite3.connect(backups[0])
    assert backup.execute("SELECT value FROM clary_meta").fetchone() == ("1",)
    assert backup.execute("SELECT id FROM models").fetchall() == [("old-model",)]
    backup.close()


def test_a_failing_migration_leaves_the_old_schema_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clary_desktop.db import migrations

    db_file = tmp_path / "catalog.db"
    _make_v1_database(db_file)
    original = migrations.MIGRATIONS[2]

    def half_then_fail(conn) -> None:  # type: ignore[no-untyped-def]
        original(conn)
        raise RuntimeError("power cut")

    monkeypatch.setitem(migrations.MIGRATIONS, 2, half_then_fail)
    with pytest.raises(RuntimeError, match="power cut"):
        open_database(_url(db_file))
    check = sqlite3.connect(db_file)
    assert check.execute("SELECT value FROM clary_meta").fetchone() == ("1",)
    columns = {r[1] for r in check.execute("PRAGMA table_info(models)")}
    assert "license_id" not in columns
    assert (
        check.execute("SELECT name FROM sqlite_master WHERE name='installations'").fetchone()
        is None
    )
    check.close()


def test_a_newer_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    db_file = tmp_path / "catalog.db"
    open_database(_url(db_file)).close()
    con = sqlite3.connect(db_file)
    con.execute("UPDATE clary_meta SET value='99' WHERE key='schema_version'")
    con.commit()
    con.close()
    before = db_file.read_bytes()
    with pytest.raises(
        DatabaseError, match=r"newer Clary Desktop \(schema 99; this program knows up to \d+\)"
    ):
        open_database(_url(db_file))
    assert db_file.read_bytes() == before
    assert not list(tmp_path.glob("*.backup-*"))


def test_a_corrupt_file_gives_a_plain_error_and_is_not_changed(tmp_path: Path) -> None:
    db_file = tmp_path / "catalog.db"
    db_file.write_bytes(b"this is not a database at all " * 200)
    before = db_file.read_bytes()
    with pytest.raises(DatabaseError, match="is damaged") as info:
        open_database(_url(db_file))
    assert "Move it away" in str(info.value)
    assert db_file.read_bytes() == before


def test_a_zero_byte_file_is_refused_and_kept(tmp_path: Path) -> None:
    """SQLite would take an empty file for a new database and fill it with an empty catalog."""
    db_file = tmp_path / "catalog.db"
    db_file.touch()
    with pytest.raises(DatabaseError, match=r"is empty \(0 bytes\)") as info:
        open_database(_url(db_file))
    message = str(info.value)
    assert "API keys" in message and "no backup" in message
    assert "rename it to catalog.db.damaged" in message
    assert db_file.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.db"]


def test_a_zero_byte_file_names_the_newest_backup(tmp_path: Path) -> None:
    db_file = tmp_path / "catalog.db"
    _make_v1_database(db_file)
    open_database(_url(db_file)).close()
    (backup,) = tmp_path.glob("catalog.db.backup-v1-*")
    (tmp_path / "catalog.db.backup-v1-20200101T000000000000Z").write_bytes(b"older")
    db_file.write_bytes(b"")
    with pytest.raises(DatabaseError, match="is empty") as info:
        open_database(_url(db_file))
    assert f"Restore the newest backup {backup} by renaming it to catalog.db" in str(info.value)
    assert db_file.stat().st_size == 0

    # The way out the message names works: the backup opens, migrated, with its model.
    backup.replace(db_file)
    db = open_database(_url(db_file))
    try:
        with db.read() as session:
            assert session.execute(text("SELECT id FROM models")).scalars().all() == ["old-model"]
    finally:
        db.close()


def test_a_sqlite_file_without_the_clary_schema_is_refused(tmp_path: Path) -> None:
    """Tables but no schema version: someone else's database, or ours with clary_meta lost."""
    db_file = tmp_path / "catalog.db"
    con = sqlite3.connect(db_file)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.execute("INSERT INTO notes VALUES ('keep me')")
    con.commit()
    con.close()
    before = db_file.read_bytes()
    with pytest.raises(DatabaseError, match=r"holds tables \(notes\) but no Clary Desktop schema"):
        open_database(_url(db_file))
    assert db_file.read_bytes() == before


def test_a_new_database_file_never_exists_empty(tmp_path: Path) -> None:
    """Created whole under its final name, so a second program starting at the same moment
    never sees a zero-byte catalog (which it would refuse as damaged)."""
    db_file = tmp_path / "catalog.db"
    create_sqlite_file(db_file)
    assert db_file.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.db"]
    con = sqlite3.connect(db_file)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    con.close()
    before = db_file.read_bytes()
    create_sqlite_file(db_file)
    assert db_file.read_bytes() == before
    open_database(_url(db_file)).close()


def test_database_sessions_are_separate_units_of_work(tmp_path: Path) -> None:
    db: Database = open_database(_url(tmp_path / "c.db"))
    try:
        with pytest.raises(ValueError), db.write() as session:
            session.execute(text("INSERT INTO clary_meta(key, value) VALUES ('x', 'y')"))
            raise ValueError("abort")
        with db.read() as session:
            assert (
                session.execute(text("SELECT count(*) FROM clary_meta WHERE key='x'")).scalar() == 0
            )
    finally:
        db.close()


def test_every_write_transaction_sets_a_new_stamp_and_reads_do_not(tmp_path: Path) -> None:
    db_file = tmp_path / "c.db"
    db = open_database(f"sqlite:///{db_file}")

    def stamp() -> str | None:
        with sqlite3.connect(db_file) as conn:  # as a reader outside the program sees it
            row = conn.execute(
                "SELECT value FROM clary_meta WHERE key = ?", (WRITE_STAMP_KEY,)
            ).fetchone()
        return row[0] if row else None

    try:
        assert stamp() is None  # a fresh database had no write transaction yet
        seen = set()
        for _ in range(3):
            with db.write() as session:
                session.execute(text("SELECT 1"))
            seen.add(stamp())
        assert len(seen) == 3 and None not in seen
        before = stamp()
        with db.read() as session:
            session.execute(text("SELECT 1"))
        assert stamp() == before
        with pytest.raises(RuntimeError), db.write():
            raise RuntimeError("rolled back")
        assert stamp() == before  # a rolled-back write changed nothing
    finally:
        db.close()
