"""Activate an invited account, step 2: choose the password."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Button, Input, Static

from portal.i18n import N_, _
from portal.screens.guest.base import GuestScreen, form_row
from portal.screens.guest.done import GuestDoneScreen
from portal.services import invitations
from portal.services.gate import GateError, WrongCode
from portal.services.invitations import InvitedAccount
from portal.services.password_policy import strength
from portal.widgets.strength import StrengthMeter


class ActivationPasswordScreen(GuestScreen):
    """The invited person chooses their password; the account becomes active."""

    ERROR_FIELD = "#password"
    FLOW = "activation"

    def __init__(self, code: str, account: InvitedAccount) -> None:
        super().__init__()
        self.code = code
        self.account = account

    def screen_title(self) -> str:
        return _("Activate an invited account")

    def compose_body(self) -> ComposeResult:
        account = self.account
        with Vertical(id="activation-password", classes="guest-page"):
            yield Static(_("Welcome {name}!", name=escape(account.full_name)), classes="heading")
            yield Static(
                _(
                    'Your login is "{login}" at {organization}. Choose your password: at least '
                    "12 characters, without your name or login.",
                    login=escape(account.login),
                    organization=escape(account.organization_name),
                ),
                classes="guest-help",
            )
            yield form_row(_("Password"), Input(id="password", password=True, max_length=256))
            yield form_row(
                _("Confirm password"),
                Input(id="confirm", password=True, max_length=256, classes="submit"),
            )
            yield form_row("", StrengthMeter(id="strength"))
            yield Button(_("Activate my account"), id="activate", compact=True)

    def on_mount(self) -> None:
        self.query_one("#password", Input).focus()

    @on(Input.Changed, "#password")
    def update_strength(self, event: Input.Changed) -> None:
        """Draw the strength of the password being typed."""
        meter = self.query_one("#strength", StrengthMeter)
        meter.score = (
            strength(event.value, user_inputs=[self.account.login, self.account.full_name])
            if event.value
            else None
        )

    @on(Button.Pressed, "#activate")
    async def activate_pressed(self) -> None:
        await self.submit()

    async def submit(self) -> None:
        self.activate(
            self.query_one("#password", Input).value, self.query_one("#confirm", Input).value
        )

    @work(exclusive=True, group="activation-password")
    async def activate(self, password: str, confirm: str) -> None:
        """Set the password and activate; the code is spent."""
        try:
            member = await self.guest.call(
                invitations.activate,
                self.code,
                password,
                confirm,
                language=self.guest.language,
                ip=self.guest.session.ip,
                now=self.guest.now(),
            )
        except WrongCode as error:
            self.failed(error)
            return
        except GateError as error:
            self.show_error(error)
            return
        settings = self.guest.services.settings
        port = "" if settings.port == 22 else f"-p {settings.port} "
        await self.app.push_screen(
            GuestDoneScreen(
                N_("Account activated"),
                N_(
                    "Your account is active. Sign in with your login and your new password:\n\n"
                    "    {command}"
                ),
                command=f"ssh {port}{member.login}@{settings.public_host}",
            )
        )
