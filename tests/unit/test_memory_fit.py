"""Model facts from headers, the memory estimate and the verdicts, on real files written
by the gguf package and by the safetensors layout."""

from __future__ import annotations

import struct
import tracemalloc
from pathlib import Path

import pytest

from clary_desktop.domain.memory_fit import (
    FACTS_NOT_STORED,
    GGUF_MIN_OVERHEAD,
    PLANNED_GPU,
    VERDICT_WORDS,
    DiskVerdict,
    FitRow,
    FitVerdict,
    GpuDevice,
    MachineInfo,
    MemoryEstimate,
    apple_gpu_share,
    assess,
    estimate_memory,
    fit_reason,
    judge,
    judge_disk,
    row_reason,
    with_overrides,
)
from clary_desktop.domain.model_facts import FactsSource, ModelFacts
from clary_desktop.domain.model_headers import (
    MAX_GGUF_HEADER,
    HeaderError,
    NeedMoreBytes,
    combine,
    parse_gguf,
    parse_safetensors,
    read_file_facts,
)
from clary_desktop.domain.sizes import parse_memory_size
from tests.support.gguf_files import kv_cache_bytes, raw_gguf, write_llm_gguf
from tests.support.safetensors_files import write_safetensors

GIB = 1024**3


def grow_and_parse(data: bytes, start: int = 64) -> tuple[ModelFacts, int]:
    """Parse as a ranged reader does: from a short prefix, growing to what is needed."""
    have = start
    rounds = 0
    while True:
        rounds += 1
        try:
            return parse_gguf(data[:have], "m.gguf", len(data)), rounds
        except NeedMoreBytes as more:
            assert more.needed > have  # always asks for more than it had
            have = max(more.needed, 2 * have)


# ---- GGUF headers ---------------------------------------------------------------------


def test_gguf_facts_equal_what_the_writer_wrote(tmp_path: Path) -> None:
    path, weights = write_llm_gguf(
        tmp_path / "m.gguf",
        block_count=6,
        context_length=4096,
        embedding_length=128,
        head_count=16,
        head_count_kv=4,
        vocab_size=2000,
    )
    facts, rounds = grow_and_parse(path.read_bytes())
    assert rounds > 1  # the vocabulary made the header longer than the first read
    assert (
        facts.format,
        facts.architecture,
        facts.block_count,
        facts.context_length,
        facts.embedding_length,
        facts.head_count,
        facts.head_count_kv,
        facts.quantization,
    ) == ("gguf", "llama", 6, 4096, 128, 16, 4, "F16")
    assert facts.key_length is None and facts.key_head_dim == 128 // 16
    assert facts.weight_bytes == weights == 16 * 128 * 2 + 128 * 4
    assert facts.parameter_count == 16 * 128 + 128
    # The file on disk gives the same facts, read only as far as its header goes.
    assert read_file_facts(path, "m.gguf", first_read=100) == facts


def test_key_and_value_lengths_are_the_head_sizes_when_present(tmp_path: Path) -> None:
    path, _ = write_llm_gguf(
        tmp_path / "m.gguf", head_count=8, head_count_kv=2, key_length=96, value_length=64
    )
    facts = read_file_facts(path, "m.gguf")
    assert (facts.key_length, facts.value_length) == (96, 64)
    assert facts.kv_bytes_per_token() == 4 * 2 * (96 + 64) * 2


def test_per_layer_kv_heads_count_their_largest(tmp_path: Path) -> None:
    path, _ = write_llm_gguf(tmp_path / "m.gguf", block_count=4, head_count_kv=[2, 4, 8, 4])
    assert read_file_facts(path, "m.gguf").head_count_kv == 8


def test_the_estimate_is_the_formula_and_twice_the_context_adds_one_kv_cache(
    tmp_path: Path,
) -> None:
    path, weights = write_llm_gguf(
        tmp_path / "m.gguf", block_count=32, embedding_length=4096, head_count=32, head_count_kv=8
    )
    facts = read_file_facts(path, "m.gguf")
    at_8k = estimate_memory(facts, 8192)
    kv = kv_cache_bytes(block_count=32, context=8192, head_count_kv=8, head_dim=128)
    assert kv == 1024**3  # Llama 3 8B's well-known 1 GiB f16 cache at 8K
    assert at_8k.kv_cache_bytes == kv
    assert at_8k.weights_bytes == weights
    assert at_8k.overhead_bytes == GGUF_MIN_OVERHEAD
    assert at_8k.total_bytes == weights + kv + GGUF_MIN_OVERHEAD
    at_16k = estimate_memory(facts, 16384)
    assert at_16k.total_bytes - at_8k.total_bytes == at_8k.kv_cache_bytes
    # Without a context, the model's own (2048 here) is used.
    assert estimate_memory(facts).context_length == 2048


