"""One test per fault the transfer must survive (or refuse), on a loopback server.

Every test checks the final state and that nothing corrupt is ever installed.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import threading
import time

import pytest
from sqlalchemy import select

from clary_desktop.app import Registry
from clary_desktop.db.tables import ModelDownload, ModelVersion, VersionFile
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobState
from clary_desktop.downloads import hashing, transfer
from clary_desktop.downloads.disk_writer import BLOCK_BYTES, DiskWriter
from tests.support.download_env import (
    FAST,
    import_entries,
    record_buffer_pools,
    record_disk_writers,
    require_direct_writes,
    sha,
    url_entry,
    use_fast_manager,
)
from tests.support.fault_server import BlobServer, random_bytes
from tests.support.waiting import PATIENCE

DATA = random_bytes(2 * 1024 * 1024 + 123, seed=7)


@pytest.fixture
def server():
    with BlobServer() as blob_server:
        blob_server.add("m.gguf", DATA)
        yield blob_server


@pytest.fixture
def reg(paths, server):
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    import_entries(registry, url_entry("fault-model", {"m.gguf": (server.url("m.gguf"), DATA)}))
    use_fast_manager(registry)
    yield registry
    registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def target(reg: Registry):
    return reg.models_dir / "llm" / "fault-model" / "1.0" / "m.gguf"


def run(reg: Registry):
    return reg.downloads.wait(reg.downloads.start("fault-model"), timeout=PATIENCE)


def assert_installed(reg: Registry) -> None:
    assert sha(target(reg).read_bytes()) == sha(DATA)
    assert reg.get_model("fault-model").status == "installed"
    assert [r.status for r in reg.verify("fault-model")] == ["ok"]
    assert not list(target(reg).parent.glob("*.part*"))


def assert_not_installed(reg: Registry) -> None:
    assert reg.get_model("fault-model").status != "installed"
    assert not target(reg).exists()


def gets(server: BlobServer):
    server.settle()  # the server records a request after its last byte went out
    return [r for r in server.requests if r.method == "GET"]


def test_clean_download(reg, server):
    info = run(reg)
    assert info.state == JobState.COMPLETED and info.bytes_done == len(DATA)
    assert_installed(reg)


def test_every_read_goes_into_a_few_buffers_used_again(reg, monkeypatch):
    """One stream: the file passes through the hasher's few buffers, each read into
    again once hashed, and none is lost on the way (memory stays flat)."""
    pools = record_buffer_pools(monkeypatch, hashing)
    chunk = 64 * 1024  # the pool (16 queued + 2) is then smaller than the reads
    use_fast_manager(reg, dataclasses.replace(FAST, chunk_bytes=chunk))
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    (pool,) = pools
    assert pool.buffer_bytes == chunk
    assert 0 < pool.made <= pool.capacity < len(DATA) // chunk
    # Every buffer came back, the last one taken (whose read found the body's end) too.
    assert pool.free == pool.made


def test_a_stream_writes_whole_blocks_past_the_page_cache(reg, paths, monkeypatch):
    """One stream hashes every byte from memory, so its whole blocks skip the page cache;
    only the file's last partial block (and a buffer a slow moment cut short) is written
    through it. Each byte once."""
    require_direct_writes(paths.data_dir)
    writers = record_disk_writers(monkeypatch, transfer)
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    (writer,) = writers
    assert writer.direct_bytes + writer.buffered_bytes == len(DATA)
    assert writer.direct_bytes >= len(DATA) // 2 and writer.direct_bytes % BLOCK_BYTES == 0


def test_a_slow_connection_writes_what_it_has_several_times_a_second(reg, server, monkeypatch):
    """A buffer is written once full or after GATHER_SECONDS: at 256 KiB/s a 256 KiB
    buffer would take a second to fill, so the file (and the progress shown) would move
    once a second; it moves in much smaller writes instead, every byte once."""
    writers = record_disk_writers(monkeypatch, transfer)
    written: list[int] = []
    real_write = DiskWriter.write

    def recorded(writer: DiskWriter, view: memoryview, offset: int, direct: bool) -> None:
        written.append(len(view))
        real_write(writer, view, offset, direct)

    monkeypatch.setattr(DiskWriter, "write", recorded)
    small = DATA[: 512 * 1024 + 123]
    server.add("slow.gguf", small)
    server.fail_next("slow.gguf", f"throttle:{256 * 1024}")
    import_entries(reg, url_entry("slow-model", {"slow.gguf": (server.url("slow.gguf"), small)}))
    info = reg.downloads.wait(reg.downloads.start("slow-model"), timeout=PATIENCE)
    assert info.state == JobState.COMPLETED
    assert len(writers) == 1 and sum(written) == len(small)
    buffer = FAST.chunk_bytes
    assert sum(1 for n in written if n < buffer) >= 5  # not a whole buffer's wait each


@pytest.mark.parametrize("fault", ["truncate:700000", "reset:300000"])
def test_broken_connection_resumes_with_range(reg, server, fault):
    server.fail_next("m.gguf", fault)
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    first, second = gets(server)[:2]
    resumed_at = int(second.range.removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= first.sent  # a reset may drop bytes still in flight
    assert second.if_range == f'"{sha(DATA)}"' and second.status == 206
    assert server.bytes_sent["m.gguf"] == len(DATA) + first.sent - resumed_at


def test_server_ignoring_range_restarts_from_zero(reg, server):
    server.fail_next("m.gguf", "truncate:500000")
    server.fail_next("m.gguf", "ignore_range")
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    assert gets(server)[1].status == 200


def test_wrong_content_range_restarts_from_zero(reg, server):
    server.fail_next("m.gguf", "truncate:500000")
    server.fail_next("m.gguf", "bad_range")
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    assert gets(server)[2].range is None


def test_wrong_bytes_fail_and_are_deleted(reg, server):
    server.fail_next("m.gguf", "wrong_bytes")
    info = run(reg)
    assert info.state == JobState.FAILED
    assert "corrupt" in info.error and sha(DATA) in info.error
    assert_not_installed(reg)
    assert not list(target(reg).parent.glob("*.part*"))
    with reg.db.read() as session:
        row = session.get(ModelDownload, info.job_id)
        assert row.expected_sha256 == sha(DATA)
        assert row.actual_sha256 and row.actual_sha256 != sha(DATA)
    reg.downloads.retry(info.job_id)  # the source is healthy again
    assert reg.downloads.wait(info.job_id, timeout=PATIENCE).state == JobState.COMPLETED
    assert_installed(reg)


def test_429_honours_retry_after(reg, server):
    server.fail_next("m.gguf", "status:429", "retry_after:0.5")
    began = time.monotonic()
    assert run(reg).state == JobState.COMPLETED
    assert time.monotonic() - began >= 0.5
    assert_installed(reg)


def test_5xx_retried_with_backoff(reg, server):
    for code in (500, 502, 503):
        server.fail_next("m.gguf", f"status:{code}")
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)


def test_gives_up_after_six_retries(reg, server):
    for _ in range(7):
        server.fail_next("m.gguf", "status:503")
    info = run(reg)
    assert info.state == JobState.FAILED and "7 times in a row" in info.error
    assert len(gets(server)) == 7
    assert_not_installed(reg)


@pytest.mark.parametrize(("code", "words"), [(403, "token"), (404, "catalog"), (401, "token")])
def test_auth_and_missing_fail_at_once(reg, server, code, words):
    server.fail_next("m.gguf", f"status:{code}")
    info = run(reg)
    assert info.state == JobState.FAILED and words in info.error and str(code) in info.error
    assert len(gets(server)) == 1
    assert_not_installed(reg)


def test_stall_is_aborted_and_retried(reg, server):
    server.fail_next("m.gguf", "stall:400000")
    began = time.monotonic()
    assert run(reg).state == JobState.COMPLETED  # the server would stall it until it stops
    assert time.monotonic() - began >= 1.0  # stall_seconds without a byte, then a retry
    assert_installed(reg)


def test_disk_full_pauses_and_keeps_the_partial(reg, server, monkeypatch):
    real_pwrite = os.pwrite
    written = {"n": 0}

    def full_disk(fd, data, offset):
        if written["n"] > 600_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        written["n"] += len(data)
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", full_disk)
    info = run(reg)
    assert info.state == JobState.PAUSED
    assert info.error.startswith("not enough space: need") and "free" in info.error
    part = target(reg).with_name("m.gguf.part")
    assert part.stat().st_size > 0
    assert_not_installed(reg)
    monkeypatch.setattr(os, "pwrite", real_pwrite)
    reg.downloads.resume(info.job_id)
    assert reg.downloads.wait(info.job_id, timeout=30).state == JobState.COMPLETED
    assert_installed(reg)


def test_free_space_checked_before_starting(reg, server, monkeypatch):
    from clary_desktop.domain import disk_space as diskspace

    monkeypatch.setattr(diskspace, "free_bytes", lambda _folder: 1000)
    info = run(reg)
    assert info.state == JobState.PAUSED and "not enough space" in info.error
    assert gets(server) == []


def test_path_traversal_refused_before_any_byte(reg, server, tmp_path):
    with reg.db.write() as session:  # a hostile catalog row, past the manifest checks
        version_id = session.scalar(
            select(ModelVersion.id).where(ModelVersion.model_id == "fault-model")
        )
        row = session.scalar(select(VersionFile).where(VersionFile.version_id == version_id))
        row.path = "../../../../escape.bin"
    info = run(reg)
    assert info.state == JobState.FAILED and "leaves the model folder" in info.error
    assert server.requests == []
    assert not list(tmp_path.rglob("escape.bin"))


def test_unknown_digest_is_not_learned_from_a_bare_url(paths, server):
    """What a bare URL sent proves nothing: the file installs, unverified, and its
    digest is not written into the catalog (where `verify` would then trust it)."""
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    try:
        import_entries(
            registry, url_entry("bare-model", {"m.gguf": (server.url("m.gguf"), DATA)}, known=False)
        )
        use_fast_manager(registry)
        job = registry.downloads.start("bare-model")
        assert registry.downloads.wait(job, timeout=30).state == JobState.COMPLETED
        files = registry.versions("bare-model")[0].files
        assert files[0].sha256 is None and files[0].size_bytes is None
        assert registry.get_model("bare-model").unverified
        assert [(r.status, r.actual_sha256) for r in registry.verify("bare-model")] == [
            ("unverified", sha(DATA))
        ]
    finally:
        registry.close()
