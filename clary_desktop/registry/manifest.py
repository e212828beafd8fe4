"""Pydantic schema of catalog manifests (the shipped default catalog and user imports).

A manifest is untrusted input: ids, versions and file paths are checked before
anything touches the database or the disk, and errors name the entry and field.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from clary_desktop.domain.access import Tier
from clary_desktop.domain.model_facts import FactsSource, ModelFacts
from clary_desktop.domain.safe_names import (
    check_model_id,
    check_model_type,
    check_relative_file_path,
    check_version,
)
from clary_desktop.domain.sizes import known_total
from clary_desktop.domain.version_order import newest
from clary_desktop.errors import InvalidManifestError
from clary_desktop.userfiles import FileProblem, UserFileError, read_user_file

MAX_MANIFEST_BYTES = 512 * 1024 * 1024
#: The largest size the catalog database stores (a signed 64-bit integer).
MAX_SIZE_BYTES = 2**63 - 1
#: Sequence numbers stay exact in every JSON reader (JavaScript's too).
MAX_SEQUENCE = 2**53
#: How deep a model's `parameters` may nest: real ones are flat.
MAX_PARAMETER_DEPTH = 16
#: A model card is a page or two of Markdown; longer text belongs on the model's site.
MAX_CARD_CHARS = 20_000

ModelId = Annotated[str, AfterValidator(check_model_id)]
VersionText = Annotated[str, AfterValidator(check_version)]
FilePath = Annotated[str, AfterValidator(check_relative_file_path)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
HttpUrl = Annotated[str, Field(pattern=r"^https?://[^\s]+$", max_length=4096)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ManifestLicense(_Strict):
    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=256)
    url: HttpUrl | None = None
    commercial_use: bool | None = None


class ManifestFile(_Strict):
    path: FilePath
    size_bytes: int | None = Field(default=None, ge=0, le=MAX_SIZE_BYTES)
    sha256: Sha256 | None = None
    url: HttpUrl | None = None


_Count = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ManifestFacts(_Strict):
    """What the model's own header says (see `domain.model_facts.ModelFacts`), so the
    memory estimate is known before any request to the model's files."""

    format: Literal["gguf", "safetensors"]
    architecture: str | None = Field(default=None, min_length=1, max_length=64)
    block_count: _Count | None = None
    context_length: _Count | None = None
    embedding_length: _Count | None = None
    head_count: _Count | None = None
    head_count_kv: _Count | None = None
    key_length: _Count | None = None
    value_length: _Count | None = None
    file_type: int | None = Field(default=None, ge=0, le=1024)
    quantization: str | None = Field(default=None, min_length=1, max_length=32)
    weight_bytes: int | None = Field(default=None, ge=0, le=MAX_SIZE_BYTES)
    parameter_count: int | None = Field(default=None, ge=0, le=MAX_SIZE_BYTES)

    def to_facts(self, files: list[ManifestFile]) -> ModelFacts:
        """The facts, with `weight_bytes` (when not given) taken from the sizes of the
        version's weight files: an upper bound, by the size of their headers."""
        facts = ModelFacts(**self.model_dump(), source=FactsSource.MANIFEST)
        if facts.weight_bytes is None:
            suffix = f".{self.format}"
            sizes = [f.size_bytes for f in files if f.path.endswith(suffix)]
            if sizes and None not in sizes:
                facts = facts.model_copy(update={"weight_bytes": sum(s or 0 for s in sizes)})
        return facts


