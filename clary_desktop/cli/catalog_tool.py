"""`clary-catalog`: the vendor's tool to sign a catalog manifest for publishing.

    clary-catalog sign --key PRIVATE --in FILE --out FILE [--sequence N] [--kid KID]

The manifest is validated first; a signed catalog must carry a sequence number
higher than the last one published (clients refuse older ones).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from clary_desktop import __version__
from clary_desktop.cli.license_tool import read_signing_key
from clary_desktop.cli.parsing import Parser, run_handler
from clary_desktop.errors import ClaryError
from clary_desktop.licensing.ledger import write_atomically
from clary_desktop.registry.manifest import decode_json, parse_manifest, read_manifest_bytes
from clary_desktop.registry.signed_catalog import sign_catalog

PROG = "clary-catalog"



def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Sign Clary catalog manifests for publishing.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    sign = sub.add_parser("sign", help="validate and sign a manifest")
    sign.add_argument("--key", type=Path, required=True, metavar="PRIVATE")
    sign.add_argument("--in", dest="source", type=Path, required=True, metavar="FILE")
    sign.add_argument("--out", type=Path, required=True, metavar="FILE")
    sign.add_argument(
        "--sequence",
        type=int,
        metavar="N",
        help="sequence number to publish (default: the manifest's own)",
    )
    sign.add_argument("--kid", help="key id to write (default: the key file name)")
    sign.set_defaults(handler=cmd_sign)
    return parser


def cmd_sign(args: argparse.Namespace) -> int:
    private_key, kid = read_signing_key(args.key, args.kid)
    data = read_manifest_bytes(args.source)
    raw = decode_json(data, str(args.source))
    if not isinstance(raw, dict):
        raise ClaryError(f'{args.source}: must be a JSON object with a "models" list.')
    if args.sequence is not None:
        raw["sequence"] = args.sequence
    raw.setdefault("published_at", datetime.now(UTC).isoformat().replace("+00:00", "Z"))
    manifest = parse_manifest(raw, str(args.source))
    if manifest.sequence is None:
        raise ClaryError("a published catalog needs a sequence number: pass --sequence N.")
    payload = json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    write_atomically(args.out, sign_catalog(private_key, kid, payload))
    print(
        f"Signed {len(manifest.models)} entries (sequence {manifest.sequence}, key {kid}) "
        f"into {args.out}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_handler(PROG, lambda: args.handler(args), label=args.command)


if __name__ == "__main__":
    raise SystemExit(main())
