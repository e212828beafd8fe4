"""The `sources` setting: old settings files, what a valid list is, which token goes
where, and the URL mirror layout."""

from __future__ import annotations

import json
import socket

import pytest

from clary_desktop.app import sources as source_list
from clary_desktop.downloads.hub_config import HubConfig
from clary_desktop.downloads.mirrors import mirror_url
from clary_desktop.errors import ClaryError
from clary_desktop.settings import DEFAULT_HUB_SOURCE, Settings, Source, load_settings
from clary_desktop.storage.network import first_source_address, probe


def test_a_settings_file_from_before_the_list_keeps_its_hub(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "env-token")
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"hub_endpoint": "https://hf.corp.example", "hub_token": "t"}))

    settings = load_settings(path)

    assert settings.sources is None
    assert settings.sources_in_force() == [DEFAULT_HUB_SOURCE]
    hub = HubConfig.for_source(DEFAULT_HUB_SOURCE, settings)
    assert (hub.endpoint, hub.token) == ("https://hf.corp.example", "t")


def test_a_mirror_hub_gets_only_its_own_token(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "env-token")
    settings = Settings(hub_token="hub-token")
    plain = Source(name="corp", kind="hub", url="https://hf.corp.example/")
    with_token = Source(name="corp2", kind="hub", url="https://b.example", token="own")

    first, second = (
        HubConfig.for_source(plain, settings),
        HubConfig.for_source(with_token, settings),
    )
    assert (first.endpoint, first.token) == ("https://hf.corp.example", None)
    assert (second.endpoint, second.token) == ("https://b.example", "own")
    assert second.token_place == "the token of the source 'corp2'"  # the words of its errors


@pytest.mark.parametrize(
    ("sources", "words"),
    [
        ([], "at least one source is needed"),
        (
            [Source(name="a", kind="hub"), Source(name="A", kind="url", url="http://x.example")],
            "two sources have the same name",
        ),
        ([Source(name="a", kind="hub"), Source(name="b", kind="hub")], "listed twice"),
    ],
)
def test_a_list_that_makes_no_sense_is_refused_in_plain_words(sources, words):
    with pytest.raises(ClaryError) as caught:
        source_list.with_sources(Settings(), sources)
    assert words in str(caught.value)
    assert str(caught.value).startswith("The list of sources cannot be saved")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"kind": "url"}, "a URL mirror needs its address"),
        ({"kind": "url", "url": "http://x.example", "token": "t"}, "takes no token"),
        ({"kind": "hub", "token": "t"}, "the default Hub's token is the hub_token setting"),
        ({"kind": "hub", "url": "file:///srv/hub"}, "must start with http:// or https://"),
        ({"kind": "url", "url": "http://x.example/?a=1"}, "must not have a ?query"),
    ],
)
def test_a_source_that_makes_no_sense_is_refused(fields, words):
    with pytest.raises(ValueError, match=words.replace("?", r"\?")):
        Source(name="s", **fields)


def test_add_move_remove_keep_the_order():
    hub, corp = DEFAULT_HUB_SOURCE, Source(name="corp", kind="hub", url="https://c.example")
    files = Source(name="files", kind="url", url="https://f.example")

    listed = source_list.added([hub], corp, None)
    listed = source_list.added(listed, files, 1)
    assert [s.name for s in listed] == ["files", "hub", "corp"]
    assert [s.name for s in source_list.moved(listed, "CORP", 1)] == ["corp", "files", "hub"]
    assert [s.name for s in source_list.moved(listed, "files", 3)] == ["hub", "corp", "files"]
    assert [s.name for s in source_list.removed(listed, "hub")] == ["files", "corp"]
    with pytest.raises(ClaryError, match="Position 4 is not in the list: choose 1 to 3"):
        source_list.moved(listed, "hub", 4)
    with pytest.raises(ClaryError, match="is the only source"):
        source_list.removed([hub], "hub")


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("https://cdn.example/a/b/model.gguf", "https://m.example/base/cdn.example/a/b/model.gguf"),
        ("http://cdn.example:80/x.bin", "https://m.example/base/cdn.example/x.bin"),
        ("http://127.0.0.1:8080/blobs/x?sig=1", "https://m.example/base/127.0.0.1:8080/blobs/x"),
        ("https://CDN.example:443/x%20y.bin", "https://m.example/base/cdn.example/x%20y.bin"),
    ],
)
def test_the_url_mirror_layout_is_what_wget_x_writes(original, expected):
    assert mirror_url("https://m.example/base/", original) == expected


def test_the_network_probe_asks_the_first_source():
    """On a network that reaches only the company's mirror, that mirror is "online"."""
    with socket.socket() as mirror:
        mirror.bind(("127.0.0.1", 0))
        mirror.listen()
        address = f"http://127.0.0.1:{mirror.getsockname()[1]}"
        settings = Settings(
            hub_endpoint="http://127.0.0.1:9",  # nothing there
            sources=[Source(name="corp", kind="hub", url=address), DEFAULT_HUB_SOURCE],
        )
        assert first_source_address(settings) == address
        assert probe(settings, timeout=2)
    assert first_source_address(Settings(hub_endpoint="http://h.example")) == "http://h.example"
    assert not probe(Settings(hub_endpoint="http://127.0.0.1:9"), timeout=2)
