"""The arguments of `download`, `downloads`, `pause`, `resume`, `cancel`, `remove` and
`verify`."""

from __future__ import annotations

from clary_desktop.cli.arguments import Handler, Subparsers
from clary_desktop.cli.parsing import job_id_arg

RUN = "clary_desktop.cli.download_commands"


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("download", help="download a model, verified, and install it")
    p.add_argument("model_id", metavar="ID")
    p.add_argument(
        "--version", dest="model_version", metavar="V", help="this version (default: the newest)"
    )
    p.add_argument("--force", action="store_true", help="download again even if installed")
    p.set_defaults(handler=Handler(RUN, "cmd_download"))

    p = subparsers.add_parser("downloads", help="the download queue and history")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_downloads"))

    p = subparsers.add_parser("pause", help="pause a download (the partial file is kept)")
    p.add_argument("job_id", metavar="JOB", type=job_id_arg)
    p.set_defaults(handler=Handler(RUN, "cmd_pause"))

    p = subparsers.add_parser("resume", help="resume a paused or failed download here")
    p.add_argument("job_id", metavar="JOB", type=job_id_arg)
    p.set_defaults(handler=Handler(RUN, "cmd_resume"))

    p = subparsers.add_parser("cancel", help="cancel a download")
    p.add_argument("job_id", metavar="JOB", type=job_id_arg)
    keep = p.add_mutually_exclusive_group()
    keep.add_argument(
        "--keep-partial",
        dest="keep_partial",
        action="store_true",
        default=None,
        help="keep the partial file to resume later with `download`",
    )
    keep.add_argument(
        "--delete-partial",
        dest="keep_partial",
        action="store_false",
        help="delete the partial file (the default when nobody can be asked)",
    )
    p.set_defaults(handler=Handler(RUN, "cmd_cancel"))

    p = subparsers.add_parser("remove", help="delete an installed model from disk")
    p.add_argument("model_id", metavar="ID")
    p.add_argument(
        "--version",
        dest="model_version",
        metavar="V",
        help="only this version (default: every installed version)",
    )
    p.set_defaults(handler=Handler(RUN, "cmd_remove"))

    p = subparsers.add_parser("verify", help="re-hash installed files: ok, corrupt or missing")
    p.add_argument("model_id", metavar="ID", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_verify"))
