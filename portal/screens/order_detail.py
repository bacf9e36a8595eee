"""One order: every line, how it was paid, dates, status, invoice, and cancellation.

Opened from the order history, right after checkout (then it follows the card payment's
confirmation and redraws when it arrives), and from the managers' order list. The small
dialogs used by the wallet screens live here too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Static

from portal.i18n import _, money
from portal.screens.base import PortalScreen
from portal.screens.pacing import PromptModalScreen
from portal.services import orders as orders_service
from portal.services import payments
from portal.services.orders import (
    LINE_STATUS_LABELS,
    STATUS_LABELS,
    OrderDetail,
    amount_line,
    payment_label,
)
from portal.services.wallet import UserError, today_paris
from portal.widgets.footer import PortalFooter

# -- shared formatting ---------------------------------------------------------------------


def status_text(status: str) -> str:
    """An order status, translated."""
    return _(STATUS_LABELS.get(status, status))


def when_text(iso: str | None, fmt: str = "short") -> str:
    """A stored UTC timestamp in Paris time, in the session's language."""
    if not iso:
        return ""
    from portal.i18n import current

    return current().datetime(orders_service.parse_time(iso), fmt)


def day_text(iso_day: str) -> str:
    """A calendar day (``2026-06-15``) written out in the session's language."""
    from portal.i18n import current

    return current().date(dt.date.fromisoformat(iso_day), "full")


def progress_text(detail: OrderDetail) -> str:
    """What happens next, in one or two sentences."""
    order = detail.order
    parts: list[str] = []
    if order.status == "awaiting_payment":
        parts.append(_("Waiting for the bank to confirm your card payment."))
    elif order.status in ("cancelled", "refunded"):
        parts.append(_("Cancelled on {date}.", date=when_text(order.cancelled_at)))
        if order.status == "refunded":
            parts.append(_("Refunded to the sources it was paid from."))
    else:
        if order.status == "shipped" and order.tracking_number:
            parts.append(
                _(
                    "Shipped on {date}, tracking number {tracking}.",
                    date=when_text(order.shipped_at),
                    tracking=order.tracking_number,
                )
            )
        elif order.dispatch_on:
            if order.dispatch_on == today_paris().isoformat():
                parts.append(_("Your parcel leaves today."))
            else:
                parts.append(
                    _("Your parcel will be dispatched on {date}.", date=day_text(order.dispatch_on))
                )
        if any(line.status == "preparing" for line in detail.lines):
            parts.append(_("Your e-cards and e-tickets are being prepared."))
        elif order.status == "available":
            parts.append(_("Your e-cards and e-tickets are available."))
    return " ".join(parts)


# -- dialogs ---------------------------------------------------------------------------------


