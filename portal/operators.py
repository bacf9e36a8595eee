"""Operators' commands: ``portal org create``, ``portal user create``, ``portal members list``.

With them a real deployment starts from ``portal init --empty``: create the first
organization, invite its first manager (the command prints the one-time activation code
and the guest command to use it; the code is emailed too), then everything else is done
in the management screens. Plugged into ``portal`` by ``add_operator_commands(sub)``.
"""

from __future__ import annotations

import argparse
import sys

from portal.config import Settings

__all__ = ["add_operator_commands"]


def _open(settings: Settings):  # type: ignore[no-untyped-def]
    from portal.data.db import connect
    from portal.services.runtime import init_database

    init_database(settings, with_demo=False)
    return connect(settings.db_path)


def cmd_org_create(settings: Settings, args: argparse.Namespace) -> int:
    """Create an organization and print its identification key."""
    from portal.i18n import get_translator
    from portal.services import organization
    from portal.services.errors import PortalError

    db = _open(settings)
    try:
        created = organization.create_organization(db, args.name)
    except PortalError as error:
        print(error.text(get_translator("en")), file=sys.stderr)
        return 1
    finally:
        db.conn.close()
    print(f"Organization {created.name!r} created (id {created.id}).")
    print(f"Identification key for sign-ups: {created.identification_key}")
    return 0


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> int:
    """Invite a manager or admin and print their one-time activation code."""
    from portal.data import directory as directory_data
    from portal.i18n import get_translator
    from portal.services import invitations
    from portal.services.errors import PortalError

    db = _open(settings)
    try:
        organization_id = None
        if args.org:
            organization_id = directory_data.organization_id_by_name(db, args.org)
            if organization_id is None:
                print(f"No organization named {args.org!r}.", file=sys.stderr)
                return 1
        try:
            member, code = invitations.invite_by_operator(
                db,
                organization_id=organization_id,
                login=args.login,
                email=args.email,
                role=args.role,
                first_name=args.first_name or args.login.capitalize(),
                last_name=args.last_name or args.role.capitalize(),
                language=args.language,
                settings=settings,
            )
        except PortalError as error:
            print(error.text(get_translator("en")), file=sys.stderr)
            return 1
    finally:
        db.conn.close()
    where = f" of {member.organization_name}" if member.organization_name else ""
    print(f"Account {member.login!r} ({member.role}{where}) invited; email sent to {args.email}.")
    print("To activate it (once, within 7 days), connect to the guest entry:")
    print(f"    {invitations.guest_command(settings)}")
    print(f'choose "Activate an invited account" and type this code: {code}')
    return 0


def cmd_members_list(settings: Settings, args: argparse.Namespace) -> int:
    """Print an organization's accounts: login, role, status, name, email."""
    from portal.data import directory as directory_data
    from portal.data import members as members_data

    db = _open(settings)
    try:
        organization_id = directory_data.organization_id_by_name(db, args.org)
        if organization_id is None:
            print(f"No organization named {args.org!r}.", file=sys.stderr)
            return 1
        rows = members_data.list_members(db, organization_id)
    finally:
        db.conn.close()
    for m in rows:
        print(f"{m.login:<24} {m.role:<8} {m.status:<12} {m.full_name:<32} {m.org_email}")
    print(f"{len(rows)} account(s).")
    return 0


def add_operator_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``org``, ``user`` and ``members`` to the ``portal`` command's sub-commands."""
    org = sub.add_parser("org", help="organizations: create")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    create = org_sub.add_parser("create", help="create an organization (prints its key)")
    create.add_argument("name", help='its name, e.g. "CSE Acme"')
    create.set_defaults(func=cmd_org_create)

    user = sub.add_parser("user", help="accounts: create a manager or an admin")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    ucreate = user_sub.add_parser(
        "create", help="invite a manager or admin (prints a one-time activation code)"
    )
    ucreate.add_argument("login", help="the login (never changes)")
    ucreate.add_argument("--org", help="the organization's name (required for a manager)")
    ucreate.add_argument("--role", choices=("manager", "admin"), required=True)
    ucreate.add_argument("--email", required=True, help="where the invitation is sent")
    ucreate.add_argument("--first-name", help="first name (default: the login)")
    ucreate.add_argument("--last-name", help="last name (default: the role)")
    ucreate.add_argument("--language", choices=("fr", "en"), default="fr")
    ucreate.set_defaults(func=cmd_user_create)

    members = sub.add_parser("members", help="accounts of an organization: list")
    members_sub = members.add_subparsers(dest="members_command", required=True)
    mlist = members_sub.add_parser("list", help="list an organization's accounts")
    mlist.add_argument("--org", required=True, help="the organization's name")
    mlist.set_defaults(func=cmd_members_list)
