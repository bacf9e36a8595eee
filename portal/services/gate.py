"""The authentication gate: who may enter, how fast one may retry, when an account locks.

Every answer of the gate to a failed try is the same ("Permission denied" at the SSH layer)
whatever the cause: unknown login, wrong password, wrong code, locked, pending or
deactivated account. Unknown logins are verified against a dummy hash so that timing does
not tell either, and they are throttled exactly like real ones (counters are keyed by the
login as typed, not by a member id).

Delays rise with the failures of the account and of the client address; the SSH layer
waits them (with an injectable sleep, so that tests never wait). After ``lock_after``
consecutive failures the account locks for ``lock_seconds`` and its member gets an email.
Every try is audited, never with the secret.

This module also holds the refusals the guest entry shares (``GateError``, a sentence for
the user); its checks of logins, emails, names and codes are in ``guest_checks``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import identity_gate as gate_data
from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_, get_translator
from portal.services import audit, emails, notifications
from portal.services.crypto import SecretBox
from portal.services.emails import Template
from portal.services.errors import PortalError
from portal.services.passwords import hash_password, needs_rehash, verify_password

log = logging.getLogger(__name__)

__all__ = [
    "Attempt",
    "GateError",
    "GatePolicy",
    "KeyMatch",
    "WeakPassword",
    "WrongCode",
    "check_code",
    "check_key",
    "check_password",
    "password_hash_of",
    "login_succeeded",
    "wait_before",
]

ACCOUNT = "account"
IP = "ip"


# -- errors shown to the user ----------------------------------------------------------------


class GateError(PortalError):
    """Bad input at the gate or the guest entry (see ``services.errors``)."""


class WrongCode(GateError):
    """A wrong, used or expired key or code: a guess, which the guest entry counts."""


class WeakPassword(GateError):
    """The password does not follow the policy; ``problems`` lists why (already worded)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(N_("This password is too weak."))
        self.problems = problems


# -- policy ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatePolicy:
    """How the gate slows down and locks after failures (real defaults; tests shrink them)."""

    delay_base: float = 1.0
    """Seconds of delay after the first counted failure; each further failure doubles it."""
    delay_max: float = 30.0
    """Longest delay, in seconds."""
    free_ip_failures: int = 3
    """Failures from one client address before its own delays start (offices share NATs)."""
    lock_after: int = 10
    """Consecutive failures after which an account locks."""
    lock_seconds: float = 15 * 60
    """How long a locked account stays locked."""
    forget_after: float = 60 * 60
    """A failure older than this no longer counts (counters start again from zero)."""
    max_key_offers: int = 20
    """Public keys a client may offer on one connection before the method is withdrawn."""

    def delay(self, account_failures: int, ip_failures: int) -> float:
        """Seconds to wait after a failure, given both counters as they now stand."""
        worst = max(account_failures, ip_failures - self.free_ip_failures)
        if worst <= 0:
            return 0.0
        return float(min(self.delay_max, self.delay_base * 2 ** (worst - 1)))


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """What one try at the gate gave."""

    member: Member | None
    """The member when the step succeeded, else None."""
    needs_code: bool = False
    """The password was right and 2FA is on: ask the verification code next."""
    delay: float = 0.0
    """Seconds to wait before answering a failure."""

    @property
    def ok(self) -> bool:
        """True when the step succeeded."""
        return self.member is not None


@dataclass(frozen=True)
class KeyMatch:
    """A public key registered by an active, unlocked member."""

    member: Member
    needs_code: bool


# -- the gate ----------------------------------------------------------------------------------


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _account_key(login: str) -> str:
    return login.strip().lower()[:128]


def _locked(db: Database, login: str, now: float) -> bool:
    throttle = gate_data.get_throttle(db, ACCOUNT, _account_key(login))
    return bool(throttle and throttle.locked_until and throttle.locked_until > now)


def _organization_open(db: Database, member: Member) -> bool:
    """Whether the member's organization is active (an admin deactivates organizations)."""
    from portal.data import org_admin as org_data

    return member.organization_id is None or org_data.is_active(db, member.organization_id)


def _twofactor_enabled(db: Database, member_id: int) -> bool:
    from portal.services import twofactor

    return bool(twofactor.is_enabled(db, member_id))


