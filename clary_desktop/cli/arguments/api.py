"""The arguments of `apikey`, `use`, `usage`, `params`, `metrics` and `serve`."""

from __future__ import annotations

from clary_desktop.cli.arguments import Handler, Subparsers
from clary_desktop.cli.parsing import port_arg

RUN = "clary_desktop.cli.api_commands"


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("apikey", help="keys for the local API")
    sub = p.add_subparsers(dest="apikey_command", metavar="ACTION", parser_class=type(p))
    sub.required = True
    create = sub.add_parser("create", help="make a key (shown once)")
    create.add_argument("name", metavar="NAME")
    create.set_defaults(handler=Handler(RUN, "cmd_apikey_create"))
    listing = sub.add_parser("list", help="the keys and whether they are active")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=Handler(RUN, "cmd_apikey_list"))
    revoke = sub.add_parser("revoke", help="stop a key from working")
    revoke.add_argument("name", metavar="NAME")
    revoke.set_defaults(handler=Handler(RUN, "cmd_apikey_revoke"))

    p = subparsers.add_parser("use", help="select the installed model used for a task")
    p.add_argument("task", metavar="TASK", help="llm, layout, ocr, ...")
    p.add_argument("model_id", metavar="ID")
    p.set_defaults(handler=Handler(RUN, "cmd_use"))

    p = subparsers.add_parser("usage", help="the model selected for each task")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_usage"))

    p = subparsers.add_parser("params", help="show or set a model's parameters")
    p.add_argument("model_id", metavar="ID")
    p.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a parameter (repeatable), e.g. --set context_length=4096",
    )
    p.add_argument("--reset", action="store_true", help="go back to the catalog's values")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_params"))

    p = subparsers.add_parser("metrics", help="runs reported for a model")
    p.add_argument("model_id", metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_metrics"))

    p = subparsers.add_parser("serve", help="run the local API until Ctrl+C")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; others reach you otherwise)",
    )
    p.add_argument("--port", type=port_arg, default=8765, help="port (default 8765; 0 picks one)")
    p.set_defaults(handler=Handler(RUN, "cmd_serve"))
