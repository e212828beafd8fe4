"""Parallel ranged parts: every fault of the single stream, per part.

Thresholds are lowered so the parts really engage on MB-sized files: 4 parallel
parts, ranges of 128-512 KiB. Every test checks the final state and that
nothing corrupt is ever installed.
"""

from __future__ import annotations

import dataclasses
import errno
import itertools
import json
import os
import re
import threading
import time

import pytest

from clary_desktop.app import Registry
from clary_desktop.domain.access import Tier
from clary_desktop.domain.download_values import JobState
from clary_desktop.downloads import parallel, parts, prefix_hash
from clary_desktop.downloads.disk_writer import DiskWriter
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
from tests.support.fault_server import BlobServer, RequestRecord, random_bytes
from tests.support.waiting import PATIENCE, wait_until

KiB = 1024
PARTS = dataclasses.replace(
    FAST,
    parallel_parts=4,
    part_threshold_bytes=1024 * KiB,
    part_min_bytes=128 * KiB,
    part_max_bytes=512 * KiB,
    part_chunk_bytes=64 * KiB,
    single_stream_fast_bps=0,  # no probe: split from the first request (see the probe tests)
)
DATA = random_bytes(3 * 1024 * KiB + 123, seed=31)
_RANGE = re.compile(r"^bytes=(\d+)-(\d+)$")


@pytest.fixture
def server():
    with BlobServer() as blob_server:
        blob_server.add("m.gguf", DATA)
        yield blob_server


def open_registry(paths, server, options=PARTS) -> Registry:
    registry = Registry.open(paths, tier_source=lambda: Tier.LITE)
    import_entries(registry, url_entry("parts-model", {"m.gguf": (server.url("m.gguf"), DATA)}))
    use_fast_manager(registry, options)
    return registry


@pytest.fixture
def reg(paths, server):
    registry = open_registry(paths, server)
    yield registry
    registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def target(reg: Registry):
    return reg.models_dir / "llm" / "parts-model" / "1.0" / "m.gguf"


def run(reg: Registry):
    return reg.downloads.wait(reg.downloads.start("parts-model"), timeout=PATIENCE)


def gets(server: BlobServer):
    server.settle()  # the server records a request after its last byte went out
    return [r for r in server.requests if r.method == "GET"]


def span(record) -> tuple[int, int]:
    match = _RANGE.match(record.range or "")
    assert match, record.range
    return int(match[1]), int(match[2]) + 1


def assert_installed(reg: Registry) -> None:
    assert sha(target(reg).read_bytes()) == sha(DATA)
    assert reg.get_model("parts-model").status == "installed"
    assert [r.status for r in reg.verify("parts-model")] == ["ok"]
    assert not list(target(reg).parent.glob("*.part*"))


def assert_not_installed(reg: Registry) -> None:
    assert reg.get_model("parts-model").status != "installed"
    assert not target(reg).exists()


def sidecar(reg: Registry) -> dict:
    return json.loads(target(reg).with_name("m.gguf.part.json").read_text())


def test_every_read_goes_into_a_few_buffers_used_again(reg, server, monkeypatch):
    """No new buffer per read (memory stays flat whatever the file size): the file
    passes through at most the pool's capacity of buffers, and once the file is in,
    the hasher has given back every buffer it kept."""
    pools = record_buffer_pools(monkeypatch, prefix_hash)
    # A window of 8 chunks: the pool (8 + a chunk per part + 1) is smaller than the reads.
    monkeypatch.setattr(prefix_hash, "HASH_WINDOW_BYTES", 8 * PARTS.part_chunk_bytes)
    server.throttle = 1024 * KiB  # parts overlap, so the hasher keeps chunks ahead of it
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    reads = len(DATA) // PARTS.part_chunk_bytes  # at the very least
    assert pools and all(0 < pool.made <= pool.capacity < reads for pool in pools)
    assert all(pool.free == pool.made for pool in pools)


def test_parts_write_what_the_hasher_keeps_past_the_page_cache(reg, paths, server, monkeypatch):
    """The hasher keeps the chunks near it (here all: the file is smaller than its
    window) and hashes them from memory, so their whole blocks skip the page cache;
    every range starts on a block boundary, so only a range's end may not."""
    require_direct_writes(paths.data_dir)
    writers = record_disk_writers(monkeypatch, parallel)
    server.throttle = 1024 * KiB  # parts overlap
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    assert len(writers) == PARTS.parallel_parts
    direct = sum(w.direct_bytes for w in writers)
    assert direct + sum(w.buffered_bytes for w in writers) == len(DATA)
    assert direct >= len(DATA) // 2


