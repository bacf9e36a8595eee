"""Platform admins' organizations: create, rename, deactivate, and their managers.

Each row names the organization, its identification key, its status, how many accounts it
has and its managers. Deactivating stops its members from logging in and ends their live
sessions (confirmed first); the services refuse anyone but an admin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.services import org_admin
from portal.services.errors import PortalError
from portal.services.org_admin import OrganizationRow
from portal.widgets.dialogs import AskDialog, ConfirmDialog, YesNoDialog
from portal.widgets.table import DataTable


class OrganizationsScreen(PortalScreen):
    """The table of organizations and the keys to change them."""

    CSS_PATH = "../../styles/admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create", "New organization", id="orgs.create"),
        Binding("r", "rename", "Rename", id="orgs.rename"),
        Binding("d", "toggle_active", "Deactivate/activate", id="orgs.active"),
        Binding("m", "add_manager", "Add a manager", id="orgs.add_manager"),
        Binding("u", "remove_manager", "Remove a manager", id="orgs.remove_manager"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[OrganizationRow] = []

    def screen_title(self) -> str:
        return _("Organizations")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="organizations", classes="page"):
            yield DataTable(id="orgs-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="orgs-message")

    def on_mount(self) -> None:
        table = self.query_one("#orgs-table", DataTable)
        table.add_column(_("Organization"), key="name")
        table.add_column(_("Key"), key="key")
        table.add_column(_("Status"), key="status")
        table.add_column(_("Accounts"), key="members")
        table.add_column(_("Managers"), key="managers")
        table.focus()
        self.reload()

    @work(exclusive=True, group="orgs")
    async def reload(self) -> None:
        """Read the organizations again."""
        try:
            self.rows = await self.portal.call(org_admin.list_all, self.portal.member)
        except PermissionError:
            self._say(_("Platform admins only."), error=True)
            return
        table = self.query_one("#orgs-table", DataTable)
        row = table.cursor_row
        table.clear()
        for org in self.rows:
            table.add_row(
                org.name,
                org.identification_key or "—",
                _("open (organization)") if org.active else _("closed (organization)"),
                str(org.members),
                org.managers or "—",
                key=str(org.id),
            )
        if self.rows:
            table.move_cursor(row=min(row, len(self.rows) - 1))

    def _selected(self) -> OrganizationRow | None:
        table = self.query_one("#orgs-table", DataTable)
        if not self.rows or table.cursor_row < 0:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    def _say(self, message: str, *, error: bool = False) -> None:
        widget = self.query_one("#orgs-message", Static)
        widget.update(Content(message))
        widget.set_classes("error" if error else "success")

    @work(group="orgs-change")
    async def change(self, fn: Callable[..., Any], *args: Any, done: str, **kwargs: Any) -> None:
        """Run one change, then read the organizations again."""
        try:
            await self.portal.call(fn, self.portal.member, *args, **kwargs)
        except PortalError as error:
            self._say(error.text(), error=True)
            return
        except PermissionError:
            self._say(_("Platform admins only."), error=True)
            return
        self._say(done)
        self.reload()

    def action_create(self) -> None:
        """Create an organization (it gets an identification key)."""

        def answered(name: str | None) -> None:
            if name:
                self.change(org_admin.create, name, done=_("Organization created."))

        self.app.push_screen(AskDialog(_("Name of the new organization:"), max_length=80), answered)

    def action_rename(self) -> None:
        """Rename the selected organization."""
        org = self._selected()
        if org is None:
            return

        def answered(name: str | None) -> None:
            if name:
                self.change(org_admin.rename, org.id, name, done=_("Saved."))

        self.app.push_screen(
            AskDialog(_("New name of the organization:"), value=org.name, max_length=80), answered
        )

    def action_toggle_active(self) -> None:
        """Deactivate the selected organization (or activate it again), confirmed."""
        org = self._selected()
        if org is None:
            return
        sessions = self.portal.services.sessions
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

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(
                    org_admin.set_active,
                    org.id,
                    not org.active,
                    sessions=sessions,
                    done=_("Saved."),
                )

        self.app.push_screen(dialog, answered)

    def _ask_manager(self, manager: bool) -> None:
        org = self._selected()
        if org is None:
            return
        sessions = self.portal.services.sessions

        def answered(login: str | None) -> None:
            if login:
                self.change(
                    org_admin.set_manager,
                    org.id,
                    login,
                    manager,
                    sessions=sessions,
                    done=_("Saved."),
                )

        question = (
            _("Login of the member of {name} who becomes a manager:", name=org.name)
            if manager
            else _("Login of the manager of {name} who becomes a member again:", name=org.name)
        )
        self.app.push_screen(AskDialog(question, max_length=32), answered)

    def action_add_manager(self) -> None:
        """Make a member of the selected organization one of its managers."""
        self._ask_manager(True)

    def action_remove_manager(self) -> None:
        """Make a manager of the selected organization a member again."""
        self._ask_manager(False)
