"""Opening the catalog database: engine, migrations (with a backup first) and sessions."""

from __future__ import annotations

import glob
import logging
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, insert, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from clary_desktop.db.engine import WRITE_OPTION, create_catalog_engine, sqlite_file_of
from clary_desktop.db.migrations import LATEST_SCHEMA, current_schema_version, migrate
from clary_desktop.db.tables import MetaEntry, table_of
from clary_desktop.errors import Action, DatabaseError, Hint
from clary_desktop.userfiles import UserFileError, require_regular

log = logging.getLogger(__name__)
WRITE_STAMP_KEY = "write_stamp"
"""The `clary_meta` entry every write transaction sets to a new random value."""
_OTHER_DATA_DIR = Hint(Action.CHOOSE_DATA_DIR)


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
            stamp_write(session)
            yield session

    def close(self) -> None:
        self.engine.dispose()


def stamp_write(session: Session) -> None:
    """Give the database a new write stamp within this write transaction, so that a
    reader outside the program (the command line's answer cache) can tell with one
    query whether anything changed since it last looked."""
    meta = table_of(MetaEntry)
    stamp = secrets.token_hex(16)
    changed = session.execute(update(meta).where(meta.c.key == WRITE_STAMP_KEY).values(value=stamp))
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(meta).values(key=WRITE_STAMP_KEY, value=stamp))


@contextmanager
def translate_db_errors(where: str) -> Iterator[None]:
    """Turn driver errors into one plain sentence that says what to do."""
    try:
        yield
    except sa_exc.DBAPIError as error:
        raise db_error(error, where) from error


def db_error(error: sa_exc.DBAPIError, where: str) -> DatabaseError:
    """The driver's error as one plain sentence that says what to do."""
    detail = str(error.orig) if error.orig is not None else str(error)
    lowered = detail.lower()
    if "readonly" in lowered or "read-only" in lowered:
        return read_only_error(where)
    if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
        return DatabaseError(
            f"The catalog database {where} is damaged ({detail}). Move it away to start a "
            "fresh catalog, or restore a backup (catalog.db.backup-*) from the same folder."
        )
    if "unable to open" in lowered:
        return DatabaseError(
            f"Cannot open the catalog database {where}. Check that the folder exists and "
            "that you may write to it, or choose another data folder.",
            hint=_OTHER_DATA_DIR,
        )
    if "locked" in lowered or "busy" in lowered:
        return DatabaseError(
            f"The catalog database {where} is busy (another Clary Desktop is writing to it). "
            "Try again in a moment."
        )
    return DatabaseError(f"Catalog database error in {where}: {detail}")


def damaged_way_out(db_file: Path) -> str:
    """What to do about a damaged file, naming its newest backup when there is one."""
    # Backup names end in a UTC time stamp (see backup_sqlite_file): newest last.
    backups = sorted(
        db_file.parent.glob(f"{glob.escape(db_file.name)}.backup-*"),
        key=lambda path: path.name.rsplit("-", 1)[-1],
    )
    if not backups:
        return (
            "Clary Desktop left the file as it is; there is no backup beside it. Move the "
            f"file away (for example rename it to {db_file.name}.damaged) to start a fresh "
            "catalog."
        )
    return (
        f"Clary Desktop left the file as it is. Restore the newest backup {backups[-1]} by "
        f"renaming it to {db_file.name}, or move the file away to start a fresh catalog."
    )


def check_sqlite_file(db_file: Path) -> None:
    """Refuse a file SQLite would silently treat as a new, empty database, or hang on.

    A zero-byte catalog.db (a crash or a full disk) would otherwise be recreated empty,
    losing API keys, imported models and install records without a word.
    """
    try:
        info = db_file.stat()
    except FileNotFoundError:
        return
    except OSError as error:
        raise DatabaseError(
            f"Cannot read the catalog database {db_file}: {error.strerror}. Check the "
            "permissions of the file and its folder."
        ) from error
    try:
        require_regular(db_file, info.st_mode)
    except UserFileError as error:
        # SQLite would wait forever on a named pipe, or read a device.
        raise DatabaseError(
            f"The catalog database {db_file} {error.detail}. Move it away to start a fresh "
            "catalog, or choose another data folder.",
            hint=_OTHER_DATA_DIR,
        ) from None
    if info.st_size == 0:
        raise DatabaseError(
            f"The catalog database {db_file} is empty (0 bytes): its catalog, API keys, "
            f"imported models and install records are lost. {damaged_way_out(db_file)}"
        )


def check_foreign_tables(db_file: Path) -> None:
    """A SQLite file with tables but no Clary schema is not ours (or lost its schema).

    Looked at read-only, before the engine switches the file to WAL.
    """
    if not db_file.is_file():
        return
    try:
        con = sqlite3.connect(f"{db_file.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return  # damaged or unreadable: opening it below says so
    names = sorted(name for (name,) in rows if not name.startswith("sqlite_"))
    if names and "clary_meta" not in names:
        raise DatabaseError(
            f"The catalog database {db_file} holds tables ({', '.join(names[:5])}) "
            "but no Clary Desktop schema version: it is damaged or not a Clary catalog. "
            f"{damaged_way_out(db_file)}"
        )


def create_sqlite_file(db_file: Path) -> None:
    """Create a new database file whole (header written, WAL on) under its final name.

    SQLite itself creates the file empty and writes it a moment later; a second program
    starting in that moment would see a zero-byte catalog, which means damage.
    """
    if db_file.exists():
        return
    fresh = db_file.with_name(f".{db_file.name}.{os.getpid()}.new")
    try:
        con = sqlite3.connect(fresh)
        try:
            con.execute("PRAGMA journal_mode = WAL")
        finally:
            con.close()
        os.link(fresh, db_file)
    except FileExistsError:
        pass  # another program created it first
    except (OSError, sqlite3.Error) as error:
        # A file system without hard links: SQLite creates the file as it always did.
        log.debug("Could not create %s whole: %s", db_file, error)
    finally:
        fresh.unlink(missing_ok=True)


def read_only_error(where: str) -> DatabaseError:
    return DatabaseError(
        f"The catalog database {where} is read-only. Give your user write access to it "
        "and its folder, or choose another data folder.",
        hint=_OTHER_DATA_DIR,
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
                f"{error.strerror}. Choose another data folder.",
                hint=_OTHER_DATA_DIR,
            ) from error
        check_sqlite_file(db_file)
        check_foreign_tables(db_file)
        create_sqlite_file(db_file)
        if db_file.exists() and not os.access(db_file, os.W_OK):
            raise read_only_error(where)
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
                    "Update Clary Desktop, or choose another data folder.",
                    hint=_OTHER_DATA_DIR,
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
