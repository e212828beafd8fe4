"""Opening the catalog database: engine, migrations (with a backup first) and sessions."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from clary_desktop.db.engine import WRITE_OPTION, create_catalog_engine, sqlite_file_of
from clary_desktop.db.migrations import LATEST_SCHEMA, current_schema_version, migrate
from clary_desktop.errors import DatabaseError

log = logging.getLogger(__name__)


class Database:
    """One engine and two ways to get a Session: `read()` and `write()`.

    One Session per unit of work; a Session never crosses threads.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(
            engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        where = self.engine.url.render_as_string(hide_password=True)
        with translate_db_errors(where), self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction, committed when the block ends without an exception."""
        where = self.engine.url.render_as_string(hide_password=True)
        with translate_db_errors(where), self._write() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()


@contextmanager
def translate_db_errors(where: str) -> Iterator[None]:
    """Turn driver errors into one plain sentence that says what to do."""
    try:
        yield
    except sa_exc.DBAPIError as error:
        raise DatabaseError(describe_db_error(error, where)) from error


def describe_db_error(error: sa_exc.DBAPIError, where: str) -> str:
    detail = str(error.orig) if error.orig is not None else str(error)
    lowered = detail.lower()
    if "readonly" in lowered or "read-only" in lowered:
        return read_only_message(where)
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return (
            f"The catalog database {where} is damaged ({detail}). Move it away to start a "
            "fresh catalog, or restore a backup (catalog.db.backup-*) from the same folder."
        )
    if "unable to open" in lowered:
        return (
            f"Cannot open the catalog database {where}. Check that the folder exists and "
            "that you may write to it, or choose another --data-dir."
        )
    if "locked" in lowered or "busy" in lowered:
        return (
            f"The catalog database {where} is busy (another Clary Desktop is writing to it). "
            "Try again in a moment."
        )
    return f"Catalog database error in {where}: {detail}"


def read_only_message(where: str) -> str:
    return (
        f"The catalog database {where} is read-only. Give your user write access to it "
        "and its folder, or start with another --data-dir."
    )


def backup_sqlite_file(db_file: Path, from_version: int) -> Path:
    """Copy a SQLite file (WAL included) beside itself before a migration."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = db_file.with_name(f"{db_file.name}.backup-v{from_version}-{stamp}")
    source = sqlite3.connect(db_file)
    try:
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    return target


def open_database(url: str) -> Database:
    """Open (creating if needed) and migrate the catalog database at `url`."""
    db_file = sqlite_file_of(url)
    where = str(db_file) if db_file else url
    if db_file is not None:
        try:
            db_file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseError(
                f"Cannot create the folder for the catalog database {db_file.parent}: "
                f"{error.strerror}. Choose another --data-dir."
            ) from error
        if db_file.exists() and not os.access(db_file, os.W_OK):
            raise DatabaseError(read_only_message(where))
    engine = create_catalog_engine(url)
    try:
        with translate_db_errors(where):
            with engine.connect() as conn:
                version = current_schema_version(conn)
                conn.rollback()
            if version > LATEST_SCHEMA:
                raise DatabaseError(
                    f"The catalog database {where} was written by a newer Clary Desktop "
                    f"(schema {version}; this program knows up to {LATEST_SCHEMA}). "
                    "Update Clary Desktop, or start with another --data-dir."
                )
            if version < LATEST_SCHEMA:
                if version > 0 and db_file is not None:
                    backup = backup_sqlite_file(db_file, version)
                    log.info("Backed up the catalog database to %s before migrating", backup)
                with engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
                    start = migrate(conn)
                log.info("Migrated the catalog database from schema %s to %s", start, LATEST_SCHEMA)
    except BaseException:
        engine.dispose()
        raise
    return Database(engine)
