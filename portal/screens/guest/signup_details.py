"""Sign-up, step 2: name, email, chosen login and password."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Button, Input, Static

from portal.data.members import Organization
from portal.i18n import _
from portal.screens.guest.base import GuestScreen, form_row
from portal.screens.guest.signup_verify import SignupVerifyScreen
from portal.services import signup
from portal.services.gate import GateError
from portal.services.password_policy import strength
from portal.widgets.strength import StrengthMeter


class SignupDetailsScreen(GuestScreen):
    """Who the guest is; the password is hashed at once, the email gets a code."""

    FLOW = "signup"

    def __init__(self, key: str, organization: Organization, *, key_verified: bool) -> None:
        super().__init__()
        self.key = key
        self.organization = organization
        self.key_verified = key_verified

    def screen_title(self) -> str:
        return _("Request an account")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="signup-details", classes="guest-page"):
            yield Static(
                _(
                    "Step 2 of 3: your request to {organization}",
                    organization=escape(self.organization.name),
                ),
                classes="heading",
            )
            yield form_row(_("First name"), Input(id="first-name", max_length=60))
            yield form_row(_("Last name"), Input(id="last-name", max_length=60))
            yield form_row(_("Email"), Input(id="email", max_length=254))
            yield form_row(_("Chosen login"), Input(id="login", max_length=32))
            yield form_row(_("Password"), Input(id="password", password=True, max_length=256))
            yield form_row(
                _("Confirm password"),
                Input(id="confirm", password=True, max_length=256, classes="submit"),
            )
            yield form_row("", StrengthMeter(id="strength"))
            yield Static(
                _(
                    "At least 12 characters; a phrase of several words is easy to "
                    "remember and hard to guess."
                ),
                classes="guest-help",
            )
            yield Button(_("Send me a verification code"), id="send", compact=True)

    def on_mount(self) -> None:
        self.query_one("#first-name", Input).focus()

    @on(Input.Changed, "#password")
    def update_strength(self, event: Input.Changed) -> None:
        """Draw the strength of the password being typed."""
        inputs = [
            self.query_one(f"#{name}", Input).value for name in ("login", "first-name", "last-name")
        ]
        meter = self.query_one("#strength", StrengthMeter)
        meter.score = strength(event.value, user_inputs=inputs) if event.value else None

    @on(Button.Pressed, "#send")
    async def send_pressed(self) -> None:
        await self.submit()

    async def submit(self) -> None:
        self.send()

    @work(exclusive=True, group="signup-details")
    async def send(self) -> None:
        """Check everything and email a code; nothing is stored before it is typed back."""
        values = {
            name: self.query_one(f"#{name}", Input).value
            for name in ("first-name", "last-name", "email", "login", "password", "confirm")
        }
        self.say(_("Checking…"))
        try:
            draft = await self.guest.call(
                signup.start,
                key=self.key,
                organization_id=self.organization.id,
                first_name=values["first-name"],
                last_name=values["last-name"],
                email=values["email"],
                login=values["login"],
                password=values["password"],
                confirm=values["confirm"],
                language=self.guest.language,
                guest_username=self.guest.services.settings.guest_username,
                ip=self.guest.session.ip,
                now=self.guest.now(),
            )
        except GateError as error:
            self.show_error(error)
            return
        self.say("")
        self.app.push_screen(SignupVerifyScreen(draft))