class ManifestVersion(_Strict):
    version: VersionText
    created_at: datetime | None = None
    changes: str | None = Field(default=None, max_length=20_000)
    repo_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$"
    )
    revision: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$")
    download_url: HttpUrl | None = None
    size_bytes: int | None = Field(default=None, ge=0, le=MAX_SIZE_BYTES)
    files: list[ManifestFile] = Field(min_length=1, max_length=10_000)
    facts: ManifestFacts | None = None

    @field_validator("files")
    @classmethod
    def _paths_fit_on_every_disk(cls, files: list[ManifestFile]) -> list[ManifestFile]:
        """Paths that would land on the same file, or a file where a folder must be,
        on some system (Windows and macOS ignore case)."""
        seen: dict[str, str] = {}
        for f in files:
            key = f.path.casefold()
            if key in seen:
                if seen[key] == f.path:
                    raise ValueError(f"files lists the path {f.path!r} twice")
                raise ValueError(
                    f"file paths {seen[key]!r} and {f.path!r} differ only in case; they would "
                    "be the same file on Windows and macOS"
                )
            seen[key] = f.path
        for f in files:
            parts = f.path.casefold().split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder in seen:
                    raise ValueError(
                        f"{seen[folder]!r} is a file, but {f.path!r} needs it to be a folder"
                    )
        sizes = [f.size_bytes for f in files if f.size_bytes is not None]
        if sum(sizes) > MAX_SIZE_BYTES:
            raise ValueError(f"the file sizes add up to more than {MAX_SIZE_BYTES} bytes")
        return files

    @field_validator("created_at", mode="before")
    @classmethod
    def _parse_time(cls, value: Any) -> Any:
        if isinstance(value, str):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ManifestVersion:
        if (
            self.repo_id is None
            and self.download_url is None
            and any(f.url is None for f in self.files)
        ):
            raise ValueError("needs a source: repo_id (Hub) or download_url / per-file url")
        if self.repo_id is not None and self.revision is None:
            raise ValueError("a Hub version needs a pinned revision (40-hex commit)")
        if self.download_url is not None and len(self.files) != 1:
            raise ValueError("download_url serves one file; give each file its own url")
        known = known_total(f.size_bytes for f in self.files)
        if self.size_bytes is not None and known is not None and known != self.size_bytes:
            raise ValueError(
                f"size_bytes {self.size_bytes} differs from the sum of the file sizes {known}"
            )
        return self

    @property
    def total_size(self) -> int | None:
        """Exact size when every file size is known, else the declared (approximate) one."""
        known = known_total(f.size_bytes for f in self.files)
        return known if known is not None else self.size_bytes


class ManifestModel(_Strict):
    id: ModelId
    name: str = Field(min_length=1, max_length=256)
    description: str = Field(default="", max_length=20_000)
    type: Annotated[str, AfterValidator(check_model_type)]
    tier: Literal["lite", "standard", "professional"]
    tags: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=64
    )
    parameters: dict[str, Any] = Field(default_factory=dict)
    license: ManifestLicense | None = None
    #: What the model is for, how to use it, its license terms: Markdown for users,
    #: shown as plain formatted text (no HTML, no remote images).
    card: str | None = Field(default=None, min_length=1, max_length=MAX_CARD_CHARS)
    #: The catalog's starter pick for the model's task (see `registry/starters.py`).
    recommended: bool = False
    versions: list[ManifestVersion] = Field(min_length=1, max_length=1000)

    @field_validator("tier", mode="before")
    @classmethod
    def _known_tier(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in {t.key for t in Tier}:
            raise ValueError(
                f"unknown tier {value!r} (expected one of: {', '.join(t.key for t in Tier)})"
            )
        return value

    @field_validator("parameters")
    @classmethod
    def _plain_values(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_parameter(value, 1)
        return value

    @model_validator(mode="after")
    def _unique_versions(self) -> ManifestModel:
        seen: dict[str, str] = {}
        for version in self.versions:
            key = version.version.casefold()
            if key in seen:
                if seen[key] == version.version:
                    raise ValueError("versions lists the same version twice")
                raise ValueError(
                    f"versions {seen[key]!r} and {version.version!r} differ only in case; their "
                    "folders would be the same on Windows and macOS"
                )
            seen[key] = version.version
        return self

    @property
    def latest(self) -> ManifestVersion:
        return newest(self.versions, key=lambda v: v.version)


class CatalogManifest(_Strict):
    schema_version: Literal[1] = Field(alias="schema", default=1)
    #: Published catalogs count up; an older one than the last accepted is refused.
    sequence: int | None = Field(default=None, ge=1, le=MAX_SEQUENCE)
    published_at: datetime | None = None
    models: list[ManifestModel] = Field(max_length=1_000_000)

    @field_validator("published_at", mode="before")
    @classmethod
    def _parse_published(cls, value: Any) -> Any:
        if isinstance(value, str):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        return value

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _unique_ids(self) -> CatalogManifest:
        seen: set[str] = set()
        for index, model in enumerate(self.models):
            if model.id.casefold() in seen:
                raise ValueError(f"duplicate id {model.id!r} at models[{index}]")
            seen.add(model.id.casefold())
        return self


def _check_parameter(value: Any, level: int) -> None:
    """Parameters are stored and served as JSON: shallow, with numbers that fit 64 bits."""
    if level > MAX_PARAMETER_DEPTH:
        raise ValueError(f"nests deeper than {MAX_PARAMETER_DEPTH} levels")
    if isinstance(value, bool):
        return
    if isinstance(value, int) and not -MAX_SIZE_BYTES - 1 <= value <= MAX_SIZE_BYTES:
        raise ValueError("holds a whole number too large for 64 bits")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("holds a number that is not finite")
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    )
    for child in children:
        _check_parameter(child, level + 1)


def _describe_location(raw: Any, loc: tuple[int | str, ...]) -> str:
    """`entry 3 ("layoutlmv3"), field versions[0].files[1].path` from a pydantic loc."""
    if len(loc) >= 2 and loc[0] == "models" and isinstance(loc[1], int):
        index = loc[1]
        entry_id = None
        if isinstance(raw, dict) and isinstance(raw.get("models"), list):
            models = raw["models"]
            if index < len(models) and isinstance(models[index], dict):
                entry_id = models[index].get("id")
        entry = f"entry {index + 1}" + (f" ({entry_id!r})" if isinstance(entry_id, str) else "")
        field = ""
        for part in loc[2:]:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else part)
        return f"{entry}, field {field}" if field else entry
    return "field " + ".".join(str(p) for p in loc) if loc else "the manifest"


