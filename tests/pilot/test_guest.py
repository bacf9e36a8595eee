"""Pilot tests of the guest entry: sign-up, activation, password reset, and bad input."""

from __future__ import annotations

import re
from typing import Any

from sqlite_utils import Database
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from portal.data import members as members_data
from portal.guest.app import GuestApp, make_guest_app
from portal.services import gate, invitations
from portal.services.runtime import Services
from tests.mail_helpers import last_body
from tests.typography import fr

T0 = 1_800_000_000.0
GOOD = "Lanterne-Orage-Piano-77"
TABLES = ("members", "signup_requests", "invitations", "email_outbox")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def guest(services: Services, clock: Clock | None = None) -> GuestApp:
    return make_guest_app(services, ip="127.0.0.1", clock=clock or Clock())


def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {
        t: [tuple(r) for r in db.execute(f"SELECT * FROM {t} ORDER BY id").fetchall()]
        for t in TABLES
    }


def text(app: GuestApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def screen_name(app: GuestApp) -> str:
    return type(app.screen).__name__


def last_email(db: Database, to: str) -> str:
    body = last_body(db, "recipient = ?", [to])
    assert body is not None, f"no email to {to}"
    return body


def six_digits(body: str) -> str:
    found = re.search(r"^    (\d{6})$", body, re.M)
    assert found, body
    return found.group(1)


async def settle(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def fill(pilot: Pilot[Any], field: str, value: str) -> None:
    """Type ``value`` into the input ``#field`` of the current screen."""
    widget = pilot.app.screen.query_one(f"#{field}", Input)
    widget.focus()
    widget.value = ""
    await pilot.press(*value)


async def submit(pilot: Pilot[Any], field: str) -> None:
    pilot.app.screen.query_one(f"#{field}", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


async def choose(pilot: Pilot[Any], option: str) -> None:
    """Pick an entry of the guest menu."""
    menu = pilot.app.screen.query_one("#guest-options", OptionList)
    index = next(i for i in range(menu.option_count) if menu.get_option_at_index(i).id == option)
    menu.highlighted = index
    await pilot.press("enter")
    await pilot.pause()


async def details(pilot: Pilot[Any], **changes: str) -> None:
    values = {
        "first-name": "Chloé",
        "last-name": "Bernard",
        "email": "chloe@demo.example",
        "login": "chloe",
        "password": GOOD,
        "confirm": GOOD,
    }
    values.update(changes)
    for name, value in values.items():
        await fill(pilot, name, value)
    await submit(pilot, "confirm")


# -- the menu ------------------------------------------------------------------------------------


async def test_the_guest_menu_offers_three_things_and_speaks_two_languages(
    services: Services,
) -> None:
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        menu = app.screen.query_one("#guest-options", OptionList)
        labels = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
        assert [label.split("\n")[0] for label in labels] == [
            "Demander un compte",
            "Activer un compte invité",
            "Réinitialiser un mot de passe oublié",
            "Quitter",
        ]
        await pilot.press("f2")
        await pilot.pause()
        menu = app.screen.query_one("#guest-options", OptionList)
        assert str(menu.get_option_at_index(0).prompt).startswith("Request an account")
        await pilot.press("ctrl+q")
    assert app.return_code == 0


# -- sign-up ---------------------------------------------------------------------------------


async def test_a_sign_up_request_from_key_to_verified_email(
    services: Services, db: Database
) -> None:
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "signup")
        await fill(pilot, "key", "DEMO-2026")
        await submit(pilot, "key")
        assert screen_name(app) == "SignupDetailsScreen"
        assert "CSE Démo" in str(app.screen.query_one(".heading", Static).render())
        await details(pilot)
        assert screen_name(app) == "SignupVerifyScreen"
        assert db.execute("SELECT count(*) FROM signup_requests").fetchone()[0] == 0
        await fill(pilot, "code", six_digits(last_email(db, "chloe@demo.example")))
        await submit(pilot, "code")
        assert screen_name(app) == "GuestDoneScreen"
        assert "gestionnaires de CSE Démo" in text(app, "#done-text")
        await pilot.press("enter")
        assert screen_name(app) == "GuestMenuScreen"
    row = db.execute("SELECT login, status, key_verified FROM signup_requests").fetchone()
    assert tuple(row) == ("chloe", "pending", 1)


async def test_a_wrong_identification_key_changes_nothing(services: Services, db: Database) -> None:
    before = snapshot(db)
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "signup")
        await fill(pilot, "key", "PAS-LA-BONNE")
        await submit(pilot, "key")
        assert screen_name(app) == "SignupKeyScreen"
        assert "clé d'identification est inconnue" in text(app, "#message")
        assert app.screen.query_one("#message").has_class("error")
    assert snapshot(db) == before


async def test_key_zero_lets_the_guest_pick_a_listed_organization(
    services: Services, db: Database
) -> None:
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "signup")
        await fill(pilot, "key", "0")
        await submit(pilot, "key")
        organizations = app.screen.query_one("#organizations", OptionList)
        assert organizations.display and organizations.has_focus
        # Only Démo opted in to the list (issue 9: it named every organization).
        names = [
            str(organizations.get_option_at_index(i).prompt)
            for i in range(organizations.option_count)
        ]
        assert names == ["CSE Démo"]
        await pilot.press("enter")
        await pilot.pause()
        assert screen_name(app) == "SignupDetailsScreen"
        await details(pilot)
        await fill(pilot, "code", six_digits(last_email(db, "chloe@demo.example")))
        await submit(pilot, "code")
    row = db.execute(
        "SELECT o.name, r.key_verified FROM signup_requests r"
        " JOIN organizations o ON o.id = r.organization_id"
    ).fetchone()
    assert tuple(row) == ("CSE Démo", 0)


