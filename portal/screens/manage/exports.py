"""Exports to the manager's outbox: members, allocations and balances, orders, URSSAF.

Enter runs the highlighted export; the message says the file's name and the ``sftp``
command that fetches it. An admin exports every organization, or one chosen with ``o``;
``[`` and ``]`` change the year of the URSSAF report.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from portal.data.members import Organization
from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.screens.manage.scope import next_organization, scope_text
from portal.services import clock, dashboard, exports


class ExportsScreen(PortalScreen):
    """Choose an export; it lands in the outbox."""

    CSS_PATH = "../../styles/reports.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "next_organization", "Organization", id="exports.organization"),
        Binding("left_square_bracket", "year(-1)", "Previous year", id="exports.prev_year"),
        Binding("right_square_bracket", "year(1)", "Next year", id="exports.next_year"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.year = clock.now().year
        """The year of the URSSAF report."""
        self.organization_id: int | None = None
        self.organizations: list[Organization] = []

    def screen_title(self) -> str:
        return _("Exports")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="exports", classes="page"):
            yield Static(self._scope_text(), id="exports-scope")
            yield OptionList(
                *(Option(_(exports.EXPORTS[kind]), id=kind) for kind in exports.kinds()),
                id="exports-menu",
            )
            yield Static(
                _("CSV files with a header row, UTF-8, separated by semicolons."),
                classes="hint",
            )
            yield Static("", id="exports-message")

    def _scope_text(self) -> str:
        return scope_text(self.portal.member, self.organizations, self.organization_id, self.year)

    async def on_mount(self) -> None:
        self.query_one("#exports-menu", OptionList).focus()
        self.organizations = await self.portal.call(dashboard.organizations, self.portal.member)

    @on(OptionList.OptionSelected, "#exports-menu")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.run_export(event.option.id)

    @work(exclusive=True, group="exports")
    async def run_export(self, kind: str) -> None:
        """Write one export to the outbox and say where it is."""
        portal = self.portal
        result = await portal.call(
            exports.export,
            portal.services.settings,
            portal.member,
            kind,
            self.organization_id,
            self.year,
        )
        self.query_one("#exports-message", Static).update(
            Content(
                _(
                    "Written to outbox/{name} ({rows} rows). Fetch it with: {command}",
                    name=result.name,
                    rows=result.rows,
                    command=result.sftp_command,
                )
            )
        )

    def action_year(self, step: int) -> None:
        """The previous or the next year (URSSAF report)."""
        self.year += step
        self.query_one("#exports-scope", Static).update(self._scope_text())

    def action_next_organization(self) -> None:
        """Admins: every organization, then each one in turn."""
        if self.portal.member.role != "admin":
            return
        self.organization_id = next_organization(self.organizations, self.organization_id)
        self.query_one("#exports-scope", Static).update(self._scope_text())
