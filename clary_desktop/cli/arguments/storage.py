"""The arguments of `import-file`, `export`, `import-bundle`, `storage` (report, reclaim,
move) and `hf-cache`."""

from __future__ import annotations

from pathlib import Path

from clary_desktop.cli.arguments import Handler, Subparsers
from clary_desktop.domain.import_modes import MODES

RUN = "clary_desktop.cli.storage_commands"


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser(
        "import-file", help="register a model file or folder you already have"
    )
    p.add_argument("path", metavar="PATH", type=Path)
    p.add_argument(
        "--id",
        dest="model_id",
        metavar="ID",
        help="the catalog model it is, or the id of a new local model "
        "(default: matched by sha256, else taken from the file name)",
    )
    p.add_argument(
        "--as",
        dest="mode",
        choices=MODES,
        default="copy",
        help="how the file gets into the models folder (default: copy)",
    )
    p.add_argument(
        "--type",
        dest="model_type",
        metavar="TYPE",
        help="type of a new local model (default: llm for GGUF, else other)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_import_file"))

    p = subparsers.add_parser("export", help="write installed models to an offline bundle")
    p.add_argument("model_ids", metavar="ID", nargs="+")
    p.add_argument(
        "--to",
        dest="target",
        metavar="PATH",
        type=Path,
        required=True,
        help="a new folder, or a file ending in .tar",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_export"))

    p = subparsers.add_parser("import-bundle", help="verify and install an offline bundle")
    p.add_argument("source", metavar="PATH", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_import_bundle"))

    p = subparsers.add_parser(
        "storage", help="disk use, partial downloads, orphan and missing files"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_storage"))
    actions = p.add_subparsers(
        dest="storage_action", metavar="ACTION", parser_class=subparsers._parser_class
    )
    r = actions.add_parser("reclaim", help="delete stray partial downloads and orphan files")
    r.add_argument("--yes", action="store_true", help="delete without asking")
    r.add_argument("--json", action="store_true")
    r.set_defaults(handler=Handler(RUN, "cmd_reclaim"))
    m = actions.add_parser("move", help="move the whole models folder to NEW_DIR")
    m.add_argument("new_dir", metavar="NEW_DIR", type=Path)
    m.add_argument("--keep-old", action="store_true", help="keep the old folder's copy")
    m.add_argument("--json", action="store_true")
    m.set_defaults(handler=Handler(RUN, "cmd_move"))

    p = subparsers.add_parser(
        "hf-cache", help="catalog models already in the local Hugging Face cache"
    )
    p.add_argument(
        "--link",
        dest="model_id",
        metavar="ID",
        help="install this model from the cache instead of downloading it",
    )
    p.add_argument(
        "--as",
        dest="mode",
        choices=("symlink", "hardlink", "copy"),
        default="symlink",
        help="how (default: symlink, no extra disk space)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=Handler(RUN, "cmd_hf_cache"))