def test_facts_lacking_the_shape_give_no_estimate_and_say_what_is_missing() -> None:
    facts = ModelFacts(format="gguf", weight_bytes=10, context_length=100)
    with pytest.raises(ValueError, match="block count, head count, head size"):
        estimate_memory(facts)


# ---- safetensors headers --------------------------------------------------------------


def test_safetensors_give_exact_parameters_and_bytes_per_shard(tmp_path: Path) -> None:
    first = write_safetensors(
        tmp_path / "model-00001-of-00002.safetensors",
        {"embed": ("BF16", [1000, 64]), "norm": ("F32", [64])},
    )
    second = write_safetensors(
        tmp_path / "model-00002-of-00002.safetensors",
        {"head": ("F16", [64, 1000]), "bias": ("I64", [3])},
    )
    parts = [read_file_facts(p, p.name) for p in (first, second)]
    assert [(p.parameter_count, p.weight_bytes) for p in parts] == [
        (64_000 + 64, 128_000 + 256),
        (64_000 + 3, 128_000 + 24),
    ]
    whole = combine(parts, FactsSource.HEADER)
    assert (whole.parameter_count, whole.weight_bytes) == (128_067, 256_280)
    assert [f.path for f in whole.files] == [first.name, second.name]
    estimate = estimate_memory(whole)
    assert estimate.total_bytes == 256_280 + round(256_280 * 0.2)


# ---- hostile headers: a clear reason, never unbounded memory -------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GGML" + bytes(60), "wrong magic"),
        (raw_gguf(version=1) + bytes(40), "version 1"),
        (raw_gguf(tensors=2**40), "declares 1,099,511,627,776 tensors"),
        (raw_gguf(keys=2**62), "metadata keys"),
        # A key of 2**60 bytes.
        (raw_gguf(keys=1) + struct.pack("<Q", 2**60), "-byte key"),
        # A string value of 2**50 bytes.
        (
            raw_gguf(keys=1) + struct.pack("<Q", 1) + b"k" + struct.pack("<IQ", 8, 2**50),
            "-byte string",
        ),
        # A value of an unknown type.
        (raw_gguf(keys=1) + struct.pack("<Q", 1) + b"k" + struct.pack("<I", 77), "type 77"),
        # Arrays nested deeper than any model's.
        (
            raw_gguf(keys=1)
            + struct.pack("<Q", 1)
            + b"k"
            + struct.pack("<I", 9)
            + struct.pack("<IQ", 9, 1) * 40,
            "nests arrays",
        ),
        # A tensor with 1000 dimensions.
        (raw_gguf(tensors=1) + struct.pack("<Q", 1) + b"t" + struct.pack("<I", 1000), "1000"),
    ],
)
def test_hostile_gguf_headers_are_refused_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(HeaderError, match=reason):
        parse_gguf(data + bytes(64))


def test_a_declared_array_of_gigabytes_costs_only_the_bytes_sent() -> None:
    """An array of 2**31 bytes declared in a 1 KiB buffer asks for more bytes (which the
    reader refuses past its cap) and allocates nothing of that size."""
    data = raw_gguf(keys=1) + struct.pack("<Q", 1) + b"k" + struct.pack("<IIQ", 9, 0, 2**31)
    tracemalloc.start()
    try:
        with pytest.raises(NeedMoreBytes) as more:
            parse_gguf(data + bytes(1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert more.value.needed > MAX_GGUF_HEADER  # the reader stops there with its reason
    assert peak < 1024 * 1024


def test_a_truncated_file_ends_inside_its_header(tmp_path: Path) -> None:
    path, _ = write_llm_gguf(tmp_path / "m.gguf", vocab_size=500)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(HeaderError, match="ends inside its own header"):
        read_file_facts(cut, "cut.gguf")


def with_length(header: bytes) -> bytes:
    return struct.pack("<Q", len(header)) + header


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (struct.pack("<Q", 2**62) + b"{}", "more than the format allows"),
        (struct.pack("<Q", 5) + b"[1,2]", "not a JSON object"),
        (struct.pack("<Q", 4) + b"{{{{", "not valid JSON"),
        (struct.pack("<Q", 0), "empty"),
        (with_length(b'{"w": {"dtype": "F16", "shape": [-1, 2]}}'), "no valid shape"),
        (with_length(b'{"w": {"dtype": "F16", "shape": [2.5]}}'), "no valid shape"),
        (with_length(b'{"w": [1, 2]}'), "is not an object"),
        (with_length(b'{"w": {"dtype": "X9", "shape": [2]}}'), "unknown dtype 'X9'"),
        (
            with_length(b'{"w": {"dtype": "F16", "shape": [4294967296, 4294967296, 4294967296]}}'),
            "more bytes than any model",
        ),
    ],
)
def test_hostile_safetensors_headers_are_refused_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(HeaderError, match=reason):
        parse_safetensors(data)


