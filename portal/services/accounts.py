"""Accounts: who may log in, and their profile basics."""

from __future__ import annotations

from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import LANGUAGES
from portal.services import audit
from portal.services.passwords import hash_password, needs_rehash, verify_password

__all__ = ["Member", "check_password", "get_member", "set_language"]


def check_password(
    db: Database, login: str, password: str, *, ip: str | None = None
) -> Member | None:
    """Verify a login and password; the member if they may enter, else None.

    Unknown logins are verified against a dummy hash so the answer takes the same time.
    Only active accounts may enter. A hash made with old parameters is renewed.
    Runs in a worker thread (argon2 is deliberately slow).
    """
    member = members_data.get_member_by_login(db, login)
    stored = members_data.get_password_hash(db, member.id) if member else None
    ok = verify_password(stored, password)
    if member is None or not ok or member.status != "active":
        audit.record(
            db,
            "auth.password_failed",
            actor_id=member.id if member else None,
            organization_id=member.organization_id if member else None,
            target=login[:64],
            ip=ip,
        )
        return None
    if stored and needs_rehash(stored):
        members_data.set_password_hash(db, member.id, hash_password(password))
    return member


def get_member(db: Database, member_id: int) -> Member | None:
    """A member by id."""
    return members_data.get_member(db, member_id)


def set_language(db: Database, member: Member, language: str) -> Member:
    """Change a member's language (fr/en); returns the updated member."""
    if language not in LANGUAGES:
        raise ValueError(language)
    with transaction(db):
        members_data.set_language(db, member.id, language)
        audit.record(
            db,
            "account.language",
            actor_id=member.id,
            organization_id=member.organization_id,
            language=language,
        )
    updated = members_data.get_member(db, member.id)
    assert updated is not None
    return updated
