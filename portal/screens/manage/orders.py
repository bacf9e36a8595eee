"""Orders of the organization (managers): search, page, ship, cancel and refund.

A manager sees their own organization's orders only; an admin sees every organization's.
The list is paged (``n``/``p``) and searchable by order number or member (``/``); Enter
opens the manager's order detail (address, phone, returns). Every action is audited by
the service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Static

from portal.i18n import N_, _, money
from portal.screens.base import PortalScreen
from portal.screens.manage.order_detail import ManageOrderDetailScreen
from portal.services import cancellation, fulfilment
from portal.services import orders as orders_service
from portal.services.errors import UserError
from portal.services.orders import OrderDetail, OrderSummary, OrgOrdersPage
from portal.widgets.dialogs import AskDialog, YesNoDialog
from portal.widgets.format import status_text, when_text
from portal.widgets.table import AMOUNT, DataTable

FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("In progress"), ("validated", "preparing")),
    (N_("Awaiting payment"), ("awaiting_payment",)),
    (N_("All orders"), ()),
    (N_("Cancelled"), ("cancelled", "refunded")),
)
"""The list's filters, in the order ``f`` cycles through them."""


class ManageOrdersScreen(PortalScreen):
    """The organization's orders; ``s`` ships, ``c`` cancels and refunds, ``f`` filters."""

    CSS_PATH = ["../../styles/wallet.tcss", "../../styles/orders.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "ship", "Ship", id="manage_orders.ship"),
        Binding("c", "cancel_order", "Cancel & refund", id="manage_orders.cancel"),
        Binding("f", "filter", "Filter", id="manage_orders.filter"),
        Binding("slash", "search", "Search", id="manage_orders.search"),
        Binding("n", "next_page", "Next page", id="manage_orders.next_page"),
        Binding("p", "previous_page", "Previous page", id="manage_orders.previous_page"),
        Binding("r", "reload", "Refresh", id="manage_orders.reload", show=False),
    ]
    PAGE_SIZE: ClassVar[int] = 50
    """Orders per page."""

    class Loaded(Message):
        """A page of the organization's orders, with their members' names."""

        def __init__(self, page: OrgOrdersPage, note: str = "", error: bool = False) -> None:
            super().__init__()
            self.page = page
            self.note = note
            self.error = error

    class ShipAsked(Message):
        """The order to ship, read again (its address goes in the question)."""

        def __init__(self, detail: OrderDetail) -> None:
            super().__init__()
            self.detail = detail

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[OrderSummary, str]] = []
        self.filter_index = 0
        self.search = ""
        """The search typed (order number, member login or name)."""
        self.page_offset = 0
        """First order of the page shown."""
        self.page: OrgOrdersPage | None = None

    def screen_title(self) -> str:
        return _("Orders of {organization}", organization=self.portal.member.organization_name)

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="manage-orders-bar"):
            yield Input(
                self.search,
                placeholder=_("/ Search: order number, member"),
                id="manage-orders-search",
                compact=True,
                max_length=80,
            )
            yield Static("", id="manage-orders-page")
        yield Static("", id="manage-orders-filter", classes="subheading")
        table: DataTable = DataTable(
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
        """Read the page of orders matching the filter and the search."""
        statuses = FILTERS[self.filter_index][1]
        try:
            page = await self.portal.call(
                orders_service.org_orders_page,
                self.portal.member,
                statuses=statuses,
                search=self.search,
                offset=self.page_offset,
                page_size=self.PAGE_SIZE,
            )
        except UserError as refusal:
            page = OrgOrdersPage((), 0, 0, self.PAGE_SIZE)
            note, error = refusal.text(self.portal.translator()), True
        self.post_message(self.Loaded(page, note, error))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.page = message.page
        self.page_offset = message.page.offset
        self.rows = list(message.page.rows)
        label, _statuses = FILTERS[self.filter_index]
        self.query_one("#manage-orders-filter", Static).update(
            Content(_("{filter} ({n}) · f: next filter", filter=_(label), n=message.page.total))
        )
        page = message.page
        self.query_one("#manage-orders-page", Static).update(
            Content(
                _(
                    "{first}-{last} of {total}",
                    first=page.offset + 1 if page.rows else 0,
                    last=page.offset + len(page.rows),
                    total=page.total,
                )
            )
        )
        self.refresh_bindings()
        table = self.query_one("#manage-orders-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column(_("Order"), width=11, key="number")
        table.add_column(_("Member"), width=14, key="member", flex=True)
        table.add_column(_("Items"), width=10, key="items", flex=True)
        table.add_column(_("Status"), width=14, key="status")
        table.add_column(_("Total"), width=9, key="total", kind=AMOUNT)
        table.add_column(_("Ship on"), width=8, key="ship")
        t = self.portal.translator()
        for order, name in self.rows:
            ship = ""
            if order.dispatch_on and order.status in ("validated", "preparing"):
                ship = t.date(dt.date.fromisoformat(order.dispatch_on), "dd/MM")
            table.add_row(
                order.number,
                name,
                order.summary,
                status_text(order.status),
                money(order.total_cents),
                ship,
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
            self.app.push_screen(ManageOrderDetailScreen(order.id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer the page keys only when there is a page to go to."""
        page = self.page
        if action == "next_page":
            return page is not None and page.has_next
        if action == "previous_page":
            return page is not None and page.offset > 0
        return True

    def action_filter(self) -> None:
        """Show the next filter's orders."""
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.page_offset = 0
        self.load()

    def action_search(self) -> None:
        """Type a search (Enter runs it; an empty one shows every order)."""
        self.query_one("#manage-orders-search", Input).focus()

    @on(Input.Submitted, "#manage-orders-search")
    def _searched(self, event: Input.Submitted) -> None:
        self.search = event.value.strip()
        self.page_offset = 0
        self.query_one("#manage-orders-table", DataTable).focus()
        self.load()

    def action_next_page(self) -> None:
        """Show the next page."""
        if self.page is not None and self.page.has_next:
            self.page_offset = self.page.offset + self.PAGE_SIZE
            self.load()

    def action_previous_page(self) -> None:
        """Show the previous page."""
        if self.page is not None and self.page.offset > 0:
            self.page_offset = max(0, self.page.offset - self.PAGE_SIZE)
            self.load()

    def action_reload(self) -> None:
        """Read the orders again."""
        self.load()

    def action_ship(self) -> None:
        """Read the highlighted order, then ask its tracking number (address shown)."""
        order = self._current()
        if order is not None:
            self.read_for_shipping(order.id)

    @work(exclusive=True, group="manage-orders-action")
    async def read_for_shipping(self, order_id: int) -> None:
        """Read the order to ship (its address and phone go in the question)."""
        try:
            detail = await self.portal.call(orders_service.get_order, self.portal.member, order_id)
        except UserError as error:
            self.load(error.text(self.portal.translator()), True)
            return
        self.post_message(self.ShipAsked(detail))

    @on(ShipAsked)
    def _ship_asked(self, message: ShipAsked) -> None:
        detail = message.detail
        order = detail.order
        where = ", ".join(order.delivery_address) or _("no delivery address")
        if order.delivery_phone:
            where += " · " + _("phone {phone}", phone=order.delivery_phone)
        question = _(
            "Tracking number of order {number} ({created}) to {address}:",
            number=order.number,
            created=when_text(order.created_at),
            address=where,
        )

        def answered(tracking: str | None) -> None:
            if tracking is not None:
                self.run_order_action(
                    fulfilment.mark_shipped,
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
                provider = self.portal.services.payments.provider
                self.run_order_action(
                    cancellation.cancel_order,
                    order.id,
                    provider=provider,
                    reason=reason,
                    settings=self.portal.services.settings,
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
            self.load(error.text(self.portal.translator()), True)
            return
        self.load(done)
