"""Members' data rights (GDPR): deletion requests, and the two guards erasure relaxes.

``deletion_requests`` holds a member's request to have their account deleted, until a
manager confirms (or refuses) it. Confirming anonymises the account, which two
append-only guards would refuse:

- the login never changes, except into its pseudonym ``deleted-<id>``;
- the audit log stays append-only, except for rewriting the ``target`` and ``details``
  of rows while an erasure is under way: ``erasure_in_progress`` holds one row only
  inside the erasure's own transaction (``BEGIN IMMEDIATE``: no other writer runs then),
  so no other code path can ever update the log. Dates, actors and actions never change.
"""

from __future__ import annotations

from sqlite_utils import Database

NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"

STATEMENTS = (
    f"""CREATE TABLE deletion_requests (
        id INTEGER PRIMARY KEY,
        member_id INTEGER NOT NULL REFERENCES members(id),
        organization_id INTEGER REFERENCES organizations(id),
        reason TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'requested'
            CHECK (status IN ('requested', 'cancelled', 'refused', 'done')),
        requested_at TEXT NOT NULL DEFAULT {NOW},
        decided_at TEXT,
        decided_by INTEGER REFERENCES members(id)
    )""",
    "CREATE UNIQUE INDEX deletion_requests_open ON deletion_requests(member_id)"
    " WHERE status = 'requested'",
    "CREATE INDEX deletion_requests_org ON deletion_requests(organization_id, status)",
    "CREATE TABLE erasure_in_progress (id INTEGER PRIMARY KEY CHECK (id = 1))",
    "DROP TRIGGER members_login_immutable",
    """CREATE TRIGGER members_login_immutable BEFORE UPDATE OF login ON members
    WHEN NEW.login IS NOT OLD.login AND NEW.login IS NOT ('deleted-' || OLD.id)
    BEGIN SELECT RAISE(ABORT, 'login is immutable'); END""",
    "DROP TRIGGER audit_no_update",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
    WHEN NOT EXISTS (SELECT 1 FROM erasure_in_progress)
        OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.actor_id IS NOT OLD.actor_id
        OR NEW.organization_id IS NOT OLD.organization_id OR NEW.action IS NOT OLD.action
        OR NEW.ip IS NOT OLD.ip
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
)


def up(db: Database) -> None:
    """Create the deletion requests and relax the guards for erasure only."""
    for statement in STATEMENTS:
        db.execute(statement)
