"""Forgotten password, step 2: the code received by email and the new password."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Static

from portal.i18n import N_, _
from portal.screens.guest.base import GuestScreen, form_row
from portal.screens.guest.done import GuestDoneScreen
from portal.services import password_reset
from portal.services.gate import GateError, WrongCode
from portal.services.password_policy import strength
from portal.services.password_reset import ResetChallenge
from portal.widgets.strength import StrengthMeter


class ResetConfirmScreen(GuestScreen):
    """Type the code and a new password (the code works once, in this session only)."""

    ERROR_FIELD = "#code"
    FLOW = "reset"

    def __init__(self, reset: ResetChallenge) -> None:
        super().__init__()
        self.reset = reset

    def screen_title(self) -> str:
        return _("Reset a forgotten password")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="reset-confirm", classes="guest-page"):
            yield Static(_("Choose a new password"), classes="heading")
            yield Static(
                _(
                    "If an account matches, a code was sent to its email address. It is valid for "
                    "{minutes} minutes and works only in this session.",
                    minutes=password_reset.CODE_TTL // 60,
                ),
                classes="guest-help",
            )
            yield form_row(_("Code from the email"), Input(id="code", max_length=12))
            yield form_row(_("New password"), Input(id="password", password=True, max_length=256))
            yield form_row(
                _("Confirm password"),
                Input(id="confirm", password=True, max_length=256, classes="submit"),
            )
            yield form_row("", StrengthMeter(id="strength"))
            yield Button(_("Change my password"), id="change", compact=True)

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    @on(Input.Changed, "#password")
    def update_strength(self, event: Input.Changed) -> None:
        """Draw the strength of the password being typed."""
        meter = self.query_one("#strength", StrengthMeter)
        meter.score = strength(event.value) if event.value else None

    @on(Button.Pressed, "#change")
    async def change_pressed(self) -> None:
        await self.submit()

    async def submit(self) -> None:
        self.change(
            *(self.query_one(f"#{name}", Input).value for name in ("code", "password", "confirm"))
        )

    @work(exclusive=True, group="reset-confirm")
    async def change(self, code: str, password: str, confirm: str) -> None:
        """Check the code, then set the password."""
        try:
            await self.guest.call(
                password_reset.complete_reset,
                self.reset,
                code,
                password,
                confirm,
                language=self.guest.language,
                sessions=self.guest.services.sessions,
                ip=self.guest.session.ip,
                now=self.guest.now(),
            )
        except WrongCode as error:
            field = self.query_one("#code", Input)
            field.value = ""
            field.focus()  # the code is what to type again
            self.failed(error)
            return
        except GateError as error:
            self.show_error(error)
            return
        await self.app.push_screen(
            GuestDoneScreen(
                N_("Password changed"),
                N_(
                    "Your password was changed. Sign in with your login and the new password; "
                    "your other sessions were closed."
                ),
            )
        )
