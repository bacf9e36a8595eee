"""Activate an invited account, step 1: the activation code from the invitation email."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from portal.i18n import _
from portal.screens.guest.activation_password import ActivationPasswordScreen
from portal.screens.guest.base import GuestScreen, form_row
from portal.services import invitations
from portal.services.gate import GateError, WrongCode


class ActivationScreen(GuestScreen):
    """Which invitation: the code says it (it is long, random, and works once)."""

    ERROR_FIELD = "#code"
    FLOW = "activation"

    def screen_title(self) -> str:
        return _("Activate an invited account")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="activation", classes="guest-page"):
            yield Static(_("Your invitation"), classes="heading")
            yield Static(
                _(
                    "Type the activation code of your invitation email (like ABCD-EFGH-JKMN). "
                    "It works once and for {days} days.",
                    days=invitations.INVITATION_DAYS,
                ),
                classes="guest-help",
            )
            yield form_row(_("Activation code"), Input(id="code", max_length=32, classes="submit"))

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    async def submit(self) -> None:
        self.find(self.query_one("#code", Input).value)

    @work(exclusive=True, group="activation")
    async def find(self, code: str) -> None:
        """Find the invitation, then ask for the password."""
        if not code.strip():
            self.say(_("Please type the activation code."), error=True)
            return
        try:
            account = await self.guest.call(
                invitations.find, code, ip=self.guest.session.ip, now=self.guest.now()
            )
        except WrongCode as error:
            self.failed(error)
            return
        except GateError as error:
            self.show_error(error)
            return
        self.say("")
        self.app.push_screen(ActivationPasswordScreen(code, account))
