"""Will it run here, before the download: model facts read from headers on real loopback
servers (the Hub test server and plain URL servers, with and without Range), cached in
the catalog database, and the verdict at pinned machines."""

from __future__ import annotations

import hashlib
import re
import struct

import pytest
from sqlalchemy import select

from clary_desktop.app import Registry
from clary_desktop.db.tables import ModelVersion, VersionFacts
from clary_desktop.domain.access import Tier
from clary_desktop.domain.layout import CatalogFile, VersionSpec
from clary_desktop.domain.memory_fit import DiskVerdict, FitVerdict, estimate_memory, row_reason
from clary_desktop.domain.model_facts import FactsSource
from clary_desktop.downloads.header_fetch import HeaderUnavailable, fetch_version_facts
from clary_desktop.downloads.hub_config import HubConfig
from clary_desktop.errors import NotFoundError
from tests.support.download_env import (
    FAST,
    REVISION,
    hub_entry,
    import_entries,
    url_entry,
    use_fast_manager,
)
from tests.support.fault_server import BlobServer
from tests.support.gguf_files import kv_cache_bytes, raw_gguf, raw_key, write_llm_gguf
from tests.support.hub_server import HubServer, LargeFile
from tests.support.safetensors_files import safetensors_bytes

GIB = 1024**3
MIB = 1024**2
SHAPE = {
    "block_count": 12,
    "context_length": 4096,
    "embedding_length": 256,
    "head_count": 8,
    "head_count_kv": 2,
}


@pytest.fixture(scope="module")
def gguf_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, int]:
    """A GGUF whose header (a 100,000-token vocabulary) is longer than the first 1 MiB read."""
    path, weights = write_llm_gguf(
        tmp_path_factory.mktemp("gguf") / "m.gguf", vocab_size=100_000, **SHAPE
    )
    return path.read_bytes(), weights


@pytest.fixture
def hub():
    server = HubServer()
    yield server
    server.close()


@pytest.fixture
def plain():
    server = BlobServer()
    yield server
    server.close()


