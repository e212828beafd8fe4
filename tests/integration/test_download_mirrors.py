"""Downloads from an ordered list of sources: Hub endpoints and URL mirrors on 127.0.0.1.

A file comes from the first source that has it; a source that is down, answers 5xx or
404 hands over to the next one, which continues the partial by Range; the sha256 is
checked whatever the source; a token goes only to its own source.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import replace

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobState
from clary_desktop.settings import Source
from tests.support.download_env import (
    FAST,
    REVISION,
    hub_entry,
    import_entries,
    sha,
    url_entry,
    use_fast_manager,
)
from tests.support.fault_server import BlobServer, random_bytes
from tests.support.hub_server import HubServer
from tests.support.mirror_server import MirrorServer

REPO = "acme/layout-base"
BIG = "model.safetensors"
FILES = {
    BIG: random_bytes(3 * 1024 * 1024 + 5, seed=11),
    "config.json": b'{"model_type": "layout-test"}\n',
    "tokenizer/vocab.json": random_bytes(60_000, seed=12),
}
BIG_SHA = sha(FILES[BIG])


def closed_port_url() -> str:
    """An address where nothing listens: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def hubs():
    first, second = HubServer(), HubServer()
    yield first, second
    first.close()
    second.close()


@pytest.fixture
def reg(paths):
    registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
    import_entries(registry, hub_entry("layout", REPO, FILES, pinned=("config.json",)))
    use_fast_manager(registry)
    yield registry
    registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def use_sources(registry: Registry, *sources: Source) -> None:
    registry.set_sources(list(sources))


def hub_source(name: str, server: HubServer | str, token: str | None = None) -> Source:
    url = server if isinstance(server, str) else server.endpoint
    return Source(name=name, kind="hub", url=url, token=token)


def download(registry: Registry, model_id: str = "layout"):
    job = registry.start_download(model_id)
    return registry.wait_for_download(job, timeout=60)


def assert_installed(registry: Registry, files: dict[str, bytes], model_id: str = "layout"):
    folder = registry.models_dir / ("layout" if model_id == "layout" else "llm") / model_id / "1.0"
    for path, data in files.items():
        assert sha((folder / path).read_bytes()) == sha(data), path
    assert not list(folder.rglob("*.part*"))
    assert registry.get_model(model_id).status == "installed"


def gets(server: BlobServer) -> list:
    server.settle()
    return [r for r in server.requests if r.method == "GET"]


# ---- a Hub model from the second Hub -------------------------------------------------


def test_hub_model_comes_from_the_second_hub_when_the_first_refuses_connections(reg, hubs):
    _, second = hubs
    second.add_repo(REPO, REVISION, FILES)
    use_sources(reg, hub_source("down", closed_port_url()), hub_source("backup", second))

    info = download(reg)

    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, FILES)
    assert second.cdn.bytes_sent[BIG_SHA] == len(FILES[BIG])


def test_hub_model_comes_from_the_second_hub_when_the_first_answers_5xx(reg, hubs):
    first, second = hubs
    first.add_repo(REPO, REVISION, FILES)
    first.outage = 503
    second.add_repo(REPO, REVISION, FILES)
    use_sources(reg, hub_source("busy", first), hub_source("backup", second))

    info = download(reg)

    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, FILES)
    first.settle()
    assert [r.status for r in first.requests] and {r.status for r in first.requests} == {503}
    assert not first.cdn.requests


def test_hub_model_comes_from_the_second_hub_when_the_first_lacks_the_repo(reg, hubs):
    first, second = hubs
    first.add_repo("someone/else", REVISION, {"x.bin": b"x"})
    second.add_repo(REPO, REVISION, FILES)
    use_sources(reg, hub_source("partial", first), hub_source("backup", second))

    info = download(reg)

    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, FILES)


def test_each_file_comes_from_the_first_hub_that_has_it(reg, hubs):
    first, second = hubs
    first.add_repo(REPO, REVISION, {k: v for k, v in FILES.items() if k != BIG})
    second.add_repo(REPO, REVISION, FILES)
    use_sources(reg, hub_source("main", first), hub_source("backup", second))

    info = download(reg)

    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, FILES)
    served_by_second = {r.path for r in gets(second)}
    assert any("config.json" in p for p in {r.path for r in gets(first)})
    assert not any("config.json" in p for p in served_by_second)
    assert second.cdn.bytes_sent[BIG_SHA] == len(FILES[BIG])


