"""The authentication gate of one SSH connection.

asyncssh has no "partial success": a method either completes the authentication or fails.
So the two factors travel in ONE keyboard-interactive exchange: the server asks
``Password:``, and when the password is right and 2FA is on, answers with a second
challenge ``Verification code:`` (``validate_kbdint_response`` may return a challenge).

A registered public key may stand in for the password. asyncssh verifies the key's
signature *after* asking the application whether the key is allowed, and would then
complete the authentication at once; for a member with 2FA it must not. ``install_key_hook``
wraps the connection's signature check: once the signature is proven, a member without 2FA
is let in, while a member with 2FA gets a failure (the client moves on to
keyboard-interactive), and that exchange asks only for the verification code. If the hook
cannot be installed (asyncssh changed), public keys are simply not offered: the gate fails
closed.

asyncssh has no max-auth-tries either: after ``max_auth_failures`` failed tries the
methods are withdrawn and the connection is dropped.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import asyncssh

from portal.data.members import Member
from portal.services import gate
from portal.services import organization as organization_service
from portal.services import twofactor as twofactor_service

if TYPE_CHECKING:
    from portal.ssh.runtime import ServerRuntime

log = logging.getLogger(__name__)

# Bilingual: before login the member's language is not known yet.
PASSWORD_PROMPT = "Mot de passe / Password: "
CODE_PROMPT = "Code de vérification / Verification code: "
_KEY_HOOK_PARAMS = ["username", "key_data", "msg", "signature"]

KbdIntChallenge = Any  # asyncssh's: bool, or (name, instruction, lang, [(prompt, echo)])


def asks_return_after_login(conn: asyncssh.SSHServerConnection) -> bool:
    """Whether the client waits for the member to press Return before opening a session.

    PuTTY's console client (plink, also PuTTY's own version string) prints "Access
    granted. Press Return to begin session." after every login in an interactive console,
    and opens the session only then: the connection must not be dropped as one that
    opened no session while the member reads that line.
    """
    version = str(conn.get_extra_info("client_version") or "")
    return "PuTTY" in version or "plink" in version.lower()


def forgot_password_hint(settings: Any) -> str:
    """The instruction of the round after a wrong password: where to reset it."""
    port = settings.port
    target = f"ssh {f'-p {port} ' if port not in (0, 22) else ''}"
    target += f"{settings.guest_username}@{settings.public_host}"
    return f"Mot de passe oublié ? {target}\nForgot your password? {target}"


AUTH_LOG = logging.getLogger("portal.auth")
"""One WARNING line per failed login, for fail2ban (see the README)."""


def log_failure(username: str, ip: str | None, step: str) -> None:
    """Log a failed login: the login as typed (made printable, clipped) and the address.

    The format is fixed for fail2ban: ``Failed login for LOGIN from IP (STEP)``; the
    secret is never logged, only which step failed (password, code or answer).
    """
    printable = "".join(ch if ch.isprintable() and not ch.isspace() else "?" for ch in username)
    AUTH_LOG.warning("Failed login for %s from %s (%s)", printable[:64] or "-", ip or "-", step)


def install_key_hook(
    conn: asyncssh.SSHServerConnection, on_signature: Callable[[str], Awaitable[bool]]
) -> bool:
    """Let ``await on_signature(username)`` decide once a client proved it holds its key.

    Returns:
        False when this asyncssh does not look as expected (then offer no public keys).
    """
    original = getattr(conn, "validate_public_key", None)
    if original is None or not inspect.iscoroutinefunction(original):
        return False
    try:
        params = list(inspect.signature(original).parameters)
    except (TypeError, ValueError):
        return False
    if params != _KEY_HOOK_PARAMS:
        return False

    async def validate_public_key(
        username: str, key_data: bytes, msg: bytes, signature: bytes
    ) -> bool:
        allowed = bool(await original(username, key_data, msg, signature))
        if allowed and msg:  # the signature was verified: the client holds the key
            return await on_signature(username)
        return allowed

    conn.validate_public_key = validate_public_key  # type: ignore[method-assign]
    return True


class Gatekeeper:
    """Who this connection is, as far as it proved it; counts its failed tries."""

    def __init__(self, runtime: ServerRuntime, ip: str) -> None:
        self.runtime = runtime
        self.ip = ip
        self.failures = 0
        """Failed tries on this connection (passwords and codes; public key offers apart)."""
        self.key_offers = 0
        self.wrong_password = False
        """A password was refused on this connection (the next prompt hints at a reset)."""
        self.member: Member | None = None
        """The member once authenticated."""
        self.method = ""
        """How they authenticated: ``password`` or ``publickey``."""
        self.twofactor = False
        """Whether a verification code was given."""
        self.twofactor_required = False
        """Whether 2FA is required of this member (role or organization setting)."""
        self.on_too_many: Callable[[], None] | None = None
        """Called when the connection used up its tries (drops it)."""
        self.keys_supported = False
        """True once the public-key hook is installed."""
        self.key_text: str | None = None
        """The public key that let the member in, if one did."""
        self._key_candidates: dict[str, tuple[gate.KeyMatch, str]] = {}
        self._key_proven: tuple[str, Member] | None = None
        self._first: Member | None = None
        self._first_method = ""

    # -- shared handles --------------------------------------------------------------------

    async def _run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await self.runtime.services.store.run(fn, *args, **kwargs)

    def _now(self) -> float:
        return self.runtime.clock()

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            await self.runtime.sleep(seconds)

    @property
    def exhausted(self) -> bool:
        """True when this connection may not try again."""
        return self.failures >= self.runtime.settings.max_auth_failures

    # -- public keys ---------------------------------------------------------------------------

    def public_keys_offered(self) -> bool:
        """Whether to offer the public-key method now."""
        return (
            self.keys_supported
            and not self.exhausted
            and self.key_offers < self.runtime.policy.max_key_offers
        )

    async def offer_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        """Is ``key`` registered by this login's member (the signature is checked next)?"""
        self.key_offers += 1
        text = key.export_public_key("openssh").decode("ascii", "replace").strip()
        match: gate.KeyMatch | None = await self._run(
            gate.check_key, username, text, ip=self.ip, now=self._now()
        )
        if match is None:
            self._key_candidates.pop(username, None)
            return False
        self._key_candidates[username] = (match, text)
        return True

    async def key_signature_proven(self, username: str) -> bool:
        """The client holds the key: let a member in, or ask for their code first (2FA)."""
        candidate = self._key_candidates.get(username)
        if candidate is None:
            return False
        match, self.key_text = candidate
        if match.needs_code:
            self._key_proven = (username, match.member)
            return False
        return await self._let_in(match.member, "publickey", twofactor=False)

    # -- keyboard-interactive -------------------------------------------------------------------

    def challenge(self, username: str) -> KbdIntChallenge:
        """The first prompt: the verification code after a proven key, else the password."""
        self._first = None
        if self._key_proven is not None and self._key_proven[0] == username:
            self._first, self._first_method = self._key_proven[1], "publickey"
            return ("", "", "", [(CODE_PROMPT, False)])
        hint = forgot_password_hint(self.runtime.settings) if self.wrong_password else ""
        return ("", hint, "", [(PASSWORD_PROMPT, False)])

    async def respond(self, username: str, responses: list[str]) -> KbdIntChallenge:
        """Check one answer; returns True (in), False (denied) or the next challenge."""
        if len(responses) != 1:
            return await self._failed(0.0, username, "answer")
        if self._first is not None:
            return await self._check_code(username, responses[0])
        return await self._check_password(username, responses[0])

    async def _check_password(self, username: str, password: str) -> KbdIntChallenge:
        policy = self.runtime.policy
        await self._sleep(
            await self._run(gate.wait_before, username, self.ip, policy=policy, now=self._now())
        )
        # argon2 runs in the hashing threads (one per core), not in a database worker.
        stored: str | None = await self._run(gate.password_hash_of, username)
        hashing = self.runtime.hashing
        ok = await hashing.verify(stored, password)
        attempt: gate.Attempt = await self._run(
            gate.check_password,
            username,
            password,
            ip=self.ip,
            policy=policy,
            now=self._now(),
            verified=(stored, ok),
            rehashed=await hashing.rehash(stored, password) if ok else None,
        )
        if attempt.member is None:
            self.wrong_password = True  # the next round says how to reset it
            return await self._failed(attempt.delay, username, "password")
        if attempt.needs_code:
            self._first, self._first_method = attempt.member, "password"
            return ("", "", "", [(CODE_PROMPT, False)])
        return await self._let_in(attempt.member, "password", twofactor=False)

    async def _check_code(self, username: str, code: str) -> KbdIntChallenge:
        first, self._first = self._first, None
        assert first is not None
        attempt: gate.Attempt = await self._run(
            gate.check_code,
            self.runtime.services.secrets,
            first.id,
            code,
            ip=self.ip,
            policy=self.runtime.policy,
            now=self._now(),
        )
        if attempt.member is None:
            return await self._failed(attempt.delay, username, "code")
        return await self._let_in(attempt.member, self._first_method, twofactor=True)

    async def _failed(self, delay: float, username: str, step: str) -> bool:
        self.failures += 1
        log_failure(username, self.ip, step)
        await self._sleep(delay)
        if self.exhausted and self.on_too_many is not None:
            self.on_too_many()
        return False

    async def _let_in(self, member: Member, method: str, *, twofactor: bool) -> bool:
        """Record the login (before the client hears of it) and remember who this is."""
        key = self.key_text if method == "publickey" else None
        current: Member | None = await self._run(
            gate.login_succeeded,
            member.id,
            ip=self.ip,
            method=method,
            twofactor=twofactor,
            key=key,
        )
        if current is None:
            return False
        self.twofactor_required = bool(
            await self._run(organization_service.twofactor_required, current)
        )
        self.member, self.method, self.twofactor = current, method, twofactor
        log.info(
            "login: member %s from %s (%s%s)",
            member.id,
            self.ip,
            method,
            " + code" if twofactor else "",
        )
        return True

    @property
    def must_enroll_twofactor(self) -> bool:
        """Managers, admins and members of an organization that requires it must turn 2FA
        on before anything else."""
        return (
            self.member is not None
            and (self.twofactor_required or twofactor_service.is_required(self.member))
            and not self.twofactor
        )


__all__ = [
    "CODE_PROMPT",
    "PASSWORD_PROMPT",
    "Gatekeeper",
    "asks_return_after_login",
    "forgot_password_hint",
    "install_key_hook",
]
