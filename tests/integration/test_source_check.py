"""Registry.test_source against real loopback servers: the plain words for each answer."""

from __future__ import annotations

import urllib.parse

import pytest

from clary_desktop.app import Registry
from clary_desktop.settings import Source
from tests.support.fault_server import BlobServer
from tests.support.hub_server import HubServer


class UnlistedHub(HubServer):
    """A Hub mirror that answers the Hub's API but lists no models."""

    def handle_other(self, handler) -> bool:  # type: ignore[no-untyped-def]
        if urllib.parse.urlsplit(handler.path).path == "/api/models":
            self._error(handler, 404, "EntryNotFound", "Not listed here")
            return True
        return super().handle_other(handler)


@pytest.fixture
def reg(paths):
    registry = Registry.open(paths)
    yield registry
    registry.close()


def test_a_hub_that_lists_no_models_still_works(reg):
    with UnlistedHub() as hub:
        check = reg.test_source(Source(name="corp", kind="hub", url=hub.endpoint))
    assert (check.state, check.detail) == (
        "works",
        "It answers like a Hugging Face Hub (it lists no models).",
    )


def test_a_hub_that_is_down_behind_its_balancer_is_doubtful(reg):
    with HubServer() as hub:
        hub.outage = 503
        check = reg.test_source(Source(name="corp", kind="hub", url=hub.endpoint))
    assert check.state == "doubtful" and not check.works
    assert check.detail.startswith("It answered HTTP 503 to a Hub API request")


def test_a_hub_sources_own_token_goes_with_its_test(reg):
    with HubServer() as hub:
        check = reg.test_source(Source(name="corp", kind="hub", url=hub.endpoint, token="t1"))
        hub.settle()
    assert [r.headers.get("Authorization") for r in hub.requests] == ["Bearer t1"]
    assert check.state == "works"


def test_a_url_mirror_with_a_server_error_is_doubtful(reg):
    class Broken(BlobServer):
        def handle_other(self, handler) -> bool:  # type: ignore[no-untyped-def]
            handler.send_response(502)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return True

    with Broken() as server:
        check = reg.test_source(Source(name="files", kind="url", url=server.base_url))
    assert (check.state, check.detail) == (
        "doubtful",
        "It answered HTTP 502 (a server error): downloads may fail.",
    )