def test_a_404_for_the_file_itself_hands_over_to_the_next_hub(reg, hubs):
    first, second = hubs
    first.add_repo(REPO, REVISION, FILES)
    for _ in range(3):
        first.cdn.fail_next(BIG_SHA, "status:404")
    second.add_repo(REPO, REVISION, FILES)
    use_sources(reg, hub_source("main", first), hub_source("backup", second))

    info = download(reg)

    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, FILES)
    assert second.cdn.bytes_sent[BIG_SHA] == len(FILES[BIG])


def test_when_every_source_fails_the_error_names_each_one(reg, hubs):
    first, second = hubs
    first.outage = 503
    use_sources(reg, hub_source("busy", first), hub_source("empty", second))

    info = download(reg)

    assert info.state == JobState.FAILED
    assert "No source could provide" in info.error
    assert "the source 'busy'" in info.error and "HTTP 503" in info.error
    assert "the source 'empty'" in info.error
    assert reg.get_model("layout").status != "installed"
    assert not (reg.models_dir / "layout" / "layout" / "1.0" / BIG).exists()


# ---- failing over in the middle of a file keeps the verified bytes -------------------


def test_failover_mid_file_continues_by_range_on_the_next_hub(reg, hubs):
    first, second = hubs
    first.add_repo(REPO, REVISION, FILES)
    second.add_repo(REPO, REVISION, FILES)
    kept = 1024 * 1024 + 3
    first.cdn.fail_next(BIG_SHA, f"truncate:{kept}")
    for _ in range(FAST.max_retries + 2):
        first.cdn.fail_next(BIG_SHA, "status:503")
    use_sources(reg, hub_source("main", first), hub_source("backup", second))

    info = download(reg)

    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, FILES)
    sent = second.cdn.bytes_sent[BIG_SHA]
    assert sent == len(FILES[BIG]) - kept  # only the rest came from the second Hub
    first_ask = gets(second.cdn)[0]
    assert first_ask.range == f"bytes={kept}-"
    assert first_ask.if_range is None  # the first Hub's validator means nothing there


def test_failover_mid_file_in_parts_keeps_the_finished_ranges(paths, hubs):
    first, second = hubs
    registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
    try:
        import_entries(registry, hub_entry("layout", REPO, FILES, pinned=("config.json",)))
        use_fast_manager(
            registry,
            replace(
                FAST,
                parallel_parts=3,
                part_threshold_bytes=1024 * 1024,
                part_min_bytes=256 * 1024,
                part_max_bytes=256 * 1024,
                single_stream_fast_bps=0,
            ),
        )
        first.add_repo(REPO, REVISION, FILES)
        second.add_repo(REPO, REVISION, FILES)
        for _ in range(3):
            first.cdn.fail_next(BIG_SHA)  # three ranges arrive whole
        for _ in range(10 * (FAST.max_retries + 2)):
            first.cdn.fail_next(BIG_SHA, "status:503")
        use_sources(registry, hub_source("main", first), hub_source("backup", second))

        info = download(registry)

        assert info.state == JobState.COMPLETED, info.error
        assert_installed(registry, FILES)
        assert second.cdn.bytes_sent[BIG_SHA] <= len(FILES[BIG]) - 3 * 256 * 1024
    finally:
        registry.close()


# ---- a mirror can never change what is installed -------------------------------------


def test_a_lying_hub_mirror_ends_in_a_verification_error_naming_it(reg, hubs):
    liar, honest = hubs
    liar.add_repo(REPO, REVISION, FILES)
    for _ in range(3):
        liar.cdn.fail_next(BIG_SHA, "wrong_bytes")
    honest.add_repo(REPO, REVISION, FILES)
    use_sources(reg, hub_source("liar", liar), hub_source("honest", honest))

    info = download(reg)

    assert info.state == JobState.FAILED
    assert "the source 'liar'" in info.error
    assert "does not match the catalog" in info.error and "nothing was installed" in info.error
    folder = reg.models_dir / "layout" / "layout" / "1.0"
    assert not (folder / BIG).exists()
    assert not list(folder.glob(f"{BIG}.part*"))  # the bad bytes are gone
    assert reg.get_model("layout").status != "installed"
    assert not honest.cdn.requests  # a file that fails its check is never handed over

    # Without the lying mirror the next run installs the real bytes.
    reg.remove_source("liar")
    info = download(reg)
    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, FILES)


# ---- tokens go only to their own source ----------------------------------------------


