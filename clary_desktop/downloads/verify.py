"""Re-hashing installed files: each is ok, corrupt or missing."""

from __future__ import annotations

import hashlib
from functools import partial
from pathlib import Path

from clary_desktop.domain.download_values import VerifyResult
from clary_desktop.domain.layout import VersionSpec, target_path

HASH_CHUNK = 4 * 1024 * 1024
UNVERIFIED_DETAIL = "no published sha256 to check it against"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_version(models_dir: Path, spec: VersionSpec) -> list[VerifyResult]:
    """One result per catalog file of an installed version."""
    results = []
    for f in spec.files:
        result = partial(
            VerifyResult,
            model_id=spec.model_id,
            version=spec.version,
            path=f.path,
            expected_sha256=f.sha256,
        )
        path = target_path(models_dir, spec, f.path)
        if not path.is_file():
            results.append(
                result(status="missing", actual_sha256=None, detail=f"{path} is not there")
            )
            continue
        actual = sha256_of(path)
        size = path.stat().st_size
        if f.size_bytes is not None and size != f.size_bytes:
            results.append(
                result(
                    status="corrupt",
                    actual_sha256=actual,
                    detail=f"{size} bytes instead of {f.size_bytes}",
                )
            )
        elif f.sha256 is not None and actual != f.sha256:
            results.append(
                result(
                    status="corrupt",
                    actual_sha256=actual,
                    detail="sha256 differs from the catalog",
                )
            )
        elif f.sha256 is None:
            results.append(
                result(status="unverified", actual_sha256=actual, detail=UNVERIFIED_DETAIL)
            )
        else:
            results.append(result(status="ok", actual_sha256=actual))
    return results