async def test_key_zero_with_no_listed_organization_says_to_ask_for_the_key(
    services: Services, db: Database
) -> None:
    for org in members_data.list_organizations(db):
        members_data.set_guest_listed(db, org.id, False)
    before = snapshot(db)
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "signup")
        await fill(pilot, "key", "0")
        await submit(pilot, "key")
        assert screen_name(app) == "SignupKeyScreen"
        assert not app.screen.query_one("#organizations", OptionList).display
        assert "demandez à votre CSE sa clé d'identification" in text(app, "#message")
        # The key itself still works.
        await fill(pilot, "key", "HORIZON-2026")
        await submit(pilot, "key")
        assert screen_name(app) == "SignupDetailsScreen"
        assert "CSE Horizon" in str(app.screen.query_one(".heading", Static).render())
    assert snapshot(db) == before


async def test_bad_details_are_explained_and_change_nothing(
    services: Services, db: Database
) -> None:
    before = snapshot(db)
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "signup")
        await fill(pilot, "key", "DEMO-2026")
        await submit(pilot, "key")
        await details(pilot, password="court", confirm="court")
        assert "trop faible" in text(app, "#message")
        assert "Utilisez au moins 12 caractères." in text(app, "#message")
        await details(pilot, login="welcome")
        assert "Cet identifiant est réservé" in text(app, "#message")
        await details(pilot, email="pas-une-adresse")
        assert "adresse e-mail valide" in text(app, "#message")
        await details(pilot, confirm=GOOD + "?")
        assert "ne sont pas identiques" in text(app, "#message")
        assert screen_name(app) == "SignupDetailsScreen"
    assert snapshot(db) == before


async def test_a_wrong_or_expired_verification_code_changes_nothing(
    services: Services, db: Database
) -> None:
    clock = Clock()
    app = guest(services, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "signup")
        await fill(pilot, "key", "DEMO-2026")
        await submit(pilot, "key")
        await details(pilot)
        code = six_digits(last_email(db, "chloe@demo.example"))
        before = snapshot(db)
        await fill(pilot, "code", "000000" if code != "000000" else "111111")
        await submit(pilot, "code")
        assert "n'est pas le bon" in text(app, "#message")
        clock.now += 15 * 60
        await fill(pilot, "code", code)
        await submit(pilot, "code")
        assert "a expiré" in text(app, "#message")
        assert screen_name(app) == "SignupVerifyScreen"
        assert snapshot(db) == before
        # A new code (ctrl+r) works.
        await pilot.press("ctrl+r")
        await settle(pilot)
        await fill(pilot, "code", six_digits(last_email(db, "chloe@demo.example")))
        await submit(pilot, "code")
        assert screen_name(app) == "GuestDoneScreen"


async def test_five_wrong_keys_or_codes_end_the_guest_session(services: Services) -> None:
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "signup")
        for _ in range(4):
            await fill(pilot, "key", "WRONG")
            await submit(pilot, "key")
        assert app.is_running
        await fill(pilot, "key", "WRONG")
        await submit(pilot, "key")
    assert app.return_code == 1


