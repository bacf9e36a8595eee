"""The guest entry's organization list and logins settled at validation.

- ``organizations.guest_listed``: whether the organization is named in the list a guest
  sees after typing ``0`` (no identification key). Off by default: an organization is
  only listed when a manager or an admin opts in.
- Pending sign-up requests no longer reserve their login (the unique index goes): the
  guest entry must answer alike whether a login is free or not, so two applicants may
  want the same login, and the validation gives a taken one a free variant.
"""

from __future__ import annotations

from sqlite_utils import Database


def up(db: Database) -> None:
    """Add the opt-in flag; make the pending-login index a plain one."""
    db.execute(
        "ALTER TABLE organizations ADD COLUMN guest_listed INTEGER NOT NULL DEFAULT 0"
        " CHECK (guest_listed IN (0, 1))"
    )
    db.execute("DROP INDEX IF EXISTS signup_pending_login")
    db.execute(
        "CREATE INDEX signup_pending_login ON signup_requests(login) WHERE status = 'pending'"
    )