def test_parts_cover_the_file_once_in_parallel(reg, server):
    server.throttle = 1024 * KiB  # each connection at 1 MiB/s: parts must overlap
    info = run(reg)
    assert info.state == JobState.COMPLETED and info.bytes_done == len(DATA)
    assert_installed(reg)
    requests = gets(server)
    assert len(requests) >= 4 and all(r.status == 206 for r in requests)
    spans = sorted(span(r) for r in requests)
    assert spans[0][0] == 0 and spans[-1][1] == len(DATA)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert server.bytes_sent["m.gguf"] == len(DATA)  # not one byte twice
    overlapping = max(
        sum(1 for r in requests if r.began < t < r.ended)
        for t in (r.began + 0.01 for r in requests)
    )
    assert overlapping >= 3
    assert all(r.headers.get("Accept-Encoding") == "identity" for r in requests)
    probe = [r for r in requests if r.if_range is None]  # the first request: no ETag yet
    assert len(probe) == 1 and span(probe[0])[0] == 0
    assert all(r.if_range == f'"{sha(DATA)}"' for r in requests if r is not probe[0])


@pytest.mark.parametrize("fault", ["truncate:200000", "reset:100000"])
def test_a_broken_part_resumes_on_its_own(reg, server, fault, monkeypatch):
    # No work stealing here: on a busy machine the resumed range can look slow enough
    # for an idle part to take its tail, which is right but not what this test is about.
    monkeypatch.setattr(parts, "STEAL_AFTER_SECONDS", 3600.0)
    server.fail_next("m.gguf", fault)
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    first, *others = sorted(gets(server), key=lambda r: r.began)  # alone until it answered
    start, end = span(first)
    again = [r for r in others if start < span(r)[0] < end]
    assert len(again) == 1 and again[0].status == 206
    resumed_at = span(again[0])[0]
    assert resumed_at - start <= first.sent and span(again[0])[1] == end  # the rest of it
    assert again[0].if_range == f'"{sha(DATA)}"'
    assert server.bytes_sent["m.gguf"] == len(DATA) + first.sent - (resumed_at - start)


@pytest.mark.parametrize("which", ["probe", "later part"])
def test_server_ignoring_range_falls_back_to_one_stream(reg, server, which):
    if which == "later part":
        server.fail_next("m.gguf")  # the first request is served as asked
    server.fail_next("m.gguf", "ignore_range")
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    whole = [r for r in gets(server) if r.status == 200]
    assert whole and whole[-1].range is None and whole[-1].sent == len(DATA)


def test_wrong_content_range_restarts_that_part(reg, server):
    server.fail_next("m.gguf")
    server.fail_next("m.gguf", "bad_range")
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    asked = [r.range for r in sorted(gets(server), key=lambda r: r.began)]
    assert len(asked) == len(set(asked)) + 1  # exactly one part was asked twice, whole


def test_wrong_bytes_fail_and_are_deleted(reg, server):
    server.fail_next("m.gguf", "wrong_bytes")
    info = run(reg)
    assert info.state == JobState.FAILED
    assert "corrupt" in info.error and sha(DATA) in info.error
    assert_not_installed(reg)
    assert not list(target(reg).parent.glob("*.part*"))
    reg.downloads.retry(info.job_id)
    assert reg.downloads.wait(info.job_id, timeout=PATIENCE).state == JobState.COMPLETED
    assert_installed(reg)


def test_429_and_5xx_on_parts_are_retried(reg, server):
    server.fail_next("m.gguf", "status:429", "retry_after:0.5")
    server.fail_next("m.gguf")
    for code in (500, 502, 503):
        server.fail_next("m.gguf", f"status:{code}")
    began = time.monotonic()
    assert run(reg).state == JobState.COMPLETED
    assert time.monotonic() - began >= 0.5
    assert_installed(reg)


def test_gives_up_after_six_failures_in_a_row(reg, server):
    for _ in range(60):
        server.fail_next("m.gguf", "status:503")
    info = run(reg)
    assert info.state == JobState.FAILED and "7 times in a row" in info.error
    assert_not_installed(reg)


def test_403_on_a_part_fails_at_once(reg, server):
    server.fail_next("m.gguf")
    server.fail_next("m.gguf", "status:403")
    info = run(reg)
    assert info.state == JobState.FAILED and "403" in info.error and "token" in info.error
    assert_not_installed(reg)
    assert len([r for r in gets(server) if r.status == 403]) == 1


