"""Groups of members (site, contract type, seniority band... any named group).

A manager creates, renames and deletes their organization's groups; an admin sees every
organization's, each row naming its organization. Enter lists a group's members (and
members are put in groups from their detail screen).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from portal.i18n import N_, _
from portal.screens.manage.listing import ManageListScreen
from portal.screens.manage.members import MembersScreen
from portal.services import directory, member_admin
from portal.services.directory import Group
from portal.widgets.dialogs import AskDialog, ConfirmDialog
from portal.widgets.table import AMOUNT, ColumnKind, DataTable


class GroupsScreen(ManageListScreen[Group]):
    """The table of groups and the keys to change them."""

    CSS_PATH = "../../styles/manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create", "New group", id="groups.create"),
        Binding("r", "rename", "Rename", id="groups.rename"),
        Binding("delete,x", "delete", "Delete", key_display="Del", id="groups.delete"),
    ]
    TABLE_ID = "groups-table"
    MESSAGE_ID = "groups-message"
    DENIED = N_("You may not manage this group.")
    EMPTY = N_("No group yet: n creates one.")

    def screen_title(self) -> str:
        return _("Groups")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="groups", classes="page"):
            yield Static(
                _("Groups gather members (a site, a contract type...); Enter lists its members."),
                id="groups-help",
            )
            yield DataTable(id="groups-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="groups-message")

    def on_mount(self) -> None:
        columns: list[tuple[str, str] | tuple[str, str, ColumnKind]] = [
            (_("Group"), "name"),
            (_("Members"), "count", AMOUNT),
        ]
        if self.portal.member.role == "admin":
            columns.append((_("Organization"), "organization"))
        self.add_columns(*columns, flex=("name",))

    def on_screen_resume(self) -> None:
        """Read again each time the screen shows (first push included)."""
        self.reload()

    async def fetch(self) -> list[Group]:
        return await self.portal.call(directory.list_groups, self.portal.member)

    def cells(self, item: Group) -> list[Any]:
        cells: list[Any] = [item.name, item.member_count]
        if self.portal.member.role == "admin":
            cells.append(item.organization_name)
        return cells

    def key(self, item: Group) -> str:
        return str(item.id)

    def action_create(self) -> None:
        """Create a group (its name asked)."""
        self.ask(
            AskDialog(_("Name of the new group:"), max_length=60),
            lambda name: self.change(member_admin.create_group, name, done=_("Group created.")),
            blank=False,
        )

    def action_rename(self) -> None:
        """Rename the highlighted group."""
        group = self.selected()
        if group is None:
            return
        self.ask(
            AskDialog(_("New name of the group:"), value=group.name, max_length=60),
            lambda name: self.change(
                member_admin.rename_group, group.id, name, done=_("Group renamed.")
            ),
            blank=False,
        )

    def action_delete(self) -> None:
        """Delete the highlighted group, after a confirmation."""
        group = self.selected()
        if group is None:
            return
        self.confirm(
            ConfirmDialog(
                _(
                    'Delete the group "{name}"? Its {count} member(s) stay, out of the group.',
                    name=group.name,
                    count=group.member_count,
                ),
                _("Delete"),
            ),
            member_admin.delete_group,
            group.id,
            done=_("Group deleted."),
        )

    @on(DataTable.RowSelected, "#groups-table")
    def open_group(self) -> None:
        """List the highlighted group's members."""
        group = self.selected()
        if group is not None:
            self.app.push_screen(MembersScreen(group_id=group.id))