async def test_a_taken_login_is_answered_like_a_free_one(services: Services, db: Database) -> None:
    """Issue 9: "Cet identifiant est déjà pris" told strangers which logins exist."""
    seen = []
    for i, login in enumerate(("sam", "alice", "bob")):  # free, a Démo member, a Horizon one
        email = f"applicant{i}@demo.example"
        app = guest(services)
        async with app.run_test(size=(80, 24)) as pilot:
            await choose(pilot, "signup")
            await fill(pilot, "key", "DEMO-2026")
            await submit(pilot, "key")
            await details(pilot, login=login, email=email)
            verify = (screen_name(app), text(app, ".guest-help"), text(app, "#message"))
            await fill(pilot, "code", six_digits(last_email(db, email)))
            await submit(pilot, "code")
            done = (screen_name(app), text(app, "#done-text"))
        seen.append(
            tuple(
                part.replace(email, "EMAIL").replace(fr(f"« {login} »"), fr("« LOGIN »"))
                for part in (*verify, *done)
            )
        )
    assert seen[0] == seen[1] == seen[2], seen
    assert seen[0][0] == "SignupVerifyScreen" and seen[0][3] == "GuestDoneScreen"
    assert fr("celui que vous avez demandé, « LOGIN »") in seen[0][4]
    pending = db.execute("SELECT login FROM signup_requests ORDER BY id").fetchall()
    assert [r[0] for r in pending] == ["sam", "alice", "bob"]


# -- one failure counter per flow -----------------------------------------------------------------


async def wrong_keys(pilot: Pilot[Any], count: int) -> None:
    await choose(pilot, "signup")
    for _ in range(count):
        await fill(pilot, "key", "WRONG")
        await submit(pilot, "key")
    await pilot.press("escape")
    await pilot.pause()


async def wrong_activation_codes(pilot: Pilot[Any], count: int) -> None:
    await choose(pilot, "activate")
    for _ in range(count):
        await fill(pilot, "code", "AAAA-BBBB-CCCC")
        await submit(pilot, "code")
    if pilot.app.is_running:
        await pilot.press("escape")
        await pilot.pause()


async def test_a_mistake_in_one_flow_does_not_end_the_session_after_another(
    services: Services, db: Database
) -> None:
    """The issue's scenario: wrong keys in the sign-up, then a password reset that works,
    then a wrong activation code: the session goes on (it closed, sharing one counter)."""
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await wrong_keys(pilot, 4)
        await choose(pilot, "reset")
        await fill(pilot, "identifier", "alice")
        await submit(pilot, "identifier")
        code = six_digits(last_email(db, "alice.martin@demo.example"))
        await fill(pilot, "code", "000000" if code != "000000" else "111111")
        await fill(pilot, "password", GOOD)
        await fill(pilot, "confirm", GOOD)
        await submit(pilot, "confirm")  # one wrong reset code
        await fill(pilot, "code", code)
        await submit(pilot, "confirm")
        assert screen_name(app) == "GuestDoneScreen"
        await pilot.press("enter")
        await wrong_activation_codes(pilot, 4)
        assert app.is_running and screen_name(app) == "GuestMenuScreen"
        assert app.failures == {"signup": 4, "activation": 4, "reset": 1}
        # Each flow ends the session at its own limit: the fifth wrong activation code.
        await wrong_activation_codes(pilot, 1)
    assert app.return_code == 1


async def test_each_flow_has_its_own_limit_and_a_success_resets_none(
    services: Services, monkeypatch: Any
) -> None:
    monkeypatch.setattr(GuestApp, "FAILURE_LIMITS", {"signup": 3, "activation": 2, "reset": 5})
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await wrong_activation_codes(pilot, 1)
        await choose(pilot, "signup")
        for _ in range(2):
            await fill(pilot, "key", "WRONG")
            await submit(pilot, "key")
        await fill(pilot, "key", "DEMO-2026")  # a success...
        await submit(pilot, "key")
        assert screen_name(app) == "SignupDetailsScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.failures["signup"] == 2  # ...that reset nothing
        await fill(pilot, "key", "WRONG")
        await submit(pilot, "key")  # the third: the sign-up's limit
    assert app.return_code == 1
    assert app.failures == {"signup": 3, "activation": 1, "reset": 0}


# -- activation ----------------------------------------------------------------------------------


def _invite(db: Database, services: Services) -> str:
    marc = members_data.get_member_by_login(db, "marc")
    assert marc is not None
    invitations.invite(
        db,
        marc,
        first_name="Hugo",
        last_name="Petit",
        email="hugo@demo.example",
        login="hugo",
        settings=services.settings,
        now=T0,
    )
    found = re.search(
        r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", last_email(db, "hugo@demo.example")
    )
    assert found
    return found.group(1)


