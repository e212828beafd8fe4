"""Where Clary Desktop keeps its files.

One `AppPaths` value answers every "where": the database, the models, settings,
logs and the license. `--data-dir` (or CLARY_DATA_DIR) puts all of them under one
folder; otherwise each goes to the per-OS user folder from platformdirs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from clary_desktop import APP_SLUG

DATA_DIR_ENV = "CLARY_DATA_DIR"
DATABASE_URL_ENV = "CLARY_DATABASE_URL"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    config_dir: Path
    log_dir: Path
    default_models_dir: Path
    database_url: str | None = None

    @property
    def database_file(self) -> Path:
        return self.data_dir / "catalog.db"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def license_file(self) -> Path:
        return self.config_dir / "license.json"

    @property
    def license_state_file(self) -> Path:
        """Replay and clock memory of the licensing core (not the license itself)."""
        return self.config_dir / "license-state.json"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "clary-desktop.log"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.database_file}"

    def ensure(self) -> None:
        for folder in (self.data_dir, self.config_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)


def resolve_paths(data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
    """The paths for this run: explicit `data_dir`, else CLARY_DATA_DIR, else per-OS dirs."""
    chosen = data_dir or os.environ.get(DATA_DIR_ENV) or None
    database_url = os.environ.get(DATABASE_URL_ENV) or None
    if chosen:
        root = Path(chosen).expanduser().resolve()
        return AppPaths(
            data_dir=root,
            config_dir=root,
            log_dir=root / "logs",
            default_models_dir=root / "models",
            database_url=database_url,
        )
    data = Path(platformdirs.user_data_dir(APP_SLUG, appauthor=False))
    return AppPaths(
        data_dir=data,
        config_dir=Path(platformdirs.user_config_dir(APP_SLUG, appauthor=False)),
        log_dir=Path(platformdirs.user_log_dir(APP_SLUG, appauthor=False)),
        default_models_dir=data / "models",
        database_url=database_url,
    )