def test_tokens_never_reach_another_source_even_across_redirects(reg, hubs):
    first, second = hubs
    # Both repos are private: each Hub answers only with its own token.
    first.add_repo(REPO, REVISION, FILES, token="token-of-first")
    second.add_repo(REPO, REVISION, FILES, token="token-of-second")
    # The first Hub sends its big file to the second Hub's server (a shared CDN host):
    # its token must not follow that redirect.
    first.cdn.close()
    first.cdn = second
    second.add(BIG_SHA, FILES[BIG])
    for _ in range(3):
        second.fail_next(BIG_SHA, "status:404")  # ... which then fails: hand over
    use_sources(
        reg,
        hub_source("first", first, token="token-of-first"),
        hub_source("second", second, token="token-of-second"),
    )

    info = download(reg)

    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, FILES)
    first.settle()
    second.settle()
    second.cdn.settle()
    at_first = [r.headers.get("Authorization", "") for r in first.requests]
    at_second = [r.headers.get("Authorization", "") for r in second.requests]
    at_cdn = [r.headers.get("Authorization") for r in second.cdn.requests]
    assert "Bearer token-of-first" in at_first  # the first Hub did get its token
    assert "Bearer token-of-second" in at_second  # and the second its own
    assert not any("token-of-second" in value for value in at_first)
    assert not any("token-of-first" in value for value in at_second)
    assert at_cdn and not any(at_cdn)


# ---- URL mirrors for plain-URL models ------------------------------------------------


@pytest.fixture
def origin():
    with BlobServer() as server:
        yield server


@pytest.fixture
def mirrors():
    first, second = MirrorServer(), MirrorServer()
    yield first, second
    first.close()
    second.close()


GGUF = random_bytes(2 * 1024 * 1024 + 9, seed=21)


def plain_model(registry: Registry, origin: BlobServer) -> None:
    origin.add("tiny.gguf", GGUF)
    import_entries(registry, url_entry("tiny", {"tiny.gguf": (origin.url("tiny.gguf"), GGUF)}))


def test_a_plain_url_model_comes_from_the_url_mirror(reg, origin, mirrors):
    mirror, _ = mirrors
    plain_model(reg, origin)
    path = mirror.copy(origin, "tiny.gguf")
    assert path == f"/127.0.0.1:{origin.port}/blobs/tiny.gguf"  # the wget -x layout
    use_sources(reg, Source(name="files", kind="url", url=f"{mirror.base_url}/"))

    info = download(reg, "tiny")

    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, {"tiny.gguf": GGUF}, "tiny")
    assert mirror.bytes_sent["tiny.gguf"] == len(GGUF)
    assert not gets(origin)


def test_a_url_mirror_without_the_file_hands_over_to_the_next_and_then_the_origin(
    reg, origin, mirrors
):
    empty, _ = mirrors
    plain_model(reg, origin)
    use_sources(
        reg,
        Source(name="empty", kind="url", url=empty.base_url),
        Source(name="hub", kind="hub"),
    )

    info = download(reg, "tiny")

    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, {"tiny.gguf": GGUF}, "tiny")
    assert [r.status for r in gets(empty)] == [404]
    assert origin.bytes_sent["tiny.gguf"] == len(GGUF)


def test_a_url_mirror_failing_mid_file_hands_the_rest_to_the_next_mirror(reg, origin, mirrors):
    first, second = mirrors
    plain_model(reg, origin)
    first.copy(origin, "tiny.gguf")
    second.copy(origin, "tiny.gguf")
    kept = 700_001
    first.fail_next("tiny.gguf", f"reset:{kept}")
    for _ in range(FAST.max_retries + 2):
        first.fail_next("tiny.gguf", "status:502")
    use_sources(
        reg,
        Source(name="first", kind="url", url=first.base_url),
        Source(name="second", kind="url", url=second.base_url),
    )

    info = download(reg, "tiny")

    assert info.state == JobState.COMPLETED, info.error
    assert_installed(reg, {"tiny.gguf": GGUF}, "tiny")
    # A reset loses what was in flight: the second mirror sends the rest from where the
    # kept bytes end, no more.
    start = int(gets(second)[0].range.removeprefix("bytes=").rstrip("-"))
    assert 0 < start <= kept
    assert second.bytes_sent["tiny.gguf"] == len(GGUF) - start
    assert not gets(origin)


def test_a_lying_url_mirror_is_named_and_nothing_is_installed(reg, origin, mirrors):
    liar, _ = mirrors
    plain_model(reg, origin)
    liar.copy(origin, "tiny.gguf", data=random_bytes(len(GGUF), seed=99))
    use_sources(reg, Source(name="liar", kind="url", url=liar.base_url))

    info = download(reg, "tiny")

    assert info.state == JobState.FAILED
    assert "the source 'liar'" in info.error and "does not match the catalog" in info.error
    assert not (reg.models_dir / "llm" / "tiny" / "1.0" / "tiny.gguf").exists()
    assert reg.get_model("tiny").status != "installed"
    assert not gets(origin)
