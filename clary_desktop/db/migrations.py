"""Versioned schema. Each migration moves the schema up by one and is frozen:
it describes its own tables instead of importing the ORM, so an old database
always upgrades through the same steps a fresh one is created with.

`migrate()` runs every pending step inside one write transaction; the caller
backs the SQLite file up first (see `database.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    DefaultClause,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
)

SCHEMA_VERSION_KEY = "schema_version"


def _meta_table(metadata: MetaData) -> Table:
    return Table(
        "clary_meta",
        metadata,
        Column("key", String(64), primary_key=True),
        Column("value", Text, nullable=False),
    )


def _v1_seed_tables(conn: Connection) -> None:
    """Schema 1: the seed's three tables, as the first release shipped them."""
    md = MetaData()
    _meta_table(md)
    Table(
        "models",
        md,
        Column("id", String(128), primary_key=True),
        Column("name", String(256), nullable=False, index=True),
        Column("description", Text, nullable=False),
        Column("type", String(32), nullable=False, index=True),
        Column("version", String(64), nullable=False),
        Column("size_bytes", BigInteger),
        Column("filename", String(512)),
        Column("repo_id", String(256)),
        Column("download_url", Text),
        Column("tier", String(16), nullable=False, index=True),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("parameters", JSON, nullable=False),
        Column("tags", JSON, nullable=False),
    )
    Table(
        "model_versions",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "model_id",
            String(128),
            ForeignKey("models.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("version", String(64), nullable=False),
        Column("filename", String(512)),
        Column("size_bytes", BigInteger),
        Column("download_url", Text),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("changes", Text),
        UniqueConstraint("model_id", "version", name="uq_model_versions_model"),
    )
    Table(
        "model_downloads",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("model_id", String(128), nullable=False, index=True),
        Column("version", String(64), nullable=False),
        Column("downloaded_at", DateTime(timezone=True)),
        Column("status", String(16), nullable=False, index=True),
        Column("error", Text),
    )
    md.create_all(conn)


def _add_column(conn: Connection, table: str, column: Column[Any]) -> None:
    """ALTER TABLE ... ADD COLUMN, compiled for the connected database."""
    ddl_type = column.type.compile(dialect=conn.dialect)
    preparer = conn.dialect.identifier_preparer
    default = ""
    if column.server_default is not None:
        assert isinstance(column.server_default, DefaultClause)  # server_default=text(...)
        default = f" DEFAULT {column.server_default.arg}"
    conn.execute(
        text(
            f"ALTER TABLE {preparer.quote(table)} "
            f"ADD COLUMN {preparer.quote(column.name)} {ddl_type}{default}"
        )
    )


def _v2_files_installs_licenses(conn: Connection) -> None:
    """Schema 2: per-version files with sha256, Hub revisions, installations,
    model licenses, download progress, and a search column."""
    column: Column[Any]
    for column in (
        Column("license_id", String(64)),
        Column("license_name", String(256)),
        Column("license_url", Text),
        Column("commercial_use", Boolean),
        Column("origin", String(16), server_default=text("'default'")),
        Column("user_modified", Boolean, server_default=text("0")),
        Column("search_text", Text, server_default=text("''")),
    ):
        _add_column(conn, "models", column)
    for column in (Column("repo_id", String(256)), Column("revision", String(64))):
        _add_column(conn, "model_versions", column)
    for column in (
        Column("bytes_done", BigInteger, server_default=text("0")),
        Column("bytes_total", BigInteger),
        Column("speed_bps", Float),
        Column("created_at", DateTime(timezone=True)),
        Column("updated_at", DateTime(timezone=True)),
    ):
        _add_column(conn, "model_downloads", column)

    # Rows from schema 1 get their search text now; later writes keep it current.
    conn.execute(
        text(
            "UPDATE models SET search_text = LOWER(id || ' ' || name || ' ' || "
            "COALESCE(description, '') || ' ' || COALESCE(CAST(tags AS TEXT), ''))"
        )
    )

    md = MetaData()
    Table("models", md, Column("id", String(128), primary_key=True))
    Table("model_versions", md, Column("id", Integer, primary_key=True))
    files = Table(
        "version_files",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "version_id",
            Integer,
            ForeignKey("model_versions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("path", String(512), nullable=False),
        Column("size_bytes", BigInteger),
        Column("sha256", String(64)),
        Column("url", Text),
        UniqueConstraint("version_id", "path", name="uq_version_files_path"),
    )
    installations = Table(
        "installations",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "model_id",
            String(128),
            ForeignKey("models.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("version", String(64), nullable=False),
        Column("path", Text, nullable=False),
        Column("size_bytes", BigInteger),
        Column("installed_at", DateTime(timezone=True), nullable=False),
        Column("verified_at", DateTime(timezone=True)),
        Column("active", Boolean, nullable=False),
        UniqueConstraint("model_id", "version", name="uq_installations_model"),
    )
    md.create_all(conn, tables=[files, installations])
    models = Table("models", MetaData(), autoload_with=conn)
    Index("ix_models_type_tier_name", models.c.type, models.c.tier, models.c.name).create(conn)


def _v3_download_queue(conn: Connection) -> None:
    """Schema 3: what the persistent download queue needs on each job: a forced
    re-download flag, the file in progress, the digests of a failed check, and the
    process that runs the job (so a new process knows an old one died)."""
    for column in (
        Column("force", Boolean, server_default=text("0")),
        Column("current_file", String(512)),
        Column("expected_sha256", String(64)),
        Column("actual_sha256", String(64)),
        Column("owner", String(128)),
    ):
        _add_column(conn, "model_downloads", column)


def _v4_api_usage_metrics(conn: Connection) -> None:
    """Schema 4: local API keys (hashed), the model chosen per task, per-model
    parameters, runs reported by the models' consumers, and how long the last
    verification of an installation took."""
    _add_column(conn, "installations", Column("verify_seconds", Float))
    md = MetaData()
    Table("models", md, Column("id", String(128), primary_key=True))
    Table(
        "api_keys",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(64), nullable=False, unique=True),
        Column("key_hash", String(64), nullable=False, unique=True),
        Column("prefix", String(16), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("last_used_at", DateTime(timezone=True)),
        Column("revoked_at", DateTime(timezone=True)),
    )
    Table(
        "usage_selections",
        md,
        Column("task", String(32), primary_key=True),
        Column(
            "model_id",
            String(128),
            ForeignKey("models.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("selected_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "model_settings",
        md,
        Column(
            "model_id",
            String(128),
            ForeignKey("models.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("parameters", JSON, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "model_runs",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "model_id",
            String(128),
            ForeignKey("models.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("version", String(64)),
        Column("reported_at", DateTime(timezone=True), nullable=False),
        Column("latency_ms", Float, nullable=False),
        Column("throughput", Float),
        Column("success", Boolean, nullable=False),
        Column("api_key_id", Integer),
    )
    md.create_all(conn, tables=[t for name, t in md.tables.items() if name != "models"])


def _v5_retired_models(conn: Connection) -> None:
    """Schema 5: models dropped by the remote catalog are marked retired, not deleted."""
    _add_column(conn, "models", Column("retired", Boolean, server_default=text("0")))


def _v6_search_index(conn: Connection) -> None:
    """Schema 6: an index that serves "first page of a type, in name order, filtered by
    tier and words" from the index alone, stopping at the page's last row."""
    models = Table("models", MetaData(), autoload_with=conn)
    Index(
        "ix_models_type_name_filter",
        models.c.type,
        models.c.name,
        models.c.id,
        models.c.tier,
        models.c.search_text,
    ).create(conn)


def _v7_cards_and_starters(conn: Connection) -> None:
    """Schema 7: a model card (Markdown) per model, and the catalog's starter pick."""
    _add_column(conn, "models", Column("card", Text))
    _add_column(conn, "models", Column("recommended", Boolean, server_default=text("0")))


def _v8_model_facts(conn: Connection) -> None:
    """Schema 8: what each version's headers say (layers, heads, weight bytes...), from
    the catalog, the file on the server or the installed file; the figures the model
    list's memory verdict needs are columns, the rest JSON."""
    md = MetaData()
    Table("model_versions", md, Column("id", Integer, primary_key=True))
    facts = Table(
        "model_facts",
        md,
        Column(
            "version_id",
            Integer,
            ForeignKey("model_versions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("format", String(16), nullable=False),
        Column("source", String(16), nullable=False),
        Column("weight_bytes", BigInteger),
        Column("kv_bytes_per_token", BigInteger),
        Column("context_length", Integer),
        Column("facts", JSON, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    md.create_all(conn, tables=[facts])


MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: _v1_seed_tables,
    2: _v2_files_installs_licenses,
    3: _v3_download_queue,
    4: _v4_api_usage_metrics,
    5: _v5_retired_models,
    6: _v6_search_index,
    7: _v7_cards_and_starters,
    8: _v8_model_facts,
}
LATEST_SCHEMA = max(MIGRATIONS)


def current_schema_version(conn: Connection) -> int:
    """0 for an empty database; otherwise the version recorded by the last migration."""
    if not inspect(conn).has_table("clary_meta"):
        return 0
    meta = _meta_table(MetaData())
    value = conn.execute(
        select(meta.c.value).where(meta.c.key == SCHEMA_VERSION_KEY)
    ).scalar_one_or_none()
    return int(value) if value is not None else 0


def migrate(conn: Connection, target: int = LATEST_SCHEMA) -> int:
    """Apply the steps from the current version up to `target`; returns the start version.

    Runs on the caller's transaction, so a failing step leaves the database as it was.
    """
    start = current_schema_version(conn)
    meta = _meta_table(MetaData())
    for version in range(start + 1, target + 1):
        MIGRATIONS[version](conn)
        if version == 1:
            conn.execute(meta.insert().values(key=SCHEMA_VERSION_KEY, value="1"))
        else:
            conn.execute(
                meta.update().where(meta.c.key == SCHEMA_VERSION_KEY).values(value=str(version))
            )
    return start
