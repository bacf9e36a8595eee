"""The home screen: a greeting and the menu of sections."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.screens.sections import sections_for


class HomeScreen(PortalScreen):
    """Where a member lands after logging in."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "app.logout", "Log out", id="home.logout", show=True),
    ]

    def screen_title(self) -> str:
        return _("Home")

    def compose_body(self) -> ComposeResult:
        member = self.portal.member
        with Vertical(id="home"):
            yield Static(
                _("Hello {name}!", name=member.first_name), id="greeting", classes="heading"
            )
            yield Static(
                _(
                    "Welcome to the member space of {organization}.",
                    organization=member.organization_name,
                ),
                id="organization",
            )
            options = [
                Option(f"{_(s.label)}\n[dim]{_(s.help)}[/dim]", id=s.id)
                for s in sections_for(member)
            ]
            options.append(
                Option(f"{_('Log out')}\n[dim]{_('End this session')}[/dim]", id="logout")
            )
            yield OptionList(*options, id="menu")

    def on_mount(self) -> None:
        self.query_one("#menu", OptionList).focus()

    @on(OptionList.OptionSelected, "#menu")
    def open_section(self, event: OptionList.OptionSelected) -> None:
        """Open the chosen section (or log out)."""
        if event.option.id == "logout":
            self.portal.action_logout()
            return
        for section in sections_for(self.portal.member):
            if section.id == event.option.id:
                self.app.push_screen(section.make_screen())
                return