# ---- verdicts at pinned machines, on both sides of each boundary --------------------

NEED = 10 * GIB
ESTIMATE = MemoryEstimate(
    format="gguf",
    context_length=4096,
    weights_bytes=NEED - GIB - GGUF_MIN_OVERHEAD,
    kv_cache_bytes=GIB,
    overhead_bytes=GGUF_MIN_OVERHEAD,
    total_bytes=NEED,
)


def machine(ram: int | None, vram: int = 0, unified: bool = False) -> MachineInfo:
    gpus = [GpuDevice(name="gpu", total_bytes=vram)] if vram else []
    return MachineInfo(total_ram=ram, available_ram=ram, gpus=gpus, unified_memory=unified)


@pytest.mark.parametrize(
    ("ram", "vram", "unified", "verdict"),
    [
        (4 * GIB, NEED, False, FitVerdict.FITS_GPU),  # exactly the GPU's memory
        (NEED, NEED - 1, False, FitVerdict.FITS_RAM),  # a byte short on the GPU: RAM
        (NEED, 0, False, FitVerdict.FITS_RAM),  # exactly the RAM, no GPU
        (NEED - 1, 0, False, FitVerdict.TOO_LARGE),  # a byte short
        (NEED - GIB, GIB, False, FitVerdict.FITS_RAM),  # RAM + GPU together, split
        (NEED - GIB - 1, GIB, False, FitVerdict.TOO_LARGE),  # a byte short of both
        (NEED - GIB, GIB, True, FitVerdict.TOO_LARGE),  # unified: one pool, not two
        (2 * NEED, NEED, True, FitVerdict.FITS_GPU),  # the Metal share holds it all
        (None, 0, False, FitVerdict.UNKNOWN),  # RAM unknown
    ],
)
def test_verdicts_on_both_sides_of_each_boundary(
    ram: int | None, vram: int, unified: bool, verdict: FitVerdict
) -> None:
    found, reason = judge(ESTIMATE, machine(ram, vram, unified))
    assert found is verdict, reason
    assert "needs 10 GiB" in reason


@pytest.mark.parametrize(
    ("gpu_layers", "vram", "ram", "verdict", "words"),
    [
        (0, 0, NEED, FitVerdict.FITS_RAM, "in RAM"),
        (0, 0, NEED - 1, FitVerdict.TOO_LARGE, "stays in RAM"),
        (32, NEED, GIB, FitVerdict.FITS_GPU, "all layers"),
        (32, NEED - 1, 100 * GIB, FitVerdict.TOO_LARGE, "lower gpu_layers"),
        (16, NEED, NEED, FitVerdict.FITS_RAM, "on the GPU"),
    ],
)
def test_a_chosen_gpu_layers_split_is_judged_part_by_part(
    gpu_layers: int, vram: int, ram: int, verdict: FitVerdict, words: str
) -> None:
    found, reason = judge(ESTIMATE, machine(ram, vram), gpu_layers, 32)
    assert found is verdict, reason
    assert words in reason


def test_half_the_layers_put_half_the_layers_on_the_gpu() -> None:
    layers = ESTIMATE.weights_bytes + ESTIMATE.kv_cache_bytes
    on_gpu = layers // 2 + ESTIMATE.overhead_bytes
    assert judge(ESTIMATE, machine(NEED, on_gpu), 16, 32)[0] is FitVerdict.FITS_RAM
    assert judge(ESTIMATE, machine(NEED, on_gpu - 1), 16, 32)[0] is FitVerdict.TOO_LARGE


@pytest.mark.parametrize(
    ("ram", "verdict", "words"),
    [
        (NEED, FitVerdict.FITS_RAM, "10 GiB fits the 10 GiB of RAM"),
        (NEED - GIB, FitVerdict.TOO_LARGE, "this computer has 9 GiB of RAM"),
        (None, FitVerdict.UNKNOWN, "plan with a RAM size"),
    ],
)
def test_gpu_layers_without_a_gpu_say_the_layers_run_on_the_cpu(
    ram: int | None, verdict: FitVerdict, words: str
) -> None:
    found, reason = judge(ESTIMATE, machine(ram, 0), 20, 32)
    assert found is verdict, reason
    assert reason.startswith(
        "gpu_layers 20, but this computer has no GPU: the layers run on the CPU "
        "(set gpu_layers to 0)"
    )
    assert words in reason and "0 B" not in reason and "lower gpu_layers" not in reason


