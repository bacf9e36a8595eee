"""Every email to a person goes through ``services.emails``: one greeting, one footer, their
language."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sqlite_utils import Database

from portal.data import members as members_data
from portal.i18n import N_, get_translator
from portal.services import account, accounts, emails, gate, invitations, password_reset, signup
from portal.services.emails import FOOTER, Template
from tests.mail_helpers import bodies
from tests.signup_helpers import start_signup

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_800_000_000.0
ALICE_PASSWORD = "Soleil-Vert-2026!"
NEW_PASSWORD = "Lanterne-Orage-Piano-77"

# Modules that still queue an email with text they compose themselves (and why).
COMPOSED_ELSEWHERE = {
    "portal/services/emails.py",  # the one path
    # Order letters compose their lines; they move to ``emails.notify_member_with`` with
    # the orders split (which owns these files).
    "portal/services/order_emails.py",
    "portal/services/fulfilment.py",
    "portal/services/contact.py",  # renders emails.VERIFY_EMAIL_CODE, queues it sensitive
}


def _outbox(db: Database) -> list[tuple[str, str, str]]:
    rows = db.execute("SELECT recipient, subject FROM email_outbox ORDER BY id").fetchall()
    return [(r[0], r[1], b) for r, b in zip(rows, bodies(db), strict=True)]


def _member(db: Database, login: str):  # type: ignore[no-untyped-def]
    found = members_data.get_member_by_login(db, login)
    assert found is not None
    return found


def _send_every_member_email(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    """Lock, reset code and notice, password change, invitation, activation, sign-up."""
    for i in range(gate.GatePolicy().lock_after):
        gate.check_password(
            db, "alice", f"wrong-{i}", ip="10.0.0.1", policy=gate.GatePolicy(), now=T0 + i
        )
    reset = password_reset.request_reset(db, "alice", ip="10.0.0.1", now=T0)
    code = re.findall(r"^    (\d{6})$", _outbox(db)[-1][2], re.M)[-1]
    password_reset.complete_reset(db, reset, code, NEW_PASSWORD, NEW_PASSWORD, now=T0)
    assert account.change_password(db, _member(db, "alice"), NEW_PASSWORD, ALICE_PASSWORD).ok
    invitations.invite(
        db,
        _member(db, "marc"),
        first_name="Hugo",
        last_name="Petit",
        email="hugo.petit@demo.example",
        login="hugo",
        settings=settings,
        now=T0,
    )
    found = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", _outbox(db)[-1][2])
    assert found
    invitations.activate(db, found.group(1), NEW_PASSWORD, NEW_PASSWORD, now=T0)
    draft = start_signup(
        db, email="chloe.bernard@mail.example", password=NEW_PASSWORD, confirm=NEW_PASSWORD
    )
    code = re.findall(r"^    (\d{6})$", _outbox(db)[-1][2], re.M)[-1]
    request = signup.confirm(db, draft, code, ip="10.0.0.5", now=T0)
    signup.approve(db, _member(db, "marc"), request.id, settings=settings)


def test_every_member_email_has_the_same_greeting_and_footer(db: Database, settings) -> None:  # type: ignore[no-untyped-def]
    _send_every_member_email(db, settings)
    sent = _outbox(db)
    subjects = {subject for _to, subject, _body in sent}
    # lock, reset code, password changed (after the reset and in My Account: one
    # subject), invitation, activation, sign-up code, managers' notice, account ready
    assert len(subjects) == 8, subjects
    footer = get_translator("fr").gettext(FOOTER)
    for _to, subject, body in sent:
        assert body.startswith("Bonjour "), (subject, body)
        assert body.endswith(f"\n\n-- \n{footer}\n"), (subject, body)
        assert body.count(footer) == 1 and "\n\n\n" not in body, (subject, body)


def test_a_member_email_is_in_the_member_language(db: Database) -> None:
    accounts.set_language(db, _member(db, "alice"), "en")
    password_reset.request_reset(db, "alice", ip="10.0.0.1", now=T0)
    _to, subject, body = _outbox(db)[-1]
    assert subject == "Your Portal password reset code"
    assert body.startswith("Hello Alice,\n\n")
    assert body.endswith(f"-- \n{FOOTER}\n")


def test_render_fills_the_template_and_adds_the_footer_once() -> None:
    template = Template(subject=N_("Your Portal account is active"), body="Hello {name},\n\nX.\n")
    message = emails.render(get_translator("fr"), template, name="Léa", login="lea")
    assert message.subject == "Votre compte Portal est actif"
    assert message.body.startswith("Hello Léa,\n\nX.\n\n-- \n")
    assert message.body.endswith(get_translator("fr").gettext(FOOTER) + "\n")


def test_a_computed_email_gets_the_same_footer_and_language(db: Database) -> None:
    alice = _member(db, "alice")

    def write(t, member):  # type: ignore[no-untyped-def]
        return t.gettext("Delivery"), t.gettext("Hello {name},", name=member.first_name) + "\n"

    emails.notify_member_with(db, alice.id, write)
    to, subject, body = _outbox(db)[-1]
    footer = get_translator("fr").gettext(FOOTER)
    assert to == "alice.martin@demo.example" and subject == get_translator("fr").gettext("Delivery")
    assert body == f"Bonjour Alice,\n\n-- \n{footer}\n"


def test_only_the_emails_module_queues_an_email() -> None:
    """A new email written with ``notifications.enqueue`` would skip the greeting/footer."""
    offenders = []
    for path in sorted((ROOT / "portal").rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        if relative in COMPOSED_ELSEWHERE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute | ast.Name)
                and (getattr(node.func, "attr", None) or getattr(node.func, "id", None))
                == "enqueue"
            ):
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []
