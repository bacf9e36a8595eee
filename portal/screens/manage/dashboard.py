"""The management dashboard: the year's spending, programs, members, offers, parcels.

Each tab shows a chart drawn in the terminal (textual-plotext) above a table of the same
figures, so nothing depends on reading a chart, and every series has its own marker
(``█`` and ``░``), named in a text legend above the chart: bars stay distinguishable
without colour. Programs and offers are numbered on the chart and in the table (long
names do not fit under a bar at 80 columns). At 80×24 a tab scrolls.
A manager sees their organization; an admin every organization, or one chosen with
``o``. ``[`` and ``]`` change the year.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static, TabbedContent, TabPane
from textual_plotext import PlotextPlot

from portal.data.members import Organization
from portal.i18n import _, money
from portal.screens.base import PortalScreen
from portal.screens.manage.scope import next_organization, scope_text
from portal.services import clock, dashboard
from portal.services.dashboard import Dashboard
from portal.widgets.table import AMOUNT, TEXT, ColumnKind, DataTable

FILLED = "█"
"""Marker of the first series (spent)."""
HATCHED = "░"
"""Marker of the second series (allocated, card): another shape, not only a colour."""


def _euros(cents: int) -> float:
    return round(cents / 100, 2)


def _month_labels() -> list[str]:
    return [f"{m:02d}" for m in range(1, 13)]


class DashboardScreen(PortalScreen):
    """Charts beside their numbers, one tab per subject."""

    CSS_PATH = "../../styles/reports.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "reload", "Refresh", id="dashboard.reload"),
        Binding("o", "next_organization", "Organization", id="dashboard.organization"),
        Binding("left_square_bracket", "year(-1)", "Previous year", id="dashboard.prev_year"),
        Binding("right_square_bracket", "year(1)", "Next year", id="dashboard.next_year"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.year = clock.now().year
        """The year shown."""
        self.organization_id: int | None = None
        """The organization shown (None: every organization, admins only)."""
        self.organizations: list[Organization] = []
        self.figures: Dashboard | None = None

    def screen_title(self) -> str:
        return _("Dashboard")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dashboard", classes="page"):
            yield Static(self._scope_text(), id="dashboard-scope")
            with TabbedContent(id="dashboard-tabs"):
                with (
                    TabPane(_("Spending"), id="tab-spending"),
                    VerticalScroll(classes="report-scroll"),
                ):
                    yield Static("", id="legend-spending", classes="legend")
                    yield PlotextPlot(id="chart-spending", classes="chart")
                    yield DataTable(id="table-spending", classes="report-table")
                with (
                    TabPane(_("Programs"), id="tab-programs"),
                    VerticalScroll(classes="report-scroll"),
                ):
                    yield Static("", id="legend-programs", classes="legend")
                    yield PlotextPlot(id="chart-programs", classes="chart")
                    yield DataTable(id="table-programs", classes="report-table")
                with TabPane(_("Offers"), id="tab-offers"), VerticalScroll(classes="report-scroll"):
                    yield Static("", id="legend-offers", classes="legend")
                    yield PlotextPlot(id="chart-offers", classes="chart")
                    yield DataTable(id="table-offers", classes="report-table")
                with (
                    TabPane(_("Members & parcels"), id="tab-members"),
                    VerticalScroll(classes="report-scroll"),
                ):
                    yield DataTable(id="table-members", classes="report-table")

    def _scope_text(self) -> str:
        return scope_text(self.portal.member, self.organizations, self.organization_id, self.year)

    def on_mount(self) -> None:
        self.reload()

    @work(exclusive=True, group="dashboard")
    async def reload(self) -> None:
        """Read the figures in a worker, then draw them."""
        portal = self.portal
        if not self.organizations:
            self.organizations = await portal.call(dashboard.organizations, portal.member)
        self.figures = await portal.call(
            dashboard.load, portal.member, self.organization_id, self.year
        )
        self._draw(self.figures)

    def _draw(self, figures: Dashboard) -> None:
        self.query_one("#dashboard-scope", Static).update(self._scope_text())
        self._draw_spending(figures)
        self._draw_programs(figures)
        self._draw_offers(figures)
        self._draw_members(figures)

    def _draw_spending(self, figures: Dashboard) -> None:
        plt = self._chart("spending")
        plt.multiple_bar(
            _month_labels(),
            [
                [_euros(m.benefits_cents) for m in figures.months],
                [_euros(m.card_cents) for m in figures.months],
            ],
            marker=[FILLED, HATCHED],  # type: ignore[arg-type]  # one per series (typed str)
        )
        self._legend(
            "spending", _("Spending per month (EUR)"), (FILLED, _("benefits")), (HATCHED, _("card"))
        )
        table = self._table(
            "spending",
            _("Month"),
            (_("Benefits"), AMOUNT),
            (_("Card"), AMOUNT),
            (_("Orders"), AMOUNT),
        )
        for m in figures.months:
            table.add_row(f"{m.month:02d}", money(m.benefits_cents), money(m.card_cents), m.orders)
        table.add_row(
            _("Total"),
            money(figures.benefits_cents),
            money(figures.card_cents),
            sum(m.orders for m in figures.months),
        )

    def _draw_programs(self, figures: Dashboard) -> None:
        plt = self._chart("programs")
        programs = figures.programs
        if programs:
            plt.multiple_bar(
                [str(n) for n in range(1, len(programs) + 1)],
                [
                    [_euros(p.spent_cents) for p in programs],
                    [_euros(p.allocated_cents) for p in programs],
                ],
                marker=[FILLED, HATCHED],  # type: ignore[arg-type]  # one per series (typed str)
            )
        self._legend(
            "programs",
            _("Consumption against allocation (EUR)"),
            (FILLED, _("spent")),
            (HATCHED, _("allocated")),
        )
        table = self._table(
            "programs",
            ("#", AMOUNT),
            _("Program"),
            (_("Members"), AMOUNT),
            (_("Allocated"), AMOUNT),
            (_("Spent"), AMOUNT),
            (_("Lapsed"), AMOUNT),
            (_("Left"), AMOUNT),
            ("%", AMOUNT),
        )
        for number, p in enumerate(programs, 1):
            share = f"{100 * p.spent_cents // p.allocated_cents} %" if p.allocated_cents else "–"
            table.add_row(
                number,
                p.label,
                p.members,
                money(p.allocated_cents),
                money(p.spent_cents),
                money(p.lapsed_cents),
                money(p.remaining_cents),
                share,
            )

    def _draw_offers(self, figures: Dashboard) -> None:
        plt = self._chart("offers")
        offers = figures.top_offers
        if offers:
            plt.bar(
                [str(n) for n in range(1, len(offers) + 1)],
                [_euros(o.total_cents) for o in offers],
                marker=FILLED,
            )
        self._legend("offers", _("Top offers (EUR)"), (FILLED, _("amount ordered")))
        table = self._table(
            "offers", ("#", AMOUNT), _("Offer"), (_("Quantity"), AMOUNT), (_("Amount"), AMOUNT)
        )
        for number, o in enumerate(offers, 1):
            table.add_row(number, o.title, o.quantity, money(o.total_cents))

    def _chart(self, name: str) -> Any:
        """The plotext of the chart ``name``, emptied to be drawn again."""
        plt = self.query_one(f"#chart-{name}", PlotextPlot).plt
        plt.clear_data()
        return plt

    def _legend(self, chart: str, title: str, *series: tuple[str, str]) -> None:
        """The chart's title and legend as text above it: each series by its marker's
        shape (plotext draws no legend marker for a series of zeros); the chart is drawn."""
        keys = "   ".join(f"{marker * 2} {label}" for marker, label in series)
        self.query_one(f"#legend-{chart}", Static).update(Content(f"{title}   {keys}"))
        self.query_one(f"#chart-{chart}", PlotextPlot).refresh()

    def _table(self, name: str, *columns: str | tuple[str, ColumnKind]) -> DataTable:
        """The table ``name``, emptied with these columns (a label, or ``(label, kind)``:
        ``AMOUNT`` columns are right-aligned); the text column takes the spare width."""
        table = self.query_one(f"#table-{name}", DataTable)
        table.clear(columns=True)
        for column in columns:
            label, kind = column if isinstance(column, tuple) else (column, TEXT)
            table.add_column(label, kind=kind)
        return table

    def _draw_members(self, figures: Dashboard) -> None:
        table = self._table("members", _("Figure"), (_("Value"), AMOUNT))
        table.add_row(_("Active members"), figures.members.active)
        table.add_row(_("Members who ordered this year"), figures.members.buyers)
        table.add_row(_("Accounts waiting (pending, invited, locked)"), figures.members.pending)
        table.add_row(_("Orders to ship"), figures.to_ship)
        table.add_row(_("Oldest order to ship"), figures.oldest_to_ship or "–")

    def action_reload(self) -> None:
        """Read the figures again."""
        self.reload()

    def action_year(self, step: int) -> None:
        """Show the previous or the next year."""
        self.year += step
        self.reload()

    def action_next_organization(self) -> None:
        """Admins: every organization, then each one in turn."""
        if self.portal.member.role != "admin":
            return
        self.organization_id = next_organization(self.organizations, self.organization_id)
        self.reload()
