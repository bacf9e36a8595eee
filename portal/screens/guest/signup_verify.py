"""Sign-up, step 3: the code sent to the email; then the request goes to the managers."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Input, Static

from portal.i18n import N_, _
from portal.screens.guest.base import GuestScreen, form_row
from portal.screens.guest.done import GuestDoneScreen
from portal.services import signup
from portal.services.gate import GateError, WrongCode
from portal.services.signup import SignupDraft


class SignupVerifyScreen(GuestScreen):
    """Type back the code; the request is filed only then."""

    ERROR_FIELD = "#code"
    FLOW = "signup"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "resend", "Send a new code", id="signup.resend"),
    ]

    def __init__(self, draft: SignupDraft) -> None:
        super().__init__()
        self.draft = draft

    def screen_title(self) -> str:
        return _("Request an account")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="signup-verify", classes="guest-page"):
            yield Static(_("Step 3 of 3: confirm your email address"), classes="heading")
            yield Static(
                _(
                    "We sent a code to {email}. Type it here; it is valid for {minutes} minutes. "
                    "Ctrl+R sends a new one.",
                    email=escape(self.draft.email),
                    minutes=signup.CODE_TTL // 60,
                ),
                classes="guest-help",
            )
            yield form_row(
                _("Verification code"), Input(id="code", max_length=12, classes="submit")
            )

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    async def submit(self) -> None:
        self.confirm(self.query_one("#code", Input).value)

    @work(exclusive=True, group="signup-verify")
    async def confirm(self, code: str) -> None:
        """File the request when the code is right."""
        try:
            request = await self.guest.call(
                signup.confirm, self.draft, code, ip=self.guest.session.ip, now=self.guest.now()
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
                N_("Request sent"),
                N_(
                    "Thank you {name}. Your request was sent to the managers of {organization}. "
                    "You will receive an email at {email} when they have decided; if accepted, "
                    'it gives the login to sign in with (the one you asked for, "{login}", '
                    "when it is available)."
                ),
                name=request.first_name,
                organization=request.organization_name,
                email=request.email,
                login=request.login,
            )
        )

    def action_resend(self) -> None:
        """Email a new code (the previous one stops working)."""
        self.resend()

    @work(exclusive=True, group="signup-verify")
    async def resend(self) -> None:
        try:
            await self.guest.call(
                signup.resend_code, self.draft, ip=self.guest.session.ip, now=self.guest.now()
            )
        except GateError as error:
            self.show_error(error)
            return
        self.say(_("A new code was sent to {email}.", email=escape(self.draft.email)))
