"""The sections of the member space, in menu order.

Each feature adds one line here; the home screen shows the sections the member may use.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from textual.screen import Screen

from portal.data.members import Member
from portal.i18n import N_


@dataclass(frozen=True)
class Section:
    """One entry of the home menu."""

    id: str
    label: str
    """Message id of the label (translated when shown)."""
    help: str
    """Message id of a one-line description."""
    screen: str
    """``module:Class`` of the screen, imported when opened (keeps start-up light)."""
    roles: tuple[str, ...] = ("member", "manager", "admin")

    def allowed(self, member: Member) -> bool:
        """Whether this member may open the section."""
        return member.role in self.roles

    def make_screen(self) -> Screen[None]:
        """Instantiate the section's screen."""
        module, _, name = self.screen.partition(":")
        return getattr(importlib.import_module(module), name)()  # type: ignore[no-any-return]


SECTIONS: tuple[Section, ...] = (
    Section(
        "account",
        N_("My account"),
        N_("Name, login, password, two-factor authentication, language"),
        "portal.screens.account:AccountScreen",
    ),
    Section("contact", N_("Contact details & preferences"), N_("Communication email, postal address, newsletter, language"), "portal.screens.contact:ContactScreen"),
)
"""Every section; features append theirs in menu order."""


def sections_for(member: Member) -> list[Section]:
    """The sections this member may open."""
    return [s for s in SECTIONS if s.allowed(member)]
