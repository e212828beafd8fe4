"""A response body read into the caller's buffer (downloads/body_reader.py), against a
real loopback server: the bytes, the connection kept for the next request, a body cut
short, a stall, and the bodies read through urllib3 instead (chunked, or already
started)."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest
import requests
import urllib3

from clary_desktop.downloads.body_reader import BodyReader
from clary_desktop.downloads.transfer import NETWORK_ERRORS, TransferOptions, describe_network_error
from tests.support.fault_server import BlobServer, random_bytes

KiB = 1024
DATA = random_bytes(3 * 1024 * KiB + 17, seed=41)
IDENTITY = {"Accept-Encoding": "identity"}


class ChunkedServer(BlobServer):
    """Also answers /chunked with DATA in chunked transfer encoding."""

    def handle_other(self, handler: BaseHTTPRequestHandler) -> bool:
        if handler.path != "/chunked":
            return False
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(DATA), 100 * KiB):
            piece = DATA[start : start + 100 * KiB]
            handler.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")
        return True


@pytest.fixture
def server():
    with ChunkedServer() as blob_server:
        blob_server.add("m.gguf", DATA)
        yield blob_server


def read_all(reader: BodyReader, buffer_bytes: int = 256 * KiB) -> tuple[bytes, int]:
    """Everything the reader gives, and in how many reads."""
    buffer = bytearray(buffer_bytes)
    out, reads = bytearray(), 0
    while count := reader.readinto(memoryview(buffer)):
        assert count <= buffer_bytes
        out += buffer[:count]
        reads += 1
    return bytes(out), reads


def test_a_body_lands_in_the_callers_buffer_and_its_connection_serves_the_next_request(server):
    with requests.Session() as session:
        for _ in range(2):
            with session.get(server.url("m.gguf"), headers=IDENTITY, stream=True) as response:
                reader = BodyReader(response)
                assert reader.reads_directly  # the installed urllib3 still allows it
                body, reads = read_all(reader)
                assert body == DATA
                assert reads >= len(DATA) // (256 * KiB)
                response.raw.release_conn()  # fully read: back to the pool, as the parts do
    server.settle()
    first, second = (r for r in server.requests if r.method == "GET")
    assert first.connection == second.connection  # the same connection answered both


def test_a_body_cut_short_of_its_length_is_a_connection_closed_early(server):
    server.fail_next("m.gguf", "truncate:100000")
    with (
        requests.get(server.url("m.gguf"), headers=IDENTITY, stream=True) as response,
        pytest.raises(urllib3.exceptions.ProtocolError) as raised,
    ):
        reader = BodyReader(response)
        got = bytearray()
        buffer = bytearray(64 * KiB)
        while count := reader.readinto(memoryview(buffer)):
            got += buffer[:count]
    assert bytes(got) == DATA[:100000]  # every byte before the cut was handed over
    assert isinstance(raised.value, NETWORK_ERRORS)
    assert describe_network_error(raised.value, TransferOptions()) == "the connection closed early"


def test_the_bytes_before_a_stall_come_out_before_the_stall_is_reported(server):
    server.fail_next("m.gguf", "stall:50000")
    options = TransferOptions(stall_seconds=1.0)
    with requests.get(
        server.url("m.gguf"), headers=IDENTITY, stream=True, timeout=(5, options.stall_seconds)
    ) as response:
        reader = BodyReader(response)
        got = bytearray()
        buffer = bytearray(1024 * KiB)
        with pytest.raises(NETWORK_ERRORS) as raised:
            while count := reader.readinto(memoryview(buffer)):
                got += buffer[:count]
    assert bytes(got) == DATA[:50000]  # a resume can start after them
    assert describe_network_error(raised.value, options) == "no data for 1 s (stalled)"


def test_a_chunked_body_is_read_through_urllib3_and_copied(server):
    with requests.get(f"{server.base_url}/chunked", headers=IDENTITY, stream=True) as response:
        reader = BodyReader(response)
        assert not reader.reads_directly
        assert read_all(reader)[0] == DATA


def test_a_body_urllib3_has_started_is_read_on_through_urllib3(server):
    with requests.get(server.url("m.gguf"), headers=IDENTITY, stream=True) as response:
        head = response.raw.read1(10)
        reader = BodyReader(response)
        assert not reader.reads_directly  # urllib3 may hold bytes of its own by now
        assert head + read_all(reader)[0] == DATA
