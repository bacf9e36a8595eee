"""What the guest entry checks: logins, emails, names, new passwords, short codes.

Sign-up, invitation activation and password reset share these rules, so a login or an
address accepted by one is accepted by all. ``CodeChallenge`` is a short code sent by
email and held by one guest session only (its salted digest, never the code).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from portal.i18n import N_, get_translator
from portal.services import text as text_rules
from portal.services.gate import GateError, WeakPassword

__all__ = [
    "LOGIN_RE",
    "CodeChallenge",
    "check_email",
    "check_login_format",
    "check_name",
    "check_new_password",
]

LOGIN_RE = re.compile(r"^[a-z][a-z0-9._-]{2,31}$")


def check_login_format(login: str) -> None:
    """Raise unless ``login`` is 3 to 32 lower-case letters, digits, dots, dashes, underscores."""
    if not LOGIN_RE.match(login):
        raise GateError(
            N_(
                "A login has 3 to 32 characters: lower-case letters, digits, '.', '-' or '_', "
                "and starts with a letter."
            )
        )


def check_email(email: str) -> str:
    """The address normalised (``services.text``'s one strict rule), or ``GateError``."""
    return text_rules.normalize_email(
        email, error=GateError, message=N_("Please enter a valid email address.")
    )


def check_name(value: str) -> None:
    """Raise unless a first or last name is given, printable and reasonably short."""
    text_rules.check_line(value, error=GateError)
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
