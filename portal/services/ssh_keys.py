"""SSH public keys a member registers to log in without typing the password.

My Account uses ``add_key``, ``list_keys`` and ``remove_key`` (a member touches only
their own keys). Adding and removing need a re-authentication ``Proof``
(``services.reauth``) and tell the member by email (the key's name and fingerprint,
never the key). The login gate uses:

- ``find_member_by_key(db, login, key)`` -> the active ``Member`` whose login is ``login``
  and who registered ``key`` (an ``asyncssh.SSHKey`` or its OpenSSH text), else None. Call
  it from ``validate_public_key`` (asyncssh checks the signature itself); the TOTP is
  still required afterwards when 2FA is on (``twofactor.is_enabled``).
- ``key_allowed(db, login, public_key_openssh)`` (alias ``member_key_matches``, which also
  takes an ``SSHKey``) -> the same answer as a ``bool``.
- ``record_key_use(db, login, key)`` once the login succeeded, to show "last used".

Keys are validated with ``asyncssh.import_public_key``; DSA keys and RSA keys under
2048 bits are refused (also at login, should one predate the rule). The stored form is
``algorithm base64`` without the comment, with its SHA256 fingerprint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncssh
from sqlite_utils import Database

from portal.data import identity
from portal.data import members as members_data
from portal.data.db import transaction
from portal.data.identity import SshKeyRecord
from portal.data.members import Member
from portal.i18n import N_
from portal.services import audit, emails, reauth
from portal.services.crypto import SecretBox
from portal.services.emails import Template
from portal.services.errors import PortalError

__all__ = [
    "MAX_KEYS",
    "MIN_RSA_BITS",
    "SshKey",
    "SshKeyError",
    "add_key",
    "check_new_key",
    "find_member_by_key",
    "key_allowed",
    "list_keys",
    "member_key_matches",
    "parse_key",
    "record_key_use",
    "remove_key",
]

MIN_RSA_BITS = 2048
MAX_KEYS = 20
"""Most keys one member may register."""
MAX_LABEL = 60
_MAX_TEXT = 16_384
_ALLOWED = {
    "ssh-ed25519",
    "ssh-ed448",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

SshKey = SshKeyRecord
"""A registered key as the screens show it."""


class SshKeyError(PortalError, ValueError):
    """A key that cannot be registered (see ``services.errors``)."""


SSH_KEY_ADDED = Template(
    subject=N_("An SSH key was added to your Portal account"),
    body=N_(
        "Hello {name},\n\n"
        'The SSH key "{label}" ({fingerprint}) was added to your account "{login}" on '
        "{when} (Paris time). It now opens your account without your password.\n\n"
        "{not_you}\n"
    ),
)
"""Sent when a member registers a key; parameters: label, fingerprint, when."""

SSH_KEY_REMOVED = Template(
    subject=N_("An SSH key was removed from your Portal account"),
    body=N_(
        "Hello {name},\n\n"
        'The SSH key "{label}" ({fingerprint}) was removed from your account "{login}" on '
        "{when} (Paris time). It no longer opens your account.\n\n"
        "{not_you}\n"
    ),
)
"""Sent when a member removes a key; parameters: label, fingerprint, when."""


def _key_email(db: Database, member: Member, template: Template, key: SshKeyRecord) -> None:
    emails.notify_member(
        db,
        member.id,
        template,
        label=key.label,
        fingerprint=key.fingerprint,
        when=reauth.when(member),
        not_you=reauth.not_you(member),
    )


@dataclass(frozen=True)
class ParsedKey:
    """A validated public key, ready to store or compare."""

    algorithm: str
    public_key: str
    fingerprint: str
    bits: int | None
    comment: str


def _bits(key: asyncssh.SSHKey) -> int | None:
    size = getattr(getattr(key, "pyca_key", None), "key_size", None)
    if size is None:
        size = getattr(getattr(key, "pyca_key", None), "curve", None)
        size = getattr(size, "key_size", None)
    return int(size) if size else None


def _from_sshkey(key: asyncssh.SSHKey) -> ParsedKey:
    """Check a key's type and size, and give its stored form."""
    algorithm = key.get_algorithm()
    bits = _bits(key)
    if algorithm == "ssh-dss":
        raise SshKeyError(
            N_(
                "DSA keys (ssh-dss) are too weak and are refused: "
                "create an Ed25519 key with ssh-keygen -t ed25519."
            )
        )
    if algorithm not in _ALLOWED:
        raise SshKeyError(N_("Keys of type {kind} are not accepted."), kind=algorithm)
    if algorithm == "ssh-rsa" and (bits or 0) < MIN_RSA_BITS:
        raise SshKeyError(
            N_(
                "This RSA key has {bits} bits; at least {minimum} are required "
                "(better: ssh-keygen -t ed25519)."
            ),
            bits=bits or 0,
            minimum=MIN_RSA_BITS,
        )
    public = key.export_public_key("openssh").decode("ascii").split()
    comment = key.get_comment() or ""
    return ParsedKey(
        algorithm, f"{public[0]} {public[1]}", key.get_fingerprint("sha256"), bits, comment
    )


def parse_key(openssh_text: str) -> ParsedKey:
    """Validate pasted public-key text (OpenSSH one-line or RFC 4716 format).

    Raises:
        SshKeyError: Not one valid public key, a private key, or a weak key type.
    """
    text = openssh_text.strip()
    if "PRIVATE KEY" in text:
        raise SshKeyError(
            N_(
                "This is a private key: never share it. Paste the public key "
                "instead (the .pub file)."
            )
        )
    if not text:
        raise SshKeyError(N_("Paste a public key (the content of your .pub file)."))
    if len(text) > _MAX_TEXT:
        raise SshKeyError(N_("This is not a valid SSH public key."))
    lines = [line for line in text.splitlines() if line.strip()]
    if not text.startswith("-") and len(lines) != 1:
        raise SshKeyError(N_("Paste one key at a time, on a single line."))
    try:
        key = asyncssh.import_public_key(text)
    except (asyncssh.KeyImportError, ValueError, TypeError):
        raise SshKeyError(N_("This is not a valid SSH public key.")) from None
    return _from_sshkey(key)


