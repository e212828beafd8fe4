"""`fit`, and the FITS column of `list --fits`: will a model run on this computer.

What the commands do; their arguments are in `cli/arguments/catalog.py`.
"""

from __future__ import annotations

import argparse

from clary_desktop.cli.context import CliContext
from clary_desktop.cli.output import print_json
from clary_desktop.domain.memory_fit import (
    FACTS_NOT_STORED,
    VERDICT_WORDS,
    FitReport,
    FitRow,
    FitVerdict,
    MachineInfo,
    row_reason,
)
from clary_desktop.formatting import format_count, format_memory, format_size


def machine_of(ctx: CliContext, args: argparse.Namespace) -> MachineInfo:
    return ctx.registry.machine_info(ram=args.ram, vram=args.vram)


def cmd_fit(ctx: CliContext, args: argparse.Namespace) -> int:
    report = ctx.registry.fit(
        args.model_id,
        context=args.context,
        machine=machine_of(ctx, args),
        version=args.model_version,
    )
    if args.json:
        print_json(report)
        return 0
    for key, value in _lines(report):
        print(f"{key.ljust(16)}{value}")
    return 0


def _lines(report: FitReport) -> list[tuple[str, str]]:
    lines = [
        ("Model", f"{report.model_id} {report.version}"),
        ("Verdict", f"{VERDICT_WORDS[report.verdict]}: {report.reason}"),
    ]
    facts, estimate = report.facts, report.estimate
    if facts is not None:
        shape = [
            f"{facts.format}",
            facts.architecture or "",
            facts.quantization or "",
            f"{format_count(facts.parameter_count)} parameters" if facts.parameter_count else "",
            f"{facts.block_count} layers" if facts.block_count else "",
            f"{facts.head_count}/{facts.kv_heads} heads (K/V)" if facts.head_count else "",
        ]
        lines.append(("Model facts", ", ".join(s for s in shape if s)))
    if estimate is not None:
        lines.append(("Weights", format_memory(estimate.weights_bytes)))
        if estimate.context_length is not None:
            lines.append(
                (
                    "KV cache",
                    f"{format_memory(estimate.kv_cache_bytes)} at {estimate.context_length:,} "
                    "tokens",
                )
            )
            lines.append(
                ("Overhead", f"{format_memory(estimate.overhead_bytes)} (compute buffers)")
            )
        else:
            lines.append(("Activations", format_memory(estimate.overhead_bytes)))
        lines.append(("Total", format_memory(estimate.total_bytes)))
    machine = report.machine
    planned = " (as given)" if machine.overridden else ""
    lines.append(("RAM", format_memory(machine.total_ram) + planned))
    gpus = ", ".join(f"{g.name} {format_memory(g.total_bytes)}" for g in machine.gpus)
    lines.append(("GPU memory", (gpus or "none") + planned))
    lines.append(("Disk", f"{report.disk_reason} ({format_size(machine.free_disk)} free)"))
    return lines


def fit_of(fits: dict[str, FitRow], model_id: str, machine: MachineInfo) -> dict[str, object]:
    """A model's verdict for `list --fits --json`, with its reason in words."""
    row = fits.get(model_id) or FitRow(FitVerdict.UNKNOWN, None, FACTS_NOT_STORED)
    reason = row_reason(row, machine)
    return {"verdict": row.verdict, "total_bytes": row.total_bytes, "reason": reason}


def fit_cell(fit: FitRow | None) -> str:
    """A model's FITS column in `list --fits`."""
    if fit is None or fit.total_bytes is None:
        return "unknown"
    return f"{VERDICT_WORDS[fit.verdict]} ({format_memory(fit.total_bytes)})"
