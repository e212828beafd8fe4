"""Build catalog manifests for tests (valid by default; tweak to make them hostile)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The fields of the seed's ModelMetadata, which CLI JSON and API bodies keep.
SEED_MODEL_FIELDS = frozenset(
    {
        "id",
        "name",
        "description",
        "type",
        "version",
        "size_bytes",
        "filename",
        "repo_id",
        "download_url",
        "tier",
        "created_at",
        "updated_at",
        "parameters",
        "tags",
    }
)


def model_entry(
    model_id: str,
    *,
    tier: str = "lite",
    model_type: str = "llm",
    versions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": model_id,
        "name": fields.pop("name", f"Model {model_id}"),
        "description": fields.pop("description", f"Test model {model_id}."),
        "type": model_type,
        "tier": tier,
        "tags": fields.pop("tags", ["test"]),
        "parameters": fields.pop("parameters", {"context_length": 4096}),
        "license": fields.pop(
            "license", {"id": "mit", "name": "MIT License", "commercial_use": True}
        ),
        "versions": versions
        or [url_version("1.0.0", f"https://models.example/{model_id}.gguf", size=1000)],
    }
    entry.update(fields)
    return entry


def url_version(
    version: str,
    url: str,
    size: int | None = None,
    sha256: str | None = None,
    changes: str | None = None,
) -> dict[str, Any]:
    file: dict[str, Any] = {"path": url.rsplit("/", 1)[-1]}
    if size is not None:
        file["size_bytes"] = size
    if sha256 is not None:
        file["sha256"] = sha256
    return {"version": version, "download_url": url, "files": [file], "changes": changes}


def hub_version(
    version: str, repo_id: str, revision: str, files: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {"version": version, "repo_id": repo_id, "revision": revision, "files": files, **extra}


def write_manifest(path: Path, models: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"schema": 1, "models": models}), encoding="utf-8")
    return path
