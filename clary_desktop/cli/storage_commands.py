"""`import-file`, `export`, `import-bundle`, `storage` (report, reclaim, move) and
`hf-cache`: offline model management. None of them touches the network.

What the commands do; their arguments are in `cli/arguments/storage.py`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from clary_desktop.cli.context import CliContext
from clary_desktop.cli.output import print_json, render_table
from clary_desktop.domain.storage_values import ImportResult, Progress
from clary_desktop.errors import ClaryError
from clary_desktop.formatting import format_size

T = TypeVar("T")


class _Progress:
    """Progress on stderr: one redrawn line on a terminal (at most 5 per second);
    nothing when stderr is a pipe or file, so scripts see only results and errors."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._stage: str | None = None
        self._last = 0.0

    def __call__(self, event: Progress) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if now - self._last < 0.2 and event.done_bytes < event.total_bytes:
            return
        self._last = now
        percent = f"{(event.fraction or 0) * 100:5.1f}%"
        line = (
            f"{event.stage} {percent} {format_size(event.done_bytes)}/"
            f"{format_size(event.total_bytes)} {event.current or ''}"
        )
        sys.stderr.write("\r" + line[:110].ljust(80))
        self._stage = event.stage
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty and self._stage is not None:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _with_progress(action: Callable[[_Progress], T]) -> T:
    bar = _Progress()
    try:
        return action(bar)
    finally:
        bar.close()


# ---- import-file / hf-cache ---------------------------------------------------------


def _print_import(result: ImportResult) -> None:
    if result.matched_catalog:
        print(
            f"{result.model_id} {result.version} is installed from your file "
            f"({format_size(result.size_bytes)}, {result.mode}); it matches the catalog."
        )
    else:
        print(
            f"Registered local model {result.model_id} ({result.tier}, "
            f"{format_size(result.size_bytes)}, {result.mode})."
        )
    formats = sorted({f.format for f in result.files})
    print(f"  Format: {', '.join(formats)}")
    if result.gguf is not None:
        g = result.gguf
        print(f"  Architecture: {g.architecture or '-'}")
        print(f"  Quantization: {g.quantization or '-'}")
        print(f"  Context length: {g.context_length or '-'}")
        if g.parameter_count:
            print(f"  Parameters: {g.parameter_count:,}")
    print(f"  Folder: {result.folder}")


def cmd_import_file(ctx: CliContext, args: argparse.Namespace) -> int:
    result = _with_progress(
        lambda bar: ctx.registry.import_file(
            args.path, args.model_id, args.mode, args.model_type, bar
        )
    )
    if args.json:
        print_json(result)
    else:
        _print_import(result)
    return 0


def cmd_hf_cache(ctx: CliContext, args: argparse.Namespace) -> int:
    if args.model_id:
        result = _with_progress(
            lambda bar: ctx.registry.link_hf_cache(args.model_id, args.mode, bar)
        )
        if args.json:
            print_json(result)
        else:
            _print_import(result)
        return 0
    candidates = ctx.registry.hf_cache_candidates()
    if args.json:
        print_json({"candidates": candidates})
        return 0
    if not candidates:
        print("The Hugging Face cache holds no complete copy of a catalog model.", file=sys.stderr)
        return 0
    rows = [
        [
            c.model_id,
            c.version,
            str(len(c.files)),
            format_size(sum(f.size_bytes for f in c.files)),
            "installed" if c.installed else ("locked" if c.locked else "can link"),
        ]
        for c in candidates
    ]
    print(render_table(["MODEL", "VERSION", "FILES", "SIZE", "STATUS"], rows))
    print(
        "\nLink one with `clary-models hf-cache --link ID` (no download needed).", file=sys.stderr
    )
    return 0


# ---- bundles --------------------------------------------------------------------------


def cmd_export(ctx: CliContext, args: argparse.Namespace) -> int:
    result = _with_progress(
        lambda bar: ctx.registry.export_models(args.model_ids, args.target, bar)
    )
    if args.json:
        print_json(result)
        return 0
    for m in result.models:
        print(
            f"Exported {m.model_id} {m.version} ({m.files} file(s), {format_size(m.size_bytes)})."
        )
    print(f"Bundle written to {result.path} ({result.kind}, {format_size(result.size_bytes)}).")
    return 0


