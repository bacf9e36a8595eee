"""The guest menu: the three things the guest entry offers."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from portal.i18n import _
from portal.screens.guest.activation import ActivationScreen
from portal.screens.guest.base import GuestScreen
from portal.screens.guest.reset import ResetRequestScreen
from portal.screens.guest.signup import SignupKeyScreen


class GuestMenuScreen(GuestScreen):
    """Where ``ssh welcome@host`` lands."""

    def screen_title(self) -> str:
        return _("Welcome")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="guest-menu", classes="guest-page"):
            yield Static(_("Welcome to Portal, the member space of your CSE."), classes="heading")
            yield Static(_("You are not signed in. Here you can:"), id="guest-intro")
            yield OptionList(
                Option(
                    f"{_('Request an account')}\n"
                    f"[dim]{_('With the identification key your CSE gave you (or 0)')}[/dim]",
                    id="signup",
                ),
                Option(
                    f"{_('Activate an invited account')}\n"
                    f"[dim]{_('With the activation code received by email')}[/dim]",
                    id="activate",
                ),
                Option(
                    f"{_('Reset a forgotten password')}\n"
                    f"[dim]{_('A code is sent to the email address of your account')}[/dim]",
                    id="reset",
                ),
                Option(f"{_('Leave')}\n[dim]{_('End this session')}[/dim]", id="leave"),
                id="guest-options",
            )
            yield Static(
                _("Members sign in with their own login: ssh login@this-address."),
                id="guest-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#guest-options", OptionList).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The menu is the first screen: there is nothing to go back to.
        return action != "back"

    @on(OptionList.OptionSelected, "#guest-options")
    def open_choice(self, event: OptionList.OptionSelected) -> None:
        """Open the chosen flow."""
        choice = event.option.id
        if choice == "signup":
            self.app.push_screen(SignupKeyScreen())
        elif choice == "activate":
            self.app.push_screen(ActivationScreen())
        elif choice == "reset":
            self.app.push_screen(ResetRequestScreen())
        elif choice == "leave":
            self.guest.action_leave()
