"""A model's facts from the headers of its files on the server, without downloading them.

Each weight file (GGUF, safetensors) is read from its first byte with HTTP Range: 1 MiB
first, more while the header runs longer (vocabularies make GGUF headers several MiB),
never past the header caps. The same rules as downloads apply: the files are resolved
like a download (Hub endpoint, pinned revision, token for the Hub only), redirects are
followed (never to another scheme), temporary failures are retried with the download
back-off. A server that ignores Range answers with the whole file: its body is read only
as far as the header goes, then the connection is closed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import requests

from clary_desktop.domain.layout import FileTask, VersionSpec
from clary_desktop.domain.model_facts import FactsSource, ModelFacts
from clary_desktop.domain.model_headers import (
    MAX_GGUF_HEADER,
    MAX_SAFETENSORS_HEADER,
    HeaderError,
    NeedMoreBytes,
    Parser,
    combine,
    parser_for,
)
from clary_desktop.downloads.answers import content_length, get_file
from clary_desktop.downloads.errors import DownloadFailed, RetryableError
from clary_desktop.downloads.hub_config import HubConfig
from clary_desktop.downloads.sources import resolve_tasks
from clary_desktop.downloads.transfer import (
    CONTENT_RANGE,
    NETWORK_ERRORS,
    Retries,
    TransferOptions,
    check_status,
    describe_network_error,
)
from clary_desktop.formatting import format_size
from clary_desktop.network.http import new_session

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_READ = 1024 * 1024
#: Safetensors headers may take 100 MB; 8 bytes of length come first.
_MAX_HEADER = max(MAX_GGUF_HEADER, MAX_SAFETENSORS_HEADER + 8)


class HeaderUnavailable(DownloadFailed):
    """The header could not be read or parsed; the message says why in plain words."""


def fetch_version_facts(
    spec: VersionSpec,
    models_dir: Path,
    hub: HubConfig,
    options: TransferOptions | None = None,
    first_read: int = FIRST_READ,
) -> ModelFacts:
    """The facts of a version from the headers of its weight files on the server.
    HeaderUnavailable (a ClaryError) when a header cannot be read or makes no sense."""
    options = options or TransferOptions()
    weight_paths = [f.path for f in spec.files if parser_for(f.path) is not None]
    if not weight_paths:
        raise HeaderUnavailable(
            f"{spec.model_id} {spec.version} has no GGUF or safetensors file to read facts from"
        )
    tasks = _retrying(options, lambda: resolve_tasks(spec, models_dir, hub))
    parts = []
    with new_session(hub.network) as session:
        for task in tasks:
            parser = parser_for(task.path)
            if parser is not None:
                parts.append(
                    _retrying(options, _header_reader(session, task, parser, options, first_read))
                )
    return combine(parts, FactsSource.HEADER)


def _header_reader(
    session: requests.Session,
    task: FileTask,
    parser: Parser,
    options: TransferOptions,
    first_read: int,
) -> Callable[[], ModelFacts]:
    return lambda: read_header(session, task, parser, options, first_read)


def _retrying(options: TransferOptions, attempt: Callable[[], T]) -> T:
    retries = Retries(options)
    while True:
        try:
            return attempt()
        except RetryableError as error:
            delay = retries.delay_after(error)
            if delay is None:
                raise HeaderUnavailable(
                    f"Cannot read the model's header: {error}. Try again later."
                ) from None
            log.info("header read failed (%s); retrying in %.1f s", error, delay)
            time.sleep(delay)


def read_header(
    session: requests.Session,
    task: FileTask,
    parser: Parser,
    options: TransferOptions,
    first_read: int = FIRST_READ,
) -> ModelFacts:
    """One file's facts from its first bytes; RetryableError for what a retry may fix."""
    buffer = bytearray()
    file_size = task.size_bytes
    want = min(first_read, file_size) if file_size else first_read
    while True:
        try:
            return parser(memoryview(buffer), task.path, file_size)
        except NeedMoreBytes as more:
            needed = more.needed
        except HeaderError as error:
            raise HeaderUnavailable(f"{task.path}: {error}") from None
        if needed > _MAX_HEADER:
            raise HeaderUnavailable(
                f"{task.path}: the header declares {format_size(needed)}, more than any "
                "model's header takes"
            )
        if file_size is not None and needed > file_size:
            raise HeaderUnavailable(f"{task.path}: the file ends inside its own header")
        want = max(needed, min(2 * len(buffer), _MAX_HEADER), want)
        if file_size is not None:
            want = min(want, file_size)
        file_size = _read_more(session, task, buffer, want, options) or file_size


def _read_more(
    session: requests.Session,
    task: FileTask,
    buffer: bytearray,
    want: int,
    options: TransferOptions,
) -> int | None:
    """Extend `buffer` to `want` bytes from the file's start; the file size when the
    answer told it."""
    start = len(buffer)
    headers = {**task.headers, "Range": f"bytes={start}-{want - 1}"}
    timeout = (options.connect_seconds, options.stall_seconds)
    try:
        response = get_file(session, task, task.url, headers, timeout)
        with response:
            check_status(response, task)
            if response.status_code == 416:
                raise HeaderUnavailable(f"{task.path}: the file ends inside its own header")
            total: int | None = None
            if response.status_code == 206:
                match = CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
                if match is None or int(match.group(1)) != start:
                    raise RetryableError("the server sent another range than asked")
                total = int(match.group(3)) if match.group(3) != "*" else None
                skip = 0
            else:  # 200: Range ignored, the body is the whole file from its first byte
                total = content_length(response, task)
                skip = start
            _read_body(response, buffer, skip, want)
    except NETWORK_ERRORS as error:
        raise RetryableError(describe_network_error(error, options)) from None
    if len(buffer) < want and (total is None or len(buffer) < total):
        raise RetryableError("the connection closed early")
    return total


def _read_body(response: requests.Response, buffer: bytearray, skip: int, want: int) -> None:
    """Append the body to `buffer` up to `want` bytes in all, after dropping `skip` bytes
    already held; stop reading there (closing the response drops the rest)."""
    for chunk in response.iter_content(chunk_size=256 * 1024):
        if skip:
            dropped = min(skip, len(chunk))
            chunk = chunk[dropped:]
            skip -= dropped
        room = want - len(buffer)
        buffer += chunk[:room]
        if len(buffer) >= want:
            return