def test_assess_gives_the_estimate_verdict_and_reason_together() -> None:
    facts = ModelFacts(
        format="gguf",
        source=FactsSource.MANIFEST,
        weight_bytes=4 * GIB,
        block_count=32,
        context_length=8192,
        embedding_length=4096,
        head_count=32,
        head_count_kv=8,
    )
    roomy = machine(64 * GIB, 2 * GIB)
    estimate, verdict, reason = assess(facts, roomy, 4096, None)
    assert estimate == estimate_memory(facts, 4096)
    assert (verdict, reason) == judge(estimate, roomy)
    assert assess(facts, roomy, None, 32)[1:] == judge(estimate_memory(facts), roomy, 32, 32)
    missing = assess(facts.model_copy(update={"weight_bytes": None}), roomy, None, None)
    assert missing.estimate is None and missing.verdict is FitVerdict.UNKNOWN
    assert "does not give" in missing.reason


def test_the_list_reason_is_the_rows_own_words_or_the_core_s() -> None:
    roomy = machine(64 * GIB)
    assert row_reason(FitRow(FitVerdict.FITS_RAM, NEED), roomy) == fit_reason(
        FitVerdict.FITS_RAM, NEED, roomy
    )
    assert row_reason(FitRow(FitVerdict.TOO_LARGE, NEED, "with gpu_layers 3: ..."), roomy) == (
        "with gpu_layers 3: ..."
    )
    assert row_reason(FitRow(FitVerdict.UNKNOWN, None), roomy) == FACTS_NOT_STORED
    assert row_reason(FitRow(FitVerdict.FITS_RAM, NEED), None) == FACTS_NOT_STORED
    assert set(VERDICT_WORDS) == set(FitVerdict)


def test_overrides_replace_what_was_detected() -> None:
    detected = machine(64 * GIB, 24 * GIB)
    planned = with_overrides(detected, 16 * GIB, 0)
    assert (planned.total_ram, planned.gpus, planned.overridden) == (16 * GIB, [], True)
    assert with_overrides(detected, None, None) is detected
    [gpu] = with_overrides(detected, None, 8 * GIB).gpus
    assert (gpu.name, gpu.planned, detected.gpus[0].planned) == (PLANNED_GPU, True, False)
    apple = machine(32 * GIB, apple_gpu_share(32 * GIB), unified=True)
    smaller = with_overrides(apple, 16 * GIB, None)
    assert smaller.unified_memory and smaller.gpu_bytes == apple_gpu_share(16 * GIB)
    assert apple_gpu_share(16 * GIB) == int(16 * GIB * 2 / 3)
    assert apple_gpu_share(64 * GIB) == int(64 * GIB * 3 / 4)


def test_disk_verdicts() -> None:
    assert judge_disk(0, None, 10)[0] is DiskVerdict.INSTALLED
    assert judge_disk(100, 110, 10)[0] is DiskVerdict.FITS
    verdict, reason = judge_disk(100, 109, 10)
    assert verdict is DiskVerdict.TOO_SMALL and "free some space" in reason
    assert judge_disk(None, 10**12, 10)[0] is DiskVerdict.UNKNOWN
    assert judge_disk(100, None, 10)[0] is DiskVerdict.UNKNOWN


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("16GB", 16 * GIB),
        ("16 GiB", 16 * GIB),
        ("8g", 8 * GIB),
        ("512MB", 512 * 1024**2),
        ("1.5TB", int(1.5 * 1024**4)),
        ("0", 0),
        ("1234", 1234),
    ],
)
def test_memory_sizes_are_read_as_users_write_them(text: str, size: int) -> None:
    assert parse_memory_size(text) == size


@pytest.mark.parametrize("text", ["", "16 GBs", "-1GB", "lots", "1e9"])
def test_other_sizes_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="write it like 16GB"):
        parse_memory_size(text)


# ---- this computer --------------------------------------------------------------------


def test_this_computer_is_read_and_overrides_are_not_kept(registry, tmp_path: Path) -> None:
    detected = registry.machine_info()
    assert detected.total_ram and detected.total_ram > 0
    assert detected.available_ram is not None and detected.available_ram <= detected.total_ram
    assert detected.free_disk is not None and detected.models_dir == str(registry.models_dir)
    # No NVIDIA driver here: nvidia-ml-py loads, NVML does not, and there is no GPU.
    assert detected.gpus == [] and not detected.unified_memory and not detected.overridden
    planned = registry.machine_info(ram=16 * GIB, vram=8 * GIB)
    assert (planned.total_ram, planned.gpu_bytes, planned.overridden) == (16 * GIB, 8 * GIB, True)
    again = registry.machine_info()  # the plan was for that call only
    assert (again.total_ram, again.gpus, again.overridden) == (detected.total_ram, [], False)
    assert registry.machine_info(refresh=True).total_ram == detected.total_ram