@pytest.fixture
def reg(paths, hub, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    registry = Registry.open(paths, tier_source=lambda: Tier.STANDARD)
    use_fast_manager(registry)
    yield registry
    registry.close()


def stored_facts(registry: Registry, model_id: str) -> list[VersionFacts]:
    with registry.db.read() as session:
        rows = list(
            session.scalars(
                select(VersionFacts)
                .join(ModelVersion, ModelVersion.id == VersionFacts.version_id)
                .where(ModelVersion.model_id == model_id)
            )
        )
        session.expunge_all()
        return rows


def assert_shape(facts, weights: int) -> None:
    assert facts is not None
    assert (
        facts.block_count,
        facts.context_length,
        facts.embedding_length,
        facts.head_count,
        facts.head_count_kv,
        facts.architecture,
    ) == (12, 4096, 256, 8, 2, "llama")
    assert facts.weight_bytes == weights


def test_hub_gguf_facts_are_read_before_download_and_cached(reg, hub, gguf_file) -> None:
    data, weights = gguf_file
    assert len(data) > 2 * 1024 * 1024  # the header needs more than the first read
    hub.add_repo("test/llm-GGUF", REVISION, {"model.gguf": data})
    import_entries(reg, hub_entry("tiny-llm", "test/llm-GGUF", {"model.gguf": data}))

    facts = reg.model_facts("tiny-llm")
    assert_shape(facts, weights)
    assert facts.source is FactsSource.HEADER
    hub.cdn.settle()
    ranged = [r for r in hub.cdn.requests if r.method == "GET"]
    assert len(ranged) >= 2 and all(r.range for r in ranged)  # extended past 1 MiB
    assert sum(hub.cdn.bytes_sent.values()) <= len(data)  # no byte asked for twice
    assert not list(reg.models_dir.rglob("model.gguf*"))

    # Cached in the catalog: asking again makes no request.
    [row] = stored_facts(reg, "tiny-llm")
    assert (row.source, row.weight_bytes, row.context_length) == ("header", weights, 4096)
    before = len(hub.cdn.requests) + len(hub.requests)
    assert reg.model_facts("tiny-llm") == facts
    assert len(hub.cdn.requests) + len(hub.requests) == before


def test_the_estimate_at_a_context_is_the_formula(reg, hub, gguf_file) -> None:
    data, weights = gguf_file
    hub.add_repo("test/llm-GGUF", REVISION, {"model.gguf": data})
    import_entries(reg, hub_entry("tiny-llm", "test/llm-GGUF", {"model.gguf": data}))
    planned = reg.machine_info(ram=16 * GIB, vram=0)

    at_2k = reg.fit("tiny-llm", context=2048, machine=planned)
    at_4k = reg.fit("tiny-llm", context=4096, machine=planned)
    assert at_2k.estimate is not None and at_4k.estimate is not None
    kv = kv_cache_bytes(block_count=12, context=2048, head_count_kv=2, head_dim=256 // 8)
    assert at_2k.estimate.kv_cache_bytes == kv
    assert at_2k.estimate.weights_bytes == weights
    assert at_4k.estimate.total_bytes - at_2k.estimate.total_bytes == kv
    assert at_2k.verdict is FitVerdict.FITS_RAM
    # The catalog entry gives no file size: the disk check cannot say.
    assert at_2k.disk is DiskVerdict.UNKNOWN and "download size is unknown" in at_2k.disk_reason
    # The user's context_length parameter is the default, capped at the model's own.
    reg.set_model_parameters("tiny-llm", {"context_length": 2048})
    assert reg.fit("tiny-llm", machine=planned).estimate == at_2k.estimate


@pytest.mark.parametrize("ranges", [True, False])
def test_a_plain_url_with_and_without_range_support(reg, plain, gguf_file, ranges: bool) -> None:
    data, weights = gguf_file
    plain.add("m.gguf", data)
    if not ranges:
        for _ in range(10):
            plain.fail_next("m.gguf", "ignore_range")
    import_entries(reg, url_entry("url-llm", {"m.gguf": (plain.url("m.gguf"), data)}))
    assert_shape(reg.model_facts("url-llm"), weights)
    plain.settle()
    statuses = {r.status for r in plain.requests}
    assert statuses == ({206} if ranges else {200})


def test_reading_a_5_gb_gguf_header_moves_less_than_2_percent(reg, hub, tmp_path) -> None:
    path, weights = write_llm_gguf(
        tmp_path / "big.gguf", vocab_size=100_000, big_tensor_bytes=5 * 10**9, **SHAPE
    )
    size = path.stat().st_size
    big = LargeFile(path, hashlib.sha256(b"not checked: never downloaded").hexdigest())
    hub.add_repo("test/big-GGUF", REVISION, {"big.gguf": big})
    import_entries(reg, hub_entry("big-llm", "test/big-GGUF", {"big.gguf": b""}, model_type="llm"))
    facts = reg.model_facts("big-llm")
    assert_shape(facts, weights)
    hub.cdn.settle()
    moved = sum(hub.cdn.bytes_sent.values())
    print(f"\nheader read of a {size:,}-byte GGUF moved {moved:,} bytes ({moved / size:.3%})")
    assert moved < 0.02 * size

    too_small = reg.fit("big-llm", machine=reg.machine_info(ram=4 * GIB, vram=0))
    assert too_small.verdict is FitVerdict.TOO_LARGE
    assert "this computer has 4 GiB of RAM" in too_small.reason
    fits_gpu = reg.fit("big-llm", machine=reg.machine_info(ram=4 * GIB, vram=8 * GIB))
    assert fits_gpu.verdict is FitVerdict.FITS_GPU


def test_sharded_safetensors_on_the_hub_give_exact_counts_per_file(reg, hub) -> None:
    files = {
        "model-00001-of-00002.safetensors": safetensors_bytes({"a": ("BF16", [300, 40])}),
        "model-00002-of-00002.safetensors": safetensors_bytes({"b": ("F32", [40, 7])}),
        "config.json": b'{"model_type": "test"}',
    }
    hub.add_repo("test/layout", REVISION, files)
    import_entries(reg, hub_entry("layout-x", "test/layout", files))
    facts = reg.model_facts("layout-x")
    assert facts is not None and facts.format == "safetensors"
    assert [(f.path, f.parameter_count, f.weight_bytes) for f in facts.files] == [
        ("model-00001-of-00002.safetensors", 12_000, 24_000),
        ("model-00002-of-00002.safetensors", 280, 1_120),
    ]
    assert (facts.parameter_count, facts.weight_bytes) == (12_280, 25_120)
    report = reg.fit("layout-x", machine=reg.machine_info(ram=GIB, vram=0))
    assert report.estimate == estimate_memory(facts)
    assert report.verdict is FitVerdict.FITS_RAM


def test_a_private_repo_is_read_with_the_hub_token(paths, hub, monkeypatch, gguf_file) -> None:
    data, weights = gguf_file
    hub.add_repo("test/private-GGUF", REVISION, {"model.gguf": data}, token="hf_secret")
    monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    with Registry.open(paths, tier_source=lambda: Tier.STANDARD) as registry:
        import_entries(registry, hub_entry("private", "test/private-GGUF", {"model.gguf": data}))
        assert_shape(registry.model_facts("private"), weights)
    hub.cdn.settle()
    # The token went to the Hub, never to the CDN it redirected to.
    assert all("Authorization" not in r.headers for r in hub.cdn.requests)


def plain_gguf_spec(url: str, size: int) -> VersionSpec:
    """Version 1.0 of an llm "m": one GGUF file at a plain URL, no Hub."""
    return VersionSpec(
        "m", "llm", "1.0", None, None, None, (CatalogFile("m.gguf", size, None, url),)
    )


def test_a_failing_server_is_retried_like_a_download(plain, gguf_file, tmp_path) -> None:
    data, weights = gguf_file
    plain.add("m.gguf", data)
    plain.fail_next("m.gguf", "status:503")
    plain.fail_next("m.gguf", "truncate:1000")
    spec = plain_gguf_spec(plain.url("m.gguf"), len(data))
    facts = fetch_version_facts(spec, tmp_path, HubConfig("http://127.0.0.1:9", None), FAST)
    assert_shape(facts, weights)
    plain.settle()
    assert [r.status for r in plain.requests][:2] == [503, 206]


def test_a_server_that_keeps_failing_gives_up_with_plain_words(plain, gguf_file, tmp_path) -> None:
    data, _ = gguf_file
    plain.add("m.gguf", data)
    for _ in range(FAST.max_retries + 1):
        plain.fail_next("m.gguf", "status:503")
    spec = plain_gguf_spec(plain.url("m.gguf"), len(data))
    with pytest.raises(HeaderUnavailable, match=r"answered HTTP 503\. Try again later\."):
        fetch_version_facts(spec, tmp_path, HubConfig("http://127.0.0.1:9", None), FAST)
    plain.settle()
    assert [r.status for r in plain.requests] == [503] * (FAST.max_retries + 1)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"GGML" + bytes(5000), "wrong magic bytes"),
        (raw_gguf(tensors=2**62, body=bytes(5000)), "tensors, which no model has"),
        (raw_gguf(keys=1, body=struct.pack("<Q", 2**40) + bytes(100)), "-byte key"),
        (
            raw_gguf(keys=1, body=raw_key(b"abc", 8, struct.pack("<Q", 200 * MIB)) + bytes(100)),
            "declares a 209,715,200-byte string",
        ),
        (  # a 10 MiB string in a file of a few kB
            raw_gguf(keys=1, body=raw_key(b"abc", 8, struct.pack("<Q", 10 * MIB)) + bytes(3000)),
            "ends inside its own header",
        ),
        (  # an array of 2 GiB of bytes
            raw_gguf(keys=1, body=raw_key(b"abc", 9, struct.pack("<IQ", 0, 2**31)) + bytes(3000)),
            "more than any model's header takes",
        ),
    ],
)
def test_hostile_headers_served_give_unknown_with_the_reason(
    reg, plain, content: bytes, reason: str
) -> None:
    plain.add("m.gguf", content)
    import_entries(reg, url_entry("bad", {"m.gguf": (plain.url("m.gguf"), content)}))
    report = reg.fit("bad", machine=reg.machine_info(ram=16 * GIB, vram=0))
    assert report.verdict is FitVerdict.UNKNOWN
    assert report.facts is None and report.estimate is None
    assert re.search(reason, report.reason), report.reason
    assert "m.gguf" in report.reason
    assert stored_facts(reg, "bad") == []  # nothing wrong was cached
    plain.settle()
    assert sum(plain.bytes_sent.values()) <= len(content)


