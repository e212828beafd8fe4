"""Model facts kept per version in the catalog database (table `model_facts`).

Facts come from the catalog (manifest `facts`), from headers read on the server, or
from installed files. What a real file says outranks what a catalog claims: a
manifest import replaces only facts that came from a manifest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, case, delete, func, insert, select
from sqlalchemy.orm import Session

from clary_desktop.db import Database
from clary_desktop.db.tables import (
    ModelMetadata,
    ModelSetting,
    ModelVersion,
    VersionFacts,
    table_of,
)
from clary_desktop.domain.model_facts import FactsSource, ModelFacts
from clary_desktop.errors import Action, Hint, NotFoundError


class FactsRow(NamedTuple):
    """What the model list's verdict needs of one model's newest version."""

    model_id: str
    format: str
    weight_bytes: int | None
    kv_bytes_per_token: int | None
    context_length: int | None
    #: The context the user (model_settings) or the catalog (parameters) chose, if any.
    chosen_context: object
    #: The gpu_layers the user or the catalog chose, if any, and the model's layer count.
    gpu_layers: int | None
    block_count: int | None


def _row_values(version_id: int, facts: ModelFacts, now: datetime) -> dict[str, Any]:
    return {
        "version_id": version_id,
        "format": facts.format,
        "source": str(facts.source),
        "weight_bytes": facts.weight_bytes,
        "kv_bytes_per_token": facts.kv_bytes_per_token(),
        "context_length": facts.context_length,
        "facts": facts.model_dump(mode="json"),
        "updated_at": now,
    }


class FactsStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    def version_id(self, session: Session, model_id: str, version: str | None) -> tuple[int, str]:
        """The row id and name of `version` (default: the model's newest)."""
        if version is None:
            version = session.scalar(
                select(ModelMetadata.version).where(ModelMetadata.id == model_id)
            )
            if version is None:
                raise NotFoundError(
                    f"No model {model_id!r} in the catalog.", hint=Hint(Action.LIST_MODELS)
                )
        found = session.scalar(
            select(ModelVersion.id).where(
                ModelVersion.model_id == model_id, ModelVersion.version == version
            )
        )
        if found is None:
            raise NotFoundError(
                f"{model_id} has no version {version!r}.",
                hint=Hint(Action.LIST_VERSIONS, model_id=model_id),
            )
        return found, version

    def get(self, model_id: str, version: str | None = None) -> tuple[str, ModelFacts | None]:
        """(the version's name, its stored facts or None)."""
        with self.db.read() as session:
            version_id, name = self.version_id(session, model_id, version)
            stored = session.get(VersionFacts, version_id)
            return name, ModelFacts.model_validate(stored.facts) if stored else None

    def save(self, model_id: str, version: str, facts: ModelFacts) -> None:
        with self.db.write() as session:
            version_id, _ = self.version_id(session, model_id, version)
            conn = session.connection()
            table = table_of(VersionFacts)
            conn.execute(delete(table).where(table.c.version_id == version_id))
            conn.execute(insert(table), [_row_values(version_id, facts, datetime.now(UTC))])

    def rows(self, model_ids: Sequence[str] | None = None) -> list[FactsRow]:
        """The stored facts of each model's newest version (models without any are left
        out), in one Core query over the small facts table: 100,000 rows in well under a
        second. The chosen context and gpu_layers, and the layer count, are read inside the
        database (SQLAlchemy's portable JSON index: json_extract on SQLite, ->> on
        PostgreSQL), not in Python."""
        facts = table_of(VersionFacts)
        versions = table_of(ModelVersion)
        models = table_of(ModelMetadata)
        settings = table_of(ModelSetting)

        def chosen(name: str) -> Any:
            return func.coalesce(
                settings.c.parameters[name].as_integer(),
                models.c.parameters[name].as_integer(),
            )

        gpu_layers = chosen("gpu_layers")

        stmt = select(
            models.c.id,
            facts.c.format,
            facts.c.weight_bytes,
            facts.c.kv_bytes_per_token,
            facts.c.context_length,
            chosen("context_length"),
            gpu_layers,
            # Parsed only where gpu_layers is set: the facts blob is the row's largest part.
            case((gpu_layers.is_not(None), facts.c.facts["block_count"].as_integer())),
        ).select_from(
            facts.join(versions, versions.c.id == facts.c.version_id)
            .join(
                models,
                and_(
                    models.c.id == versions.c.model_id,
                    models.c.version == versions.c.version,
                ),
            )
            .outerjoin(settings, settings.c.model_id == models.c.id)
        )
        with self.db.read() as session:
            rows = [FactsRow(*row) for row in session.connection().execute(stmt).all()]
        if model_ids is None:
            return rows
        # Filtered here: a list of 100,000 ids is past what one SQL statement may bind.
        wanted = set(model_ids)
        return [row for row in rows if row.model_id in wanted]


def store_manifest_facts(conn: Connection, facts: Iterable[tuple[int, ModelFacts]]) -> None:
    """Facts a manifest carries, per version row id, in the caller's transaction:
    they replace earlier manifest facts, never facts read from a real file."""
    pending = list(facts)
    if not pending:
        return
    table = table_of(VersionFacts)
    now = datetime.now(UTC)
    ids = [version_id for version_id, _ in pending]
    from_files: set[int] = set()
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        from_files.update(
            conn.execute(
                select(table.c.version_id).where(
                    table.c.version_id.in_(chunk), table.c.source != str(FactsSource.MANIFEST)
                )
            ).scalars()
        )
        conn.execute(
            delete(table).where(
                table.c.version_id.in_(chunk), table.c.source == str(FactsSource.MANIFEST)
            )
        )
    rows = [_row_values(v, f, now) for v, f in pending if v not in from_files]
    if rows:
        conn.execute(insert(table), rows)
