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
    Section(
        "contact",
        N_("Contact details & preferences"),
        N_("Communication email, postal address, newsletter, language"),
        "portal.screens.contact:ContactScreen",
    ),
    Section(
        "benefits",
        N_("My benefits"),
        N_("Subsidies and gift vouchers: what is left, until when"),
        "portal.screens.benefits:BenefitsScreen",
    ),
    Section(
        "shop",
        N_("Shop"),
        N_("E-cards, cinema and leisure e-tickets, gifts at member prices"),
        "portal.screens.shop:ShopScreen",
    ),
    Section(
        "basket",
        N_("Basket"),
        N_("What you are about to order, and what you save"),
        "portal.screens.basket:BasketScreen",
    ),
    Section(
        "orders",
        N_("My latest orders"),
        N_("Order history, status, invoices, cancellation"),
        "portal.screens.orders:OrdersScreen",
    ),
    Section(
        "manage_orders",
        N_("Orders to manage"),
        N_("Ship with a tracking number, cancel and refund"),
        "portal.screens.manage.orders:ManageOrdersScreen",
        roles=("manager", "admin"),
    ),
    Section(
        "manage_allocations",
        N_("Allocations"),
        N_("Give subsidies and vouchers, yearly renewal"),
        "portal.screens.manage.allocations:ManageAllocationsScreen",
        roles=("manager", "admin"),
    ),
    Section(
        "signups",
        N_("Sign-up requests"),
        N_("Validate or refuse the requests to join your organization"),
        "portal.screens.manage.signups:SignupsScreen",
        roles=("manager", "admin"),
    ),
    Section(
        "invite",
        N_("Invite a member"),
        N_("Send an invitation with a single-use activation code"),
        "portal.screens.manage.invite:InviteScreen",
        roles=("manager", "admin"),
    ),
)
"""Every section; features append theirs in menu order."""


def sections_for(member: Member) -> list[Section]:
    """The sections this member may open."""
    return [s for s in SECTIONS if s.allowed(member)]