def test_offline_the_installed_files_give_the_facts(reg, hub, gguf_file, monkeypatch) -> None:
    data, weights = gguf_file
    hub.add_repo("test/llm-GGUF", REVISION, {"model.gguf": data})
    import_entries(reg, hub_entry("tiny-llm", "test/llm-GGUF", {"model.gguf": data}))
    job = reg.start_download("tiny-llm")
    assert reg.wait_for_download(job, timeout=60).state == "completed"
    reg.apply_settings(reg.stored_settings.model_copy(update={"offline": True}))
    facts = reg.model_facts("tiny-llm")
    assert_shape(facts, weights)
    assert facts.source is FactsSource.FILE
    report = reg.fit("tiny-llm", machine=reg.machine_info(ram=16 * GIB, vram=0))
    assert report.disk is DiskVerdict.INSTALLED and report.download_bytes == 0


def test_offline_without_the_files_the_reason_says_so(reg, hub, gguf_file) -> None:
    data, _ = gguf_file
    import_entries(reg, hub_entry("tiny-llm", "test/llm-GGUF", {"model.gguf": data}))
    reg.apply_settings(reg.stored_settings.model_copy(update={"offline": True}))
    report = reg.fit("tiny-llm", machine=reg.machine_info(ram=16 * GIB, vram=0))
    assert report.verdict is FitVerdict.UNKNOWN
    assert "offline mode is on" in report.reason
    assert hub.requests == [] and hub.cdn.requests == []


