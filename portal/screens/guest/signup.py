"""Sign-up, step 1: the organization's identification key (or 0, then pick the organization)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from portal.data.members import Organization
from portal.i18n import _
from portal.screens.guest.base import GuestScreen, form_row
from portal.screens.guest.signup_details import SignupDetailsScreen
from portal.services import signup
from portal.services.gate import GateError, WrongCode


class SignupKeyScreen(GuestScreen):
    """Which organization the guest asks to join."""

    ERROR_FIELD = "#key"
    FLOW = "signup"

    def __init__(self) -> None:
        super().__init__()
        self._choices: list[Organization] = []

    def screen_title(self) -> str:
        return _("Request an account")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="signup-key", classes="guest-page"):
            yield Static(_("Step 1 of 3: your organization"), classes="heading")
            yield Static(
                _(
                    "Type the identification key that your CSE gave you. If it gave you none, "
                    "type 0 and choose your organization in the list."
                ),
                classes="guest-help",
            )
            yield form_row(
                _("Identification key"), Input(id="key", max_length=64, classes="submit")
            )
            yield OptionList(id="organizations", classes="hidden")

    def on_mount(self) -> None:
        self.query_one("#key", Input).focus()

    async def submit(self) -> None:
        self.check_key(self.query_one("#key", Input).value)

    @work(exclusive=True, group="signup-key")
    async def check_key(self, key: str) -> None:
        """Resolve the key; go on with its organization, or show the list for 0."""
        if not key.strip():
            self.say(_("Please type the identification key, or 0."), error=True)
            return
        try:
            checked = await self.guest.call(signup.check_key, key)
        except WrongCode as error:
            self.failed(error)
            return
        except GateError as error:
            self.show_error(error)
            return
        if checked.organization is not None:
            self.say("")
            self._continue(key, checked.organization, key_verified=True)
            return
        self._choices = checked.choices
        options = self.query_one("#organizations", OptionList)
        options.clear_options()
        options.add_options([Option(escape(o.name), id=str(o.id)) for o in checked.choices])
        options.remove_class("hidden")
        if checked.choices:
            self.say(_("Choose your organization, then press Enter."))
            options.highlighted = 0
            options.focus()
        else:
            options.add_class("hidden")
            self.say(
                _(
                    "No organization can be chosen from a list here: ask your CSE for its "
                    "identification key, then type it above."
                ),
                error=True,
            )

    @on(OptionList.OptionSelected, "#organizations")
    def choose(self, event: OptionList.OptionSelected) -> None:
        """An organization picked from the list (key 0)."""
        chosen = next((o for o in self._choices if str(o.id) == event.option.id), None)
        if chosen is not None:
            self._continue(signup.NO_KEY, chosen, key_verified=False)

    def _continue(self, key: str, organization: Organization, *, key_verified: bool) -> None:
        self.app.push_screen(SignupDetailsScreen(key, organization, key_verified=key_verified))
