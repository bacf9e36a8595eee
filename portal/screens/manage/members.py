"""The member directory: search as you type, filters by status and group, pages of 50.

A manager sees their organization's members and managers; an admin every organization's,
with a column naming each row's organization. Enter opens the member's detail.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from portal.i18n import N_, _
from portal.screens.base import PortalScreen
from portal.screens.manage.member_detail import MemberDetailScreen, role_label, status_label
from portal.services import directory
from portal.services.directory import Group, SearchResult
from portal.services.errors import PortalError
from portal.widgets.table import DataTable

STATUS_FILTERS: tuple[tuple[str | None, str], ...] = (
    (None, N_("all")),
    ("active", N_("active")),
    ("invited", N_("invited")),
    ("deactivated", N_("deactivated")),
    ("locked", N_("locked")),
)
"""Status filters, in the order ``ctrl+f`` cycles through them."""


class MembersScreen(PortalScreen):
    """Search box, filters line and the paged table."""

    CSS_PATH = "../../styles/manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+f", "next_status", "Status filter", id="members.status"),
        Binding("ctrl+g", "next_group", "Group filter", id="members.group"),
        Binding("ctrl+n", "page(1)", "Next page", id="members.next"),
        Binding("ctrl+b", "page(-1)", "Previous page", id="members.previous"),
        Binding("ctrl+o", "open", "Open", id="members.open"),
    ]

    def __init__(self, *, status: str | None = None, group_id: int | None = None) -> None:
        super().__init__()
        self.status_index = next(
            (i for i, (s, _label) in enumerate(STATUS_FILTERS) if s == status), 0
        )
        self.group_id = group_id
        self.groups: list[Group] = []
        self.page = 0
        self.query_text = ""
        """What the search box held when the last search started."""
        self.result: SearchResult | None = None

    def screen_title(self) -> str:
        return _("Members")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="members", classes="page"):
            yield Input(
                placeholder=_("Search by name, login or email"), id="members-search", max_length=80
            )
            yield Static("", id="members-filters")
            yield DataTable(id="members-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="members-status")

    def on_mount(self) -> None:
        table = self.query_one("#members-table", DataTable)
        table.add_column(_("Name"), key="name", flex=True)
        table.add_column(_("Login"), key="login")
        table.add_column(_("Status"), key="status")
        table.add_column(_("Role"), key="role")
        if self.portal.member.role == "admin":
            table.add_column(_("Organization"), key="organization", flex=True)
        else:
            table.add_column(_("Email"), key="email", flex=True)
        self.query_one("#members-search", Input).focus()
        self.load_groups()
        self.search()

    def on_screen_resume(self) -> None:
        if self.result is not None:
            self.search()

    @work(exclusive=True, group="members-groups")
    async def load_groups(self) -> None:
        """Read the groups the filter cycles through."""
        self.groups = await self.portal.call(directory.list_groups, self.portal.member)
        self._show_filters()

    @on(Input.Changed, "#members-search")
    def typed(self, event: Input.Changed) -> None:
        """Search again at each key (the previous search, if running, is cancelled)."""
        if event.value == self.query_text:
            return  # the input's first Changed, on mount: that search already runs
        self.query_text = event.value
        self.page = 0
        self.search()

    @on(Input.Submitted, "#members-search")
    def to_table(self) -> None:
        """Enter in the search box moves to the results."""
        self.query_one("#members-table", DataTable).focus()

    @work(exclusive=True, group="members-search")
    async def search(self) -> None:
        """Run the search with the current text, filters and page."""
        message = self.query_one("#members-status", Static)
        try:
            result: SearchResult = await self.portal.call(
                directory.search,
                self.portal.member,
                self.query_one("#members-search", Input).value,
                status=STATUS_FILTERS[self.status_index][0],
                group_id=self.group_id,
                page=self.page,
            )
        except PortalError as error:
            message.update(error.text())
            return
        except PermissionError:
            message.update(_("You may not see these members."))
            return
        self.result = result
        self._fill(result)

    def _fill(self, result: SearchResult) -> None:
        table = self.query_one("#members-table", DataTable)
        table.clear()
        admin = self.portal.member.role == "admin"
        for row in result.rows:
            table.add_row(
                f"{row.last_name} {row.first_name}",
                row.login,
                status_label(row),
                role_label(row.role),
                row.organization_name if admin else row.org_email,
                key=str(row.id),
            )
        status = self.query_one("#members-status", Static)
        if not result.rows:
            status.update(_("No member matches."))
        else:
            status.update(
                _(
                    "Page {page}{more} · Enter: open the member",
                    page=result.page + 1,
                    more=_(" (more: Ctrl+N)") if result.has_next else "",
                )
            )
        self._show_filters()

    def _show_filters(self) -> None:
        group = next((g for g in self.groups if g.id == self.group_id), None)
        group_name = group.name if group else _("all")
        if group and self.portal.member.role == "admin":
            group_name = f"{group.name} ({group.organization_name})"
        self.query_one("#members-filters", Static).update(
            _(
                "Status: {status} (Ctrl+F) · Group: {group} (Ctrl+G)",
                status=_(STATUS_FILTERS[self.status_index][1]),
                group=group_name,
            )
        )

    def action_next_status(self) -> None:
        """Cycle the status filter."""
        self.status_index = (self.status_index + 1) % len(STATUS_FILTERS)
        self.page = 0
        self.search()

    def action_next_group(self) -> None:
        """Cycle the group filter (all groups, then each one)."""
        ids: list[int | None] = [None, *(g.id for g in self.groups)]
        index = ids.index(self.group_id) if self.group_id in ids else 0
        self.group_id = ids[(index + 1) % len(ids)]
        self.page = 0
        self.search()

    def action_page(self, step: int) -> None:
        """Go to the next or previous page."""
        if self.result is None:
            return
        if step > 0 and not self.result.has_next:
            return
        if step < 0 and self.page == 0:
            return
        self.page += step
        self.search()

    @on(DataTable.RowSelected, "#members-table")
    def action_open(self) -> None:
        """Open the highlighted member's detail."""
        table = self.query_one("#members-table", DataTable)
        if self.result is None or not self.result.rows or table.cursor_row is None:
            return
        if 0 <= table.cursor_row < len(self.result.rows):
            self.app.push_screen(MemberDetailScreen(self.result.rows[table.cursor_row].id))
