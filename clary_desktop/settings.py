"""User settings, kept as JSON in the config dir (inside --data-dir when given)."""

from __future__ import annotations

import difflib
import json
import os
import tempfile
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from clary_desktop.errors import ClaryError
from clary_desktop.userfiles import FileProblem, UserFileError, read_user_file

DEFAULT_HUB_SOURCE_NAME = "hub"


class Source(BaseModel):
    """One place model files may come from, tried in the order of `Settings.sources`.

    - kind "hub": a Hugging Face Hub endpoint (the Hub itself, or an internal mirror that
      speaks its API, such as Artifactory's or olah). Without `url` it is the Hub of the
      `hub_endpoint` setting (else HF_ENDPOINT, else huggingface.co) and its token is the
      `hub_token` setting (else HF_TOKEN); with `url`, only its own `token` is sent, and
      only to it.
    - kind "url": a mirror of plain-URL files: the file at `https://host[:port]/path` is
      looked for at `<url>/host[:port]/path` (the layout `wget -x` writes).
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    kind: Literal["hub", "url"]
    url: str | None = Field(default=None, max_length=2048)
    token: str | None = Field(default=None, max_length=4096)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        parts = urllib.parse.urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError("the address must start with http:// or https:// and name a host")
        if parts.query or parts.fragment:
            raise ValueError("the address must not have a ?query or #fragment")
        return value

    @model_validator(mode="after")
    def _complete(self) -> Source:
        if self.kind == "url" and self.url is None:
            raise ValueError("a URL mirror needs its address")
        if self.kind == "url" and self.token:
            raise ValueError("a URL mirror takes no token")
        if self.kind == "hub" and self.url is None and self.token:
            raise ValueError("the default Hub's token is the hub_token setting")
        return self

    @property
    def is_default_hub(self) -> bool:
        """The Hub of the hub_endpoint/hub_token settings."""
        return self.kind == "hub" and self.url is None


DEFAULT_HUB_SOURCE = Source(name=DEFAULT_HUB_SOURCE_NAME, kind="hub")


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    models_dir: str | None = None
    concurrent_downloads: int = Field(default=2, ge=1, le=16)
    hub_endpoint: str | None = None
    hub_token: str | None = None
    proxy: str | None = None
    # Corporate networks (see clary_desktop/network/config.py): the proxy's user name (its
    # password lives in the OS keychain, never here), hosts reached without the `proxy`
    # setting (comma-separated, as NO_PROXY), and a PEM file of extra trusted root
    # certificates on top of the system's trust store.
    proxy_user: str | None = None
    no_proxy: str | None = None
    ca_bundle: str | None = None
    resume_on_start: bool = False
    offline: bool = False
    # Downloads: abort an attempt after this long without a byte, and keep this much free.
    download_stall_seconds: float = Field(default=30.0, gt=0, le=3600)
    download_space_margin_bytes: int = Field(default=256 * 1024 * 1024, ge=0)
    # A file the catalog gives no size for is stopped (and deleted) past this many bytes.
    max_unknown_size_bytes: int = Field(default=64 * 1024**3, ge=1)
    # Fast downloads: files of at least part_threshold_bytes are fetched in
    # parallel_parts ranged parts (1 disables it); bandwidth_limit_bps (bytes per second,
    # None: unlimited) caps all downloads together.
    parallel_parts: int = Field(default=8, ge=1, le=32)
    part_threshold_bytes: int = Field(default=64 * 1024 * 1024, ge=1)
    bandwidth_limit_bps: int | None = Field(default=None, gt=0)
    # A big file starts on one connection; when it alone moves at least this many bytes
    # per second (a fast link), no parts are opened. 0: always split into parts.
    single_stream_fast_bps: int = Field(default=200_000_000, ge=0)
    # The local API inside the window: off by default, loopback unless changed.
    api_enabled: bool = False
    api_host: str = Field(default="127.0.0.1", min_length=1, max_length=253)
    api_port: int = Field(default=8765, ge=0, le=65535)
    # The window checks for updates at start-up and then every this many hours (0: never).
    update_check_hours: float = Field(default=6.0, ge=0, le=24 * 30)
    # Catalog sync and updates: where the signed catalog is published, and how
    # many older versions stay on disk after an update for rollback.
    catalog_url: str | None = None
    keep_previous_versions: int = Field(default=1, ge=0, le=10)
    # Where model files come from, in order (see Source). None: the default Hub alone,
    # as set by hub_endpoint and hub_token (settings files older than this list).
    sources: list[Source] | None = None

    @field_validator("sources")
    @classmethod
    def _sources_make_sense(cls, value: list[Source] | None) -> list[Source] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("at least one source is needed")
        names = [source.name.lower() for source in value]
        if len(set(names)) != len(names):
            raise ValueError("two sources have the same name")
        if sum(source.is_default_hub for source in value) > 1:
            raise ValueError("the default Hub is listed twice")
        return value

    def sources_in_force(self) -> list[Source]:
        """The sources to try, in order."""
        return list(self.sources) if self.sources is not None else [DEFAULT_HUB_SOURCE]


# A settings file is a few hundred bytes.
MAX_SETTINGS_BYTES = 1024 * 1024
OFFLINE_ENV = "CLARY_OFFLINE"
"""`CLARY_OFFLINE=1` forces offline mode for this run, whatever the settings file says."""


def offline_forced_by_environment() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


class RunOverrides(BaseModel):
    """Values forced for one run (by the environment), on top of the stored settings.

    They are kept apart from `Settings` so that saving writes only what the user chose:
    the settings in force are `overrides.apply(stored)`, and only `stored` is ever saved.
    """

    model_config = ConfigDict(frozen=True)

    offline: bool = False

    @classmethod
    def from_environment(cls) -> RunOverrides:
        return cls(offline=offline_forced_by_environment())

    def apply(self, stored: Settings) -> Settings:
        """The settings in force for this run."""
        return stored.model_copy(update={"offline": True} if self.offline else {})

    def notes(self) -> list[str]:
        """What is forced, in plain words, for a settings screen."""
        if self.offline:
            return [f"{OFFLINE_ENV}=1 keeps this run offline, whatever is saved here."]
        return []


def load_settings(path: Path) -> Settings:
    """The settings as stored in the file (no one-run override: see RunOverrides)."""
    try:
        return Settings.model_validate_json(read_user_file(path, MAX_SETTINGS_BYTES))
    except UserFileError as error:
        if error.problem is FileProblem.MISSING:
            return Settings()
        raise ClaryError(
            f"The settings file {path} cannot be read: it {error.detail}. "
            "Fix it or delete it to go back to the defaults."
        ) from None
    except ValidationError as error:
        raise ClaryError(
            f"The settings file {path} cannot be read ({type(error).__name__}). "
            "Fix it or delete it to go back to the defaults."
        ) from None


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically so a crash never leaves half a settings file."""
    try:
        _write_atomically(path, json.dumps(settings.model_dump(), indent=2))
    except OSError as error:
        raise ClaryError(
            f"Cannot save the settings in {path} ({error.strerror or error}). Check that the "
            "folder is writable and the disk has room; nothing was changed."
        ) from None


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def settings_with(base: Settings, changes: Mapping[str, object]) -> Settings:
    """`base` with `changes` (values as a user types them: "3", "true", a URL), checked
    by the model as a whole; raises ClaryError naming the setting and the problem."""
    for name in changes:
        if name not in Settings.model_fields:
            raise ClaryError(
                f'There is no setting named "{name}"{did_you_mean(name)}; nothing was '
                "changed. The settings are: " + ", ".join(Settings.model_fields) + "."
            )
    try:
        return Settings.model_validate({**base.model_dump(), **changes})
    except ValidationError as error:
        raise ClaryError(f"{describe_problem(error)}; nothing was changed.") from None


def did_you_mean(name: str) -> str:
    """A hint such as ` (did you mean "offline"?)` for a close setting name, else ""."""
    close = difflib.get_close_matches(name, list(Settings.model_fields), n=1)
    return f' (did you mean "{close[0]}"?)' if close else ""


def describe_problem(error: ValidationError) -> str:
    """The first problem pydantic found, as `"name": what is wrong (found ...)`."""
    first = error.errors(include_url=False)[0]
    name = ".".join(str(part) for part in first["loc"]) or "the settings"
    found = repr(first.get("input"))
    found = found if len(found) <= 60 else found[:57] + "..."
    return f'"{name}": {first["msg"].lower()} (found {found})'
