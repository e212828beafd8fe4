"""Each file from the first configured source that has it; the next one when it fails.

The sources come from the settings, in order (settings.Source). A Hub model's files
are looked up on the Hub sources, one source at a time and only when needed: the
first source answers for every file at once; a later one is asked only for files the
earlier ones lack, or when a file fails there (unreachable or 5xx after the retries,
404, refused). A plain-URL file is fetched from the URL mirrors first, by the `wget -x`
layout (`mirror_url`), and from the catalog's own address last.

A file handed over to the next source keeps its verified bytes when the next source
serves the same file (same size, and the sha256 the catalog or the first Hub gave):
the partial continues there by Range (fetch.py). Whatever the sources, the final
sha256 is checked against the expected one, so a source can never change what is
installed; a mismatch names the sources the file came from.
"""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from clary_desktop.domain.layout import FileTask, VersionSpec, target_path
from clary_desktop.downloads.control import TransferControl
from clary_desktop.downloads.errors import DownloadFailed, RetryableError
from clary_desktop.downloads.hub_config import HubConfig
from clary_desktop.downloads.sources import hub_places, url_tasks
from clary_desktop.downloads.transfer import Retries, TransferOptions
from clary_desktop.network.config import NetworkConfig
from clary_desktop.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

ORIGIN = "(catalog)"
"""The key of the catalog's own URL among the places of a plain-URL file."""
HANDOVER_RETRIES = 2
"""Failures in a row before a Hub's metadata is given up for the next source (the last
source gets the full `max_retries`)."""


def mirror_url(base: str, original: str) -> str:
    """Where a URL mirror keeps the file of `original`: `<base>/<host>[:<port>]/<path>`,
    the port only when it is not the scheme's default: what `wget -x URL` writes under
    the folder the mirror serves. The query is not part of it."""
    parts = urllib.parse.urlsplit(original)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    host = parts.hostname or ""
    authority = host if port in (None, default) else f"{host}:{port}"
    return f"{base.rstrip('/')}/{authority}{parts.path or '/'}"


def retrying(
    action: Callable[[], T],
    control: TransferControl,
    options: TransferOptions,
    max_failures: int | None = None,
) -> T:
    """`action()`, retried after a RetryableError by the usual rule (at most
    `max_failures` failures in a row when given); DownloadFailed when giving up."""
    if max_failures is not None:
        options = replace(options, max_retries=min(options.max_retries, max_failures))
    retries = Retries(options)
    while True:
        control.check()
        try:
            return action()
        except RetryableError as error:
            delay = retries.delay_after(error)
            if delay is None:
                raise DownloadFailed(f"{error}. Check your connection, then retry.") from None
            control.sleep(delay)


@dataclass(frozen=True)
class _Place:
    """A source as one job uses it."""

    key: str  # the source's name, or ORIGIN
    hub: HubConfig | None = None  # a Hub source
    base: str | None = None  # a URL mirror

    @property
    def label(self) -> str:
        return "the catalog's own address" if self.key == ORIGIN else f"the source '{self.key}'"


Found = dict[str, FileTask | DownloadFailed] | DownloadFailed
"""What one place has: each file's task or why not, or why the whole place failed."""


