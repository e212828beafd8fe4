"""Hostile requests to the local API over real HTTP on 127.0.0.1: non-finite numbers,
huge bodies (with and without Content-Length), foreign Host headers (DNS rebinding),
no CDN-backed docs page, and the keys' "last used"."""

from __future__ import annotations

import json
import re
import select
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from clary_desktop.api.guard import MAX_BODY_BYTES
from clary_desktop.api.server import ApiServer
from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.paths import AppPaths
from tests.conftest import CliRunner
from tests.support.cli import clean_env, script
from tests.support.download_env import import_entries, url_entry

METRICS = "/api/v1/models/tiny-llm/metrics"


class Api:
    def __init__(self, registry: Registry, server: ApiServer) -> None:
        self.registry = registry
        self.server = server
        _, self.key = registry.api_keys.create("tests")

    def call(
        self, method: str, path: str, key: str | None = "default", **kwargs
    ) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if key is not None:
            headers["X-API-Key"] = self.key if key == "default" else key
        return requests.request(
            method, self.server.url + path, headers=headers, timeout=30, **kwargs
        )

    def runs(self) -> int:
        return self.registry.run_summary("tiny-llm").runs


@pytest.fixture
def api(paths: AppPaths) -> Iterator[Api]:
    registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
    import_entries(registry, url_entry("tiny-llm", {"m.gguf": ("http://127.0.0.1:9/m", b"x")}))
    server = ApiServer(registry, port=0)
    server.start()
    try:
        yield Api(registry, server)
    finally:
        server.stop()
        registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-api")]


# ---- numbers JSON cannot carry back ----------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"latency_ms": NaN}',
        '{"latency_ms": Infinity}',
        '{"latency_ms": -Infinity}',
        '{"latency_ms": 5, "throughput": NaN}',
        '{"latency_ms": 5, "throughput": Infinity}',
    ],
)
def test_nan_and_infinity_answer_422_naming_the_field(api: Api, body: str) -> None:
    answer = api.call("POST", METRICS, data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["detail"]
    field = "throughput" if "throughput" in body else "latency_ms"
    assert error["loc"] == ["body", field]
    assert error["msg"] == "Input should be a finite number"
    assert api.runs() == 0


def test_other_bad_bodies_still_answer_422_or_400(api: Api) -> None:
    deep = "[" * 100_000 + "]" * 100_000  # under the size cap, too deep to parse
    answer = api.call("POST", METRICS, data=deep, headers={"Content-Type": "application/json"})
    assert answer.status_code in (400, 422), answer.text
    answer = api.call("POST", METRICS, json={"latency_ms": 0})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "latency_ms"]
    assert api.runs() == 0
    assert api.call("POST", METRICS, json={"latency_ms": 5}).status_code == 201
    assert api.runs() == 1


# ---- body size and key before body -------------------------------------------------------


def _send_streamed(
    port: int, head: str, most: int, host: str = "127.0.0.1"
) -> tuple[int, dict, int]:
    """Send `head` then a chunked body of zeros until the server answers (or `most`
    bytes went); the status, the JSON answer and how many body bytes were sent."""
    piece = b"0" * 65536
    frame = b"%x\r\n" % len(piece) + piece + b"\r\n"
    sent = 0
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(
            (head + "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n").encode()
        )
        sock.setblocking(False)
        pending = b""
        while sent < most:
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable or not writable:
                break  # an answer (or the server stopped reading: it answers next)
            if not pending:
                pending = frame
                sent += len(piece)
            try:
                pending = pending[sock.send(pending) :]
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:  # the server closed the connection after answering
                break
        sock.setblocking(True)
        return (*_read_answer(sock), sent)


def _read_answer(sock: socket.socket) -> tuple[int, dict]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"no answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the answer was cut short"
        body += chunk
    return int(head.split()[1]), json.loads(body[:length])


def _request_head(
    api: Api, method: str, path: str, key: str | None, host: str | None = None
) -> str:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{api.server.port}'}"]
    if key is not None:
        lines.append(f"X-API-Key: {key}")
    return "\r\n".join(lines) + "\r\n"


def test_a_huge_streamed_body_is_refused_once_past_the_cap(api: Api) -> None:
    most = 128 * 1024 * 1024
    status, answer, sent = _send_streamed(
        api.server.port, _request_head(api, "POST", METRICS, api.key), most
    )
    assert status == 413, answer
    assert "larger than 1024 KiB" in answer["detail"] and "smaller" in answer["detail"]
    assert sent < most // 4  # answered long before the body ended: it was never all read
    assert api.runs() == 0
    # The server is fine afterwards.
    assert api.call("POST", METRICS, json={"latency_ms": 5}).status_code == 201


def test_the_key_is_checked_before_the_body_is_read(api: Api) -> None:
    most = 128 * 1024 * 1024
    for key in (None, "clary_wrong"):
        status, answer, sent = _send_streamed(
            api.server.port, _request_head(api, "POST", METRICS, key), most
        )
        assert status == 401, answer
        assert "X-API-Key" in answer["detail"]
        assert sent < most // 4
    assert api.runs() == 0


