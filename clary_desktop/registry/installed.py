"""What of a model is on disk now: its active installation and file paths."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from clary_desktop.db.tables import Installation, ModelVersion, VersionFile
from clary_desktop.domain.file_formats import GgufInfo, read_gguf_info


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


def record_installation(
    session: Session,
    model_id: str,
    version: str,
    folder: Path,
    size: int,
    learned: dict[str, tuple[str, int]],
    now: datetime,
) -> None:
    """Make a downloaded or imported version the model's active installation, in the
    caller's transaction; sha256 and sizes the catalog lacked (`learned`: path ->
    (sha256, size), only what a source vouched for) are recorded in the catalog."""
    version_row = session.scalars(
        select(ModelVersion)
        .where(ModelVersion.model_id == model_id, ModelVersion.version == version)
        .options(selectinload(ModelVersion.files))
    ).one()
    for f in version_row.files:
        if f.path in learned:
            sha, length = learned[f.path]
            f.sha256 = f.sha256 or sha
            f.size_bytes = f.size_bytes if f.size_bytes is not None else length
    session.execute(
        update(Installation).where(Installation.model_id == model_id).values(active=False)
    )
    install = session.scalars(
        select(Installation).where(
            Installation.model_id == model_id, Installation.version == version
        )
    ).one_or_none()
    if install is None:
        install = Installation(model_id=model_id, version=version, path=str(folder))
        session.add(install)
    install.path = str(folder)
    install.size_bytes = size
    install.installed_at = now
    # Verified only when every file was checked against a sha256 a source vouched for;
    # a file nobody published a digest for leaves the installation unverified.
    install.verified_at = now if all(f.sha256 for f in version_row.files) else None
    install.active = True
