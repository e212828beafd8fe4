"""`download`, `downloads`, `pause`, `resume`, `cancel`, `remove` and `verify`.

What the commands do; their arguments are in `cli/arguments/downloads.py`.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from clary_desktop.cli.context import CliContext
from clary_desktop.cli.output import print_json, render_table
from clary_desktop.domain.download_values import DownloadEvent, JobInfo, JobState
from clary_desktop.errors import ClaryError
from clary_desktop.formatting import format_duration, format_size

# ---- download / resume: run the job here, with a progress bar --------------------------


class _ProgressBar:
    """One line on stderr, redrawn at most a few times a second (a plain log when
    stderr is not a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self._last_state: JobState | None = None
        self._lock = threading.Lock()

    def __call__(self, event: DownloadEvent) -> None:
        with self._lock:
            if self.tty:
                sys.stderr.write("\r" + self._line(event)[:120].ljust(80))
                if event.state.finished or event.state == JobState.PAUSED:
                    sys.stderr.write("\n")
            elif event.state != self._last_state:
                sys.stderr.write(f"{self.label}: {event.state.value}\n")
            sys.stderr.flush()
            self._last_state = event.state

    def _line(self, event: DownloadEvent) -> str:
        fraction = event.fraction
        width = 24
        filled = int(width * fraction) if fraction is not None else 0
        bar = "#" * filled + "." * (width - filled)
        percent = f"{fraction * 100:5.1f}%" if fraction is not None else "   ?%"
        done = f"{format_size(event.bytes_done)}/{format_size(event.bytes_total)}"
        speed = f"{format_size(int(event.speed_bps))}/s" if event.speed_bps else ""
        eta = f"ETA {format_duration(event.eta_seconds)}" if event.eta_seconds else ""
        return f"{self.label} [{bar}] {percent} {done} {speed} {eta} {event.state.value}"


def run_job(ctx: CliContext, job_id: int, label: str) -> int:
    registry = ctx.registry
    bar = _ProgressBar(label)
    unsubscribe = registry.subscribe_downloads(bar)
    try:
        bar(_event(registry.download_job(job_id)))
        info = registry.wait_for_download(job_id)
    finally:
        unsubscribe()
    if info.state == JobState.COMPLETED:
        if registry.get_model(info.model_id).unverified:
            print(
                f"{info.model_id} {info.version} installed ({format_size(info.bytes_done)}) "
                "but unverified: the catalog lists no sha256 for some of its files, so "
                "what the server sent could not be checked."
            )
        else:
            print(
                f"{info.model_id} {info.version} installed and verified "
                f"({format_size(info.bytes_done)})."
            )
        return 0
    if info.state == JobState.PAUSED:
        raise ClaryError(
            f"download paused (job {job_id}): {info.error or 'paused'} "
            f"Resume with `clary-models resume {job_id}`."
        )
    raise ClaryError(info.error or f"download {info.state.value} (job {job_id})")


def _event(info: JobInfo) -> DownloadEvent:
    return DownloadEvent(**info.model_dump(), kind="state")


def cmd_download(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    job_id = registry.start_download(args.model_id, args.model_version, force=args.force)
    info = registry.download_job(job_id)
    return run_job(ctx, job_id, f"{info.model_id} {info.version}")


def cmd_resume(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    registry.resume_download(args.job_id)
    info = registry.download_job(args.job_id)
    return run_job(ctx, args.job_id, f"{info.model_id} {info.version}")


# ---- queue control ---------------------------------------------------------------------


def cmd_downloads(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    jobs = registry.download_jobs()
    strays = registry.stray_partials()
    if args.json:
        print_json({"jobs": jobs, "stray_partials": strays})
        return 0
    if not jobs:
        print("No downloads yet.", file=sys.stderr)
    else:
        rows = [
            [
                str(j.job_id),
                j.model_id,
                j.version,
                j.state.value,
                _progress_cell(j),
                f"{format_size(int(j.speed_bps))}/s" if j.speed_bps else "",
                j.error or "",
            ]
            for j in jobs
        ]
        print(render_table(["JOB", "MODEL", "VERSION", "STATE", "PROGRESS", "SPEED", "NOTE"], rows))
    if strays:
        total = sum(s.size_bytes for s in strays)
        print(f"\n{len(strays)} partial file(s) no job will resume ({format_size(total)}):")
        for stray in strays:
            print(f"  {stray.path}  {format_size(stray.size_bytes)}")
    return 0


def _progress_cell(job: JobInfo) -> str:
    if job.bytes_total:
        return f"{format_size(job.bytes_done)}/{format_size(job.bytes_total)}"
    return format_size(job.bytes_done) if job.bytes_done else ""


def cmd_pause(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    registry.pause_download(args.job_id)
    print(f"Paused download job {args.job_id}; the partial file is kept.")
    return 0


def cmd_cancel(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    registry.download_job(args.job_id)  # an unknown job is an error before anything is asked
    keep = args.keep_partial
    if keep is None:
        keep = _ask_keep_partial() if sys.stdin.isatty() else False
    registry.cancel_download(args.job_id, keep_partial=keep)
    kept = "kept" if keep else "deleted"
    print(f"Cancelled download job {args.job_id}; partial files {kept}.")
    return 0


def _ask_keep_partial() -> bool:
    answer = input(
        "Keep the part already downloaded, so a later download continues from there? [y/N] "
    )
    return answer.strip().lower() in ("y", "yes")


def cmd_remove(ctx: CliContext, args: argparse.Namespace) -> int:
    removed = ctx.registry.remove(args.model_id, args.model_version)
    print(f"Removed {args.model_id} {', '.join(removed)}.")
    return 0


def cmd_verify(ctx: CliContext, args: argparse.Namespace) -> int:
    started = time.monotonic()
    results = ctx.registry.verify(args.model_id)
    bad = [r for r in results if not r.intact]
    unverified = [r for r in results if r.status == "unverified"]
    if args.json:
        print_json({"ok": not bad and not unverified, "results": results})
    elif not results:
        print("Nothing is installed.", file=sys.stderr)
    else:
        rows = [[r.model_id, r.version, r.path, r.status, r.detail or ""] for r in results]
        print(render_table(["MODEL", "VERSION", "FILE", "STATUS", "DETAIL"], rows))
        ok = len(results) - len(bad) - len(unverified)
        print(
            f"{ok} ok, {len(unverified)} unverified, {len(bad)} with problems "
            f"({time.monotonic() - started:.1f} s).",
            file=sys.stderr,
        )
    # Exit 0 says "every file checked out"; an unverified file could not be checked.
    return 1 if bad or unverified else 0
