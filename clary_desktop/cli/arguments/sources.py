"""The arguments of `sources` (list, test, add, remove, move): where model files come from."""

from __future__ import annotations

from clary_desktop.cli.arguments import Handler, Subparsers
from clary_desktop.cli.parsing import whole_number

RUN = "clary_desktop.cli.source_commands"
position_arg = whole_number("a position", 1, 1000)


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "sources",
        help="where model files come from (Hub endpoints, URL mirrors), in order",
        description="Each file comes from the first source that has it; when a source "
        "fails, the next one continues. Without ACTION: list the sources.",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_sources"))
    actions = p.add_subparsers(
        dest="sources_action", metavar="ACTION", parser_class=subparsers._parser_class
    )
    t = actions.add_parser("test", help="check that each source (or NAME) answers")
    t.add_argument("name", metavar="NAME", nargs="?")
    t.add_argument("--json", action="store_true")
    t.set_defaults(handler=Handler(RUN, "cmd_sources_test"))

    a = actions.add_parser(
        "add",
        help="add a Hub endpoint or a URL mirror",
        description="A Hub source is a Hugging Face Hub or a mirror speaking its API "
        "(--hub without an address: the Hub of the hub_endpoint setting). A URL mirror "
        "serves plain-URL files under <address>/<host>/<path>, as `wget -x` lays them out.",
    )
    a.add_argument("name", metavar="NAME", help="a short name (letters, digits, . _ -)")
    kind = a.add_mutually_exclusive_group(required=True)
    kind.add_argument(
        "--hub",
        metavar="ADDRESS",
        nargs="?",
        const="",
        help="a Hub endpoint, e.g. https://artifactory.example/api/huggingfaceml/hf",
    )
    kind.add_argument("--url", metavar="ADDRESS", help="a URL mirror's base address")
    a.add_argument(
        "--token",
        metavar="TOKEN",
        help="the Hub source's token (sent to it alone); - reads it from standard input",
    )
    a.add_argument(
        "--position", type=position_arg, metavar="N", help="where in the list (1: first)"
    )
    a.set_defaults(handler=Handler(RUN, "cmd_sources_add"))

    r = actions.add_parser("remove", help="take a source out of the list")
    r.add_argument("name", metavar="NAME")
    r.set_defaults(handler=Handler(RUN, "cmd_sources_remove"))

    m = actions.add_parser("move", help="put a source at another place in the order")
    m.add_argument("name", metavar="NAME")
    m.add_argument("position", metavar="POSITION", type=position_arg, help="1 is tried first")
    m.set_defaults(handler=Handler(RUN, "cmd_sources_move"))
