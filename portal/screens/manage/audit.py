"""The audit log viewer: filters, pages, the details of a row, a CSV export.

Filters (actor's login, action prefix, target text, first and last day) apply when
Enter is pressed in any of them; ``pagedown``/``pageup`` (or ``n``/``p``) turn pages;
``x`` exports what the filters select to the manager's outbox. A manager reads their
organization's rows; an admin every row, with the organization named. Details are shown
as plain text: never markup.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.services import audit_view
from portal.services.audit_view import AuditPage, AuditQuery
from portal.services.errors import PortalError
from portal.widgets.table import DataTable

FILTERS = ("actor", "action", "target", "since", "until")


class AuditScreen(PortalScreen):
    """The organization's audit log (every organization's for admins)."""

    CSS_PATH = "../../styles/reports.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("pagedown,ctrl+n", "page(1)", "Next page", id="audit.next"),
        Binding("pageup,ctrl+p", "page(-1)", "Previous page", id="audit.previous"),
        Binding("ctrl+x", "export", "Export CSV", id="audit.export"),
        Binding("f5", "reload", "Refresh", id="audit.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_filters = AuditQuery()
        """The filters applied (checked by the service)."""
        self.page = 0
        self.result: AuditPage | None = None

    def screen_title(self) -> str:
        return _("Audit log")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="audit", classes="page"):
            with Horizontal(id="audit-filters"):
                yield Input(placeholder=_("Actor (login)"), id="filter-actor", max_length=64)
                yield Input(placeholder=_("Action"), id="filter-action", max_length=100)
                yield Input(placeholder=_("Target"), id="filter-target", max_length=100)
                yield Input(
                    placeholder=_("From YYYY-MM-DD"),
                    id="filter-since",
                    classes="date",
                    max_length=10,
                )
                yield Input(
                    placeholder=_("To YYYY-MM-DD"),
                    id="filter-until",
                    classes="date",
                    max_length=10,
                )
            yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="audit-details")
            yield Static("", id="audit-status")

    def on_mount(self) -> None:
        table = self.query_one("#audit-table", DataTable)
        columns = [_("Date"), _("Actor"), _("Action"), _("Target")]
        if self.portal.member.role == "admin":
            columns.insert(1, _("Organization"))
        table.add_columns(*columns)
        table.focus()
        self.reload()

    @work(exclusive=True, group="audit")
    async def reload(self) -> None:
        """Read the page of the current filters."""
        portal = self.portal
        result = await portal.call(audit_view.search, portal.member, self.query_filters, self.page)
        self.result = result
        self.page = result.page
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        admin = portal.member.role == "admin"
        for row in result.rows:
            cells: list[object] = [
                row.at[:16].replace("T", " "),
                row.actor_login or "–",
                row.action,
                row.target or "",
            ]
            if admin:
                cells.insert(1, row.organization_name or "–")
            table.add_row(*cells, key=str(row.id))
        self.query_one("#audit-status", Static).update(
            Content(
                _(
                    "Page {page} of {pages} · {total} entries",
                    page=result.page + 1,
                    pages=result.pages,
                    total=result.total,
                )
            )
        )
        self._show_details(0)

    def _show_details(self, index: int) -> None:
        details = self.query_one("#audit-details", Static)
        if self.result is None or not (0 <= index < len(self.result.rows)):
            details.update("")
            return
        row = self.result.rows[index]
        text = f"{row.at}  {row.ip or ''}\n{row.details}"
        details.update(Content(text))  # plain text: a detail never becomes markup

    @on(DataTable.RowHighlighted, "#audit-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_details(event.cursor_row)

    @on(Input.Submitted)
    def apply_filters(self, event: Input.Submitted) -> None:
        """Enter in any filter: check them all and read the first page."""
        values = {name: self.query_one(f"#filter-{name}", Input).value for name in FILTERS}
        try:
            query = audit_view.build_query(
                actor_login=values["actor"],
                action=values["action"],
                target=values["target"],
                since=values["since"],
                until=values["until"],
            )
        except PortalError as error:
            self.show_field_error(event.input, error.text())
            return
        self.clear_field_error()
        self.query_filters = query
        self.page = 0
        self.reload()

    def action_page(self, step: int) -> None:
        """The next or the previous page."""
        self.page = max(0, self.page + step)
        self.reload()

    def action_reload(self) -> None:
        """Read the page again."""
        self.reload()

    @work(exclusive=True, group="audit-export")
    async def action_export(self) -> None:
        """Write what the filters select as CSV to the outbox."""
        portal = self.portal
        result = await portal.call(
            audit_view.export_csv, portal.services.settings, portal.member, self.query_filters
        )
        self.query_one("#audit-status", Static).update(
            Content(
                _(
                    "Written to outbox/{name} ({rows} rows). Fetch it with: {command}",
                    name=result.name,
                    rows=result.rows,
                    command=result.sftp_command,
                )
            )
        )