def test_stalled_parts_are_aborted_and_retried(reg, server):
    for _ in range(PARTS.parallel_parts):  # every part stalls: nobody can take one over
        server.fail_next("m.gguf", "stall:50000")
    began = time.monotonic()
    assert run(reg).state == JobState.COMPLETED  # the server would stall them until it stops
    assert time.monotonic() - began >= 1.0  # stall_seconds without a byte, then a retry
    assert_installed(reg)
    stalled, *others = sorted(gets(server), key=lambda r: r.began)[: PARTS.parallel_parts]
    assert stalled.sent == 50000 and all(r.sent == 50000 for r in others)
    resumed = {span(r)[0] for r in gets(server)}
    assert all(span(r)[0] + 50000 in resumed for r in [stalled, *others])  # not from scratch


def test_a_stalled_part_does_not_hold_the_file_up(reg, server):
    """One part stalls: an idle worker takes over the rest of its range (or, on a machine
    too busy for that, it is retried after stall_seconds); nothing waits for the stalled
    connection once every byte is in."""
    server.fail_next("m.gguf")
    server.fail_next("m.gguf", "stall:50000")
    assert run(reg).state == JobState.COMPLETED  # the server would stall it until it stops
    assert_installed(reg)
    requests = gets(server)
    stalled = next(r for r in requests if r.sent == 50000)
    start, end = span(stalled)
    rest = sorted(span(r) for r in requests if r is not stalled and start < span(r)[0] < end)
    assert rest and rest[0][0] == start + 50000 and rest[-1][1] == end  # all of its rest


def test_disk_full_pauses_keeps_the_parts_and_resumes(reg, server, monkeypatch):
    real_pwrite = os.pwrite
    written = {"n": 0}

    def full_disk(fd, data, offset):
        if written["n"] > 1_000_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        written["n"] += len(data)
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", full_disk)
    info = run(reg)
    assert info.state == JobState.PAUSED and info.error.startswith("not enough space: need")
    kept = sum(r[2] for r in sidecar(reg)["ranges"])
    assert kept > 500_000
    assert_not_installed(reg)
    monkeypatch.setattr(os, "pwrite", real_pwrite)
    server.settle()  # the connections the pause dropped are counted before, not after
    sent_before = server.bytes_sent["m.gguf"]
    reg.downloads.resume(info.job_id)
    assert reg.downloads.wait(info.job_id, timeout=PATIENCE).state == JobState.COMPLETED
    assert_installed(reg)
    server.settle()
    assert server.bytes_sent["m.gguf"] - sent_before <= len(DATA) - kept


def test_pause_keeps_each_part_and_resume_fetches_only_the_rest(paths, server):
    # A read timeout far beyond the pause's: pausing closes the connections, never waits.
    registry = open_registry(paths, server, dataclasses.replace(PARTS, stall_seconds=60))
    try:
        resume_fetches_only_the_rest(registry, server)
    finally:
        registry.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("clary-download")]


def resume_fetches_only_the_rest(reg: Registry, server: BlobServer) -> None:
    server.throttle = 512 * KiB
    manager = reg.downloads
    job = manager.start("parts-model")
    wait_until(lambda: manager.job(job).bytes_done >= 600_000, "600 kB are in")
    manager.pause(job)
    began = time.monotonic()
    assert manager.wait(job, timeout=PATIENCE).state == JobState.PAUSED
    assert time.monotonic() - began < 30  # not the 60 s read timeout
    saved = sidecar(reg)["ranges"]  # what the pause saved, after syncing the bytes
    held = [(start, start + done) for start, _end, done in saved if done]
    kept = sum(end - start for start, end in held)
    assert kept > 0 and len(held) >= 2  # several parts hold bytes
    assert reg.get_model("parts-model").status == "not installed"

    server.settle()  # the connections the pause closed are all recorded
    resumed = time.monotonic()
    server.throttle = None
    manager.resume(job)
    assert manager.wait(job, timeout=PATIENCE).state == JobState.COMPLETED
    assert_installed(reg)
    fetched = sorted(span(r) for r in gets(server) if r.began >= resumed)
    assert all(
        r.status == 206 and r.sent == span(r)[1] - span(r)[0]
        for r in gets(server)
        if r.began >= resumed
    )
    # No byte before the saved offset of a range is fetched again, nothing twice ...
    assert not [(a, b) for a, b in fetched for s, e in held if a < e and s < b]
    assert all(x[1] <= y[0] for x, y in itertools.pairwise(fetched))
    # ... and every byte the pause did not save is fetched once: nothing is refetched.
    assert sum(b - a for a, b in fetched) == len(DATA) - kept


