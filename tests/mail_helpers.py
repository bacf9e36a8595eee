"""Reading queued emails in tests: sensitive bodies are sealed, so SQL alone cannot.

A sensitive email (a code, an activation link) is stored encrypted
(``email_outbox.sealed_body``, ``body`` empty); these helpers open it with the data
directory's key, as the mailer does, so tests keep reading what the person receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlite_utils import Database

from portal.data import outbox
from portal.services import notifications


def body_of(db: Database, email_id: int) -> str:
    """The readable body of one queued email."""
    email = outbox.get_email(db, email_id)
    assert email is not None, f"no email {email_id}"
    return notifications.readable_body(db, email)


def bodies(
    db: Database, where: str = "", params: Sequence[Any] = (), *, newest_first: bool = False
) -> list[str]:
    """Readable bodies of the outbox rows matching an SQL ``where`` clause, by id."""
    clause = f"WHERE {where}" if where else ""
    order = "DESC" if newest_first else "ASC"
    rows = db.execute(f"SELECT id FROM email_outbox {clause} ORDER BY id {order}", list(params))
    return [body_of(db, int(r[0])) for r in rows.fetchall()]


def last_body(db: Database, where: str = "", params: Sequence[Any] = ()) -> str | None:
    """The readable body of the newest matching row, or None."""
    found = bodies(db, where, params, newest_first=True)
    return found[0] if found else None
