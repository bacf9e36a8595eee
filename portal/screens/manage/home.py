"""The management home ("Gestion"): what waits, and every management screen.

Four counters (sign-up requests, documents to review, orders to ship, locked accounts)
each open the screen where the work is done; below them, the directory, groups,
invitations and organization settings. A manager sees their organization's figures,
an admin every organization's.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.screens.context import OpenSection
from portal.screens.manage.audit import AuditScreen
from portal.screens.manage.dashboard import DashboardScreen
from portal.screens.manage.deletions import DeletionsScreen
from portal.screens.manage.exports import ExportsScreen
from portal.screens.manage.faq import FaqEditorScreen
from portal.screens.manage.groups import GroupsScreen
from portal.screens.manage.invitations import InvitationsScreen
from portal.screens.manage.members import MembersScreen
from portal.screens.manage.org_settings import OrganizationSettingsScreen
from portal.services import directory
from portal.services.directory import PendingCounts

SCREENS = {
    "members": MembersScreen,
    "locked": MembersScreen,
    "groups": GroupsScreen,
    "invitations": InvitationsScreen,
    "org_settings": OrganizationSettingsScreen,
    "faq": FaqEditorScreen,
    "dashboard": DashboardScreen,
    "audit": AuditScreen,
    "exports": ExportsScreen,
    "deletions": DeletionsScreen,
}
"""Entries opening a screen of this package (the others open a home section)."""
SECTION_OF = {
    "signups": "signups",
    "orders_to_ship": "manage_orders",
    "documents": "manage_credentials",
    "allocations": "manage_allocations",
    "invite": "invite",
    "member_import": "member_import",
    "organizations": "organizations",
    "catalog_admin": "catalog_admin",
}
"""Entries opening a section of the home menu (by ``Section.id``)."""


class ManageHomeScreen(PortalScreen):
    """Counters of what waits, then the management screens."""

    CSS_PATH = "../../styles/manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "reload", "Refresh", id="manage_home.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.counts: PendingCounts | None = None

    def screen_title(self) -> str:
        return _("Management")

    def compose_body(self) -> ComposeResult:
        member = self.portal.member
        scope = (
            _("Every organization")
            if member.role == "admin"
            else _("Organization: {name}", name=member.organization_name)
        )
        with Vertical(id="manage-home", classes="page"):
            yield Static(scope, id="manage-scope", classes="heading")
            yield OptionList(*self._options(), id="manage-menu")

    def _options(self) -> list[Option | None]:
        counts = self.counts

        def count(value: int | None) -> str:  # None: not read yet
            if counts is None:
                return "…"
            return str(value)

        return [
            Option(
                _("Sign-up requests: {n}", n=count(counts.signups if counts else None)),
                id="signups",
            ),
            Option(
                _("Documents to review: {n}", n=count(counts.documents if counts else None)),
                id="documents",
            ),
            Option(
                _("Orders to ship: {n}", n=count(counts.orders_to_ship if counts else None)),
                id="orders_to_ship",
            ),
            Option(
                _("Locked accounts: {n}", n=count(counts.locked if counts else None)), id="locked"
            ),
            None,
            Option(_("Members"), id="members"),
            Option(_("Groups"), id="groups"),
            Option(_("Invite a member"), id="invite"),
            Option(_("Pending invitations"), id="invitations"),
            Option(_("Allocations"), id="allocations"),
            Option(_("Organization settings"), id="org_settings"),
            Option(_("Import members (CSV)"), id="member_import"),
            Option(_("Help for members"), id="faq"),
            *self._admin_options(),
            None,
            Option(_("Dashboard"), id="dashboard"),
            Option(_("Audit log"), id="audit"),
            Option(_("Exports"), id="exports"),
            Option(_("Deletion requests"), id="deletions"),
        ]

    def _admin_options(self) -> list[Option]:
        """Platform admins' entries (organizations, catalog)."""
        if self.portal.member.role != "admin":
            return []
        return [
            Option(_("Organizations"), id="organizations"),
            Option(_("Catalog"), id="catalog_admin"),
        ]

    def on_mount(self) -> None:
        self.query_one("#manage-menu", OptionList).focus()

    def on_screen_resume(self) -> None:
        """Read again each time the screen shows (first push included)."""
        self.reload()

    @work(exclusive=True, group="manage-home")
    async def reload(self) -> None:
        """Read the counters again."""
        self.counts = await self.portal.call(directory.pending_counts, self.portal.member)
        menu = self.query_one("#manage-menu", OptionList)
        highlighted = menu.highlighted
        menu.clear_options()
        menu.add_options(self._options())
        menu.highlighted = highlighted if highlighted is not None else 0

    def action_reload(self) -> None:
        """Refresh the counters."""
        self.reload()

    @on(OptionList.OptionSelected, "#manage-menu")
    def open_entry(self, event: OptionList.OptionSelected) -> None:
        """Open the screen behind an entry."""
        entry = event.option.id or ""
        if entry == "locked":
            self.app.push_screen(MembersScreen(status="locked"))
        elif entry in SCREENS:
            self.app.push_screen(SCREENS[entry]())
        elif entry in SECTION_OF:
            self.post_message(OpenSection(SECTION_OF[entry]))
