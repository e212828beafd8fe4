"""What the storage operations need from the Registry, passed as one small value
so the core does not depend on the facade."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clary_desktop.db import Database
from clary_desktop.domain.access import Tier
from clary_desktop.downloads.hub_config import HubConfig


@dataclass(frozen=True)
class StorageContext:
    db: Database
    models_dir: Path
    tier: Tier
    #: Where to confirm digests a catalog lacks; None in offline mode.
    hub: HubConfig | None = None