def test_manifest_facts_are_stored_on_import_and_never_replace_a_real_header(
    reg, plain, gguf_file
) -> None:
    data, _ = gguf_file
    plain.add("m.gguf", data)
    entry = url_entry("url-llm", {"m.gguf": (plain.url("m.gguf"), data)})
    entry["versions"][0]["facts"] = {"format": "gguf", **SHAPE, "block_count": 99}
    import_entries(reg, entry)
    # The catalog's facts come with the import; the weight size from the file's size.
    claimed = reg.model_facts("url-llm", fetch=False)
    assert claimed is not None and claimed.source is FactsSource.MANIFEST
    assert (claimed.block_count, claimed.weight_bytes) == (99, len(data))
    assert reg.fits_for_rows(["url-llm"], reg.machine_info(ram=GIB, vram=0))["url-llm"]
    assert plain.requests == []  # complete enough for an estimate: no request

    # Header facts (here: written as a file read would) outrank the catalog's on re-import.
    real = reg.model_facts("url-llm", fetch=False)
    assert real is not None
    reg._fit.store.save(  # the store the header reader writes to
        "url-llm", "1.0", real.model_copy(update={"block_count": 12, "source": FactsSource.HEADER})
    )
    import_entries(reg, entry)
    assert reg.model_facts("url-llm", fetch=False).block_count == 12


