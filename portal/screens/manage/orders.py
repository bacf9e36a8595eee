"""Orders of the organization (managers): ship with a tracking number, cancel and refund.

A manager sees their own organization's orders only; an admin sees every organization's.
Every action is audited by the service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Static

from portal.i18n import N_, _, money
from portal.screens.base import PortalScreen
from portal.screens.order_detail import (
    AskDialog,
    OrderDetailScreen,
    YesNoDialog,
    status_text,
    when_text,
)
from portal.services import orders as orders_service
from portal.services import payments
from portal.services.orders import OrderSummary
from portal.services.wallet import UserError

FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("In progress"), ("validated", "preparing")),
    (N_("Awaiting payment"), ("awaiting_payment",)),
    (N_("All orders"), ()),
    (N_("Cancelled"), ("cancelled", "refunded")),
)
"""The list's filters, in the order ``f`` cycles through them."""


class ManageOrdersScreen(PortalScreen):
    """The organization's orders; ``s`` ships, ``c`` cancels and refunds, ``f`` filters."""

    CSS_PATH = "../../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "ship", "Ship", id="manage_orders.ship"),
        Binding("c", "cancel_order", "Cancel & refund", id="manage_orders.cancel"),
        Binding("f", "filter", "Filter", id="manage_orders.filter"),
        Binding("r", "reload", "Refresh", id="manage_orders.reload", show=False),
    ]

    class Loaded(Message):
        """Orders of the organization, with their members' names."""

        def __init__(
            self, rows: list[tuple[OrderSummary, str]], note: str = "", error: bool = False
        ) -> None:
            super().__init__()
            self.rows = rows
            self.note = note
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[OrderSummary, str]] = []
        self.filter_index = 0

    def screen_title(self) -> str:
        return _("Orders of {organization}", organization=self.portal.member.organization_name)

    def compose_body(self) -> ComposeResult:
        yield Static("", id="manage-orders-filter", classes="subheading")
        table: DataTable[Any] = DataTable(
            id="manage-orders-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static("", id="manage-orders-message")

    def on_mount(self) -> None:
        self.query_one("#manage-orders-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.load()

    @work(exclusive=True, group="manage-orders")
    async def load(self, note: str = "", error: bool = False) -> None:
        """Read the orders matching the filter."""
        statuses = FILTERS[self.filter_index][1]
        rows = await self.portal.call(
            orders_service.list_org_orders, self.portal.member, statuses=statuses
        )
        self.post_message(self.Loaded(rows, note, error))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.rows = message.rows
        label, _statuses = FILTERS[self.filter_index]
        self.query_one("#manage-orders-filter", Static).update(
            _("{filter} ({n}) · f: next filter", filter=_(label), n=len(self.rows))
        )
        table = self.query_one("#manage-orders-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        width = max(10, self.size.width - 68)
        table.add_column(_("Order"), width=11)
        table.add_column(_("Member"), width=14)
        table.add_column(_("Items"), width=width)
        table.add_column(_("Status"), width=14)
        table.add_column(_("Total"), width=9)
        table.add_column(_("Ship on"), width=8)
        t = self.portal.translator()
        for order, name in self.rows:
            ship = ""
            if order.dispatch_on and order.status in ("validated", "preparing"):
                ship = t.date(dt.date.fromisoformat(order.dispatch_on), "dd/MM")
            table.add_row(
                order.number,
                Content(name[:14]),
                Content(order.summary[:width]),
                status_text(order.status),
                money(order.total_cents),
                Content(ship),
                key=str(order.id),
            )
        if self.rows:
            table.move_cursor(row=min(keep, len(self.rows) - 1))
        self._say(
            message.note or (_("No order here.") if not self.rows else ""), error=message.error
        )

    def _current(self) -> OrderSummary | None:
        table = self.query_one("#manage-orders-table", DataTable)
        if not self.rows or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row][0]

    def _say(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#manage-orders-message", Static)
        box.update(Content(text))
        box.set_class(error, "error")

    # -- actions -------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#manage-orders-table")
    def _open(self) -> None:
        order = self._current()
        if order is not None:
            self.app.push_screen(OrderDetailScreen(order.id))

    def action_filter(self) -> None:
        """Show the next filter's orders."""
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.load()

    def action_reload(self) -> None:
        """Read the orders again."""
        self.load()

    def action_ship(self) -> None:
        """Ask the tracking number and mark the highlighted order shipped."""
        order = self._current()
        if order is None:
            return
        question = _(
            "Tracking number of order {number} ({created}):",
            number=order.number,
            created=when_text(order.created_at),
        )

        def answered(tracking: str | None) -> None:
            if tracking is not None:
                self.run_order_action(
                    orders_service.mark_shipped,
                    order.id,
                    tracking,
                    done=_("Order {number} is marked shipped.", number=order.number),
                )

        self.app.push_screen(
            AskDialog(question, placeholder="6A12345678901", max_length=40), answered
        )

    def action_cancel_order(self) -> None:
        """Ask a reason, confirm, then cancel and refund the highlighted order."""
        order = self._current()
        if order is None:
            return

        def confirmed(reason: str, answer: bool | None) -> None:
            if answer:
                provider = payments.runtime_for(self.portal.services).provider
                self.run_order_action(
                    orders_service.cancel_order,
                    order.id,
                    provider=provider,
                    reason=reason,
                    done=_("Order {number} is cancelled and refunded.", number=order.number),
                )

        def reason_given(reason: str | None) -> None:
            if reason is None:
                return
            question = _(
                "Cancel order {number} of {amount} and refund the member?",
                number=order.number,
                amount=money(order.total_cents),
            )
            self.app.push_screen(
                YesNoDialog(question, _("Cancel and refund")),
                lambda answer: confirmed(reason, answer),
            )

        self.app.push_screen(
            AskDialog(_("Reason for the cancellation (the member reads it):"), max_length=200),
            reason_given,
        )

    @work(exclusive=True, group="manage-orders-action")
    async def run_order_action(self, fn: Any, *args: Any, done: str, **kwargs: Any) -> None:
        """Run an order action for the manager, then read the list again."""
        try:
            await self.portal.call(fn, self.portal.member, *args, **kwargs)
        except UserError as error:
            self.load(error.translated(self.portal.translator()), True)
            return
        self.load(done)