def cmd_import_bundle(ctx: CliContext, args: argparse.Namespace) -> int:
    result = _with_progress(lambda bar: ctx.registry.import_bundle(args.source, bar))
    if args.json:
        print_json(result)
        return 0
    for m in result.models:
        print(
            f"{m.model_id} {m.version} installed and verified ({m.files} file(s), "
            f"{format_size(m.size_bytes)})."
        )
        if m.local_copy_of:
            print(
                f"  A separate local model: neither the catalog nor the Hub could confirm the "
                f"bundle's files of {m.local_copy_of}, so the catalog's {m.local_copy_of} "
                "was left as it was."
            )
    return 0


# ---- storage ------------------------------------------------------------------------


def cmd_storage(ctx: CliContext, args: argparse.Namespace) -> int:
    report = ctx.registry.storage_report()
    if args.json:
        print_json(
            {
                **report.model_dump(mode="json"),
                "installed_bytes": report.installed_bytes,
                "reclaimable_bytes": report.reclaimable_bytes,
            }
        )
        return 0
    free = f", {format_size(report.free_bytes)} free" if report.free_bytes is not None else ""
    print(f"Models folder: {report.models_dir}{free}")
    if report.models:
        rows = [
            [
                m.model_id,
                m.version,
                format_size(m.size_bytes),
                str(m.files) + (f" (+{m.linked_files} linked)" if m.linked_files else ""),
                f"MISSING {len(m.missing_files)}" if m.missing_files else "ok",
            ]
            for m in report.models
        ]
        print(
            render_table(["MODEL", "VERSION", "SIZE", "FILES", "STATE"], rows, right=frozenset({2}))
        )
        print(f"Installed: {format_size(report.installed_bytes)} in {len(report.models)} model(s).")
    else:
        print("Nothing is installed.")
    for m in report.missing:
        print(
            f"Missing files of {m.model_id} {m.version}: {', '.join(m.missing_files)} "
            f"(download it again or `clary-models remove {m.model_id}`)."
        )
    if report.partials:
        print(f"\nPartial downloads ({len(report.partials)}):")
        for p in report.partials:
            note = "resumable" if p.resumable else "stray"
            print(f"  {p.path}  {format_size(p.size_bytes)}  {note}")
    if report.orphans:
        print(f"\nFiles the catalog does not know ({len(report.orphans)}):")
        for o in report.orphans:
            print(f"  {o.path}  {format_size(o.size_bytes)}")
    if report.reclaimable:
        print(
            f"\n{format_size(report.reclaimable_bytes)} can be reclaimed: "
            "`clary-models storage reclaim`."
        )
    return 0


def cmd_reclaim(ctx: CliContext, args: argparse.Namespace) -> int:
    report = ctx.registry.storage_report()
    paths = report.reclaimable
    if not paths:
        if args.json:
            print_json({"deleted": [], "size_bytes": 0})
        else:
            print("Nothing to reclaim: no stray partial downloads or orphan files.")
        return 0
    if not args.json:
        print(f"Will delete {len(paths)} file(s), {format_size(report.reclaimable_bytes)}:")
        for path in paths:
            print(f"  {path}")
    if not args.yes:
        if not sys.stdin.isatty():
            raise ClaryError(
                "Nothing deleted; run `clary-models storage reclaim --yes` to delete these files."
            )
        answer = input("Delete them? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("Nothing deleted.")
            return 0
    result = ctx.registry.reclaim_storage(only=paths)
    if args.json:
        print_json(result)
    else:
        print(f"Deleted {len(result.deleted)} file(s), {format_size(result.size_bytes)} freed.")
    return 0


def cmd_move(ctx: CliContext, args: argparse.Namespace) -> int:
    result = _with_progress(
        lambda bar: ctx.registry.move_models_dir(args.new_dir, bar, keep_old=args.keep_old)
    )
    if args.json:
        print_json(result)
        return 0
    print(
        f"Moved {result.files} file(s), {format_size(result.size_bytes)}, to "
        f"{result.new_dir}; it is now the models folder."
    )
    if result.old_removed:
        print(f"The old folder {result.old_dir} was deleted.")
    elif result.note:
        print(result.note)
    else:
        print(f"The old copy stays in {result.old_dir}.")
    return 0