def _refuse_duplicate_ids(raw: Any, source: str) -> None:
    models = raw.get("models") if isinstance(raw, dict) else None
    if not isinstance(models, list):
        return
    first_seen: dict[str, tuple[int, str]] = {}
    for index, entry in enumerate(models):
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(entry_id, str):
            continue
        key = entry_id.casefold()
        if key in first_seen:
            first, first_id = first_seen[key]
            case = "" if first_id == entry_id else f" ({first_id!r} differs only in case)"
            raise InvalidManifestError(
                f"{source}: entry {index + 1} ({entry_id!r}), field id: duplicate of entry "
                f"{first + 1}{case}; each id may appear once"
            )
        first_seen[key] = (index, entry_id)


def parse_manifest(raw: Any, source: str) -> CatalogManifest:
    """Validate already-parsed JSON; raise InvalidManifestError naming entry and field."""
    _refuse_duplicate_ids(raw, source)
    try:
        return CatalogManifest.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = _describe_location(raw, tuple(first["loc"]))
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "missing":
            message = "is missing"
        elif first["type"] == "extra_forbidden":
            message = "is not a known field"
        more = error.error_count() - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise InvalidManifestError(f"{source}: {where}: {message}{suffix}") from None


def decode_json(data: bytes, source: str) -> Any:
    try:
        return json.loads(data, parse_int=_read_int)
    except _LongNumber as error:
        at = data.find(error.digits.encode())
        line = data.count(b"\n", 0, at) + 1
        column = at - data.rfind(b"\n", 0, at)
        raise InvalidManifestError(
            f"{source}: holds a {len(error.digits)}-digit number at line {line} column "
            f"{column}; no field of a manifest takes a number that long"
        ) from None
    except UnicodeDecodeError:
        raise InvalidManifestError(f"{source}: is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise InvalidManifestError(
            f"{source}: is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
        ) from None
    except RecursionError:
        raise InvalidManifestError(
            f"{source}: nests lists or objects too deeply to be a catalog manifest"
        ) from None


class _LongNumber(ValueError):
    def __init__(self, digits: str) -> None:
        super().__init__(digits[:20])
        self.digits = digits


def _read_int(text: str) -> int:
    """JSON integers, refusing absurd lengths before Python converts them (slowly, or
    not at all past 4300 digits); 2**63 has 19 digits."""
    if len(text.lstrip("-")) > 40:
        raise _LongNumber(text)
    return int(text)


def read_manifest_bytes(path: Path) -> bytes:
    """A manifest file's bytes, with errors a user can act on."""
    try:
        return read_user_file(path, MAX_MANIFEST_BYTES)
    except UserFileError as error:
        hint = ""
        if error.problem is FileProblem.NOT_REGULAR:
            hint = "; give the path of a manifest file"
        raise InvalidManifestError(f"{path}: {error.detail}{hint}") from None


def load_manifest_file(path: Path) -> CatalogManifest:
    """Read and validate a manifest file, with errors a user can act on."""
    return manifest_from_bytes(read_manifest_bytes(path), str(path))


def manifest_from_bytes(data: bytes, source: str) -> CatalogManifest:
    """Validate a manifest's bytes; errors name `source`, the entry and the field."""
    try:
        return CatalogManifest.model_validate_json(data)
    except ValidationError:
        pass  # Parse again below to name the entry and field.
    raw = decode_json(data, source)
    if not isinstance(raw, dict):
        raise InvalidManifestError(f'{source}: must be a JSON object with a "models" list')
    return parse_manifest(raw, source)
