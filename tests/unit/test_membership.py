"""The membership card: signed tokens, the validity rule, verification and its counter."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt

import pytest
from cryptography.fernet import Fernet
from sqlite_utils import Database

from portal.config import Settings, load_settings
from portal.data import members as members_data
from portal.data import membership as membership_data
from portal.data.members import Member
from portal.i18n import get_translator
from portal.services import membership
from portal.services.clock import PARIS, FrozenClock
from portal.services.crypto import SecretBox
from portal.services.runtime import Services
from tests.typography import fr

NOON = dt.datetime(2026, 6, 15, 12, 0, tzinfo=PARIS)


def _altered(token: str) -> str:
    return token[:5] + ("b" if token[5] == "a" else "a") + token[6:]


def _member(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


@pytest.fixture
def june(frozen_clock: FrozenClock) -> FrozenClock:
    frozen_clock.set(NOON)
    return frozen_clock


def test_token_is_short_carries_no_personal_data_and_reads_back(services: Services) -> None:
    token = membership.issue_token(services.secrets, 42, dt.date(2026, 12, 31))
    assert len(token) == membership.TOKEN_LENGTH == 37
    assert token == token.lower() and token.isalnum()
    assert membership.read_token(services.secrets, token) == (42, dt.date(2026, 12, 31))
    assert membership.read_token(services.secrets, token.upper()) == (42, dt.date(2026, 12, 31))
    raw = base64.b32decode(token.upper() + "===")
    assert len(raw) == 23  # version, id, day, 128-bit MAC: nothing else to read


def test_every_altered_character_is_refused(services: Services) -> None:
    token = membership.issue_token(services.secrets, 7, dt.date(2026, 12, 31))
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    for i, char in enumerate(token):
        for other in alphabet.replace(char, ""):
            altered = token[:i] + other + token[i + 1 :]
            assert membership.read_token(services.secrets, altered) is None, (i, other)
    for bad in ("", token[:-1], token + "a", "0" * 37, token[:36] + "é", "../../etc/passwd"):
        assert membership.read_token(services.secrets, bad) is None


def test_a_token_signed_with_another_key_is_refused(services: Services) -> None:
    forger = SecretBox(Fernet.generate_key())
    forged = membership.issue_token(forger, 1, dt.date(2099, 12, 31))
    assert membership.read_token(services.secrets, forged) is None


def test_the_card_is_valid_until_the_end_of_the_membership_year() -> None:
    s = load_settings(environ={})
    assert membership.valid_until(s, dt.date(2026, 1, 1)) == dt.date(2026, 12, 31)
    assert membership.valid_until(s, dt.date(2026, 12, 31)) == dt.date(2026, 12, 31)
    june_end = dataclasses.replace(s, membership_year_end="06-30")
    assert membership.valid_until(june_end, dt.date(2026, 6, 30)) == dt.date(2026, 6, 30)
    assert membership.valid_until(june_end, dt.date(2026, 7, 1)) == dt.date(2027, 6, 30)


def test_get_card_is_the_actors_own(
    db: Database, services: Services, settings: Settings, june: FrozenClock
) -> None:
    alice = _member(db, "alice")
    card = membership.get_card(db, alice, secrets=services.secrets, settings=settings)
    assert (card.first_name, card.organization) == ("Alice", alice.organization_name)
    assert card.valid_until == dt.date(2026, 12, 31)
    assert membership.read_token(services.secrets, card.token) == (alice.id, card.valid_until)
    assert card.url == f"{settings.public_url}/v/{card.token}"
    assert (card.verified_count, card.last_verified_at) == (0, None)
    bob = _member(db, "bob")
    bob_card = membership.get_card(db, bob, secrets=services.secrets, settings=settings)
    assert bob_card.token != card.token and bob_card.first_name == "Bob"


def test_an_inactive_member_has_no_card(
    db: Database, services: Services, settings: Settings
) -> None:
    alice = _member(db, "alice")
    members_data.set_status(db, alice.id, "deactivated")
    with pytest.raises(membership.MembershipError) as caught:
        membership.get_card(db, alice, secrets=services.secrets, settings=settings)
    assert "pas actif" in caught.value.text(get_translator("fr"))


def test_verify_says_only_first_name_organization_and_expiry_and_counts(
    db: Database, services: Services, settings: Settings, june: FrozenClock
) -> None:
    alice = _member(db, "alice")
    card = membership.get_card(db, alice, secrets=services.secrets, settings=settings)
    verdict = membership.verify(db, card.token, secrets=services.secrets)
    assert verdict == membership.CardVerdict(
        True, "ok", "Alice", alice.organization_name, dt.date(2026, 12, 31)
    )
    assert {f.name for f in dataclasses.fields(verdict)} == {
        "valid",
        "reason",
        "first_name",
        "organization",
        "valid_until",
    }
    june.advance(3600)
    membership.verify(db, card.token, secrets=services.secrets)
    stats = membership_data.get_verification_stats(db, alice.id)
    assert stats.count == 2
    assert stats.last_at == (NOON + dt.timedelta(hours=1)).astimezone(dt.UTC).isoformat()
    again = membership.get_card(db, alice, secrets=services.secrets, settings=settings)
    assert again.verified_count == 2
    assert again.last_verified_at == NOON + dt.timedelta(hours=1)
    # another member's counter did not move
    assert membership_data.get_verification_stats(db, _member(db, "bob").id).count == 0
    line = membership.describe(verdict, get_translator("fr"))
    assert line == fr(
        f"Carte valide : Alice, {alice.organization_name}, valable jusqu'au 31 décembre 2026"
    )


def test_expired_deactivated_forged_and_unknown_are_refused(
    db: Database, services: Services, settings: Settings, june: FrozenClock
) -> None:
    alice = _member(db, "alice")
    box = services.secrets
    last_year = membership.issue_token(box, alice.id, dt.date(2025, 12, 31))
    assert membership.verify(db, last_year, secrets=box) == membership.CardVerdict(False, "expired")
    card = membership.get_card(db, alice, secrets=box, settings=settings)
    june.set(dt.datetime(2027, 1, 1, 0, 5, tzinfo=PARIS))  # the new year in Paris
    assert membership.verify(db, card.token, secrets=box).reason == "expired"
    june.set(NOON)
    members_data.set_status(db, alice.id, "deactivated")
    refused = membership.verify(db, card.token, secrets=box)
    assert refused == membership.CardVerdict(False, "inactive")
    assert refused.first_name is None and refused.organization is None
    forged = membership.issue_token(
        SecretBox(Fernet.generate_key()), alice.id, dt.date(2026, 12, 31)
    )
    assert membership.verify(db, forged, secrets=box).reason == "forged"
    assert membership.verify(db, "nonsense", secrets=box).reason == "malformed"
    unknown = membership.issue_token(box, 999_999, dt.date(2026, 12, 31))
    assert membership.verify(db, unknown, secrets=box).reason == "unknown"
    assert membership.describe(refused, get_translator("fr")) == "Carte non valide"
    # counted: the three checks of alice's authentic cards (expired twice, inactive once)
    assert membership_data.get_verification_stats(db, alice.id).count == 3


def test_the_signing_key_is_derived_from_the_secrets_key(services: Services) -> None:
    box = services.secrets
    assert box.derive_key(membership.KEY_PURPOSE) == box.derive_key(membership.KEY_PURPOSE)
    assert box.derive_key(membership.KEY_PURPOSE) != box.derive_key("another purpose")
    assert len(box.derive_key(membership.KEY_PURPOSE)) == 32


def test_cli_verify_card_prints_the_verdict_and_counts(
    db: Database,
    services: Services,
    settings: Settings,
    june: FrozenClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from portal.cli import main

    alice = _member(db, "alice")
    card = membership.get_card(db, alice, secrets=services.secrets, settings=settings)
    assert main(["--data-dir", str(settings.data_dir), "verify-card", card.url]) == 0
    out = capsys.readouterr().out
    assert out.startswith(fr("Carte valide : Alice, ")) and "31 décembre 2026" in out
    assert main(["--data-dir", str(settings.data_dir), "verify-card", _altered(card.token)]) == 1
    assert capsys.readouterr().out.startswith("Carte non valide")
    assert membership_data.get_verification_stats(db, alice.id).count == 1