def wait_before(
    db: Database, login: str, ip: str | None, *, policy: GatePolicy, now: float | None = None
) -> float:
    """Seconds a new try must still wait because of recent failures (from any connection).

    A connection that waited after its own failure never waits twice; this catches tries
    made in parallel over several connections.
    """
    now = _now(now)
    account = gate_data.get_throttle(db, ACCOUNT, _account_key(login))
    address = gate_data.get_throttle(db, IP, ip or "?")
    waits = [0.0]
    recent = now - policy.forget_after
    if account is not None and account.last_failure_at >= recent:
        waits.append(account.last_failure_at + policy.delay(account.failures, 0) - now)
    if address is not None and address.last_failure_at >= recent:
        waits.append(address.last_failure_at + policy.delay(0, address.failures) - now)
    return max(0.0, min(policy.delay_max, max(waits)))


def check_password(
    db: Database,
    login: str,
    password: str,
    *,
    ip: str | None,
    policy: GatePolicy,
    now: float | None = None,
    verified: tuple[str | None, bool] | None = None,
    rehashed: str | None = None,
) -> Attempt:
    """The first step: login and password.

    Always verifies one argon2 hash (a dummy one for unknown logins), so the answer takes
    the same time whether the login exists or not. Runs in a worker thread.

    ``verified`` is ``(hash, ok)`` when the caller already checked the password against
    the hash ``password_hash_of`` returned (the SSH gate does, in its hashing threads, so
    as not to hold a database worker for it); it counts only if that hash is still the
    stored one. ``rehashed`` is the caller's new hash when that one was made with old
    parameters (see ``passwords.HashPool.rehash``).
    """
    now = _now(now)
    member = members_data.get_member_by_login(db, login)
    stored = members_data.get_password_hash(db, member.id) if member else None
    if verified is not None and verified[0] == stored:
        ok = verified[1]
    else:
        ok = verify_password(stored, password)
    locked = _locked(db, login, now)
    closed = member is not None and not _organization_open(db, member)
    if member is None or not ok or member.status != "active" or locked or closed:
        if member is None:
            reason = "unknown"
        elif locked:
            reason = "locked"
        elif not ok:
            reason = "password"
        elif closed:
            reason = "organization"
        else:
            reason = member.status
        return _failure(
            db,
            login,
            member,
            ip=ip,
            step="password",
            reason=reason,
            counts=not locked,
            policy=policy,
            now=now,
        )
    if stored and needs_rehash(stored):
        members_data.set_password_hash(db, member.id, rehashed or hash_password(password))
    return Attempt(member, needs_code=_twofactor_enabled(db, member.id))


def password_hash_of(db: Database, login: str) -> str | None:
    """The stored hash of ``login``'s password (None: no such login, or no password)."""
    member = members_data.get_member_by_login(db, login)
    return members_data.get_password_hash(db, member.id) if member else None


def check_code(
    db: Database,
    box: SecretBox,
    member_id: int,
    code: str,
    *,
    ip: str | None,
    policy: GatePolicy,
    now: float | None = None,
) -> Attempt:
    """The second step: a TOTP code (or a recovery code, once) after a right first step."""
    now = _now(now)
    member = members_data.get_member(db, member_id)
    if member is None:
        return Attempt(None)
    from portal.services import twofactor

    if (
        member.status != "active"
        or _locked(db, member.login, now)
        or not _organization_open(db, member)
    ):
        return _failure(
            db,
            member.login,
            member,
            ip=ip,
            step="code",
            reason="locked",
            counts=False,
            policy=policy,
            now=now,
        )
    if not twofactor.verify_code(db, box, member.id, code.strip(), now=now):
        return _failure(
            db,
            member.login,
            member,
            ip=ip,
            step="code",
            reason="code",
            counts=True,
            policy=policy,
            now=now,
        )
    return Attempt(member)


def check_key(
    db: Database, login: str, key: str, *, ip: str | None, now: float | None = None
) -> KeyMatch | None:
    """Whether ``key`` (OpenSSH public key text) was registered by this login's member.

    Keys that do not match are audited but not counted as failures: clients offer every key
    they hold, and a public key is no secret that could be guessed.
    """
    now = _now(now)
    from portal.services import ssh_keys

    member = members_data.get_member_by_login(db, login)
    matches = member is not None and bool(ssh_keys.member_key_matches(db, login, key))
    if (
        member is None
        or not matches
        or member.status != "active"
        or _locked(db, login, now)
        or not _organization_open(db, member)
    ):
        audit.record(
            db,
            "auth.failed",
            actor_id=member.id if member else None,
            organization_id=member.organization_id if member else None,
            target=login[:64],
            ip=ip,
            step="publickey",
            reason="key" if member and not matches else "refused",
        )
        return None
    return KeyMatch(member, needs_code=_twofactor_enabled(db, member.id))


