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

This module also holds what the guest entry shares: ``GateError`` (a sentence for the
user, translated by the screen), ``CodeChallenge`` (a short code sent by email and held
by one guest session) and the checks of logins, emails and names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from portal.data import identity_gate as gate_data
from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.members import Member
from portal.i18n import N_, get_translator
from portal.services import audit, notifications
from portal.services.crypto import SecretBox
from portal.services.passwords import hash_password, needs_rehash, verify_password
from portal.services.runtime import SessionDirectory

log = logging.getLogger(__name__)

__all__ = [
    "Attempt",
    "CodeChallenge",
    "GateError",
    "GatePolicy",
    "KeyMatch",
    "WeakPassword",
    "WrongCode",
    "check_code",
    "check_key",
    "check_password",
    "deactivate_member",
    "login_succeeded",
    "wait_before",
]

ACCOUNT = "account"
IP = "ip"


# -- errors shown to the user ----------------------------------------------------------------


class GateError(Exception):
    """Bad input at the gate or the guest entry: a sentence for the user.

    Services run in worker threads where the session's language is unknown, so they raise
    the English message id (marked with ``N_``) and its parameters; the screen translates.
    """

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def translated(self, gettext: Any) -> str:
        """The sentence in the language of ``gettext`` (``portal.i18n._`` in a screen)."""
        return str(gettext(self.message, **self.params))


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
) -> Attempt:
    """The first step: login and password.

    Always verifies one argon2 hash (a dummy one for unknown logins), so the answer takes
    the same time whether the login exists or not. Runs in a worker thread.
    """
    now = _now(now)
    member = members_data.get_member_by_login(db, login)
    stored = members_data.get_password_hash(db, member.id) if member else None
    ok = verify_password(stored, password)
    locked = _locked(db, login, now)
    if member is None or not ok or member.status != "active" or locked:
        if member is None:
            reason = "unknown"
        elif locked:
            reason = "locked"
        elif not ok:
            reason = "password"
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
        members_data.set_password_hash(db, member.id, hash_password(password))
    return Attempt(member, needs_code=_twofactor_enabled(db, member.id))


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

    if member.status != "active" or _locked(db, member.login, now):
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
    if member is None or not matches or member.status != "active" or _locked(db, login, now):
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
        The member as stored now (None if they vanished meanwhile).
    """
    member = members_data.get_member(db, member_id)
    if member is None:
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


def _send_lock_email(db: Database, member: Member, until: float, failures: int) -> None:
    t = get_translator(member.language)
    when = t.datetime(dt.datetime.fromtimestamp(until, tz=dt.UTC), "short")
    notifications.enqueue(
        db,
        to=recipient(db, member),
        member_id=member.id,
        subject=t.gettext("Your Portal account is locked for a while"),
        body=t.gettext(
            "Hello {name},\n\n"
            'After {failures} failed attempts to sign in, your account "{login}" is locked '
            "until {until} (Paris time). Nobody, not even you, can sign in until then.\n\n"
            "If these attempts were not yours, someone may be trying to guess your password: "
            "once the lock is over, change it in My account, or reset it from the guest entry, "
            "and tell your CSE.\n",
            name=member.first_name,
            failures=failures,
            login=member.login,
            until=when,
        ),
    )


# -- deactivation --------------------------------------------------------------------------------


def deactivate_member(
    db: Database, actor: Member, member_id: int, *, sessions: SessionDirectory
) -> Member:
    """Deactivate an account (manager of its organization, or admin) and end its sessions.

    The account can no longer sign in; its live sessions end at once with a sentence in
    the member's language.

    Raises:
        PermissionError: The actor may not manage this member.
        GateError: Deactivating oneself, or an account already deactivated.
    """
    actor_now = _authorized_actor(db, actor)
    target = members_data.get_member(db, member_id)
    if target is None or not _may_manage(actor_now, target):
        raise PermissionError("not allowed to deactivate this member")
    if target.id == actor_now.id:
        raise GateError(N_("You cannot deactivate your own account."))
    with transaction(db):
        if not gate_data.deactivate_member(db, target.id):
            raise GateError(N_("This account is already deactivated."))
        audit.record(
            db,
            "member.deactivated",
            actor_id=actor_now.id,
            organization_id=target.organization_id,
            target=target.login,
        )
    t = get_translator(target.language)
    ended = sessions.close_member_sessions(
        db,
        target.id,
        reason=t.gettext(
            "Your account has been deactivated. Contact your CSE if this is a mistake."
        ),
    )
    log.info("member %s deactivated by %s; %d session(s) ended", target.id, actor_now.id, ended)
    updated = members_data.get_member(db, target.id)
    assert updated is not None
    return updated


def _authorized_actor(db: Database, actor: Member) -> Member:
    """The actor as stored now; refuses one who is no longer an active manager or admin."""
    current = members_data.get_member(db, actor.id)
    if current is None or current.status != "active" or not current.is_manager:
        raise PermissionError("managers and admins only")
    return current


def _may_manage(actor: Member, target: Member) -> bool:
    """Admins manage everyone; managers the non-admins of their own organization."""
    if actor.role == "admin":
        return True
    return (
        actor.role == "manager"
        and target.organization_id == actor.organization_id
        and target.role != "admin"
    )


# -- checks shared by the guest entry ------------------------------------------------------------

LOGIN_RE = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_login_format(login: str) -> None:
    """Raise unless ``login`` is 3 to 32 lower-case letters, digits, dots, dashes, underscores."""
    if not LOGIN_RE.match(login):
        raise GateError(
            N_(
                "A login has 3 to 32 characters: lower-case letters, digits, '.', '-' or '_', "
                "and starts with a letter."
            )
        )


def check_email(email: str) -> None:
    """Raise unless ``email`` looks like an address."""
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise GateError(N_("Please enter a valid email address."))


def check_name(value: str) -> None:
    """Raise unless a first or last name is given, printable and reasonably short."""
    if not value or len(value) > 60 or not value.isprintable():
        raise GateError(N_("Please enter your first and last name (60 characters at most)."))


def check_new_password(
    password: str, confirm: str, *, login: str, name: str, organization: str, language: str | None
) -> None:
    """Raise when the two entries differ or the password breaks the policy.

    ``language`` words the policy's reasons (worker threads do not know the session's).
    """
    if password != confirm:
        raise GateError(N_("The two passwords are not the same."))
    from portal.services.password_policy import check_password_policy

    problems = check_password_policy(
        password,
        login=login,
        name=name,
        organization=organization,
        translator=get_translator(language),
    )
    if problems:
        raise WeakPassword(list(problems))


# -- short codes held by one guest session --------------------------------------------------------


def _digest(salt: bytes, code: str) -> bytes:
    return hmac.new(salt, code.encode(), hashlib.sha256).digest()


@dataclass
class CodeChallenge:
    """A six-digit code sent by email, valid a short while, held by one guest session only.

    Only a salted digest is kept. Binding the code to the session that asked for it means a
    guesser gets ``attempts_left`` tries per email sent, whatever number of connections they
    open, and a wrong guess writes nothing to the database.
    """

    salt: bytes
    digest: bytes
    expires_at: float
    attempts_left: int = 5
    used: bool = field(default=False)

    @classmethod
    def issue(cls, now: float, ttl: float, attempts: int = 5) -> tuple[CodeChallenge, str]:
        """A new challenge and its code (to send, never to keep)."""
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_bytes(16)
        return cls(salt, _digest(salt, code), now + ttl, attempts), code

    @classmethod
    def impossible(cls, now: float, ttl: float, attempts: int = 5) -> CodeChallenge:
        """A challenge whose code was never sent (an unknown account looks the same)."""
        challenge, _code = cls.issue(now, ttl, attempts)
        return challenge

    def verify(self, code: str, now: float) -> bool:
        """True for the right code in time, without spending it; a wrong code spends a try."""
        if self.used or self.attempts_left <= 0 or now >= self.expires_at:
            return False
        cleaned = "".join(ch for ch in code if not ch.isspace())
        if hmac.compare_digest(_digest(self.salt, cleaned), self.digest):
            return True
        self.attempts_left -= 1
        return False

    def check(self, code: str, now: float) -> bool:
        """Like ``verify``, and the right code is spent (it works once)."""
        if self.verify(code, now):
            self.used = True
            return True
        return False

    @property
    def exhausted(self) -> bool:
        """No more attempts, or already used: a new code is needed."""
        return self.used or self.attempts_left <= 0
