"""Will a model run on this computer: the machine, the memory estimate and the verdict.

Pure functions over plain values: `estimate_memory` turns a model's facts (from its header)
and a context length into bytes; `judge` weighs them against a `MachineInfo`. The formula
and its sources are in README ("Will it run here?").

GGUF (llama.cpp):
    needs = weight bytes (tensor data) + KV cache + overhead
    KV cache = 2 x n_layer x n_ctx x n_head_kv x head_dim x 2 bytes (f16 K and V caches)
    overhead = max(GGUF_MIN_OVERHEAD, GGUF_OVERHEAD_SHARE x weight bytes): compute buffers,
               the GPU runtime's context and scratch; independent of n_ctx, so doubling the
               context adds exactly one more KV cache.
safetensors (transformers):
    needs = weight bytes x (1 + ACTIVATION_MARGIN)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from clary_desktop.domain.model_facts import ModelFacts
from clary_desktop.formatting import format_memory

MIB = 1024 * 1024
GIB = 1024 * MIB

#: llama.cpp's compute buffers (the graph's scratch for a 512-token batch, the output
#: logits) and the GPU backend's own context: a flat floor for small models...
GGUF_MIN_OVERHEAD = 512 * MIB
#: ...and a share of the weights for large ones, whose buffers grow with their width.
GGUF_OVERHEAD_SHARE = 0.10
#: Activations of a transformers forward pass on top of the weights ("Total inference
#: memory ~ 1.2 x model memory", EleutherAI, Transformer Math 101).
ACTIVATION_MARGIN = 0.20
#: The share of unified memory macOS lets Metal wire for the GPU on Apple Silicon
#: (`recommendedMaxWorkingSetSize`: about 2/3 of RAM up to 36 GB, 3/4 above).
APPLE_GPU_SHARE_SMALL = 2 / 3
APPLE_GPU_SHARE_LARGE = 3 / 4
APPLE_LARGE_RAM = 36 * GIB


class GpuDevice(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    #: Memory the GPU may use for a model (for unified memory: the Metal share of RAM).
    total_bytes: int
    free_bytes: int | None = None
    #: True for the GPU a user plans for (--vram, the window's field), not a detected one.
    planned: bool = False


class MachineInfo(BaseModel):
    """The computer a model must fit (or the one a user plans for with --ram/--vram)."""

    model_config = ConfigDict(frozen=True)

    total_ram: int | None
    available_ram: int | None
    gpus: list[GpuDevice] = []
    #: Apple Silicon: the GPU shares RAM, so GPU memory is a part of RAM, not extra.
    unified_memory: bool = False
    #: Free bytes on the drive of the models folder (None when it cannot say).
    free_disk: int | None = None
    models_dir: str | None = None
    #: True when --ram / --vram (or the window's field) replaced what was detected.
    overridden: bool = False

    @property
    def gpu_bytes(self) -> int:
        """GPU memory in all devices together (llama.cpp splits layers across GPUs)."""
        return sum(gpu.total_bytes for gpu in self.gpus)


class MemoryEstimate(BaseModel):
    """What running a model takes, in bytes, at one context length."""

    model_config = ConfigDict(frozen=True)

    format: str
    context_length: int | None
    weights_bytes: int
    kv_cache_bytes: int
    overhead_bytes: int
    total_bytes: int


class FitVerdict(StrEnum):
    FITS_GPU = "fits_gpu"  # everything in GPU memory (full offload)
    FITS_RAM = "fits_ram"  # runs on the CPU from RAM, or partly offloaded to the GPU
    TOO_LARGE = "too_large"  # more than this computer's memory
    UNKNOWN = "unknown"  # facts or machine figures are missing (the reason says which)


#: The short word for each verdict: the CLI's FITS column and the window's Fits column.
VERDICT_WORDS = {
    FitVerdict.FITS_GPU: "fits GPU",
    FitVerdict.FITS_RAM: "fits RAM",
    FitVerdict.TOO_LARGE: "too large",
    FitVerdict.UNKNOWN: "unknown",
}
#: The name `with_overrides` gives the GPU a user plans for (its `planned` flag marks it).
PLANNED_GPU = "planned GPU"


class DiskVerdict(StrEnum):
    FITS = "fits"
    TOO_SMALL = "too_small"
    INSTALLED = "installed"  # nothing to download
    UNKNOWN = "unknown"


class FitReport(BaseModel):
    """The answer to "will it run here" for one model version, as every front shows it."""

    model_config = ConfigDict(frozen=True)

    model_id: str
    version: str
    verdict: FitVerdict
    #: Plain words: why this verdict (and, for unknown, what is missing).
    reason: str
    estimate: MemoryEstimate | None
    facts: ModelFacts | None
    machine: MachineInfo
    disk: DiskVerdict
    disk_reason: str
    #: Bytes the download still needs (None when unknown, 0 when installed).
    download_bytes: int | None


class FitRow(NamedTuple):
    """The cheap verdict for the model list, from the database alone (see
    `Registry.fits_for_rows`): `total_bytes` is the estimate at the model's context.
    `reason` holds words worked out up front (why a verdict is unknown, or how a saved
    gpu_layers splits the model); otherwise `row_reason` makes them when a tooltip asks."""

    verdict: FitVerdict
    total_bytes: int | None
    reason: str | None = None


#: Why `Registry.fits_for_rows` leaves a model out: nothing read its header yet.
FACTS_NOT_STORED = "its facts are not known yet (its header has not been read)"


class EstimateError(ValueError):
    """The facts do not allow an estimate; the message says what is missing."""


class Assessment(NamedTuple):
    """The estimate (None when the facts do not allow one), the verdict and its words."""

    estimate: MemoryEstimate | None
    verdict: FitVerdict
    reason: str


def assess(
    facts: ModelFacts, machine: MachineInfo, context: int | None, gpu_layers: int | None
) -> Assessment:
    """The estimate at `context` (None: the model's own) and the verdict with `gpu_layers`
    (None: as many as fit), as every front shows them. Pure and quick (no I/O), so the
    window calls it on each edit of the parameters form."""
    try:
        estimate = estimate_memory(facts, context)
    except EstimateError as error:
        return Assessment(None, FitVerdict.UNKNOWN, str(error))
    verdict, reason = judge(estimate, machine, gpu_layers, facts.block_count)
    return Assessment(estimate, verdict, reason)


def chosen_gpu_layers(parameters: Mapping[str, object]) -> int | None:
    """The `gpu_layers` parameter when it is set to a whole number, else None."""
    value = parameters.get("gpu_layers")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def row_reason(fit: FitRow, machine: MachineInfo | None) -> str:
    """Why the model list shows this verdict (made when a tooltip or --json asks)."""
    if fit.reason:
        return fit.reason
    if fit.total_bytes is None or machine is None:
        return FACTS_NOT_STORED
    return fit_reason(fit.verdict, fit.total_bytes, machine)


def default_context(
    facts: ModelFacts, parameters: Mapping[str, object] | None = None
) -> int | None:
    """The context the model runs at: the `context_length` parameter when set, capped
    at the model's own; else the model's own."""
    return choose_context(facts.context_length, (parameters or {}).get("context_length"))


def choose_context(own: int | None, chosen: object) -> int | None:
    """`chosen` (a parameter's value) capped at the model's `own` context; else `own`."""
    if isinstance(chosen, int) and not isinstance(chosen, bool) and chosen > 0:
        return min(chosen, own) if own else chosen
    return own


def estimate_memory(facts: ModelFacts, context: int | None = None) -> MemoryEstimate:
    """The memory a model needs at `context` tokens (default: its own context length).
    EstimateError names what the facts lack."""
    missing = facts.missing_for_estimate()
    if missing:
        raise EstimateError("the model's header does not give its " + ", ".join(missing))
    assert facts.weight_bytes is not None
    return estimate_from_figures(
        facts.format,
        facts.weight_bytes,
        facts.kv_bytes_per_token(),
        context or facts.context_length,
    )


def estimate_from_figures(
    model_format: str, weight_bytes: int, kv_bytes_per_token: int | None, context: int | None
) -> MemoryEstimate:
    """The formula itself, over the stored figures."""
    weights, kv, overhead = memory_parts(model_format, weight_bytes, kv_bytes_per_token, context)
    return MemoryEstimate(
        format=model_format,
        context_length=context if model_format == "gguf" else None,
        weights_bytes=weights,
        kv_cache_bytes=kv,
        overhead_bytes=overhead,
        total_bytes=weights + kv + overhead,
    )


def memory_parts(
    model_format: str, weight_bytes: int, kv_bytes_per_token: int | None, context: int | None
) -> tuple[int, int, int]:
    """(weights, KV cache, overhead or activations) in bytes; plain integers, so the model
    list computes 100,000 of them at once. EstimateError says what is missing."""
    if model_format == "safetensors":
        return weight_bytes, 0, round(weight_bytes * ACTIVATION_MARGIN)
    if model_format != "gguf":
        raise EstimateError(f"no estimate for {model_format} files (only GGUF and safetensors)")
    if kv_bytes_per_token is None:
        raise EstimateError("the model's header does not give its layers and heads")
    if not context or context < 1:
        raise EstimateError("the model's header does not give its context length; choose one")
    overhead = max(GGUF_MIN_OVERHEAD, round(weight_bytes * GGUF_OVERHEAD_SHARE))
    return weight_bytes, kv_bytes_per_token * context, overhead


def judge(
    estimate: MemoryEstimate,
    machine: MachineInfo,
    gpu_layers: int | None = None,
    block_count: int | None = None,
) -> tuple[FitVerdict, str]:
    """The verdict and its reason in plain words (see `verdict_for`).

    With `gpu_layers` (and the model's `block_count`), the split is the user's: that
    share of the layers (weights and KV cache) plus the compute buffers on the GPU,
    the rest in RAM; each part must fit its memory.
    """
    if gpu_layers is not None and block_count and estimate.format == "gguf":
        return _judge_split(estimate, machine, gpu_layers, block_count)
    verdict = verdict_for(estimate.total_bytes, machine)
    return verdict, fit_reason(verdict, estimate.total_bytes, machine)


def verdict_for(need: int, machine: MachineInfo) -> FitVerdict:
    """Fits GPU: `need` fits the GPU memory (all devices; for unified memory, the Metal
    share). Fits RAM: it fits RAM (runs on the CPU) or RAM and GPU memory together
    (layers split between them; never with unified memory, where they are one pool).
    Otherwise too large. RAM here is the computer's total, not what other programs leave
    free at this moment."""
    return verdict_rule(machine)(need)


def verdict_rule(machine: MachineInfo) -> Callable[[int], FitVerdict]:
    """`verdict_for` with the machine's figures worked out once: no words, so the model
    list judges 100,000 models in a blink."""
    gpu, ram = machine.gpu_bytes, machine.total_ram
    if ram is None:
        return lambda need: FitVerdict.FITS_GPU if gpu and need <= gpu else FitVerdict.UNKNOWN
    # Unified memory: the GPU's share is part of RAM, never extra.
    pooled = ram if machine.unified_memory or not gpu else ram + gpu

    def rule(need: int) -> FitVerdict:
        if gpu and need <= gpu:
            return FitVerdict.FITS_GPU
        return FitVerdict.FITS_RAM if need <= pooled else FitVerdict.TOO_LARGE

    return rule


def fit_reason(verdict: FitVerdict, need: int, machine: MachineInfo) -> str:
    """The words for `verdict_for`'s verdict (a tooltip asks for them when shown)."""
    needs = f"needs {format_memory(need)}"
    gpu, ram = machine.gpu_bytes, machine.total_ram
    if verdict is FitVerdict.FITS_GPU:
        where = (
            "GPU memory (Metal share of unified memory)"
            if machine.unified_memory
            else ("GPU memory")
        )
        return f"{needs}; fits the {format_memory(gpu)} of {where}"
    if verdict is FitVerdict.UNKNOWN or ram is None:
        return f"{needs}, but this computer's RAM is unknown; plan with a RAM size"
    if verdict is FitVerdict.FITS_RAM and need <= ram:
        how = "runs on the CPU" if not gpu else "runs on the CPU or partly on the GPU"
        return f"{needs}; fits the {format_memory(ram)} of RAM ({how})"
    if verdict is FitVerdict.FITS_RAM:
        return (
            f"{needs}; fits RAM and GPU memory together ({format_memory(ram)} + "
            f"{format_memory(gpu)}) with layers offloaded to the GPU"
        )
    return f"{needs}; this computer has {_what_it_has(machine)}"


def _what_it_has(machine: MachineInfo) -> str:
    have = format_memory(machine.total_ram) + " of RAM"
    if machine.gpu_bytes and not machine.unified_memory:
        have += f" and {format_memory(machine.gpu_bytes)} of GPU memory"
    return have


def gpu_share(estimate: MemoryEstimate, gpu_layers: int, block_count: int) -> int:
    """Bytes on the GPU when `gpu_layers` of `block_count` layers are offloaded."""
    layers = max(0, min(gpu_layers, block_count))
    if not layers:
        return 0
    per_layer = (estimate.weights_bytes + estimate.kv_cache_bytes) / block_count
    return round(per_layer * layers) + estimate.overhead_bytes


def _judge_split(
    estimate: MemoryEstimate, machine: MachineInfo, gpu_layers: int, block_count: int
) -> tuple[FitVerdict, str]:
    need = estimate.total_bytes
    gpu = machine.gpu_bytes
    layers = f"gpu_layers {gpu_layers}"
    if gpu_layers > 0 and not gpu:
        return _judge_without_gpu(need, machine, layers)
    on_gpu = gpu_share(estimate, gpu_layers, block_count)
    if on_gpu and on_gpu > gpu:
        return FitVerdict.TOO_LARGE, (
            f"{layers} puts {format_memory(on_gpu)} on the GPU, which has "
            f"{format_memory(gpu)}; lower gpu_layers"
        )
    if machine.total_ram is None:
        return FitVerdict.UNKNOWN, "this computer's RAM is unknown; plan with a RAM size"
    ram = machine.total_ram
    # Unified memory: GPU and CPU take their parts from the same RAM.
    in_ram = need if machine.unified_memory else need - on_gpu
    if in_ram > ram:
        return FitVerdict.TOO_LARGE, (
            f"with {layers}, {format_memory(in_ram)} stays in RAM; this computer has "
            f"{format_memory(ram)} of RAM"
        )
    if on_gpu and gpu_layers >= block_count:
        return FitVerdict.FITS_GPU, (
            f"needs {format_memory(need)}; all layers fit the {format_memory(gpu)} of GPU memory"
        )
    where = f"{format_memory(on_gpu)} on the GPU, " if on_gpu else ""
    return FitVerdict.FITS_RAM, f"with {layers}: {where}{format_memory(in_ram)} in RAM"


def _judge_without_gpu(need: int, machine: MachineInfo, layers: str) -> tuple[FitVerdict, str]:
    """gpu_layers asks for a GPU this computer does not have: every layer runs on the CPU."""
    ram = machine.total_ram
    cpu = f"{layers}, but this computer has no GPU: the layers run on the CPU (set gpu_layers to 0)"
    if ram is None:
        return FitVerdict.UNKNOWN, f"{cpu}; this computer's RAM is unknown; plan with a RAM size"
    if need > ram:
        return FitVerdict.TOO_LARGE, (
            f"{cpu}; it needs {format_memory(need)} and this computer has "
            f"{format_memory(ram)} of RAM"
        )
    return FitVerdict.FITS_RAM, f"{cpu}; {format_memory(need)} fits the {format_memory(ram)} of RAM"


def with_overrides(machine: MachineInfo, ram: int | None, vram: int | None) -> MachineInfo:
    """The machine a user plans for: `ram` replaces total and available RAM, `vram` the
    GPUs (0: none). On unified memory, a new `ram` without `vram` moves the Metal share."""
    if ram is None and vram is None:
        return machine
    changes: dict[str, object] = {"overridden": True}
    if ram is not None:
        changes |= {"total_ram": ram, "available_ram": ram}
    if vram is not None:
        changes |= {
            "gpus": [GpuDevice(name=PLANNED_GPU, total_bytes=vram, planned=True)] if vram else [],
            "unified_memory": False,
        }
    elif ram is not None and machine.unified_memory:
        changes["gpus"] = [
            GpuDevice(
                name=machine.gpus[0].name if machine.gpus else "Apple GPU",
                total_bytes=apple_gpu_share(ram),
            )
        ]
    return machine.model_copy(update=changes)


def judge_disk(
    download_bytes: int | None, free_disk: int | None, margin: int
) -> tuple[DiskVerdict, str]:
    """Does the rest of the download (plus the kept margin) fit the models drive."""
    if download_bytes == 0:
        return DiskVerdict.INSTALLED, "installed; nothing to download"
    if download_bytes is None:
        return DiskVerdict.UNKNOWN, "the download size is unknown"
    if free_disk is None:
        return DiskVerdict.UNKNOWN, "the free space of the models drive is unknown"
    need = download_bytes + margin
    if need <= free_disk:
        return DiskVerdict.FITS, (
            f"the download ({format_memory(download_bytes)}) fits the "
            f"{format_memory(free_disk)} free on the models drive"
        )
    return DiskVerdict.TOO_SMALL, (
        f"the download needs {format_memory(need)} with the kept margin, but the models drive "
        f"has {format_memory(free_disk)} free; free some space or move the models folder"
    )


def apple_gpu_share(total_ram: int) -> int:
    """The unified memory Metal may use for the GPU on Apple Silicon."""
    share = APPLE_GPU_SHARE_LARGE if total_ram > APPLE_LARGE_RAM else APPLE_GPU_SHARE_SMALL
    return int(total_ram * share)
