"""Order history ("Mes dernières commandes"): newest first, a page at a time."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Static

from portal.i18n import _, money
from portal.screens.base import PortalScreen
from portal.screens.order_detail import OrderDetailScreen
from portal.services import orders as orders_service
from portal.services.orders import OrderSummary
from portal.widgets.format import status_text, when_text
from portal.widgets.table import AMOUNT, DataTable

PAGE = 50
"""Orders read at a time."""


class OrdersScreen(PortalScreen):
    """The member's orders; ``enter`` opens one, ``m`` reads older ones."""

    CSS_PATH = "../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Details", id="orders.open", show=True),
        Binding("m", "more", "Older orders", id="orders.more"),
        Binding("r", "reload", "Refresh", id="orders.reload"),
    ]

    class Loaded(Message):
        """A page of orders (``append`` adds it below the ones shown)."""

        def __init__(self, page: list[OrderSummary], append: bool) -> None:
            super().__init__()
            self.page = page
            self.append = append

    def __init__(self) -> None:
        super().__init__()
        self.orders: list[OrderSummary] = []
        self.complete = False
        """True when the oldest order has been read."""

    def screen_title(self) -> str:
        return _("My latest orders")

    def compose_body(self) -> ComposeResult:
        table: DataTable = DataTable(id="orders-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="orders-status", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#orders-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.load()

    @work(exclusive=True, group="orders")
    async def load(self, before_id: int | None = None) -> None:
        """Read a page of the member's orders."""
        page = await self.portal.call(
            orders_service.list_orders, self.portal.member, limit=PAGE, before_id=before_id
        )
        self.post_message(self.Loaded(page, append=before_id is not None))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.orders = self.orders + message.page if message.append else message.page
        self.complete = len(message.page) < PAGE
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#orders-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column(_("Order"), width=11, key="number")
        table.add_column(_("Date"), width=16, key="date")
        table.add_column(_("Items"), width=12, key="items", flex=True)
        table.add_column(_("Status"), width=14, key="status")
        table.add_column(_("Total"), width=10, key="total", kind=AMOUNT)
        for order in self.orders:
            table.add_row(
                order.number,
                when_text(order.created_at),
                order.summary,
                status_text(order.status),
                money(order.total_cents),
                key=str(order.id),
            )
        if self.orders:
            table.move_cursor(row=min(keep, len(self.orders) - 1))
        status = self.query_one("#orders-status", Static)
        if not self.orders:
            status.update(_("You have no order yet. The shop is in the home menu."))
        elif self.complete:
            status.update(_("{n} order(s). Enter: details.", n=len(self.orders)))
        else:
            status.update(
                _("{n} latest orders. Enter: details, m: older orders.", n=len(self.orders))
            )

    def action_open(self) -> None:
        """Open the highlighted order."""
        table = self.query_one("#orders-table", DataTable)
        if not self.orders or table.cursor_row >= len(self.orders):
            return
        self.app.push_screen(OrderDetailScreen(self.orders[table.cursor_row].id))

    @on(DataTable.RowSelected, "#orders-table")
    def _selected(self) -> None:
        self.action_open()

    def action_more(self) -> None:
        """Read the next page of older orders."""
        if self.orders and not self.complete:
            self.load(before_id=self.orders[-1].id)

    def action_reload(self) -> None:
        """Read the newest orders again."""
        self.load()
