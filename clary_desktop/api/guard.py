"""What every request passes before FastAPI sees it, as ASGI middleware so nothing is
read or parsed first:

1. The Host header must name the address the API listens on (or localhost,
   127.0.0.1, [::1]) with its port: a web page the user opens cannot reach the API
   through a DNS name it points at 127.0.0.1 (DNS rebinding). 421 otherwise.
2. The API key (X-API-Key) is checked before a byte of the body is read: 401.
3. The body is read here, at most `max_body` bytes (with or without Content-Length,
   chunked included); past that the answer is 413 and the rest is never read.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable

import anyio.to_thread
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clary_desktop.api.hints import hint_body
from clary_desktop.domain.pipeline_values import ApiKeyInfo
from clary_desktop.errors import ClaryError

API_KEY_HEADER = "X-API-Key"
MAX_BODY_BYTES = 1024 * 1024
"""Every request body of the API is a small JSON object; 1 MiB is plenty."""
PUBLIC_PATHS = frozenset({"/openapi.json"})
KEY_SCOPE = "clary.api_key"
"""Where the checked key is left in the ASGI scope for the handlers."""
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_WILDCARDS = ("0.0.0.0", "::", "")

Authenticate = Callable[[str | None], ApiKeyInfo | None]


def key_missing_message() -> str:
    return (
        f"Missing, wrong or revoked API key. Send {API_KEY_HEADER} with a key "
        "from `clary-models apikey create NAME`."
    )


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticate: Authenticate,
        host: str,
        port: int,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.port = port
        self.max_body = max_body
        self.listen = _host_name(host)
        self.any_address = host.strip("[]") in _WILDCARDS
        names = {*LOOPBACK_NAMES, self.listen}
        self.allowed = {f"{name}:{port}" for name in names}
        if port == 80:  # a browser leaves out the default port
            self.allowed |= names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._check_host(headers.get("host"))
        if refusal is not None:
            await _answer(send, *refusal)
            return
        if scope["path"] not in PUBLIC_PATHS:
            try:
                key = await anyio.to_thread.run_sync(self.authenticate, headers.get(API_KEY_HEADER))
            except ClaryError as error:  # the database cannot be read
                await _answer(send, 503, str(error), hint_body(error))
                return
            if key is None:
                await _answer(send, 401, key_missing_message())
                return
            scope[KEY_SCOPE] = key
        length = headers.get("content-length")
        if length is not None and not length.isdigit():
            await _answer(send, 400, f"Content-Length {length[:40]!r} is not a number of bytes.")
            return
        if length is not None and int(length) > self.max_body:
            await _answer(send, 413, self._too_large())
            return
        try:
            body = await _read_body(receive, self.max_body)
        except _Disconnected:
            return
        if body is None:
            await _answer(send, 413, self._too_large())
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_host(self, value: str | None) -> tuple[int, str] | None:
        where = f"{self.listen}:{self.port}"
        if not value:
            return 400, f"The request has no Host header; send Host: {where}."
        host = value.strip().lower()
        if host in self.allowed or (self.any_address and self._is_ip_literal(host)):
            return None
        return 421, (
            f"This API answers only requests addressed to {where} (or localhost); this one "
            f"was addressed to {value[:100]!r}. Use http://{where}/."
        )

    def _is_ip_literal(self, host: str) -> bool:
        """On 0.0.0.0 or ::, any address of this machine (a DNS name never: rebinding)."""
        name, _, port = host.rpartition(":")
        if port != str(self.port):
            return False
        try:
            ipaddress.ip_address(name.strip("[]"))
        except ValueError:
            return False
        return True

    def _too_large(self) -> str:
        return (
            f"The request body is larger than {self.max_body // 1024} KiB, the most this API "
            "accepts. Send a smaller one."
        )


def _host_name(host: str) -> str:
    host = host.strip().lower()
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class _Disconnected(Exception):
    """The client went away while sending the body."""


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None when it is longer than `limit` (the rest is left unread)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body read here, then waits as the server would."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(
    send: Send, status: int, detail: str, hint: dict[str, str | int] | None = None
) -> None:
    """A JSON `{"detail": ...}` answer like the API's own (with the `hint` of a core
    error); the connection is closed after it, since an unread body may follow."""
    body: dict[str, object] = {"detail": detail}
    if hint is not None:
        body["hint"] = hint
    payload = json.dumps(body).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
