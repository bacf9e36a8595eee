"""Pilot tests of "Contact details & preferences": what the member sees, what the base holds."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlite_utils import Database
from textual.widgets import Checkbox, Input, OptionList, Static

from portal.app import PortalApp
from portal.data import audit as audit_data
from portal.data import contact as contact_data
from portal.data import members as members_data
from portal.data import outbox
from portal.screens.base import TitleBar
from portal.screens.contact import ContactScreen
from portal.services import contact, emails
from portal.services.clock import FrozenClock
from tests.mail_helpers import body_of
from tests.reauth_helpers import DEMO_PASSWORDS, answer_reauth
from tests.typography import fr

ALICE_ORG = "alice.martin@demo.example"


async def settle(app: PortalApp, pilot: Any) -> None:
    """Let handlers start their workers, wait for the workers, then for their messages."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def open_contact(app: PortalApp, pilot: Any) -> ContactScreen:
    """Open the section from the home menu, by keyboard."""
    menu = app.screen.query_one("#menu", OptionList)
    index = next(i for i in range(menu.option_count) if menu.get_option_at_index(i).id == "contact")
    menu.highlighted = index
    await pilot.press("enter")
    await settle(app, pilot)
    assert isinstance(app.screen, ContactScreen)
    return app.screen


def text(app: PortalApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def code_in_outbox(db: Database, address: str) -> str:
    [email] = outbox.list_emails(db, recipient=address, limit=1)
    found = re.search(r"^    (\d{6})$", body_of(db, email.id), re.MULTILINE)
    assert found
    return found.group(1)


async def type_into(app: PortalApp, pilot: Any, selector: str, value: str) -> None:
    """Focus a field, replace its text by typing, as a member would."""
    field = app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.press(*value)


async def request_code(app: PortalApp, pilot: Any, address: str) -> None:
    """Type a new address; when it is a valid one, confirm with the password."""
    app.screen.query_one("#new-email", Input).value = address
    app.screen.query_one("#new-email", Input).focus()
    await pilot.press("enter")
    await settle(app, pilot)
    if type(app.screen).__name__ == "ReauthDialog":
        await answer_reauth(pilot, DEMO_PASSWORDS[app.member.login])
        await settle(app, pilot)


async def test_verify_the_communication_email_with_the_right_code(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    alice = app.member
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        assert ALICE_ORG in text(app, "#recipient")
        assert not app.screen.query_one("#code-row").display

        await request_code(app, pilot, "alice@perso.example")
        assert "Code envoyé" in text(app, "#message")
        assert "alice@perso.example" in text(app, "#pending")
        assert app.screen.query_one("#code-row").display
        assert app.focused is app.screen.query_one("#code", Input)

        await pilot.press(*code_in_outbox(db, "alice@perso.example"), "enter")
        await settle(app, pilot)
        assert "Adresse vérifiée" in text(app, "#message")
        assert "alice@perso.example" in text(app, "#recipient")
        assert not app.screen.query_one("#code-row").display
    assert emails.recipient_for(db, alice.id) == "alice@perso.example"


async def test_a_wrong_code_says_so_and_changes_nothing(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        await request_code(app, pilot, "alice@perso.example")
        code = code_in_outbox(db, "alice@perso.example")
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        await pilot.press(*wrong, "enter")
        await settle(app, pilot)
        assert text(app, "#field-error") == fr("Code erroné. Essais restants : 4.")
        assert "error" in app.screen.query_one("#field-error").classes
        assert ALICE_ORG in text(app, "#recipient")
    assert emails.recipient_for(db, app.member.id) == ALICE_ORG
    assert contact_data.get_details(db, app.member.id).comm_email is None


async def test_an_expired_code_is_refused(app_for, db, frozen_clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        await request_code(app, pilot, "alice@perso.example")
        code = code_in_outbox(db, "alice@perso.example")
        frozen_clock.advance((contact.CODE_TTL + dt.timedelta(minutes=1)).total_seconds())
        await pilot.press(*code, "enter")
        await settle(app, pilot)
        assert text(app, "#field-error") == "Ce code a expiré. Demandez un nouveau code."
    assert emails.recipient_for(db, app.member.id) == ALICE_ORG


async def test_an_invalid_postal_code_is_explained_and_nothing_is_saved(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        await type_into(app, pilot, "#street", "12 rue des Lilas")
        await type_into(app, pilot, "#postal-code", "99000")
        await type_into(app, pilot, "#city", "Paris")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert text(app, "#field-error").startswith("Le code postal doit comporter 5 chiffres")
        # What was typed stays, to be corrected.
        assert app.screen.query_one("#street", Input).value == "12 rue des Lilas"
        assert contact_data.get_details(db, app.member.id).street == ""

        await type_into(app, pilot, "#postal-code", "20000")
        await pilot.press("enter")
        await settle(app, pilot)
        assert text(app, "#message") == "Adresse enregistrée."
    details = contact_data.get_details(db, app.member.id)
    assert (details.street, details.postal_code, details.city) == (
        "12 rue des Lilas",
        "20000",
        "Paris",
    )


async def test_newsletter_toggle(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        box = app.screen.query_one("#newsletter", Checkbox)
        assert box.value is False
        box.focus()
        await pilot.press("space")
        await settle(app, pilot)
        assert contact_data.get_details(db, app.member.id).newsletter is True
        assert text(app, "#message") == "Vous recevrez la lettre d'information."
        await pilot.press("space")
        await settle(app, pilot)
    assert contact_data.get_details(db, app.member.id).newsletter is False
    actions = [e.action for e in audit_data.recent(db, limit=5)]
    assert actions.count("contact.newsletter") == 2


async def test_language_switch_applies_at_once(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        await type_into(app, pilot, "#street", "3 place du Marché")
        await type_into(app, pilot, "#postal-code", "97400")
        await type_into(app, pilot, "#city", "Saint-Denis")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.click("#lang-en")
        await settle(app, pilot)
        assert app.member.language == "en"
        assert "Contact details & preferences" in app.screen.query_one(TitleBar).title_text
        assert "organization email" in text(app, "#recipient")
        assert app.screen.query_one("#city", Input).value == "Saint-Denis"
        await request_code(app, pilot, "alice@perso.example")
        assert text(app, "#message") == "Code sent. Check your mailbox."
    stored = members_data.get_member_by_login(db, "alice")
    assert stored is not None and stored.language == "en"
    [email] = outbox.list_emails(db, recipient="alice@perso.example")
    assert email.subject == "Your code to confirm this email address"


async def test_a_bad_email_is_explained(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        await request_code(app, pilot, "bob@@home")
        assert text(app, "#field-error") == "Enter a valid email address, such as name@example.fr."
    assert outbox.list_emails(db) == []


async def test_everything_fits_in_80x24(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_contact(app, pilot)
        await request_code(app, pilot, "alice@perso.example")
        for selector in (
            "#recipient",
            "#new-email",
            "#code",
            "#pending",
            "#street",
            "#city",
            "#save-address",
            "#newsletter",
            "#lang-en",
            "#message",
        ):
            region = app.screen.query_one(selector).region
            assert region.bottom <= 23 and region.right <= 80, selector


async def test_resend_key_appears_with_a_pending_code_and_respects_the_wait(app_for, db) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_contact(app, pilot)
        keys = {b.binding.action for b in app.active_bindings.values() if b.enabled}
        assert "resend_code" not in keys
        await request_code(app, pilot, "alice@perso.example")
        keys = {b.binding.action for b in app.active_bindings.values() if b.enabled}
        assert "resend_code" in keys
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert text(app, "#message").startswith("Un code vient d'être envoyé")
        assert screen is app.screen
    assert len(outbox.list_emails(db, recipient="alice@perso.example")) == 1