class YesNoDialog(PromptModalScreen[bool]):
    """A yes/no question (``y``/``n``); dismissed with True for yes."""

    CSS_PATH = "../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="wallet.yes"),
        Binding("n,escape", "answer(False)", "No", id="wallet.no"),
    ]

    def __init__(self, question: str, confirm: str) -> None:
        super().__init__()
        self._question = question
        self._confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(classes="wallet-dialog"):
            yield Static(Content(self._question), id="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"{self._confirm} (y)", id="dialog-yes", variant="primary", compact=True
                )
                yield Button(f"{_('No')} (n)", id="dialog-no", compact=True)
        yield PortalFooter()

    def on_mount(self) -> None:
        self.query_one("#dialog-no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        """Close with the answer."""
        self.dismiss(answer)

    @on(Button.Pressed, "#dialog-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#dialog-no")
    def _no(self) -> None:
        self.dismiss(False)


class AskDialog(PromptModalScreen[str | None]):
    """Asks for one line of text; ``enter`` submits, ``escape`` gives None."""

    CSS_PATH = "../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="wallet.ask_cancel"),
    ]

    def __init__(
        self,
        question: str,
        *,
        placeholder: str = "",
        value: str = "",
        password: bool = False,
        max_length: int = 60,
    ) -> None:
        super().__init__()
        self._question = question
        self._placeholder = placeholder
        self._value = value
        self._password = password
        self._max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical(classes="wallet-dialog"):
            yield Static(Content(self._question), id="dialog-question")
            yield Input(
                self._value,
                placeholder=self._placeholder,
                password=self._password,
                max_length=self._max_length,
                id="dialog-input",
            )
            yield Static(_("Enter to confirm, Escape to cancel."), classes="hint")
        yield PortalFooter()

    def on_mount(self) -> None:
        self.query_one("#dialog-input", Input).focus()

    @on(Input.Submitted, "#dialog-input")
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)


# -- the screen ------------------------------------------------------------------------------


class OrderDetailScreen(PortalScreen):
    """An order's detail; ``c`` cancels it when it still can be."""

    CSS_PATH = "../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "cancel_order", "Cancel order", id="order.cancel"),
        Binding("i", "invoice", "Invoice", id="order.invoice"),
        Binding("r", "reload", "Refresh", id="order.reload"),
    ]

    class Loaded(Message):
        """The order as stored."""

        def __init__(self, detail: OrderDetail, note: str = "") -> None:
            super().__init__()
            self.detail = detail
            self.note = note

    class Failed(Message):
        """A read or an action was refused; the reason, translated."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, order_id: int, *, detail: OrderDetail | None = None, note: str = "") -> None:
        super().__init__()
        self.order_id = order_id
        self.detail = detail
        """The order last read."""
        self._note = note
        self._following = False

    def screen_title(self) -> str:
        return _("Order {number}", number=f"CMD-{self.order_id:07d}")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="order-detail", classes="wallet-page"):
            yield Static(_("Loading…"), id="order-heading", classes="heading")
            yield Static("", id="order-progress")
            table: DataTable[Any] = DataTable(
                id="order-lines", cursor_type="none", zebra_stripes=True
            )
            yield table
            yield Static("", id="order-payments")
            yield Static("", id="order-totals")
            yield Static("", id="order-invoice", classes="hint")
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

    @work(exclusive=True, group="order")
    async def load(self, note: str = "") -> None:
        """Read the order again."""
        try:
            detail = await self.portal.call(
                orders_service.get_order, self.portal.member, self.order_id
            )
        except UserError as error:
            self.post_message(self.Failed(error.translated(self.portal.translator())))
            return
        self.post_message(self.Loaded(detail, note))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.detail = message.detail
        self._draw(message.detail)
        self._say(message.note)
        self._follow_payment(message.detail)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self._say(message.text, error=True)

    def _follow_payment(self, detail: OrderDetail) -> None:
        """Redraw when the card payment's confirmation is recorded."""
        if self._following or detail.order.status != "awaiting_payment" or detail.card is None:
            return
        self._following = True
        confirmer = payments.runtime_for(self.portal.services).confirmer
        confirmer.schedule(detail.card.provider_ref, lambda _result: self._confirmed())

    def _confirmed(self) -> None:
        self._following = False
        if self.is_attached:
            self.load(note=_("Your payment is confirmed."))

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
        self.query_one("#order-progress", Static).update(Content(progress_text(detail)))
        table = self.query_one("#order-lines", DataTable)
        table.clear(columns=True)
        width = max(14, self.size.width - 62)
        table.add_column(_("Item"), width=width)
        table.add_column(_("Qty"), width=3)
        table.add_column(_("Price"), width=10)
        table.add_column(_("Subsidy"), width=10)
        table.add_column(_("Status"), width=22)
        for line in detail.lines:
            table.add_row(
                Content(line.title[:width]),
                str(line.quantity),
                money(line.line_total_cents),
                money(-line.subsidy_cents) if line.subsidy_cents else "",
                _(LINE_STATUS_LABELS.get(line.status, line.status)),
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
        cancel = (
            _("Press c to cancel this order; it is refunded to the sources it was paid from.")
            if detail.cancellable
            else self._block_text(detail)
        )
        self.query_one("#order-cancel", Static).update(Content(cancel))

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
        """Read the order again."""
        self.load()

    def action_invoice(self) -> None:
        """Say where the invoice is (the PDF is in the member's SFTP outbox)."""
        detail = self.detail
        if detail is None or not detail.order.invoice_file:
            self._say(_("The invoice is issued when the payment is confirmed."), error=True)
            return
        self._say(
            _(
                "Download it with: sftp -P <port> {login}@<host>, then get {file}",
                login=detail.member_login,
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
        provider = payments.runtime_for(self.portal.services).provider
        try:
            detail = await self.portal.call(
                orders_service.cancel_order,
                self.portal.member,
                self.order_id,
                provider=provider,
                reason=reason,
            )
        except UserError as error:
            self.post_message(self.Failed(error.translated(self.portal.translator())))
            return
        self.post_message(self.Loaded(detail, _("The order is cancelled.")))
