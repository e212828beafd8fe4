"""`list`, `show`, `versions` and `catalog import|sync`.

What the commands do; their arguments are in `cli/arguments/catalog.py`.
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from clary_desktop.cli.answer_cache import print_and_keep
from clary_desktop.cli.context import CliContext
from clary_desktop.cli.output import json_text, print_json, render_table
from clary_desktop.domain.access import Tier
from clary_desktop.domain.model_views import ModelInfo, VersionInfo
from clary_desktop.formatting import format_size


def cmd_list(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    view_tier = args.tier or registry.tier
    models = registry.list_models(
        tier=view_tier, model_type=args.model_type, search=args.search, updates_only=args.updates
    )
    if not models and not args.json:
        print("No models match.", file=sys.stderr)
        return 0
    print_and_keep(ctx, args, lambda: _list_text(ctx, args, view_tier, models))
    return 0


def _list_text(
    ctx: CliContext, args: argparse.Namespace, view_tier: Tier, models: list[ModelInfo]
) -> str:
    registry = ctx.registry
    fits = None
    if args.fits or args.ram is not None or args.vram is not None:
        # The memory estimate loads only for --fits (and --ram / --vram).
        from clary_desktop.cli.fit_commands import fit_cell, fit_of, machine_of

        machine = machine_of(ctx, args)
        fits = registry.fits_for_rows([m.id for m in models], machine)
    if args.json:
        listing = [
            {**m.model_dump(mode="json"), "fit": fit_of(fits, m.id, machine)}
            if fits is not None
            else m
            for m in models
        ]
        extra = {"machine": machine} if fits is not None else {}
        return json_text(
            {
                "tier": view_tier.key,
                "user_tier": registry.tier.key,
                "count": len(models),
                **extra,
                "models": listing,
            }
        )
    headers = ["ID", "NAME", "TYPE", "VERSION", "SIZE", "TIER", "STATUS"]
    rows = [
        [m.id, m.name, m.type, m.version, format_size(m.size_bytes), m.tier, _status(m)]
        for m in models
    ]
    if fits is not None:
        headers.append("FITS")
        for row, model in zip(rows, models, strict=True):
            row.append(fit_cell(fits.get(model.id)))
    return render_table(headers, rows, right=frozenset({4})) + "\n"


def _status(model: ModelInfo) -> str:
    """The catalog's status word, with the tier a locked model needs and the versions of
    an update."""
    if model.status == "locked":
        return f"locked (needs {model.tier})"
    if model.status == "update available":
        return f"update available ({model.installed_version} -> {model.version})"
    unverified = ", unverified" if model.unverified and model.status == "installed" else ""
    return model.status + unverified + (" (retired)" if model.retired else "")


def _license_line(model: ModelInfo) -> str:
    lic = model.license
    if lic.id is None:
        return "not stated"
    text = f"{lic.name} ({lic.id})"
    if lic.commercial_use is False:
        text += "  [NON-COMMERCIAL: commercial use is not allowed]"
    elif lic.commercial_use is None:
        text += "  [commercial use: not stated, check the licence]"
    return text


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    print_and_keep(ctx, args, lambda: _show_text(ctx, args))
    return 0


def _show_text(ctx: CliContext, args: argparse.Namespace) -> str:
    registry = ctx.registry
    model = registry.get_model(args.model_id)
    versions = registry.versions(args.model_id)
    if args.json:
        facts = registry.model_facts(args.model_id, fetch=False)
        return json_text({**model.model_dump(mode="json"), "versions": versions, "facts": facts})
    latest = next((v for v in versions if v.version == model.version), versions[0])
    fields = [
        ("ID", model.id),
        ("Name", model.name),
        ("Type", model.type),
        ("Version", model.version),
        ("Size", format_size(model.size_bytes)),
        (
            "Tier",
            model.tier + (f"  (locked: your tier is {registry.tier.key})" if model.locked else ""),
        ),
        ("Status", _status(model)),
        ("License", _license_line(model)),
        ("Source", _source(latest)),
        ("Tags", ", ".join(model.tags) or "-"),
        ("Parameters", ", ".join(f"{k}={v}" for k, v in model.parameters.items()) or "-"),
    ]
    width = max(len(k) for k, _ in fields)
    files = render_table(
        ["PATH", "SIZE", "SHA256"],
        [
            [f.path, format_size(f.size_bytes), f.sha256 or "(taken from the Hub at download)"]
            for f in latest.files
        ],
        right=frozenset({1}),
    )
    return "".join(
        [
            *(f"{key.ljust(width)}  {value}\n" for key, value in fields),
            "\n",
            textwrap.fill(model.description, width=88) + "\n",
            "\n",
            f"Files of version {latest.version}:\n",
            files + "\n",
        ]
    )


def _source(version: VersionInfo) -> str:
    if version.repo_id:
        return f"Hugging Face {version.repo_id} @ {version.revision}"
    if version.download_url:
        return version.download_url
    if any(f.url for f in version.files):
        return "per-file URLs"
    return "local files (imported; no download source)"


def cmd_versions(ctx: CliContext, args: argparse.Namespace) -> int:
    versions = ctx.registry.versions(args.model_id)
    if args.json:
        print_json({"model_id": args.model_id, "versions": versions})
        return 0
    rows = [
        [
            v.version,
            v.created_at.date().isoformat(),
            format_size(v.size_bytes),
            str(len(v.files)),
            "active" if v.active else ("installed" if v.installed else "-"),
            v.changes or "",
        ]
        for v in versions
    ]
    print(
        render_table(
            ["VERSION", "DATE", "SIZE", "FILES", "INSTALLED", "CHANGES"],
            rows,
            right=frozenset({2, 3}),
        )
    )
    return 0


def cmd_catalog_import(ctx: CliContext, args: argparse.Namespace) -> int:
    summary = ctx.registry.import_catalog(args.file)
    print(
        f"Imported {summary.total} entries from {args.file}: "
        f"{summary.added} added, {summary.updated} updated."
    )
    return 0


def cmd_catalog_sync(ctx: CliContext, args: argparse.Namespace) -> int:
    summary = ctx.registry.sync_catalog(args.source, allow_unsigned=args.allow_unsigned)
    what = f"sequence {summary.sequence}" if summary.sequence is not None else "unsigned"
    if summary.unchanged:
        print(f"The catalog from {summary.source} ({what}) is already in place; nothing changed.")
        return 0
    print(
        f"Synced the catalog from {summary.source} ({what}): {summary.added} added, "
        f"{summary.updated} updated, {summary.retired} retired."
    )
    updates = ctx.registry.check_updates()
    if updates:
        print(f"{len(updates)} installed model(s) can be updated: `clary-models list --updates`.")
    return 0
