"""Asking a server for a file, and refusing answers no retry can fix.

A redirect to something other than http(s), a redirect loop, or a header no
reading makes sense of (a Content-Length of "abc", two different lengths) is the
server's mistake, not the connection's: the download fails at once with a
sentence naming what the server sent, instead of being retried for minutes.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

import requests

from clary_desktop.domain.layout import FileTask
from clary_desktop.downloads.errors import DownloadFailed

HTTP_SCHEMES = ("http", "https")
_MAX_LENGTH_DIGITS = 20


def origin(url: str) -> tuple[str, str | None, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower() or None, port


def same_origin(url: str, other: str) -> bool:
    return origin(url) == origin(other)


def get_file(
    session: requests.Session,
    task: FileTask,
    url: str,
    headers: Mapping[str, str],
    timeout: tuple[float, float],
    allow_redirects: bool = True,
) -> requests.Response:
    """`session.get(url)` streaming; raises DownloadFailed for the server's mistakes
    and lets network errors through (the caller retries those)."""

    def refuse_odd_redirect(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        location = response.headers.get("Location") if response.is_redirect else None
        if location is None:
            return
        target = urllib.parse.urljoin(response.url, location)
        if urllib.parse.urlsplit(target).scheme.lower() not in HTTP_SCHEMES:
            response.close()
            raise DownloadFailed(
                f"Downloading {task.path} failed: the server redirected to {target}, which is "
                "not an http(s) address. Report the source as broken."
            )

    try:
        return session.get(
            url,
            headers=dict(headers),
            stream=True,
            allow_redirects=allow_redirects,
            timeout=timeout,
            hooks={"response": [refuse_odd_redirect]},
        )
    except requests.TooManyRedirects:
        raise DownloadFailed(
            f"Downloading {task.path} failed: the server at {_host(url)} sent too many "
            "redirects (a redirect loop). Retry later, or report the source as broken."
        ) from None
    except requests.exceptions.InvalidHeader as error:
        raise DownloadFailed(
            f"Downloading {task.path} failed: the server at {_host(url)} sent an invalid "
            f"header ({error}). Retry later, or report the source as broken."
        ) from None
    except (
        requests.exceptions.InvalidSchema,
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
    ) as error:
        raise DownloadFailed(
            f"Clary cannot download {task.path} from {url} ({error}). "
            "Fix or re-import the catalog entry."
        ) from None


def content_length(response: requests.Response, task: FileTask) -> int | None:
    """The body's length the server announced, or None when it announced none.

    Repeated equal values ("100, 100") are legal HTTP; anything else that is not
    one non-negative decimal number is refused.
    """
    raw = response.headers.get("Content-Length")
    if raw is None:
        return None
    values = {value.strip() for value in raw.split(",")}
    value = values.pop() if len(values) == 1 else ""
    if not (value.isascii() and value.isdigit() and len(value) <= _MAX_LENGTH_DIGITS):
        response.close()
        raise DownloadFailed(
            f"Downloading {task.path} failed: the server sent an invalid Content-Length "
            f"{raw!r}. Retry later, or report the source as broken."
        )
    return int(value)


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url
