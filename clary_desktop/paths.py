"""Where Clary Desktop keeps its files.

One `AppPaths` value answers every "where": the database, the models, settings,
logs and the license. `--data-dir` (or CLARY_DATA_DIR) puts all of them under one
folder; otherwise each goes to the per-OS user folder from platformdirs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from clary_desktop import APP_NAME, APP_SLUG

DATA_DIR_ENV = "CLARY_DATA_DIR"
DATABASE_URL_ENV = "CLARY_DATABASE_URL"
LICENSE_FILE_ENV = "CLARY_LICENSE_FILE"
POLICY_FILE_ENV = "CLARY_POLICY_FILE"
"""Another place for the administrator's policy file (tests, or IT's own layout)."""


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
    def answers_dir(self) -> Path:
        """Answers of read-only commands, kept while nothing they depend on changes."""
        return self.data_dir / "cache" / "answers"

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


def resolve_license_path(explicit: str | os.PathLike[str] | None, paths: AppPaths) -> Path:
    """`--license FILE`, else CLARY_LICENSE_FILE, else license.json in the config dir."""
    chosen = explicit or os.environ.get(LICENSE_FILE_ENV) or None
    return Path(chosen).expanduser() if chosen else paths.license_file


def default_policy_file() -> Path:
    """Where the operating system keeps machine-wide configuration that users cannot edit."""
    if sys.platform == "win32":
        program_data = os.environ.get("PROGRAMDATA") or r"C:\ProgramData"
        return Path(program_data, APP_NAME, "policy.json")
    if sys.platform == "darwin":
        return Path("/Library/Application Support", APP_NAME, "policy.json")
    return Path("/etc", APP_SLUG, "policy.json")


def policy_file() -> Path:
    """CLARY_POLICY_FILE when set, else the per-OS place."""
    chosen = os.environ.get(POLICY_FILE_ENV, "").strip()
    return Path(chosen) if chosen else default_policy_file()
