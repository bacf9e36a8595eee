"""Groups of members (site, contract type, seniority band... any named group).

A manager creates, renames and deletes their organization's groups; an admin sees every
organization's, each row naming its organization. Enter lists a group's members (and
members are put in groups from their detail screen).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.screens.manage.members import MembersScreen
from portal.services import directory, member_admin
from portal.services.directory import Group
from portal.services.errors import PortalError
from portal.widgets.dialogs import AskDialog, ConfirmDialog
from portal.widgets.table import DataTable


class GroupsScreen(PortalScreen):
    """The table of groups and the keys to change them."""

    CSS_PATH = "../../styles/manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create", "New group", id="groups.create"),
        Binding("r", "rename", "Rename", id="groups.rename"),
        Binding("delete,x", "delete", "Delete", key_display="Del", id="groups.delete"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[Group] = []

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
        table = self.query_one("#groups-table", DataTable)
        table.add_column(_("Group"), key="name")
        table.add_column(_("Members"), key="count")
        if self.portal.member.role == "admin":
            table.add_column(_("Organization"), key="organization")
        table.focus()

    def on_screen_resume(self) -> None:
        """Read again each time the screen shows (first push included)."""
        self.reload()

    @work(exclusive=True, group="groups")
    async def reload(self) -> None:
        """Read the groups again."""
        self.groups = await self.portal.call(directory.list_groups, self.portal.member)
        table = self.query_one("#groups-table", DataTable)
        row = table.cursor_row
        table.clear()
        admin = self.portal.member.role == "admin"
        for group in self.groups:
            cells: list[Any] = [group.name, str(group.member_count)]
            if admin:
                cells.append(group.organization_name)
            table.add_row(*cells, key=str(group.id))
        if self.groups and row is not None:
            table.move_cursor(row=min(row, len(self.groups) - 1))
        if not self.groups:
            self._say(_("No group yet: n creates one."))

    def _selected(self) -> Group | None:
        table = self.query_one("#groups-table", DataTable)
        row = table.cursor_row
        if not self.groups or row is None or not 0 <= row < len(self.groups):
            return None
        return self.groups[row]

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#groups-message", Static)
        message.update(Content(text))
        message.set_classes("error" if error else "success")

    def action_create(self) -> None:
        """Create a group (its name asked)."""

        def answered(name: str | None) -> None:
            if name and name.strip():
                self.change(member_admin.create_group, name, done=_("Group created."))

        self.app.push_screen(AskDialog(_("Name of the new group:"), max_length=60), answered)

    def action_rename(self) -> None:
        """Rename the highlighted group."""
        group = self._selected()
        if group is None:
            return

        def answered(name: str | None) -> None:
            if name and name.strip():
                self.change(member_admin.rename_group, group.id, name, done=_("Group renamed."))

        self.app.push_screen(
            AskDialog(_("New name of the group:"), value=group.name, max_length=60), answered
        )

    def action_delete(self) -> None:
        """Delete the highlighted group, after a confirmation."""
        group = self._selected()
        if group is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(member_admin.delete_group, group.id, done=_("Group deleted."))

        self.app.push_screen(
            ConfirmDialog(
                _(
                    'Delete the group "{name}"? Its {count} member(s) stay, out of the group.',
                    name=group.name,
                    count=group.member_count,
                ),
                _("Delete"),
            ),
            answered,
        )

    @work(group="groups-change")
    async def change(self, fn: Callable[..., Any], *args: Any, done: str) -> None:
        """Run one change, then show the list again."""
        try:
            await self.portal.call(fn, self.portal.member, *args)
        except PortalError as error:
            self._say(error.text(), error=True)
            return
        except PermissionError:
            self._say(_("You may not manage this group."), error=True)
            return
        self._say(done)
        self.reload()

    @on(DataTable.RowSelected, "#groups-table")
    def open_group(self) -> None:
        """List the highlighted group's members."""
        group = self._selected()
        if group is not None:
            self.app.push_screen(MembersScreen(group_id=group.id))