def _clean_label(label: str, parsed: ParsedKey) -> str:
    text = _CONTROL.sub("", label).strip() or _CONTROL.sub("", parsed.comment).strip()
    return (text or parsed.algorithm)[:MAX_LABEL]


def check_new_key(db: Database, member: Member, openssh_text: str) -> ParsedKey:
    """What ``add_key`` would refuse, said before the member re-authenticates for it.

    Raises:
        SshKeyError: Invalid or weak key, already registered, or too many keys.
    """
    parsed = parse_key(openssh_text)
    _check_room(db, member, parsed)
    return parsed


def _check_room(db: Database, member: Member, parsed: ParsedKey) -> None:
    if identity.has_ssh_key(db, member.id, parsed.fingerprint):
        raise SshKeyError(N_("This key is already registered."))
    if identity.count_ssh_keys(db, member.id) >= MAX_KEYS:
        raise SshKeyError(N_("You cannot register more than {n} keys."), n=MAX_KEYS)


def add_key(
    db: Database,
    member: Member,
    openssh_text: str,
    label: str = "",
    *,
    box: SecretBox,
    proof: reauth.Proof | None,
) -> SshKey:
    """Register a public key for ``member`` (audited, by fingerprint; the member is told).

    Args:
        openssh_text: The pasted key, e.g. ``ssh-ed25519 AAAA... me@laptop``.
        label: A name to recognise it; defaults to the key's comment.
        box: The process's secret box (checks the proof).
        proof: From ``reauth.verify(..., reauth.ADD_SSH_KEY, ...)``.

    Raises:
        SshKeyError: Invalid or weak key, already registered, or too many keys.
        reauth.ReauthError: No valid proof.
    """
    parsed = parse_key(openssh_text)
    reauth.require(box, proof, member.id, reauth.ADD_SSH_KEY)
    with transaction(db):
        _check_room(db, member, parsed)
        key_id = identity.insert_ssh_key(
            db,
            member.id,
            algorithm=parsed.algorithm,
            public_key=parsed.public_key,
            fingerprint=parsed.fingerprint,
            bits=parsed.bits,
            label=_clean_label(label, parsed),
        )
        audit.record(
            db,
            "account.ssh_key_added",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=parsed.fingerprint,
            algorithm=parsed.algorithm,
        )
        stored = identity.get_ssh_key(db, member.id, key_id)
        assert stored is not None
        _key_email(db, member, SSH_KEY_ADDED, stored)
    return stored


def list_keys(db: Database, member: Member) -> list[SshKey]:
    """The member's own keys, oldest first."""
    return identity.list_ssh_keys(db, member.id)


def remove_key(
    db: Database, member: Member, key_id: int, *, box: SecretBox, proof: reauth.Proof | None
) -> bool:
    """Remove one of the member's own keys (audited; the member is told).

    ``proof`` comes from ``reauth.verify(..., reauth.REMOVE_SSH_KEY, ...)``.

    Returns:
        False when the key is not theirs (or already gone).

    Raises:
        reauth.ReauthError: No valid proof.
    """
    reauth.require(box, proof, member.id, reauth.REMOVE_SSH_KEY)
    with transaction(db):
        key = identity.get_ssh_key(db, member.id, key_id)
        if key is None or not identity.delete_ssh_key(db, member.id, key_id):
            return False
        audit.record(
            db,
            "account.ssh_key_removed",
            actor_id=member.id,
            organization_id=member.organization_id,
            target=key.fingerprint,
            algorithm=key.algorithm,
        )
        _key_email(db, member, SSH_KEY_REMOVED, key)
    return True


def _stored_form(key: asyncssh.SSHKey | str) -> ParsedKey | None:
    try:
        return _from_sshkey(key) if isinstance(key, asyncssh.SSHKey) else parse_key(key)
    except SshKeyError:
        return None


def find_member_by_key(db: Database, login: str, key: asyncssh.SSHKey | str) -> Member | None:
    """The active member ``login`` if they registered ``key`` (login gate), else None.

    Weak key types are refused here too. Only the key is checked: asyncssh verifies the
    client's signature, and the gate still asks for the TOTP code when 2FA is on.
    """
    parsed = _stored_form(key)
    if parsed is None:
        return None
    record = identity.find_ssh_key_for_login(db, login, parsed.public_key)
    if record is None:
        return None
    member = members_data.get_member(db, record.member_id)
    return member if member is not None and member.status == "active" else None


def key_allowed(db: Database, login: str, public_key_openssh: str) -> bool:
    """True when ``login`` (an active member) may log in with this public key."""
    return find_member_by_key(db, login, public_key_openssh) is not None


def member_key_matches(db: Database, login: str, key: asyncssh.SSHKey | str) -> bool:
    """Same as ``key_allowed``, also taking an ``asyncssh.SSHKey`` (name used by the gate)."""
    return find_member_by_key(db, login, key) is not None


def record_key_use(db: Database, login: str, key: asyncssh.SSHKey | str) -> None:
    """Note that ``key`` just opened a session of ``login`` (shown as "last used")."""
    parsed = _stored_form(key)
    if parsed is None:
        return
    record = identity.find_ssh_key_for_login(db, login, parsed.public_key)
    if record is not None:
        with transaction(db):
            identity.touch_ssh_key(db, record.id)
