"""`clary-license`: the vendor's tool to make a signing key pair and issue licenses.

    clary-license keygen --out DIR [--name NAME]
    clary-license issue --key PRIVATE --tier T --licensee NAME --email E --days N
                        [--serial N] [--grace-days N] [--license-id ID] --out FILE

The private key never belongs in the repository: keep it with the vendor's secrets.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from clary_desktop import __version__
from clary_desktop.cli.parsing import Parser, run_handler
from clary_desktop.domain.access import Tier
from clary_desktop.domain.signing import KID_PATTERN
from clary_desktop.domain.signing_keys import (
    MAX_KEY_FILE_BYTES,
    PRIVATE_SUFFIX,
    PUBLIC_SUFFIX,
    key_id_for,
    load_private_key,
    private_pem,
    public_pem,
)
from clary_desktop.errors import ClaryError
from clary_desktop.licensing.issue import DEFAULT_GRACE_DAYS, new_payload, sign_license
from clary_desktop.licensing.ledger import write_atomically
from clary_desktop.licensing.payload import first_problem
from clary_desktop.userfiles import read_user_file

PROG = "clary-license"


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="Make signing keys and issue Clary license files.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    keygen = sub.add_parser("keygen", help="write a new Ed25519 key pair <kid>.key + <kid>.pub")
    keygen.add_argument("--out", type=Path, required=True, metavar="DIR")
    keygen.add_argument("--name", default="clary", help="key id prefix (default: clary)")
    keygen.set_defaults(handler=cmd_keygen)

    issue = sub.add_parser("issue", help="sign a license file")
    issue.add_argument(
        "--key",
        type=Path,
        required=True,
        metavar="PRIVATE",
        help="the private key file (<kid>.key); its name gives the key id",
    )
    issue.add_argument("--tier", required=True, choices=[t.key for t in Tier])
    issue.add_argument("--licensee", required=True, metavar="NAME")
    issue.add_argument("--email", required=True, metavar="E")
    issue.add_argument(
        "--days", type=_positive, required=True, metavar="N", help="valid for N days from now"
    )
    issue.add_argument(
        "--serial",
        type=_positive,
        default=1,
        metavar="N",
        help="raise it for each reissue of the same license id (default: 1)",
    )
    issue.add_argument(
        "--grace-days",
        type=_positive,
        default=DEFAULT_GRACE_DAYS,
        metavar="N",
        help=f"days the tier is kept after expiry (default: {DEFAULT_GRACE_DAYS})",
    )
    issue.add_argument(
        "--license-id",
        metavar="ID",
        help="reuse the id of the license this one renews (default: a new id)",
    )
    issue.add_argument("--kid", help="key id to write (default: the key file name)")
    issue.add_argument("--out", type=Path, required=True, metavar="FILE")
    issue.set_defaults(handler=cmd_issue)
    return parser


def cmd_keygen(args: argparse.Namespace) -> int:
    private_key = Ed25519PrivateKey.generate()
    try:
        kid = key_id_for(private_key.public_key(), args.name)
    except ValueError as error:
        raise ClaryError(str(error)) from None
    args.out.mkdir(parents=True, exist_ok=True)
    private_path = args.out / f"{kid}{PRIVATE_SUFFIX}"
    public_path = args.out / f"{kid}{PUBLIC_SUFFIX}"
    # O_EXCL: never overwrite a key; 0600 from the start, not chmod after writing.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem(private_key))
    write_atomically(public_path, public_pem(private_key.public_key()))
    print(f"Key id:      {kid}")
    print(f"Private key: {private_path}  (keep it secret; never commit it)")
    print(f"Public key:  {public_path}  (ship it in resources/keys/)")
    return 0


def read_signing_key(path: Path, kid: str | None) -> tuple[Ed25519PrivateKey, str]:
    """The vendor's private key and its key id (from --kid, else the file name)."""
    try:
        private_key = load_private_key(read_user_file(path, MAX_KEY_FILE_BYTES))
    except (ValueError, TypeError) as error:
        raise ClaryError(f"{path} is not an Ed25519 private key in PEM ({error}).") from None
    kid = kid or path.name.removesuffix(PRIVATE_SUFFIX)
    if not re.fullmatch(KID_PATTERN, kid):
        raise ClaryError(
            f"{kid!r} is not a valid key id; name the key file <kid>.key or "
            "pass --kid (letters, digits, - . _)."
        )
    return private_key, kid


def cmd_issue(args: argparse.Namespace) -> int:
    private_key, kid = read_signing_key(args.key, args.kid)
    try:
        payload = new_payload(
            tier=args.tier,
            licensee=args.licensee,
            email=args.email,
            days=args.days,
            serial=args.serial,
            grace_days=args.grace_days,
            license_id=args.license_id,
        )
    except ValidationError as error:
        raise ClaryError(f"cannot issue this license ({first_problem(error)}).") from None
    except OverflowError:
        raise ClaryError("--days is too large.") from None
    try:
        data = sign_license(private_key, kid, payload)
    except ValueError as error:  # e.g. a key id the format does not allow
        raise ClaryError(f"cannot issue this license ({error}).") from None
    write_atomically(args.out, data)
    print(f"Wrote a {payload.tier} license for {payload.licensee} <{payload.email}> to {args.out}")
    print(
        f"  license id {payload.license_id}, serial {payload.serial}, key {kid}, "
        f"expires {payload.expires_at:%Y-%m-%d %H:%M} UTC (+{payload.grace_days} days grace)"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_handler(PROG, lambda: args.handler(args), label=args.command)


if __name__ == "__main__":
    raise SystemExit(main())
