"""The Registry: the one object the GUI, the CLI and the API hold.

Every feature lives behind it once; the fronts only parse input and render output.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from clary_desktop.db import Database, open_database
from clary_desktop.errors import ClaryError
from clary_desktop.paths import AppPaths
from clary_desktop.registry.access import Tier
from clary_desktop.registry.catalog import ModelCatalog
from clary_desktop.registry.default_catalog import ensure_default_catalog
from clary_desktop.registry.manifest import ManifestModel, load_manifest_file
from clary_desktop.registry.views import ImportSummary, ModelInfo, VersionInfo
from clary_desktop.settings import Settings, load_settings

TierSource = Callable[[], Tier]


def _lite() -> Tier:
    return Tier.LITE


class Registry:
    def __init__(self, paths: AppPaths, database: Database, tier_source: TierSource) -> None:
        self.paths = paths
        self.db = database
        self.catalog = ModelCatalog(database)
        self._tier_source = tier_source
        self.settings: Settings = load_settings(paths.settings_file)

    @classmethod
    def open(
        cls,
        paths: AppPaths,
        tier_source: TierSource | None = None,
        *,
        load_default_catalog: bool = True,
    ) -> Registry:
        try:
            paths.ensure()
        except OSError as error:
            raise ClaryError(
                f"Cannot create Clary Desktop's folders ({error.filename}: {error.strerror}). "
                "Choose another --data-dir."
            ) from None
        database = open_database(paths.effective_database_url)
        try:
            if load_default_catalog:
                ensure_default_catalog(database)
            return cls(paths, database, tier_source or _lite)
        except BaseException:
            database.close()
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---- who is asking ---------------------------------------------------------------

    @property
    def tier(self) -> Tier:
        return self._tier_source()

    @property
    def models_dir(self) -> Path:
        if self.settings.models_dir:
            return Path(self.settings.models_dir)
        return self.paths.default_models_dir

    # ---- catalog ---------------------------------------------------------------------

    def list_models(
        self,
        *,
        tier: Tier | str | None = None,
        model_type: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ModelInfo]:
        """Models usable by `tier` (default: the user's); those above the user's tier
        come back marked locked."""
        view_tier = Tier.parse(tier) if tier is not None else self.tier
        return self.catalog.get_models(
            view_tier, model_type, search=search, limit=limit, offset=offset, user_tier=self.tier
        )

    def count_models(
        self, *, tier: Tier | str | None = None, model_type: str | None = None,
        search: str | None = None,
    ) -> int:
        view_tier = Tier.parse(tier) if tier is not None else self.tier
        return self.catalog.count_models(view_tier, model_type, search=search)

    def model_types(self) -> list[str]:
        return self.catalog.model_types()

    def get_model(self, model_id: str) -> ModelInfo:
        return self.catalog.get_model(model_id, user_tier=self.tier)

    def versions(self, model_id: str) -> list[VersionInfo]:
        return self.catalog.get_versions(model_id)

    def import_catalog(self, path: Path) -> ImportSummary:
        """Add or update entries from a local manifest: all of them, or none."""
        manifest = load_manifest_file(path)
        return self.catalog.import_manifest(manifest, origin="import", keep_user_changes=False)

    def add_model(self, entry: ManifestModel) -> ModelInfo:
        return self.catalog.add_model(entry)

    def update_model(self, model_id: str, **changes: Any) -> ModelInfo:
        return self.catalog.update_model(model_id, **changes)

    def delete_model(self, model_id: str) -> None:
        self.catalog.delete_model(model_id)
