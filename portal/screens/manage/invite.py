"""Invite a member: the manager types who, the person receives a single-use activation
code by email and activates their account at the guest entry (``ssh welcome@…``).

A manager invites into their own organization (an admin into theirs from here); the
service checks it again, and audits the invitation.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, RadioSet, Static

from portal.data.members import Member
from portal.i18n import LANGUAGES, _
from portal.screens.base import PortalScreen
from portal.services import invitations
from portal.services.gate import GateError
from portal.widgets.toggles import RadioButton

FIELDS = ("first-name", "last-name", "email", "login")


class InviteScreen(PortalScreen):
    """A four-field form; Enter moves to the next field and sends from the last."""

    CSS_PATH = "../../styles/manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send the invitation", id="invite.send"),
    ]

    def screen_title(self) -> str:
        return _("Invite a member")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="invite", classes="page"):
            yield Static(
                _(
                    "The person receives an activation code by email (valid 7 days, usable "
                    "once) and activates the account at the guest entry of {organization}.",
                    organization=self.portal.member.organization_name,
                ),
                id="invite-help",
            )
            for field, label in zip(
                FIELDS, (_("First name"), _("Last name"), _("Email"), _("Login")), strict=True
            ):
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="form-label")
                    yield Input(id=f"invite-{field}")
            with Horizontal(classes="form-row"):
                yield Label(_("Language"), classes="form-label")
                with RadioSet(id="invite-language"):
                    for code, name in LANGUAGES.items():
                        yield RadioButton(name, value=code == "fr", id=f"invite-lang-{code}")
            yield Static("", id="invite-message")

    def on_mount(self) -> None:
        self.query_one("#invite-first-name", Input).focus()

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        """Enter moves on; in the last field it sends."""
        ids = [f"invite-{f}" for f in FIELDS]
        if event.input.id == ids[-1]:
            self.action_send()
        elif event.input.id in ids:
            self.query_one(f"#{ids[ids.index(event.input.id) + 1]}", Input).focus()

    def _value(self, field: str) -> str:
        return self.query_one(f"#invite-{field}", Input).value

    def action_send(self) -> None:
        """Create the invited account and email its code."""
        pressed = self.query_one("#invite-language", RadioSet).pressed_button
        language = (pressed.id or "").removeprefix("invite-lang-") if pressed else "fr"
        self._send(
            first_name=self._value("first-name"),
            last_name=self._value("last-name"),
            email=self._value("email"),
            login=self._value("login"),
            language=language if language in LANGUAGES else "fr",
        )

    @work(exclusive=True, group="invite")
    async def _send(self, **fields: str) -> None:
        actor = self.portal.member
        message = self.query_one("#invite-message", Static)
        try:
            invited: Member = await self.portal.call(
                invitations.invite,
                actor,
                organization_id=actor.organization_id,
                settings=self.portal.services.settings,
                **fields,
            )
        except GateError as error:
            message.update(error.text())
            message.set_classes("error")
            return
        except PermissionError:
            message.update(_("Only managers of the organization may invite."))
            message.set_classes("error")
            return
        for field in FIELDS:
            self.query_one(f"#invite-{field}", Input).value = ""
        self.query_one("#invite-first-name", Input).focus()
        message.update(
            _(
                "Invitation sent to {email}: {login} can now activate the account.",
                email=invited.org_email,
                login=invited.login,
            )
        )
        message.set_classes("success")
