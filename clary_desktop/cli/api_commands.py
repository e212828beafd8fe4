"""`apikey`, `use`, `usage`, `params`, `metrics` and `serve`: the local API and
what the document pipeline uses.

What the commands do; their arguments are in `cli/arguments/api.py`.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any

from clary_desktop.cli.context import CliContext
from clary_desktop.cli.output import print_json, render_table
from clary_desktop.domain.hosts import is_loopback
from clary_desktop.domain.pipeline_values import UsageInfo
from clary_desktop.errors import ClaryError
from clary_desktop.formatting import format_size


def cmd_apikey_create(ctx: CliContext, args: argparse.Namespace) -> int:
    info, secret = ctx.registry.create_api_key(args.name)
    print(secret)
    print(
        f"Created API key {info.name!r} for the {ctx.registry.tier.key} tier. Keep it now: "
        "it is not shown again.",
        file=sys.stderr,
    )
    return 0


def cmd_apikey_list(ctx: CliContext, args: argparse.Namespace) -> int:
    keys = ctx.registry.list_api_keys()
    if args.json:
        print_json({"keys": keys})
        return 0
    if not keys:
        print("No API keys. Make one with `clary-models apikey create NAME`.", file=sys.stderr)
        return 0
    rows = [
        [
            k.name,
            k.prefix + "…",
            k.created_at.strftime("%Y-%m-%d %H:%M"),
            k.last_used_at.strftime("%Y-%m-%d %H:%M") if k.last_used_at else "never",
            "active" if k.active else "revoked",
        ]
        for k in keys
    ]
    print(render_table(["NAME", "KEY", "CREATED", "LAST USED", "STATE"], rows))
    return 0


def cmd_apikey_revoke(ctx: CliContext, args: argparse.Namespace) -> int:
    ctx.registry.revoke_api_key(args.name)
    print(f"Revoked API key {args.name!r}.")
    return 0


def cmd_use(ctx: CliContext, args: argparse.Namespace) -> int:
    info = ctx.registry.use_model(args.task, args.model_id)
    print(f"The {info.task} task now uses {info.model_id} {info.version} ({info.path}).")
    return 0


def cmd_usage(ctx: CliContext, args: argparse.Namespace) -> int:
    selections = ctx.registry.usages()
    if args.json:
        print_json(
            {
                "tasks": [
                    s if isinstance(s, UsageInfo) else {"task": s[0], "error": s[1]}
                    for s in selections
                ]
            }
        )
        return 0
    if not selections:
        print("No model is selected for any task. Use `clary-models use TASK ID`.", file=sys.stderr)
        return 0
    rows = [
        [s.task, s.model_id, s.version, s.path]
        if isinstance(s, UsageInfo)
        else [s[0], "-", "-", s[1]]
        for s in selections
    ]
    print(render_table(["TASK", "MODEL", "VERSION", "PATH"], rows))
    return 0


def _parse_assignment(text: str) -> tuple[str, Any]:
    name, sep, raw = text.partition("=")
    if not sep or not name:
        raise ClaryError(f"--set needs NAME=VALUE, not {text!r}.")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    except (ValueError, RecursionError):  # a number of thousands of digits, deep nesting
        shown = raw if len(raw) <= 24 else raw[:20] + "..."
        raise ClaryError(
            f"--set {name.strip()}: {shown!r} is not a value Clary can read."
        ) from None
    return name.strip(), value


def cmd_params(ctx: CliContext, args: argparse.Namespace) -> int:
    registry = ctx.registry
    if args.reset:
        registry.reset_model_parameters(args.model_id)
    if args.assignments:
        values = dict(_parse_assignment(a) for a in args.assignments)
        params = registry.set_model_parameters(args.model_id, values)
    else:
        params = registry.model_parameters(args.model_id)
    if args.json:
        print_json({"model_id": args.model_id, "parameters": params})
    else:
        print(render_table(["PARAMETER", "VALUE"], [[k, str(v)] for k, v in params.items()]))
    return 0


def cmd_metrics(ctx: CliContext, args: argparse.Namespace) -> int:
    perf = ctx.registry.performance(args.model_id)
    if args.json:
        print_json(perf)
        return 0
    runs = perf.runs

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} ms"

    speed = perf.download_bytes_per_second
    rows = [
        ["Installed version", perf.installed_version or "not installed"],
        ["Size on disk", format_size(perf.size_on_disk) if perf.size_on_disk is not None else "-"],
        ["Last download", "-" if speed is None else f"{format_size(int(speed))}/s"],
        [
            "Last verification",
            "-" if perf.verify_seconds is None else f"{perf.verify_seconds:.2f} s",
        ],
    ]
    if perf.gguf is not None:
        g = perf.gguf
        rows += [
            ["GGUF architecture", g.architecture or "-"],
            ["GGUF quantization", g.quantization or "-"],
            ["GGUF context length", str(g.context_length or "-")],
            ["GGUF parameters", f"{g.parameter_count:,}" if g.parameter_count else "-"],
        ]
    throughput = runs.mean_throughput
    rows += [
        ["Runs", f"{runs.runs} ({runs.failures} failed)"],
        ["Latency", f"median {ms(runs.median_latency_ms)}, p95 {ms(runs.p95_latency_ms)}"],
        ["Throughput", "-" if throughput is None else f"{throughput:.2f}/s (mean)"],
    ]
    print(render_table(["METRIC", "VALUE"], rows))
    return 0


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def cmd_serve(ctx: CliContext, args: argparse.Namespace) -> int:
    # FastAPI and uvicorn load only for the command that serves (heavy, slow to import).
    from clary_desktop.api.server import ApiServer

    ctx.registry.require_api_allowed(args.host, args.port)
    if not is_loopback(args.host):
        print(
            f"Warning: listening on {args.host} makes the API reachable from other machines; "
            "every caller still needs an API key.",
            file=sys.stderr,
        )
    # Ctrl+C and a plain `kill` both stop the server cleanly, also when a shell started
    # it in the background (which makes it ignore SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    server = ApiServer(ctx.registry, host=args.host, port=args.port)
    server.start()
    print(
        f"Clary Desktop API on {server.url} (OpenAPI: {server.url}/openapi.json). Ctrl+C stops it.",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