@pytest.mark.parametrize("keep", [False, True])
def test_cancel_deletes_or_keeps_the_partial(reg, server, keep):
    server.throttle = 512 * KiB
    manager = reg.downloads
    job = manager.start("parts-model")
    part = target(reg).with_name("m.gguf.part")
    wait_until(lambda: manager.job(job).bytes_done > 0, "the first bytes are in")
    manager.cancel(job, keep_partial=keep)
    assert manager.wait(job, timeout=PATIENCE).state == JobState.CANCELLED
    assert part.exists() is keep
    assert not target(reg).exists()


def test_parts_off_is_one_stream(paths, server):
    registry = open_registry(paths, server, dataclasses.replace(PARTS, parallel_parts=1))
    try:
        assert run(registry).state == JobState.COMPLETED
        assert [r.range for r in gets(server)] == [None]
    finally:
        registry.close()


def test_bandwidth_limit_applies_across_parts(paths, server):
    limited = dataclasses.replace(PARTS, bandwidth_limit_bps=2 * 1024 * KiB)
    registry = open_registry(paths, server, limited)
    try:
        began = time.monotonic()
        assert run(registry).state == JobState.COMPLETED
        assert time.monotonic() - began >= 1.2  # 3 MiB at 2 MiB/s, less the first burst
        assert len(gets(server)) >= 4
    finally:
        registry.close()


STEALING = dataclasses.replace(
    PARTS, part_min_bytes=64 * KiB, part_max_bytes=1024 * KiB, part_chunk_bytes=32 * KiB
)


def download_completes(paths, server, options) -> None:
    registry = open_registry(paths, server, options)
    try:
        assert run(registry).state == JobState.COMPLETED
        assert_installed(registry)
    finally:
        registry.close()


def test_a_slow_connection_hands_its_tail_to_the_fast_ones(paths, server):
    """Work stealing: the first connection crawls while the others are fast. Once the rest
    of the file is in, an idle worker takes the tail of the slow range, so the slow
    connection fetches only a small share of what it was given: no slow tail."""
    server.fail_next("m.gguf", "throttle:32768")  # the first request: 32 KiB/s
    download_completes(paths, server, STEALING)
    slow, *others = sorted(gets(server), key=lambda r: r.began)
    start, end = span(slow)  # alone it would take (end - start) / 32 KiB: 24 s
    tail = sorted(span(r) for r in others if start < span(r)[0] < end)
    assert tail and tail[-1][1] == end and all(r.status == 206 for r in others)
    cut = tail[0][0]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(tail))  # the tail, once
    assert cut - start <= slow.sent <= (end - start) // 2  # it stopped at the cut


def test_one_slow_connection_among_fast_ones_gives_its_work_away(paths, monkeypatch):
    """One connection (the second the server accepts) crawls for as long as it lives, the
    others move at 512 KiB/s. The completed prefix waits on its range, so a fast connection
    takes that range's tail over while the rest of the file is still being handed out (not
    only once all of it is), the slow one drops what it receives past the cut, and every
    byte of the file is written exactly once."""
    writes: list[tuple[int, int]] = []
    lock = threading.Lock()
    real_write = DiskWriter.write

    def recorded(writer: DiskWriter, view: memoryview, offset: int, direct: bool) -> None:
        with lock:
            writes.append((offset, offset + len(view)))
        real_write(writer, view, offset, direct)

    monkeypatch.setattr(DiskWriter, "write", recorded)
    # 8 KiB/s: minutes alone; the others need two seconds or more for the rest of the file.
    with BlobServer(throttle=512 * KiB, connection_rates={2: 8 * KiB}) as server:
        server.add("m.gguf", DATA)
        download_completes(paths, server, STEALING)
        requests = gets(server)
    slow = [r for r in requests if r.connection == 2]
    assert slow and all(r.status == 206 for r in requests)
    start, end = span(slow[0])
    assert slow[0].sent < end - start  # it stopped short: the rest went elsewhere
    taken = [r for r in requests if r.connection != 2 and start < span(r)[0] < end]
    assert taken and max(span(r)[1] for r in taken) == end  # others fetched its end
    last = min(r.began for r in requests if span(r)[1] == len(DATA))
    assert min(r.began for r in taken) < last  # before the rest was all handed out
    # Written once: the writes tile the file with no overlap, whatever the slow
    # connection still received past its cut.
    position = 0
    for begin, stop in sorted(writes):
        assert begin == position, (begin, position)
        position = stop
    assert position == len(DATA)


# ---- the probe: one connection first, parts only when it is slow --------------------

PROBE = dataclasses.replace(
    PARTS, single_stream_fast_bps=50_000_000, probe_seconds=0.2, probe_bytes=1024 * KiB
)