class SourceChain:
    """The places of one job's files, in order, looked up lazily and once per job."""

    def __init__(
        self,
        spec: VersionSpec,
        models_dir: Path,
        settings: Settings,
        options: TransferOptions,
        network: NetworkConfig,
    ) -> None:
        self.spec = spec
        self.options = options
        # Paths are checked before any network call (an unsafe entry never causes one).
        self.targets = {f.path: target_path(models_dir, spec, f.path) for f in spec.files}
        # Named only when the user (or IT) listed sources: the default alone needs none.
        self.named = settings.sources is not None
        sources = settings.sources_in_force()
        if spec.repo_id:
            self.places = [
                _Place(s.name, hub=HubConfig.for_source(s, settings, network))
                for s in sources
                if s.kind == "hub"
            ]
            if not self.places:
                raise DownloadFailed(
                    f"{spec.model_id} comes from a Hugging Face Hub, but no Hub is in the "
                    "list of sources. Add a Hub source (the Hub itself or your company's "
                    "mirror of it), then retry the download."
                )
        else:
            self.places = [_Place(s.name, base=s.url) for s in sources if s.kind == "url"]
            self.places.append(_Place(ORIGIN))
        self._keys = [place.key if self.named else "" for place in self.places]
        self._lock = threading.Lock()
        self._found: dict[int, Found] = {}
        self._failures: dict[str, list[tuple[_Place, DownloadFailed]]] = {}

    def first_tasks(self, control: TransferControl) -> list[FileTask]:
        """Every file from the first place that has it."""
        return [self._find(f.path, 0, control) for f in self.spec.files]

    def next_task(
        self, task: FileTask, error: DownloadFailed, control: TransferControl
    ) -> FileTask:
        """The same file from the next place that has it, after `error` at `task`'s;
        raises (naming every place tried) when none is left."""
        index = self._keys.index(task.source) if task.source in self._keys else 0
        with self._lock:
            self._failures.setdefault(task.path, []).append((self.places[index], error))
        found = self._find(task.path, index + 1, control)
        log.info(
            "%s: %s failed (%s); continuing from %s",
            task.path,
            self.places[index].label,
            error,
            self.places[self._keys.index(found.source)].label,
        )
        return found

    def blame(self, task: FileTask, error: DownloadFailed, keys: list[str]) -> DownloadFailed:
        """A file that failed its final check, with the sources it came from named."""
        places = [p for p, key in zip(self.places, self._keys, strict=True) if key in keys]
        if not self.named or not places:
            return error
        names = " and ".join(p.label for p in places)
        which = "that source serves" if len(places) == 1 else "one of them serves"
        expected = task.sha256 or task.git_blob_id
        return DownloadFailed(
            f"{task.path} of {self.spec.model_id} came from {names} but does not match the "
            f"catalog (expected {expected}, got {error.actual_sha256}): {which} different "
            "bytes. The bad file was deleted and nothing was installed. Remove that source "
            "from the list of sources or have it fixed, then retry the download.",
            expected_sha256=error.expected_sha256,
            actual_sha256=error.actual_sha256,
        )

    # ---- looking files up -----------------------------------------------------------

    def _find(self, path: str, start: int, control: TransferControl) -> FileTask:
        for index in range(start, len(self.places)):
            found = self._lookup(index, control)
            place = found if isinstance(found, DownloadFailed) else found[path]
            if isinstance(place, FileTask):
                return place
            with self._lock:
                self._failures.setdefault(path, []).append((self.places[index], place))
        raise self._nowhere(path)

    def _nowhere(self, path: str) -> DownloadFailed:
        with self._lock:
            failures = list(self._failures.get(path, []))
        if len(failures) == 1:
            return failures[0][1]  # one source: its own words
        tried = " ".join(f"From {place.label}: {error}" for place, error in failures)
        return DownloadFailed(f"No source could provide {path} of {self.spec.model_id}. {tried}")

    def _lookup(self, index: int, control: TransferControl) -> Found:
        with self._lock:  # one look per place and job; the other files wait for it
            if index not in self._found:
                self._found[index] = self._look(index, control)
            return self._found[index]

    def _look(self, index: int, control: TransferControl) -> Found:
        place = self.places[index]
        key = self._keys[index]
        if place.hub is None:
            origin = url_tasks(self.spec, self.targets)
            if place.base is None:
                return {t.path: replace(t, source=key) for t in origin}
            base = place.base
            return {t.path: replace(t, url=mirror_url(base, t.url), source=key) for t in origin}
        hub = place.hub
        last = index == len(self.places) - 1
        try:
            return retrying(
                lambda: hub_places(self.spec, self.targets, hub, key),
                control,
                self.options,
                None if last else HANDOVER_RETRIES,
            )
        except DownloadFailed as error:
            return error