def login_succeeded(
    db: Database,
    member_id: int,
    *,
    ip: str | None,
    method: str,
    twofactor: bool,
    key: str | None = None,
) -> Member | None:
    """Record a complete login: the account's failures are forgotten, the login audited.

    Returns:
        The member as stored now (None if they vanished, or their account or organization
        was deactivated, meanwhile).
    """
    member = members_data.get_member(db, member_id)
    if member is None or member.status != "active" or not _organization_open(db, member):
        return None
    with transaction(db):
        gate_data.clear_throttle(db, ACCOUNT, _account_key(member.login))
        audit.record(
            db,
            "auth.login",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=member.login,
            ip=ip,
            method=method,
            twofactor=twofactor,
        )
    if key is not None:
        from portal.services import ssh_keys

        ssh_keys.record_key_use(db, member.login, key)
    return member


def guest_entered(db: Database, *, ip: str | None) -> None:
    """Audit an opening of the guest entry."""
    audit.record(db, "auth.guest", ip=ip)


def _failure(
    db: Database,
    login: str,
    member: Member | None,
    *,
    ip: str | None,
    step: str,
    reason: str,
    counts: bool,
    policy: GatePolicy,
    now: float,
) -> Attempt:
    """Count, audit, and maybe lock, in one transaction; returns the delay to wait."""
    key = _account_key(login)
    with transaction(db):
        gate_data.prune_throttles(db, now - max(policy.forget_after, policy.lock_seconds) * 2)
        address = gate_data.add_failure(
            db, IP, ip or "?", now, forget_before=now - policy.forget_after
        )
        existing = gate_data.get_throttle(db, ACCOUNT, key)
        # A locked account is not counted further, but waits as long as its failures say,
        # so that the delay does not tell a locked account from one being guessed at.
        account_failures = existing.failures if existing else 0
        if counts:
            if existing and existing.locked_until and existing.locked_until <= now:
                gate_data.clear_throttle(db, ACCOUNT, key)  # the lock is over: start afresh
            account = gate_data.add_failure(
                db, ACCOUNT, key, now, forget_before=now - policy.forget_after
            )
            account_failures = account.failures
        audit.record(
            db,
            "auth.failed",
            actor_id=member.id if member else None,
            organization_id=member.organization_id if member else None,
            target=login[:64],
            ip=ip,
            step=step,
            reason=reason,
            failures=account_failures,
        )
        if counts and account_failures == policy.lock_after:
            until = now + policy.lock_seconds
            gate_data.set_locked_until(db, ACCOUNT, key, until)
            audit.record(
                db,
                "auth.account_locked",
                actor_id=member.id if member else None,
                organization_id=member.organization_id if member else None,
                target=login[:64],
                ip=ip,
                failures=account_failures,
                minutes=int(policy.lock_seconds // 60),
            )
            if member is not None:
                _send_lock_email(db, member, until, account_failures)
    return Attempt(None, delay=policy.delay(account_failures, address.failures))


def recipient(db: Database, member: Member) -> str:
    """Where a member's email goes: their verified contact address, else the organization's."""
    return notifications.recipient_for(db, member.id)


ACCOUNT_LOCKED = Template(
    subject=N_("Your Portal account is locked for a while"),
    body=N_(
        "Hello {name},\n\n"
        'After {failures} failed attempts to sign in, your account "{login}" is locked '
        "until {until} (Paris time). Nobody, not even you, can sign in until then.\n\n"
        "If these attempts were not yours, someone may be trying to guess your password: "
        "once the lock is over, change it in My account, or reset it from the guest entry, "
        "and tell your CSE.\n"
    ),
)
"""Sent when failed sign-ins lock an account; parameters: failures, until."""


def _send_lock_email(db: Database, member: Member, until: float, failures: int) -> None:
    t = get_translator(member.language)
    when = t.datetime(dt.datetime.fromtimestamp(until, tz=dt.UTC), "short")
    emails.notify_member(db, member.id, ACCOUNT_LOCKED, failures=failures, until=when)