def test_a_declared_length_over_the_cap_is_refused_before_reading(api: Api) -> None:
    head = _request_head(api, "POST", METRICS, api.key) + (
        f"Content-Length: {300 * 1024 * 1024}\r\nContent-Type: application/json\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", api.server.port), timeout=30) as sock:
        sock.sendall(head.encode() + b'{"latency_ms": 5')  # and nothing more
        status, answer = _read_answer(sock)
    assert status == 413 and "larger than" in answer["detail"]
    # Just under the cap is read and judged on its content.
    padded = '{"latency_ms": 5, "version": "1.0"' + " " * (MAX_BODY_BYTES - 100) + "}"
    answer = api.call("POST", METRICS, data=padded, headers={"Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text
    assert api.runs() == 1


# ---- Host header (DNS rebinding) -----------------------------------------------------------


def test_only_the_listening_address_and_loopback_names_are_answered(api: Api) -> None:
    port = api.server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        answer = api.call("GET", "/api/v1/models", headers={"Host": host})
        assert answer.status_code == 200, (host, answer.text)
    for host in (
        f"rebind.attacker.example:{port}",
        f"127.0.0.1.nip.io:{port}",
        f"127.0.0.1:{port + 1}",
        "127.0.0.1",
        f"192.168.1.10:{port}",
    ):
        for key in ("default", None):  # the Host is checked first, key or not
            answer = api.call("GET", "/api/v1/models", key=key, headers={"Host": host})
            assert answer.status_code == 421, (host, answer.text)
            detail = answer.json()["detail"]
            assert f"127.0.0.1:{port}" in detail and repr(host) in detail
    answer = api.call("GET", "/openapi.json", key=None, headers={"Host": f"evil.example:{port}"})
    assert answer.status_code == 421
    refused = api.call(
        "POST", METRICS, json={"latency_ms": 5}, headers={"Host": f"evil.example:{port}"}
    )
    assert refused.status_code == 421 and api.runs() == 0
    assert api.registry.api_keys.list()[0].last_used_at is not None  # from the 200s above


def test_an_http10_request_without_host_is_refused(api: Api) -> None:
    with socket.create_connection(("127.0.0.1", api.server.port), timeout=30) as sock:
        sock.sendall(f"GET /api/v1/models HTTP/1.0\r\nX-API-Key: {api.key}\r\n\r\n".encode())
        status, answer = _read_answer(sock)
    assert status == 400 and "Host" in answer["detail"]


# ---- docs and keys ---------------------------------------------------------------------------


def test_no_docs_page_that_needs_the_internet_but_the_openapi_document(api: Api) -> None:
    for page in ("/docs", "/redoc"):
        answer = api.call("GET", page)
        assert answer.status_code == 404, page
        assert "cdn" not in answer.text.lower()
    doc = api.call("GET", "/openapi.json", key=None)
    assert (
        doc.status_code == 200 and METRICS.replace("tiny-llm", "{model_id}") in doc.json()["paths"]
    )


def test_last_used_is_recorded_for_the_key_that_was_used(api: Api) -> None:
    _, other = api.registry.api_keys.create("other")
    before = datetime.now(UTC)
    assert {k.name: k.last_used_at for k in api.registry.api_keys.list()} == {
        "other": None,
        "tests": None,
    }
    assert api.call("GET", "/api/v1/models", key="clary_wrong").status_code == 401
    assert api.call("GET", "/api/v1/models").status_code == 200
    used = {k.name: k.last_used_at for k in api.registry.api_keys.list()}
    assert used["other"] is None
    assert used["tests"] is not None and used["tests"] >= before
    first = used["tests"]
    assert api.call("POST", METRICS, json={"latency_ms": 5}).status_code == 201
    assert api.registry.api_keys.list()[1].last_used_at >= first
    api.registry.api_keys.revoke("other")
    assert api.call("GET", "/api/v1/models", key=other).status_code == 401
    assert api.registry.api_keys.list()[0].last_used_at is None


def test_serve_records_last_use_shown_by_apikey_list(cli: CliRunner, data_dir) -> None:
    secret = cli("apikey", "create", "pipeline").stdout.strip()
    cli("apikey", "create", "idle")
    assert "never" in cli("apikey", "list").stdout
    process = subprocess.Popen(
        [*script("clary-models"), "--data-dir", str(data_dir), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    try:
        line = process.stderr.readline()  # type: ignore[union-attr]
        match = re.search(r"API on (http://127\.0\.0\.1:\d+)", line)
        assert match, line
        assert "/openapi.json" in line and "/docs" not in line
        url = match.group(1)
        answer = requests.get(url + "/api/v1/models", headers={"X-API-Key": secret}, timeout=10)
        assert answer.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
    keys = {k["name"]: k for k in json.loads(cli("apikey", "list", "--json").stdout)["keys"]}
    assert keys["pipeline"]["last_used_at"] is not None
    assert keys["idle"]["last_used_at"] is None
    table = cli("apikey", "list").stdout
    [pipeline_row] = [row for row in table.splitlines() if row.startswith("pipeline")]
    [idle_row] = [row for row in table.splitlines() if row.startswith("idle")]
    assert "never" not in pipeline_row and "never" in idle_row
