"""Checkout: what benefits pay, which vouchers to use, the card for the rest, and pay.

The screen shows the plan (``spending.Quote``) before anything is paid: subsidies taken
off each line, the vouchers that pay (space switches one off), and what is left for the
card. Paying needs the conditions of sale accepted. The card is never typed here: the
order is written with its benefits, then the member pays the rest on the payment
provider's page (a short link and a QR code on the order's screen, which follows the
payment live).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static
from textual.widgets.selection_list import Selection

from portal.i18n import N_, _, money
from portal.screens.delivery import DeliveryStepScreen
from portal.screens.order_detail import OrderDetailScreen
from portal.services import checkout
from portal.services.checkout import OrderPlaced, QuoteChanged
from portal.services.errors import UserError
from portal.services.spending import Quote
from portal.widgets.footer import PortalFooter
from portal.widgets.pacing import PromptModalScreen
from portal.widgets.selection import SelectionList
from portal.widgets.toggles import Checkbox

TERMS = N_(
    "Conditions of sale (summary). Prices include VAT. E-cards and e-tickets are delivered "
    "in your member space once your payment is confirmed; parcels leave the same working "
    "day for orders validated before 15:00 (Paris time). You may cancel an order until it "
    "is shipped or its e-cards and e-tickets are issued: it is then refunded to the "
    "sources it was paid from. Benefits used for an order return to your balance when it "
    "is cancelled, within their period of validity. E-cards and e-tickets are neither "
    "exchanged nor refunded once issued. Card payments are handled by our payment "
    "provider: Portal never stores your card number."
)


class TermsDialog(PromptModalScreen[None]):
    """The conditions of sale; any of ``escape``/``enter`` closes."""

    CSS_PATH = "../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", id="checkout.terms_close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="wallet-dialog"):
            yield Static(_(TERMS), id="terms-text")
        yield PortalFooter()

    def action_close(self) -> None:
        """Close the conditions."""
        self.dismiss(None)


class CheckoutScreen(DeliveryStepScreen):
    """Pay the basket: benefits first, then the card."""

    CSS_PATH = "../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+p", "pay", "Pay", id="checkout.pay", priority=True),
        Binding("ctrl+t", "terms", "Conditions of sale", id="checkout.terms", priority=True),
    ]

    class Planned(Message):
        """A new plan for the basket."""

        def __init__(self, quote: Quote, note: str = "", error: bool = False) -> None:
            super().__init__()
            self.quote = quote
            self.note = note
            self.error = error

    class Refused(Message):
        """Something was refused; the reason, translated."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Placed(Message):
        """The order is written."""

        def __init__(self, placed: OrderPlaced) -> None:
            super().__init__()
            self.placed = placed

    def __init__(self) -> None:
        super().__init__()
        self.quote: Quote | None = None
        """The plan shown (and the one that will be paid)."""
        self.busy = False

    def screen_title(self) -> str:
        return _("Checkout")

    def wants_confirm_before_logout(self) -> bool:
        return True  # Ctrl+Q in the middle of a payment asks first

    # -- layout --------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="checkout", classes="wallet-page"):
            yield Static(_("Loading…"), id="checkout-lines")
            yield Static(
                _("Vouchers (space: use or not)"),
                id="checkout-vouchers-title",
                classes="subheading",
            )
            yield SelectionList[int](id="checkout-vouchers", compact=True)
            yield Static("", id="checkout-summary")
            yield self.delivery_widget()
            yield Static(
                _(
                    "The rest is paid by card on our payment provider's secure page: once "
                    "you confirm, open its link or scan its QR code with your phone. Your "
                    "card is never typed here."
                ),
                id="checkout-card",
                classes="hint",
            )
            yield Checkbox(
                _("I accept the conditions of sale (Ctrl+T to read them)"),
                id="checkout-terms",
                compact=True,
            )
            yield Button(_("Pay"), id="checkout-pay", variant="primary", compact=True)
            yield Static("", id="checkout-message")

    def on_mount(self) -> None:
        self.plan()

    # -- planning ------------------------------------------------------------------------

    @work(exclusive=True, group="checkout-plan")
    async def plan(
        self, excluded: frozenset[int] = frozenset(), note: str = "", error: bool = False
    ) -> None:
        """Plan the basket against the member's benefits."""
        try:
            quote = await self.portal.call(
                checkout.prepare_checkout, self.portal.member, excluded=excluded
            )
        except UserError as refusal:
            self.post_message(self.Refused(refusal.text(self.portal.translator())))
            return
        self.post_message(self.Planned(quote, note, error))

    @on(Planned)
    def _planned(self, message: Planned) -> None:
        first = self.quote is None
        self.quote = message.quote
        self._draw(message.quote)
        self.draw_delivery()
        self._say(message.note, error=message.error)
        if first:
            self._focus_first(message.quote)

    def _focus_first(self, quote: Quote) -> None:
        """Start where the member has something to do: vouchers, else the terms."""
        if quote.vouchers:
            self.query_one("#checkout-vouchers", SelectionList).focus()
        else:
            self.query_one("#checkout-terms", Checkbox).focus()

    def _draw(self, quote: Quote) -> None:
        lines = []
        for i, line in enumerate(quote.lines):
            text = f"{line.quantity} × {line.title}  {money(line.line_total_cents)}"
            if quote.line_subsidies[i]:
                text += "  " + _("subsidy -{amount}", amount=money(quote.line_subsidies[i]))
            lines.append(text)
        if quote.shipping_cents:
            lines.append(_("Delivery {amount}", amount=money(quote.shipping_cents)))
        if not quote.lines:
            lines = [_("Your basket is empty.")]
        self.query_one("#checkout-lines", Static).update(Content("\n".join(lines)))
        vouchers = self.query_one("#checkout-vouchers", SelectionList)
        with vouchers.prevent(SelectionList.SelectedChanged):
            self._fill_vouchers(vouchers, quote)
        has_vouchers = bool(quote.vouchers)
        vouchers.display = has_vouchers
        self.query_one("#checkout-vouchers-title").display = has_vouchers
        summary = [
            _("Total {amount}", amount=money(quote.total_cents)),
            _("Subsidies -{amount}", amount=money(quote.subsidies_cents)),
            _("Vouchers -{amount}", amount=money(quote.vouchers_cents)),
        ]
        self.query_one("#checkout-summary", Static).update(
            Content.from_markup(
                "$summary\n[b]$card[/b]",
                summary=" · ".join(summary),
                card=_("To pay by card: {amount}", amount=money(quote.card_cents)),
            )
        )
        self.query_one("#checkout-card").display = quote.card_cents > 0
        pay = self.query_one("#checkout-pay", Button)
        pay.label = (
            _("Pay {amount} on the payment page (Ctrl+P)", amount=money(quote.card_cents))
            if quote.card_cents
            else _("Confirm the order (Ctrl+P)")
        )
        pay.disabled = not quote.lines

    def _fill_vouchers(self, vouchers: SelectionList[int], quote: Quote) -> None:
        highlighted = vouchers.highlighted
        vouchers.clear_options()
        for v in quote.vouchers:
            if not v.eligible:
                label = _(
                    "{label}: {balance} (not for this basket)",
                    label=v.label,
                    balance=money(v.balance_cents),
                )
            elif v.selected and not v.used_cents:
                label = _(
                    "{label}: not needed ({balance} available)",
                    label=v.label,
                    balance=money(v.balance_cents),
                )
            elif v.selected:
                label = _(
                    "{label}: pays {used} of {balance}",
                    label=v.label,
                    used=money(v.used_cents),
                    balance=money(v.balance_cents),
                )
            else:
                label = _(
                    "{label}: not used ({balance} available)",
                    label=v.label,
                    balance=money(v.balance_cents),
                )
            vouchers.add_option(
                Selection(Content(label), v.allocation_id, v.selected, disabled=not v.eligible)
            )
        if vouchers.option_count:
            vouchers.highlighted = min(highlighted or 0, vouchers.option_count - 1)

    @on(SelectionList.SelectedChanged, "#checkout-vouchers")
    def _vouchers_changed(self, event: SelectionList.SelectedChanged[int]) -> None:
        if self.quote is None:
            return
        selected = set(event.selection_list.selected)
        excluded = frozenset(
            v.allocation_id
            for v in self.quote.vouchers
            if v.eligible and v.allocation_id not in selected
        )
        if excluded != self.quote.excluded:
            self.plan(excluded)

    # -- paying --------------------------------------------------------------------------

    @on(Button.Pressed, "#checkout-pay")
    def _pay_pressed(self) -> None:
        self.action_pay()

    def action_terms(self) -> None:
        """Show the conditions of sale."""
        self.app.push_screen(TermsDialog())

    def action_pay(self) -> None:
        """Pay the plan shown."""
        quote = self.quote
        if quote is None or self.busy:
            return
        if not quote.lines:
            self._say(_("Your basket is empty."), error=True)
            return
        terms = self.query_one("#checkout-terms", Checkbox)
        if not terms.value:
            # Focus on the box and a sentence that stays in view at 80x24.
            sentence = _("Accept the conditions of sale to pay.")
            self._say(sentence, error=True)
            self.show_field_error(terms, sentence)
            return
        self.busy = True
        self._say(_("Placing the order…"))
        self.run_pay(quote)

    @work(exclusive=True, group="checkout-pay")
    async def run_pay(self, quote: Quote) -> None:
        """Ask the service to pay; post the outcome."""
        runtime = self.portal.services.payments
        await self._outcome(
            checkout.pay,
            quote,
            provider=runtime.provider,
            settings=self.portal.services.settings,
            accepted_terms=True,
        )

    async def _outcome(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        t = self.portal.translator()
        try:
            result = await self.portal.call(fn, self.portal.member, *args, **kwargs)
        except QuoteChanged as changed:
            excluded = self.quote.excluded if self.quote else frozenset()
            self.post_message(self.Refused(changed.text(t)))
            self.plan(excluded, changed.text(t), True)
            return
        except UserError as refusal:
            self.post_message(self.Refused(refusal.text(t)))
            return
        self.post_message(self.Placed(result))

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self.busy = False
        self._say(message.text, error=True)

    @on(Placed)
    def _placed(self, message: Placed) -> None:
        detail = message.placed.order
        note = (
            _("Order placed: pay the rest on the payment page below.")
            if message.placed.awaiting
            else _("Order placed and validated.")
        )
        self.app.switch_screen(OrderDetailScreen(detail.order.id, detail=detail, note=note))

    def _say(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#checkout-message", Static)
        box.update(Content(text))
        box.set_class(error, "error")
