"""User settings, kept as JSON in the config dir (inside --data-dir when given)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from clary_desktop.errors import ClaryError


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    models_dir: str | None = None
    concurrent_downloads: int = Field(default=2, ge=1, le=16)
    hub_endpoint: str | None = None
    hub_token: str | None = None
    proxy: str | None = None
    resume_on_start: bool = False
    offline: bool = False
    # Downloads: abort an attempt after this long without a byte, and keep this much free.
    download_stall_seconds: float = Field(default=30.0, gt=0, le=3600)
    download_space_margin_bytes: int = Field(default=256 * 1024 * 1024, ge=0)


def load_settings(path: Path) -> Settings:
    if not path.exists():
        return Settings()
    try:
        return Settings.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as error:
        raise ClaryError(
            f"The settings file {path} cannot be read ({type(error).__name__}). "
            "Fix it or delete it to go back to the defaults."
        ) from None


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically so a crash never leaves half a settings file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(settings.model_dump(), handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
