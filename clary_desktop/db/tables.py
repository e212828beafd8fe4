"""ORM tables of the current schema (SQLAlchemy 2.x typed mappings).

The seed's names and fields are kept (`ModelMetadata`, `ModelVersion`,
`ModelDownload`); what real use needs is added beside them. The schema itself is
created and changed only by `migrations.py`; a test checks the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


def table_of(model: type[Base]) -> Table:
    """A mapped class's table, for Core statements (declarative types it as any FromClause)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class MetaEntry(Base):
    """Small key/value facts about the database itself (schema version, seeded catalog)."""

    __tablename__ = "clary_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ModelMetadata(Base):
    """One catalog entry. `version`, `size_bytes`, `filename`, `repo_id` and
    `download_url` describe the newest version, as in the seed."""

    __tablename__ = "models"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    filename: Mapped[str | None] = mapped_column(String(512))
    repo_id: Mapped[str | None] = mapped_column(String(256))
    download_url: Mapped[str | None] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Added in schema 2.
    license_id: Mapped[str | None] = mapped_column(String(64))
    license_name: Mapped[str | None] = mapped_column(String(256))
    license_url: Mapped[str | None] = mapped_column(Text)
    commercial_use: Mapped[bool | None] = mapped_column(Boolean)
    origin: Mapped[str] = mapped_column(String(16), default="default")
    user_modified: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Added in schema 5: no longer in the remote catalog, kept while installed.
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    # Added in schema 7: the model card (Markdown, for users; read on its own, never with
    # a list) and the catalog's starter pick for the model's task.
    card: Mapped[str | None] = mapped_column(Text, deferred=True)
    recommended: Mapped[bool] = mapped_column(Boolean, default=False)

    versions: Mapped[list[ModelVersion]] = relationship(
        back_populates="model", cascade="all, delete-orphan", passive_deletes=True
    )


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version", name="uq_model_versions_model"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("models.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(512))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    download_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changes: Mapped[str | None] = mapped_column(Text)
    # Added in schema 2.
    repo_id: Mapped[str | None] = mapped_column(String(256))
    revision: Mapped[str | None] = mapped_column(String(64))

    model: Mapped[ModelMetadata] = relationship(back_populates="versions")
    files: Mapped[list[VersionFile]] = relationship(
        back_populates="version_row",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="VersionFile.id",
    )


class VersionFile(Base):
    """One file of a model version; `path` may contain `/` (repo snapshots)."""

    __tablename__ = "version_files"
    __table_args__ = (UniqueConstraint("version_id", "path", name="uq_version_files_path"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(Text)

    version_row: Mapped[ModelVersion] = relationship(back_populates="files")


class ModelDownload(Base):
    """A download job and its outcome (the seed's download record, with progress)."""

    __tablename__ = "model_downloads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(String(128), index=True)
    version: Mapped[str] = mapped_column(String(64))
    downloaded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    # Added in schema 2.
    bytes_done: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int | None] = mapped_column(BigInteger)
    speed_bps: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    # Added in schema 3: the download queue.
    force: Mapped[bool] = mapped_column(Boolean, default=False)
    current_file: Mapped[str | None] = mapped_column(String(512))
    expected_sha256: Mapped[str | None] = mapped_column(String(64))
    actual_sha256: Mapped[str | None] = mapped_column(String(64))
    owner: Mapped[str | None] = mapped_column(String(128))


class Installation(Base):
    """A model version present on disk: where, how big, and when it was last verified."""

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("model_id", "version", name="uq_installations_model"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("models.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Added in schema 4.
    verify_seconds: Mapped[float | None] = mapped_column(Float)


Index("ix_models_type_tier_name", ModelMetadata.type, ModelMetadata.tier, ModelMetadata.name)
Index(
    "ix_models_type_name_filter",
    ModelMetadata.type,
    ModelMetadata.name,
    ModelMetadata.id,
    ModelMetadata.tier,
    ModelMetadata.search_text,
)


class ApiKey(Base):
    """A key for the local API. Only its sha256 is stored; the key is shown once."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UsageSelection(Base):
    """The model the document pipeline uses for a task (llm, layout, ocr, ...)."""

    __tablename__ = "usage_selections"
    task: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("models.id", ondelete="CASCADE"), index=True
    )
    selected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelSetting(Base):
    """Parameters the user set for a model, over the catalog's defaults."""

    __tablename__ = "model_settings"
    model_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("models.id", ondelete="CASCADE"), primary_key=True
    )
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ModelRun(Base):
    """One run reported by a consumer of a model through the API."""

    __tablename__ = "model_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(
        String(128), ForeignKey("models.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[str | None] = mapped_column(String(64))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    latency_ms: Mapped[float] = mapped_column(Float)
    throughput: Mapped[float | None] = mapped_column(Float)
    success: Mapped[bool] = mapped_column(Boolean)
    api_key_id: Mapped[int | None] = mapped_column(Integer)


class VersionFacts(Base):
    """What a version's headers say (schema 8); `facts` is a dumped `ModelFacts`, and
    the figures the model list's verdict needs are columns of their own."""

    __tablename__ = "model_facts"
    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    format: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    weight_bytes: Mapped[int | None] = mapped_column(BigInteger)
    kv_bytes_per_token: Mapped[int | None] = mapped_column(BigInteger)
    context_length: Mapped[int | None] = mapped_column(Integer)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
