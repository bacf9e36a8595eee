"""The sections of the member space, in menu order.

Each feature adds one line here; the home screen shows the sections the member may use.
The screens are imported here, at start-up (``portal.app`` imports this module): the first
member to open a section must not stall every other session on the shared event loop
while Python imports its module.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.data.members import Member
from portal.i18n import N_
from portal.screens.account import AccountScreen
from portal.screens.base import PortalScreen
from portal.screens.basket import BasketScreen
from portal.screens.benefits import BenefitsScreen
from portal.screens.contact import ContactScreen
from portal.screens.credentials import CredentialsScreen
from portal.screens.ecards import ECardsScreen
from portal.screens.files import FilesScreen
from portal.screens.help_faq import HelpFaqScreen
from portal.screens.manage.allocations import ManageAllocationsScreen
from portal.screens.manage.catalog import CatalogAdminScreen
from portal.screens.manage.credentials import ManageCredentialsScreen
from portal.screens.manage.home import ManageHomeScreen
from portal.screens.manage.invite import InviteScreen
from portal.screens.manage.member_import import MemberImportScreen
from portal.screens.manage.orders import ManageOrdersScreen
from portal.screens.manage.organizations import OrganizationsScreen
from portal.screens.manage.signups import SignupsScreen
from portal.screens.membership_card import MembershipCardScreen
from portal.screens.orders import OrdersScreen
from portal.screens.shop import ShopScreen


@dataclass(frozen=True)
class Section:
    """One entry of the home menu."""

    id: str
    label: str
    """Message id of the label (translated when shown)."""
    help: str
    """Message id of a one-line description."""
    screen: type[PortalScreen]
    """The section's screen (built with no argument when the section is opened)."""
    roles: tuple[str, ...] = ("member", "manager", "admin")

    def allowed(self, member: Member) -> bool:
        """Whether this member may open the section."""
        return member.role in self.roles

    def make_screen(self) -> PortalScreen:
        """A new screen for the section."""
        return self.screen()


SECTIONS: tuple[Section, ...] = (
    Section(
        "account",
        N_("My account"),
        N_("Name, login, password, two-factor authentication, language"),
        AccountScreen,
    ),
    Section(
        "contact",
        N_("Contact details & preferences"),
        N_("Communication email, postal address, newsletter, language"),
        ContactScreen,
    ),
    Section(
        "benefits",
        N_("My benefits"),
        N_("Subsidies and gift vouchers: what is left, until when"),
        BenefitsScreen,
    ),
    Section(
        "shop",
        N_("Shop"),
        N_("E-cards, cinema and leisure e-tickets, gifts at member prices"),
        ShopScreen,
    ),
    Section(
        "basket",
        N_("Basket"),
        N_("What you are about to order, and what you save"),
        BasketScreen,
    ),
    Section(
        "orders",
        N_("My latest orders"),
        N_("Order history, status, invoices, cancellation"),
        OrdersScreen,
    ),
    Section(
        "credentials",
        N_("My credentials"),
        N_("Documents proving your family situation or quotient familial"),
        CredentialsScreen,
    ),
    Section(
        "ecards",
        N_("My e-tickets & e-cards"),
        N_("Barcodes to show at the checkout, PINs, balances, send by email"),
        ECardsScreen,
    ),
    Section(
        "membership_card",
        N_("My membership card"),
        N_("The QR code partners scan to check your membership"),
        MembershipCardScreen,
    ),
    Section("files", N_("My files"), N_("Your inbox and outbox over SFTP"), FilesScreen),
    Section("help", N_("Help"), N_("Frequently asked questions, support hours"), HelpFaqScreen),
    Section(
        "manage",
        N_("Management home"),
        N_("What waits: sign-ups, documents, orders, locked accounts; members and groups"),
        ManageHomeScreen,
        roles=("manager", "admin"),
    ),
    Section(
        "manage_orders",
        N_("Orders to manage"),
        N_("Ship with a tracking number, cancel and refund"),
        ManageOrdersScreen,
        roles=("manager", "admin"),
    ),
    Section(
        "manage_allocations",
        N_("Allocations"),
        N_("Give subsidies and vouchers, yearly renewal"),
        ManageAllocationsScreen,
        roles=("manager", "admin"),
    ),
    Section(
        "signups",
        N_("Sign-up requests"),
        N_("Validate or refuse the requests to join your organization"),
        SignupsScreen,
        roles=("manager", "admin"),
    ),
    Section(
        "manage_credentials",
        N_("Credentials"),
        N_("Review the documents members sent: validate or refuse"),
        ManageCredentialsScreen,
        roles=("manager", "admin"),
    ),
    Section(
        "invite",
        N_("Invite a member"),
        N_("Send an invitation with a single-use activation code"),
        InviteScreen,
        roles=("manager", "admin"),
    ),
    Section(
        "member_import",
        N_("Import members (CSV)"),
        N_("Create or update members from a CSV file of your SFTP inbox"),
        MemberImportScreen,
        roles=("manager", "admin"),
    ),
    Section(
        "organizations",
        N_("Organizations"),
        N_("Create, rename, deactivate organizations; their managers"),
        OrganizationsScreen,
        roles=("admin",),
    ),
    Section(
        "catalog_admin",
        N_("Catalog"),
        N_("Partners, offers, prices, stock, who sees each offer"),
        CatalogAdminScreen,
        roles=("admin",),
    ),
)
"""Every section; features append theirs in menu order."""


def sections_for(member: Member) -> list[Section]:
    """The sections this member may open."""
    return [s for s in SECTIONS if s.allowed(member)]


def find_section(section_id: str, member: Member) -> Section | None:
    """The section with this id, if this member may open it."""
    return next((s for s in sections_for(member) if s.id == section_id), None)
