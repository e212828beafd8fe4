"""`license show` and `license install`: the user's side of the signed license.

What the commands do; their arguments are in `cli/arguments/licenses.py`.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from clary_desktop.cli.context import CliContext
from clary_desktop.cli.hints import with_hint
from clary_desktop.cli.output import print_json
from clary_desktop.domain.license_status import NO_LICENSE_TEXT, LicenseState, LicenseStatus


def cmd_show(ctx: CliContext, args: argparse.Namespace) -> int:
    status = ctx.registry.license_status()
    if args.json:
        print_json(status)
        return 0
    for key, value in _fields(status):
        print(f"{key.ljust(9)} {value}")
    return 0


def cmd_install(ctx: CliContext, args: argparse.Namespace) -> int:
    status = ctx.registry.install_license(args.file)
    print(
        f"Installed the license for {status.licensee} ({status.tier.label}, "
        f"expires {_date(status.expires_at)}) at {status.path}."
    )
    if status.reason:
        print(f"Warning: {with_hint(status.reason, status.hint)}")
    return 0


def _fields(status: LicenseStatus) -> list[tuple[str, str]]:
    if status.state is LicenseState.NONE:
        return [
            ("State", f"none: {NO_LICENSE_TEXT}"),
            ("Tier", status.tier.label),
            ("File", f"{status.path} (not present)"),
            ("Reason", with_hint(status.reason, status.hint) if status.reason else "-"),
        ]
    state = {LicenseState.GRACE: "in grace", LicenseState.INVALID: "invalid"}.get(
        status.state, status.state.value
    )
    fields = [("State", state), ("Tier", status.tier.label)]
    if status.licensee:
        fields.append(("Licensee", f"{status.licensee} <{status.email}>"))
    if status.expires_at:
        fields.append(("Expires", _date(status.expires_at)))
    if status.license_id:
        fields.append(("License", f"{status.license_id} (serial {status.serial})"))
    if status.path:
        fields.append(("File", status.path))
    if status.reason:
        fields.append(("Reason", with_hint(status.reason, status.hint)))
    return fields


def _date(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "-"