async def test_an_invited_person_activates_their_account(services: Services, db: Database) -> None:
    code = _invite(db, services)
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "activate")
        await fill(pilot, "code", code)
        await submit(pilot, "code")
        assert screen_name(app) == "ActivationPasswordScreen"
        assert "Bienvenue Hugo Petit" in str(app.screen.query_one(".heading", Static).render())
        await fill(pilot, "password", GOOD)
        await fill(pilot, "confirm", GOOD)
        await submit(pilot, "confirm")
        assert screen_name(app) == "GuestDoneScreen"
        assert "hugo@localhost" in text(app, "#done-text")
    assert gate.check_password(db, "hugo", GOOD, ip="127.0.0.1", policy=gate.GatePolicy()).ok


async def test_bad_activation_codes_and_weak_passwords_change_nothing(
    services: Services, db: Database
) -> None:
    code = _invite(db, services)
    clock = Clock()
    before = snapshot(db)
    app = guest(services, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "activate")
        await fill(pilot, "code", "AAAA-BBBB-CCCC")
        await submit(pilot, "code")
        assert "code d'activation n'est pas valable" in text(app, "#message")
        clock.now += invitations.INVITATION_DAYS * 86400 + 1
        await fill(pilot, "code", code)
        await submit(pilot, "code")
        assert "code d'activation n'est pas valable" in text(app, "#message")
        clock.now = T0 + 60
        await fill(pilot, "code", code)
        await submit(pilot, "code")
        await fill(pilot, "password", "hugo-petit-1")
        await fill(pilot, "confirm", "hugo-petit-1")
        await submit(pilot, "confirm")
        assert "trop faible" in text(app, "#message")
        assert screen_name(app) == "ActivationPasswordScreen"
    assert snapshot(db) == before


# -- password reset ----------------------------------------------------------------------------


async def test_a_forgotten_password_is_reset_with_the_emailed_code(
    services: Services, db: Database
) -> None:
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "reset")
        await fill(pilot, "identifier", "alice")
        await submit(pilot, "identifier")
        assert screen_name(app) == "ResetConfirmScreen"
        await fill(pilot, "code", six_digits(last_email(db, "alice.martin@demo.example")))
        await fill(pilot, "password", GOOD)
        await fill(pilot, "confirm", GOOD)
        await submit(pilot, "confirm")
        assert screen_name(app) == "GuestDoneScreen"
    assert gate.check_password(db, "alice", GOOD, ip="127.0.0.1", policy=gate.GatePolicy()).ok


async def test_the_reset_screen_never_tells_whether_the_account_exists(
    services: Services, db: Database
) -> None:
    shown = []
    for identifier in ("alice", "nobody-here"):
        app = guest(services)
        async with app.run_test(size=(80, 24)) as pilot:
            await choose(pilot, "reset")
            await fill(pilot, "identifier", identifier)
            await submit(pilot, "identifier")
            shown.append((screen_name(app), text(app, ".guest-help"), text(app, "#message")))
    assert shown[0] == shown[1]


async def test_wrong_or_expired_reset_codes_change_nothing(
    services: Services, db: Database
) -> None:
    clock = Clock()
    app = guest(services, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "reset")
        await fill(pilot, "identifier", "alice")
        await submit(pilot, "identifier")
        code = six_digits(last_email(db, "alice.martin@demo.example"))
        before = snapshot(db)
        await fill(pilot, "code", "000000" if code != "000000" else "111111")
        await fill(pilot, "password", GOOD)
        await fill(pilot, "confirm", GOOD)
        await submit(pilot, "confirm")
        assert "n'est pas le bon" in text(app, "#message")
        await fill(pilot, "code", code)
        await fill(pilot, "password", "alice")
        await fill(pilot, "confirm", "alice")
        await submit(pilot, "confirm")
        assert "trop faible" in text(app, "#message")
        clock.now += 15 * 60
        await fill(pilot, "password", GOOD)
        await fill(pilot, "confirm", GOOD)
        await submit(pilot, "confirm")
        assert "a expiré" in text(app, "#message")
        assert snapshot(db) == before
    assert gate.check_password(
        db, "alice", "Soleil-Vert-2026!", ip="127.0.0.1", policy=gate.GatePolicy()
    ).ok


async def test_switching_language_keeps_what_was_typed(services: Services) -> None:
    app = guest(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await choose(pilot, "signup")
        await fill(pilot, "key", "DEMO-20")
        await pilot.press("f2")
        await pilot.pause()
        field = app.screen.query_one("#key", Input)
        assert field.value == "DEMO-20" and field.has_focus
        assert "Step 1 of 3" in str(app.screen.query_one(".heading", Static).render())
        await pilot.press(*"26", "enter")
        await settle(pilot)
        assert screen_name(app) == "SignupDetailsScreen"
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen.query_one("#guest-options", OptionList).has_focus
