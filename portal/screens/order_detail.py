"""One order: every line, how it was paid, dates, status, invoice, and cancellation.

Opened from the order history, right after checkout (then it follows the card payment's
confirmation and redraws when it arrives), and from the managers' order list.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from portal.i18n import PARIS, _, current, money
from portal.screens.base import PortalScreen
from portal.screens.order_texts import (
    credit_text,
    delivery_text,
    paid_note,
    payment_state,
    progress_text,
)
from portal.services import cancellation, checkout, files, returns
from portal.services import orders as orders_service
from portal.services.errors import UserError
from portal.services.orders import (
    LINE_STATUS_LABELS,
    OrderDetail,
    amount_line,
    parse_time,
    payment_label,
)
from portal.widgets.dialogs import AskDialog, YesNoDialog
from portal.widgets.format import status_text, when_text
from portal.widgets.qrcode import QRCode
from portal.widgets.table import AMOUNT, DataTable

# -- the screen ------------------------------------------------------------------------------


def delivered_day(iso: str) -> str:
    """The Paris day a parcel was delivered, written out ("1er décembre 2026")."""
    return current().date(parse_time(iso).astimezone(PARIS).date(), "long")


class OrderDetailScreen(PortalScreen):
    """An order's detail; ``c`` cancels it when it still can be."""

    CSS_PATH = "../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "cancel_order", "Cancel order", id="order.cancel"),
        Binding("t", "return_products", "Return products", id="order.return"),
        # Hidden twins: the same keys, when the action is no longer possible, say why.
        Binding("c", "explain('cancel')", "Cancel order", id="order.cancel_why", show=False),
        Binding("t", "explain('return')", "Return products", id="order.return_why", show=False),
        Binding("i", "invoice", "Invoice", id="order.invoice"),
        Binding("r", "reload", "Refresh", id="order.reload"),
    ]

    class Loaded(Message):
        """The order as stored."""

        def __init__(self, detail: OrderDetail, note: str = "") -> None:
            super().__init__()
            self.detail = detail
            self.note = note

    class PageFound(Message):
        """The provider's page where the card part is still to pay (None: no more)."""

        def __init__(self, url: str | None) -> None:
            super().__init__()
            self.url = url

    class Failed(Message):
        """A read or an action was refused; the reason, translated."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    MANAGER: ClassVar[bool] = False
    """True on the managers' version: sentences speak to a manager."""

    def __init__(self, order_id: int, *, detail: OrderDetail | None = None, note: str = "") -> None:
        super().__init__()
        self.order_id = order_id
        self.detail = detail
        """The order last read."""
        self._note = note
        self._following = False
        self._watching: Any = None
        """Unsubscribes from the process's payment news of this order."""
        self._refresher: Any = None
        """The slow timer that reads the order again while its payment is awaited."""
        self._page_url: str | None = None
        """The payment page shown (with its QR code)."""

    def screen_title(self) -> str:
        return _("Order {number}", number=f"CMD-{self.order_id:07d}")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="order-detail", classes="wallet-page"):
            yield Static(_("Loading…"), id="order-heading", classes="heading")
            yield Static("", id="order-progress")
            yield Static("", id="order-pay-link")
            yield Vertical(id="order-pay-qr")
            yield Static("", id="order-delivery", classes="hint")
            table: DataTable = DataTable(id="order-lines", cursor_type="none", zebra_stripes=True)
            yield table
            yield Static("", id="order-payments")
            yield Static("", id="order-totals")
            yield Static("", id="order-invoice", classes="hint")
            yield Static("", id="order-credit", classes="hint")
            yield Static("", id="order-cancel", classes="hint")
            yield Static("", id="order-message")

    def on_mount(self) -> None:
        if self.detail is not None:
            self.post_message(self.Loaded(self.detail, self._note))
        else:
            self.load()

    def on_screen_resume(self) -> None:
        if self.detail is not None:
            self._draw(self.detail)

    def load(self) -> None:
        """Read the order again (a later read replaces one in flight)."""
        self._read()

    @work(exclusive=True, group="order")
    async def _read(self) -> None:
        try:
            detail = await self.portal.call(
                orders_service.get_order, self.portal.member, self.order_id
            )
        except UserError as error:
            self.post_message(self.Failed(error.text(self.portal.translator())))
            return
        self.post_message(self.Loaded(detail, self._note))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        previous, self.detail = self.detail, message.detail
        if message.note == self._note:
            self._note = ""
        self._draw(message.detail)
        # Whichever read first sees the payment captured says so; a read that finds the
        # order as it was keeps what the screen said.
        note = message.note or paid_note(previous, message.detail, manager=self.MANAGER)
        if note or previous is None or payment_state(previous) != payment_state(message.detail):
            self._say(note)
        self._follow_payment(message.detail)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self._say(message.text, error=True)

    def wants_confirm_before_logout(self) -> bool:
        """Ctrl+Q asks first while this order's payment waits for its confirmation."""
        detail = self.detail
        return detail is not None and detail.order.status == "awaiting_payment"

    def _follow_payment(self, detail: OrderDetail) -> None:
        """Follow the payment live: the page while it is to pay, then its confirmation.

        The provider's notification and the capture are published on the process's
        ``PaymentWatch``; a slow timer reads the order again too, for a notification
        that another worker process received.
        """
        awaiting = detail.order.status == "awaiting_payment" and detail.card is not None
        if awaiting and self._watching is None:
            watch = self.portal.services.payments.watch
            self._watching = watch.subscribe(self.order_id, self._payment_news)
            self._refresher = self.set_interval(15.0, self._payment_news)
        elif not awaiting and self._watching is not None:
            self._stop_watching()
        pending = awaiting and detail.card is not None and detail.card.status == "pending"
        if pending and detail.order.member_id == self.portal.member.id:
            self.load_payment_page()
        elif self._page_url is not None:
            self.post_message(self.PageFound(None))
        if (
            self._following
            or not awaiting
            or detail.card is None
            or detail.card.status not in ("authorized", "capturing")
        ):
            return
        self._following = True
        confirmer = self.portal.services.payments.confirmer
        confirmer.schedule(detail.card.provider_ref, self._confirmed)

    def _confirmed(self, _result: Any) -> None:
        # The capture is settled: read the order again (its access checked again).
        self._following = False
        if self.is_attached:
            self.load()

    def _payment_news(self) -> None:
        # Called by whoever publishes (the web handler, the confirmer): the read is
        # started from this screen's own message loop, in the session's context.
        if self.is_attached:
            self.call_later(self._read_after_news)

    def _read_after_news(self) -> None:
        # While the capture is followed, its own callback reads the order.
        if self.is_attached and not self._following:
            self.load()

    def _stop_watching(self) -> None:
        if self._watching is not None:
            self._watching()
            self._watching = None
        if self._refresher is not None:
            self._refresher.stop()
            self._refresher = None

    def on_unmount(self) -> None:
        self._stop_watching()

    @work(exclusive=True, group="order-page")
    async def load_payment_page(self) -> None:
        """Read where the member pays (the page survives a disconnection)."""
        try:
            url = await self.portal.call(checkout.payment_page, self.portal.member, self.order_id)
        except UserError:
            url = None
        self.post_message(self.PageFound(url))

    @on(PageFound)
    def _page_found(self, message: PageFound) -> None:
        link = self.query_one("#order-pay-link", Static)
        box = self.query_one("#order-pay-qr", Vertical)
        if message.url == self._page_url:
            return
        self._page_url = message.url
        box.remove_children()
        if message.url is None:
            link.update("")
            link.display = box.display = False
            return
        link.update(
            Content(
                _(
                    "Payment page: {url} (scan the QR code with your phone)",
                    url=message.url,
                )
            )
        )
        link.display = box.display = True
        box.mount(QRCode(message.url, id="order-pay-code"))

    # -- drawing -------------------------------------------------------------------------

    def _draw(self, detail: OrderDetail) -> None:
        order = detail.order
        self.query_one("#order-heading", Static).update(
            Content(
                " · ".join(
                    [
                        detail.number,
                        when_text(order.created_at),
                        status_text(order.status),
                    ]
                )
            )
        )
        self.query_one("#order-progress", Static).update(
            Content(progress_text(detail, manager=self.MANAGER))
        )
        delivery = delivery_text(detail, manager=self.MANAGER)
        if order.delivered_at:
            delivered = _("Delivered on {date}", date=delivered_day(order.delivered_at))
            delivery = f"{delivered}\n{delivery}" if delivery else delivered
        self.query_one("#order-delivery", Static).update(Content(delivery))
        self.query_one("#order-credit", Static).update(Content(credit_text(detail)))
        table = self.query_one("#order-lines", DataTable)
        table.clear(columns=True)
        table.add_column(_("Item"), width=14, key="item", flex=True)
        table.add_column(_("Qty"), width=3, key="quantity", kind=AMOUNT)
        table.add_column(_("Price"), width=10, key="price", kind=AMOUNT)
        table.add_column(_("Subsidy"), width=10, key="subsidy", kind=AMOUNT)
        table.add_column(_("Status"), width=22, key="status")
        returned = returns.returned_line_ids(detail)
        for line in detail.lines:
            status = _(LINE_STATUS_LABELS.get(line.status, line.status))
            if line.id in returned:
                status = _("Returned")
            table.add_row(
                line.title,
                line.quantity,
                money(line.line_total_cents),
                money(-line.subsidy_cents) if line.subsidy_cents else "",
                status,
            )
        t = self.portal.translator()
        paid = [_("Paid with:")]
        for part in detail.payments:
            text = "  " + amount_line(payment_label(part, t), part.amount_cents, t)
            if part.source == "card" and part.status:
                text += (
                    f" ({_(orders_service.PAYMENT_STATUS_LABELS.get(part.status, part.status))})"
                )
            if part.refunded_cents:
                text += " · " + _("refunded {amount}", amount=money(part.refunded_cents))
            paid.append(text)
        if not detail.payments:
            paid.append("  " + _("Nothing to pay"))
        self.query_one("#order-payments", Static).update(Content("\n".join(paid)))
        totals = [
            _("Total {amount}", amount=money(order.total_cents)),
            _("incl. VAT {amount}", amount=money(detail.vat_cents)),
        ]
        if order.shipping_cents:
            totals.insert(1, _("delivery {amount}", amount=money(order.shipping_cents)))
        if order.savings_cents:
            totals.append(_("you saved {amount}", amount=money(order.savings_cents)))
        self.query_one("#order-totals", Static).update(Content(" · ".join(totals)))
        invoice = (
            _(
                "Invoice {number}: {file} in your SFTP folder (press i).",
                number=order.invoice_number,
                file=order.invoice_file,
            )
            if order.invoice_number and order.invoice_file
            else _("The invoice is issued when the payment is confirmed.")
        )
        self.query_one("#order-invoice", Static).update(Content(invoice))
        self.query_one("#order-cancel", Static).update(Content(self.actions_text(detail)))
        self.refresh_bindings()

    def _return_block(self, detail: OrderDetail) -> str | None:
        settings = self.portal.services.settings
        return returns.return_block(
            detail,
            window_days=settings.return_window_days,
            transit_days=settings.return_transit_days,
        )

    def actions_text(self, detail: OrderDetail) -> str:
        """What the member can still do, once (nothing more for a closed order)."""
        if detail.order.status in ("cancelled", "refunded"):
            return ""
        if detail.cancellable:
            return _(
                "Press c to cancel this order; it is refunded to the sources it was paid from."
            )
        block = self._return_block(detail)
        if block is None:
            return _(
                "Press t to return its products within {days} days of delivery.",
                days=self.portal.services.settings.return_window_days,
            )
        if returns.open_return(detail) is not None:
            return ""  # the progress line already says it
        if block == returns.NOT_SHIPPED:
            return self._block_text(detail)
        return _(block, days=self.portal.services.settings.return_window_days)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer only the actions still possible on this order."""
        detail = self.detail
        if action == "cancel_order":
            return detail is not None and detail.cancellable
        if action == "return_products":
            return not self.MANAGER and detail is not None and self._return_block(detail) is None
        if action == "invoice":
            return detail is not None and bool(detail.order.invoice_file)
        return True

    def action_explain(self, what: str) -> None:
        """Say why a cancellation or a return is no longer possible."""
        detail = self.detail
        if detail is None:
            return
        if what == "cancel":
            self._say(self._block_text(detail), error=True)
            return
        block = self._return_block(detail)
        if block is not None and not self.MANAGER:
            days = self.portal.services.settings.return_window_days
            self._say(_(block, days=days), error=True)

    @staticmethod
    def _block_text(detail: OrderDetail) -> str:
        """Why the order cannot be cancelled, translated."""
        return _(detail.cancel_block) if detail.cancel_block else ""

    def _say(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#order-message", Static)
        box.update(Content(text))
        box.set_class(error, "error")

    # -- actions -------------------------------------------------------------------------

    def action_reload(self) -> None:
        """Read the order again (what the screen said is cleared)."""
        self._say("")
        self.load()

    def action_invoice(self) -> None:
        """Say where the invoice is (the PDF is in the member's SFTP outbox)."""
        detail = self.detail
        if detail is None or not detail.order.invoice_file:
            self._say(_("The invoice is issued when the payment is confirmed."), error=True)
            return
        self._say(
            _(
                "Download it with: {command}, then get {file}",
                command=files.sftp_command(self.portal.services.settings, detail.member_login),
                file=detail.order.invoice_file,
            )
        )

    def action_cancel_order(self) -> None:
        """Ask, then cancel and refund (or say why it cannot be cancelled)."""
        detail = self.detail
        if detail is None:
            return
        if not detail.cancellable:
            self._say(self._block_text(detail), error=True)
            return
        question = _(
            "Cancel order {number} of {amount}? It is refunded to the sources it was paid from.",
            number=detail.number,
            amount=money(detail.order.total_cents),
        )
        self.app.push_screen(YesNoDialog(question, _("Cancel the order")), self._cancel_answer)

    def _cancel_answer(self, answer: bool | None) -> None:
        if answer:
            self.run_cancel("")

    @work(exclusive=True, group="order")
    async def run_cancel(self, reason: str) -> None:
        """Cancel through the service; post the new state or the refusal."""
        provider = self.portal.services.payments.provider
        try:
            detail = await self.portal.call(
                cancellation.cancel_order,
                self.portal.member,
                self.order_id,
                provider=provider,
                reason=reason,
                settings=self.portal.services.settings,
            )
        except UserError as error:
            self.post_message(self.Failed(error.text(self.portal.translator())))
            return
        self.post_message(self.Loaded(detail, _("The order is cancelled.")))

    def action_return_products(self) -> None:
        """Ask why, then ask to return the order's shipped products."""
        detail = self.detail
        if detail is None:
            return
        block = self._return_block(detail)
        if block is not None:
            self._say(_(block, days=self.portal.services.settings.return_window_days), error=True)
            return

        def answered(reason: str | None) -> None:
            if reason is not None:
                self.run_return(reason)

        self.app.push_screen(
            AskDialog(
                _("Why do you return the products of order {number}?", number=detail.number),
                max_length=200,
            ),
            answered,
        )

    @work(exclusive=True, group="order")
    async def run_return(self, reason: str) -> None:
        """Ask for the return through the service."""
        try:
            detail = await self.portal.call(
                returns.request_return,
                self.portal.member,
                self.order_id,
                reason=reason,
                settings=self.portal.services.settings,
            )
        except UserError as error:
            self.post_message(self.Failed(error.text(self.portal.translator())))
            return
        self.post_message(self.Loaded(detail, _("Your return is registered.")))
