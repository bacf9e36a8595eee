"""`portal renew YEAR`: the yearly renewal of allocations, for cron or an operator.

Lapses what is left of ended allocations, then creates YEAR's program, under YEAR's name,
for every program of YEAR - 1 that its organization continues, and credits its members.
Running it twice changes nothing. Gift vouchers that would become liable to social
contributions (the URSSAF rule, against each member's year) are listed and the renewal
refused unless ``--acknowledge-urssaf`` is given. Plugged into the ``portal`` command by
``add_renew_command(sub)`` in ``portal/cli.py``.
"""

from __future__ import annotations

import argparse

from portal.config import Settings

__all__ = ["add_renew_command", "cmd_renew"]


def cmd_renew(settings: Settings, args: argparse.Namespace) -> int:
    """Renew the allocations of ``args.year`` (all organizations, or ``--organization``)."""
    from portal.data import members as members_data
    from portal.data.db import connect, migrate
    from portal.services import renewal
    from portal.services.runtime import init_database

    init_database(settings, with_demo=False)
    db = connect(settings.db_path)
    try:
        migrate(db)
        organization_id = None
        if args.organization:
            found = [o for o in members_data.list_organizations(db) if o.name == args.organization]
            if not found:
                print(f"No organization named {args.organization!r}.")
                return 1
            organization_id = found[0].id
        preview = renewal.preview_renewal(
            db, args.year, settings=settings, organization_id=organization_id
        )
        for warning in preview.warnings:
            print(
                f"URSSAF: {warning.name}: {warning.total_cents / 100:.2f} EUR of gift vouchers"
                f" ({warning.event or 'no event'}) for a limit of"
                f" {warning.threshold_cents / 100:.2f} EUR: {warning.liable_cents / 100:.2f}"
                " EUR liable"
            )
        if preview.warnings and not args.acknowledge_urssaf:
            print("Nothing renewed: run again with --acknowledge-urssaf to go on.")
            return 1
        result = renewal.renew(
            db,
            args.year,
            organization_id=organization_id,
            settings=settings,
            acknowledge_urssaf=args.acknowledge_urssaf,
        )
    finally:
        db.conn.close()
    print(
        f"Renewed for {result.year}: {result.programs} program(s), "
        f"{result.allocations} member allocation(s); {result.lapsed} ended allocation(s) lapsed."
    )
    return 0


def add_renew_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``renew`` to the ``portal`` command's sub-commands."""
    renew = sub.add_parser(
        "renew",
        help="credit a year's allocations for the programs organizations continue",
    )
    renew.add_argument("year", type=int, help="the year to credit (e.g. 2027)")
    renew.add_argument("--organization", help="only this organization (by name)")
    renew.add_argument(
        "--acknowledge-urssaf",
        action="store_true",
        help="renew although some gift vouchers become liable to social contributions",
    )
    renew.set_defaults(func=cmd_renew)