def test_fits_for_rows_reads_only_the_database(reg, plain, gguf_file) -> None:
    data, _ = gguf_file
    plain.add("m.gguf", data)
    small = url_entry("small", {"m.gguf": (plain.url("m.gguf"), data)})
    small["versions"][0]["facts"] = {"format": "gguf", **SHAPE}
    unknown = url_entry("unknown", {"m.gguf": (plain.url("m.gguf"), data)})
    import_entries(reg, small, unknown)
    rows = reg.fits_for_rows(None, reg.machine_info(ram=16 * GIB, vram=0))
    assert set(rows) >= {"small"} and "unknown" not in rows
    assert rows["small"].verdict is FitVerdict.FITS_RAM
    assert (
        rows["small"].total_bytes
        == reg.fit(
            "small", fetch=False, machine=reg.machine_info(ram=16 * GIB)
        ).estimate.total_bytes
    )
    tight = reg.fits_for_rows(
        ["small"], reg.machine_info(ram=rows["small"].total_bytes - 1, vram=0)
    )
    assert tight["small"].verdict is FitVerdict.TOO_LARGE
    assert plain.requests == []


def test_the_shipped_catalog_carries_facts_for_its_gguf_models(reg) -> None:
    rows = reg.fits_for_rows(None, reg.machine_info(ram=64 * GIB, vram=0))
    assert {"llama-3-8b", "phi-4-multimodal", "qwen2.5-1.5b-instruct", "got-ocr-2"} <= set(rows)
    llama = reg.fit("llama-3-8b", fetch=False, machine=reg.machine_info(ram=8 * GIB, vram=0))
    assert llama.estimate is not None
    # Llama 3 8B: 32 layers x 8 K/V heads x 128 x 2 x 2 bytes = 128 KiB per token: 1 GiB at 8K.
    assert llama.estimate.kv_cache_bytes == GIB
    assert llama.verdict is FitVerdict.FITS_RAM
    assert (
        reg.fit("llama-3-8b", fetch=False, machine=reg.machine_info(ram=6 * GIB, vram=0)).verdict
        is FitVerdict.TOO_LARGE
    )


def test_unknown_ids_and_versions_are_refused(reg) -> None:
    with pytest.raises(NotFoundError):
        reg.fit("no-such-model")
    with pytest.raises(NotFoundError, match=r"no version '9\.9'"):
        reg.fit("llama-3-8b", version="9.9")


def test_a_saved_gpu_layers_changes_the_list_verdict_as_the_detail_pane_s(reg) -> None:
    machine = reg.machine_info(ram=64 * GIB, vram=2 * GIB)
    before = reg.fits_for_rows(["llama-3-8b"], machine)["llama-3-8b"]
    assert before.verdict is FitVerdict.FITS_RAM  # RAM and 2 GiB of GPU memory together

    # The detail pane asks the core with the saved gpu_layers (see gui fit_actions).
    for layers, verdict in ((32, FitVerdict.TOO_LARGE), (0, FitVerdict.FITS_RAM)):
        reg.set_model_parameters("llama-3-8b", {"gpu_layers": layers})
        pane = reg.fit("llama-3-8b", fetch=False, machine=machine, gpu_layers=layers)
        row = reg.fits_for_rows(["llama-3-8b"], machine)["llama-3-8b"]
        assert row.verdict is verdict
        assert (row.verdict, row.reason) == (pane.verdict, pane.reason)
        assert row.total_bytes == pane.estimate.total_bytes
        assert row_reason(row, machine) == pane.reason
        words = "lower gpu_layers" if layers else "in RAM"
        assert words in pane.reason
        # Asked without gpu_layers (the CLI's fit, the API), the core takes the saved one.
        asked = reg.fit("llama-3-8b", fetch=False, machine=machine)
        assert (asked.verdict, asked.reason) == (pane.verdict, pane.reason)

    # Back to the catalog's values: the list judges the whole model again.
    reg.reset_model_parameters("llama-3-8b")
    assert reg.fits_for_rows(["llama-3-8b"], machine)["llama-3-8b"] == before
