"""Forgotten password, step 1: which account (the answer never tells whether it exists)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from portal.i18n import _
from portal.screens.guest.base import GuestScreen, form_row
from portal.screens.guest.reset_confirm import ResetConfirmScreen
from portal.services import password_reset
from portal.services.gate import GateError


class ResetRequestScreen(GuestScreen):
    """Ask for a reset code by login or email."""

    ERROR_FIELD = "#identifier"
    FLOW = "reset"

    def screen_title(self) -> str:
        return _("Reset a forgotten password")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="reset-request", classes="guest-page"):
            yield Static(_("Forgotten password"), classes="heading")
            yield Static(
                _(
                    "Type your login, or the email address of your account. If an account "
                    "matches, a code valid for {minutes} minutes is sent to its email address.",
                    minutes=password_reset.CODE_TTL // 60,
                ),
                classes="guest-help",
            )
            yield form_row(
                _("Login or email"), Input(id="identifier", max_length=254, classes="submit")
            )

    def on_mount(self) -> None:
        self.query_one("#identifier", Input).focus()

    async def submit(self) -> None:
        self.request(self.query_one("#identifier", Input).value)

    @work(exclusive=True, group="reset-request")
    async def request(self, identifier: str) -> None:
        """Ask for the code; the next screen looks the same whether the account exists."""
        try:
            reset = await self.guest.call(
                password_reset.request_reset,
                identifier,
                ip=self.guest.session.ip,
                now=self.guest.now(),
            )
        except GateError as error:
            self.show_error(error)
            return
        self.say("")
        self.app.push_screen(ResetConfirmScreen(reset))
