"""The window's words for "will it run here": the verdict titles, the list's tooltip and
the one-line description of the computer the verdicts are for."""

from __future__ import annotations

from clary_desktop.domain.memory_fit import (
    FACTS_NOT_STORED,
    FitRow,
    FitVerdict,
    MachineInfo,
    row_reason,
)
from clary_desktop.formatting import format_memory

TITLES = {
    FitVerdict.FITS_GPU: "Fits in GPU memory",
    FitVerdict.FITS_RAM: "Fits in RAM",
    FitVerdict.TOO_LARGE: "Too large for this computer",
    FitVerdict.UNKNOWN: "Memory needs unknown",
}
#: The detail pane's headline, next to the badges: short, and nothing when unknown.
HEADLINES = {
    FitVerdict.FITS_GPU: "Fits in GPU memory",
    FitVerdict.FITS_RAM: "Fits in RAM",
    FitVerdict.TOO_LARGE: "Too large",
    FitVerdict.UNKNOWN: "",
}
COLORS = {
    FitVerdict.FITS_GPU: "#2e7d32",
    FitVerdict.FITS_RAM: "#e0a100",
    FitVerdict.TOO_LARGE: "#b3261e",
    FitVerdict.UNKNOWN: "#8a8a8a",
}
FITTING = frozenset({FitVerdict.FITS_GPU, FitVerdict.FITS_RAM})
#: Sorting the Fits column: the ones that fit best first, unknown last.
RANK = {
    FitVerdict.FITS_GPU: 0,
    FitVerdict.FITS_RAM: 1,
    FitVerdict.TOO_LARGE: 2,
    FitVerdict.UNKNOWN: 3,
}
HOW_TO_CHECK = "Select the model and press Check memory needs to read its header."
NOT_STORED = FitRow(FitVerdict.UNKNOWN, None, FACTS_NOT_STORED)


def verdict_line(verdict: FitVerdict, reason: str) -> str:
    """ "Fits in GPU memory: needs 5.6 GiB; fits the 8 GiB of GPU memory"."""
    return f"{TITLES[verdict]}: {reason}"


def row_tooltip(fit: FitRow, machine: MachineInfo | None) -> str:
    reason = row_reason(fit, machine)
    text = verdict_line(fit.verdict, reason)
    if reason == FACTS_NOT_STORED:
        text += f". {HOW_TO_CHECK}"
    return text


def machine_summary(machine: MachineInfo | None) -> str:
    """ "this computer: 16 GiB of RAM, 8 GiB of GPU memory" (or "a planned computer")."""
    if machine is None:
        return "this computer (not measured yet)"
    who = "a planned computer" if machine.overridden else "this computer"
    ram = format_memory(machine.total_ram) if machine.total_ram is not None else "unknown"
    if machine.unified_memory and machine.gpus:
        gpu = f"of which the GPU may use {format_memory(machine.gpu_bytes)}"
    elif machine.gpus:
        gpu = f"{format_memory(machine.gpu_bytes)} of GPU memory"
    else:
        gpu = "no GPU memory"
    return f"{who}: {ram} of RAM, {gpu}"
