"""What of a model is on disk now: its active installation and file paths."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from clary_desktop.db.tables import Installation, ModelVersion, VersionFile
from clary_desktop.registry.file_formats import GgufInfo, read_gguf_info


def installed_files(session: Session, model_id: str) -> tuple[Installation | None, list[Path]]:
    """The active installation of a model and the absolute paths of its files."""
    install = session.scalar(
        select(Installation).where(Installation.model_id == model_id, Installation.active.is_(True))
    )
    if install is None:
        return None, []
    names = session.scalars(
        select(VersionFile.path)
        .join(ModelVersion, VersionFile.version_id == ModelVersion.id)
        .where(ModelVersion.model_id == model_id, ModelVersion.version == install.version)
        .order_by(VersionFile.id)
    ).all()
    root = Path(install.path)
    return install, [root / name for name in names]


def gguf_info_of(files: list[Path]) -> GgufInfo | None:
    for path in files:
        if path.suffix == ".gguf" and path.is_file():
            try:
                return read_gguf_info(path)
            except (OSError, ValueError, KeyError):
                return None
    return None