def split_requests(server: BlobServer) -> tuple[RequestRecord, list[RequestRecord], int]:
    """The first GET, which asked for the whole file, the ranged GETs that took over
    from it, and where it was cut: those ranges cover the file from the cut to its end,
    and no byte went out twice but what was in flight past the cut, dropped with the
    first connection (how much depends on how far the server got ahead of a busy client)."""
    requests = sorted(gets(server), key=lambda r: r.began)
    first, parts = requests[0], requests[1:]
    assert first.range == f"bytes=0-{len(DATA) - 1}"
    assert parts, "no ranged GET took over"
    spans = sorted(span(r) for r in parts)
    cut = spans[0][0]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans)) and spans[-1][1] == len(DATA)
    assert server.bytes_sent["m.gguf"] - len(DATA) == first.sent - cut
    return first, parts, cut


def test_probe_keeps_a_fast_link_on_one_stream(paths, server):
    # "Fast" here is 1 kB/s: the probe decides after a chunk of at least tens of KiB, so
    # only a stall of a minute on this machine could make loopback slower. (1 MB/s was
    # missed under two CPU hogs.) The probe's verdict is tested, not this machine's speed.
    registry = open_registry(
        paths, server, dataclasses.replace(PROBE, single_stream_fast_bps=1_000)
    )
    try:
        assert run(registry).state == JobState.COMPLETED
        assert_installed(registry)
        requests = gets(server)
        assert [(r.range, r.status) for r in requests] == [
            (f"bytes=0-{len(DATA) - 1}", 206)
        ]  # one GET for the whole file
        assert server.bytes_sent["m.gguf"] == len(DATA)
    finally:
        registry.close()


def test_probe_splits_a_slow_link_at_once(paths, server):
    server.throttle = 2 * 1024 * KiB  # each connection at 2 MiB/s: far below the threshold
    registry = open_registry(paths, server, PROBE)
    try:
        assert run(registry).state == JobState.COMPLETED
        assert_installed(registry)
    finally:
        registry.close()
    probe, parts, cut = split_requests(server)
    assert 0 < cut <= probe.sent < len(DATA)  # it was cut after its share
    assert len(parts) >= 3 and all(r.status == 206 and r.began >= probe.began for r in parts)
    overlapping = max(
        sum(1 for r in [probe, *parts] if r.began < t < r.ended)
        for t in (r.began + 0.01 for r in parts)
    )
    assert overlapping >= 3  # several ranged GETs at once


def test_a_connection_slowed_after_a_fast_start_is_split_then(paths, server, monkeypatch):
    """As nginx's `limit_rate_after`: the first 1.25 MiB go out at full speed, so the
    probe keeps one connection; then the server holds it to 16 KiB/s, and the rest of
    the file is split among new connections once a whole watch window was that slow."""
    monkeypatch.setattr(parallel, "WATCH_SECONDS", 0.5)
    server.fail_next("m.gguf", f"throttle:{16 * KiB}", f"throttle_after:{1280 * KiB}")
    # The probe judges its first MiB (loopback: many MB/s even on a busy machine); the
    # slowed connection moves 16 kB/s: 200 kB/s lies far from both.
    options = dataclasses.replace(
        PROBE, single_stream_fast_bps=200_000, probe_seconds=30.0, probe_bytes=1024 * KiB
    )
    registry = open_registry(paths, server, options)
    try:
        assert run(registry).state == JobState.COMPLETED
        assert_installed(registry)
    finally:
        registry.close()
    first, parts, cut = split_requests(server)
    assert 1280 * KiB <= first.sent < len(DATA)  # it moved its fast stretch, and was cut
    assert all(r.status == 206 for r in parts)
    assert first.sent >= cut > 1024 * KiB  # split after the probe's verdict, not at it


def test_hashed_bytes_are_handed_to_write_back_early(reg, monkeypatch):
    """After hashing, the hasher advises the kernel to write the bytes out and drop them
    from the cache, so the final fsync is short; the file still ends up whole."""
    advised: list[tuple[int, int]] = []
    real = os.posix_fadvise

    def record(fd: int, offset: int, length: int, advice: int) -> None:
        if advice == os.POSIX_FADV_DONTNEED:
            advised.append((offset, length))
        real(fd, offset, length, advice)

    monkeypatch.setattr(prefix_hash, "RELEASE_BYTES", 512 * KiB)
    monkeypatch.setattr(os, "posix_fadvise", record)
    assert run(reg).state == JobState.COMPLETED
    assert_installed(reg)
    assert advised and advised[0][0] == 0
    assert all(a[0] + a[1] == b[0] for a, b in itertools.pairwise(advised))  # in order, no gap
    assert advised[-1][0] + advised[-1][1] <= len(DATA)
