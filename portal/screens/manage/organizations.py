"""Platform admins' organizations: create, rename, deactivate, and their managers.

Each row names the organization, its identification key, its status, how many accounts it
has and its managers. Deactivating stops its members from logging in and ends their live
sessions (confirmed first); the services refuse anyone but an admin.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from portal.i18n import N_, _
from portal.screens.manage.listing import ManageListScreen
from portal.services import org_admin
from portal.services.org_admin import OrganizationRow
from portal.widgets.dialogs import AskDialog, ConfirmDialog, YesNoDialog
from portal.widgets.table import AMOUNT, DataTable


class OrganizationsScreen(ManageListScreen[OrganizationRow]):
    """The table of organizations and the keys to change them."""

    CSS_PATH = "../../styles/admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create", "New organization", id="orgs.create"),
        Binding("r", "rename", "Rename", id="orgs.rename"),
        Binding("d", "toggle_active", "Deactivate/activate", id="orgs.active"),
        Binding("m", "add_manager", "Add a manager", id="orgs.add_manager"),
        Binding("u", "remove_manager", "Remove a manager", id="orgs.remove_manager"),
    ]
    TABLE_ID = "orgs-table"
    MESSAGE_ID = "orgs-message"
    DENIED = N_("Platform admins only.")
    READ_DENIED = DENIED

    def screen_title(self) -> str:
        return _("Organizations")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="organizations", classes="page"):
            yield DataTable(id="orgs-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="orgs-message")

    def on_mount(self) -> None:
        self.add_columns(
            (_("Organization"), "name"),
            (_("Key"), "key"),
            (_("Status"), "status"),
            (_("Accounts"), "members", AMOUNT),
            (_("Managers"), "managers"),
            flex=("name", "managers"),
        )
        self.reload()

    async def fetch(self) -> list[OrganizationRow]:
        return await self.portal.call(org_admin.list_all, self.portal.member)

    def cells(self, item: OrganizationRow) -> list[Any]:
        return [
            item.name,
            item.identification_key or "—",
            _("open (organization)") if item.active else _("closed (organization)"),
            str(item.members),
            item.managers or "—",
        ]

    def key(self, item: OrganizationRow) -> str:
        return str(item.id)

    def action_create(self) -> None:
        """Create an organization (it gets an identification key)."""
        self.ask(
            AskDialog(_("Name of the new organization:"), max_length=80),
            lambda name: self.change(org_admin.create, name, done=_("Organization created.")),
        )

    def action_rename(self) -> None:
        """Rename the selected organization."""
        org = self.selected()
        if org is None:
            return
        self.ask(
            AskDialog(_("New name of the organization:"), value=org.name, max_length=80),
            lambda name: self.change(org_admin.rename, org.id, name, done=_("Saved.")),
        )

    def action_toggle_active(self) -> None:
        """Deactivate the selected organization (or activate it again), confirmed."""
        org = self.selected()
        if org is None:
            return
        if org.active:
            question = _(
                "Deactivate {name}? Its members can no longer log in and their sessions end now.",
                name=org.name,
            )
            dialog: YesNoDialog = ConfirmDialog(question, _("Deactivate"))
        else:
            dialog = YesNoDialog(
                _("Activate {name} again? Its members can log in again.", name=org.name),
                _("Activate"),
            )
        self.confirm(
            dialog,
            org_admin.set_active,
            org.id,
            not org.active,
            sessions=self.portal.services.sessions,
            done=_("Saved."),
        )

    def _ask_manager(self, manager: bool) -> None:
        org = self.selected()
        if org is None:
            return
        sessions = self.portal.services.sessions
        question = (
            _("Login of the member of {name} who becomes a manager:", name=org.name)
            if manager
            else _("Login of the manager of {name} who becomes a member again:", name=org.name)
        )
        self.ask(
            AskDialog(question, max_length=32),
            lambda login: self.change(
                org_admin.set_manager, org.id, login, manager, sessions=sessions, done=_("Saved.")
            ),
        )

    def action_add_manager(self) -> None:
        """Make a member of the selected organization one of its managers."""
        self._ask_manager(True)

    def action_remove_manager(self) -> None:
        """Make a manager of the selected organization a member again."""
        self._ask_manager(False)
