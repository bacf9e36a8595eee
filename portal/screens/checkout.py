"""Checkout: what benefits pay, which vouchers to use, the card for the rest, and pay.

The screen shows the plan (``checkout.Quote``) before anything is paid: subsidies taken
off each line, the vouchers that pay (space switches one off), and what is left for the
card. Paying needs the conditions of sale accepted. Card details go from the inputs to
the service in a worker and the inputs are cleared at once; nothing else keeps them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from portal.i18n import N_, _, money
from portal.screens.base import PortalScreen
from portal.screens.order_detail import AskDialog, OrderDetailScreen
from portal.screens.pacing import PromptModalScreen
from portal.services import checkout, payments
from portal.services.checkout import ChallengeRequired, OrderPlaced, Quote, QuoteChanged
from portal.services.payments import CardDetails, PaymentDeclined
from portal.services.wallet import UserError
from portal.widgets.footer import PortalFooter
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


class CheckoutScreen(PortalScreen):
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
        """Something was refused; the reason, translated (``clear_card`` after a decline)."""

        def __init__(self, text: str, clear_card: bool = False) -> None:
            super().__init__()
            self.text = text
            self.clear_card = clear_card

    class Challenged(Message):
        """The bank asks for a 3-D Secure code."""

        def __init__(self, challenge: ChallengeRequired) -> None:
            super().__init__()
            self.challenge = challenge

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
            with Vertical(id="checkout-card"):
                with Horizontal(id="card-row"):
                    yield Input(
                        placeholder=_("Card number"), id="card-number", max_length=23, compact=True
                    )
                    yield Input(
                        placeholder=_("MM/YY"), id="card-expiry", max_length=7, compact=True
                    )
                    yield Input(
                        placeholder=_("CVC"),
                        id="card-cvc",
                        max_length=4,
                        password=True,
                        compact=True,
                    )
                yield Static("", id="card-hint", classes="hint")
            yield Checkbox(
                _("I accept the conditions of sale (Ctrl+T to read them)"),
                id="checkout-terms",
                compact=True,
            )
            yield Button(_("Pay"), id="checkout-pay", variant="primary", compact=True)
            yield Static("", id="checkout-message")

    def on_mount(self) -> None:
        provider = payments.runtime_for(self.portal.services).provider
        hint = self.query_one("#card-hint", Static)
        if provider.name == "sandbox":
            hint.update(
                _(
                    "Sandbox test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 "
                    "is declined; 4000 0000 0000 3220 asks the code 123456; "
                    "4000 0000 0000 9995 lacks funds."
                )
            )
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
            self.post_message(self.Refused(refusal.translated(self.portal.translator())))
            return
        self.post_message(self.Planned(quote, note, error))

    @on(Planned)
    def _planned(self, message: Planned) -> None:
        first = self.quote is None
        self.quote = message.quote
        self._draw(message.quote)
        self._say(message.note, error=message.error)
        if first:
            self._focus_first(message.quote)

    def _focus_first(self, quote: Quote) -> None:
        """Start where the member has something to do: vouchers, else the card, else terms."""
        if quote.vouchers:
            self.query_one("#checkout-vouchers", SelectionList).focus()
        elif quote.card_cents:
            self.query_one("#card-number", Input).focus()
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
            _("Pay {amount} (Ctrl+P)", amount=money(quote.card_cents))
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
        if not self.query_one("#checkout-terms", Checkbox).value:
            self._say(_("Accept the conditions of sale to pay."), error=True)
            return
        card = None
        if quote.card_cents:
            number = self.query_one("#card-number", Input)
            expiry = self.query_one("#card-expiry", Input)
            cvc = self.query_one("#card-cvc", Input)
            card = CardDetails(number.value, expiry.value, cvc.value)
            cvc.value = ""
        self.busy = True
        self._say(_("Payment in progress…"))
        self.run_pay(quote, card)

    @work(exclusive=True, group="checkout-pay")
    async def run_pay(self, quote: Quote, card: CardDetails | None) -> None:
        """Ask the service to pay; post the outcome."""
        runtime = payments.runtime_for(self.portal.services)
        await self._outcome(
            checkout.pay,
            quote,
            provider=runtime.provider,
            settings=self.portal.services.settings,
            accepted_terms=True,
            card=card,
        )

    async def _outcome(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        t = self.portal.translator()
        try:
            result = await self.portal.call(fn, self.portal.member, *args, **kwargs)
        except QuoteChanged as changed:
            excluded = self.quote.excluded if self.quote else frozenset()
            self.post_message(self.Refused(changed.translated(t)))
            self.plan(excluded, changed.translated(t), True)
            return
        except PaymentDeclined as declined:
            self.post_message(self.Refused(declined.translated(t), clear_card=True))
            return
        except UserError as refusal:
            self.post_message(self.Refused(refusal.translated(t)))
            return
        if isinstance(result, ChallengeRequired):
            self.post_message(self.Challenged(result))
        else:
            self.post_message(self.Placed(result))

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self.busy = False
        if message.clear_card:
            self.query_one("#card-number", Input).value = ""
        self._say(message.text, error=True)

    @on(Challenged)
    def _challenged(self, message: Challenged) -> None:
        challenge = message.challenge

        def answered(code: str | None) -> None:
            if code is None:
                payments.runtime_for(self.portal.services).provider.void(
                    challenge.authorization.reference
                )
                self.busy = False
                self._say(_("Payment cancelled: nothing was charged."), error=True)
                return
            self.run_3ds(challenge, code)

        self.app.push_screen(
            AskDialog(
                _(
                    "Your bank asks you to confirm this payment of {amount}: enter the code it sent "
                    "you.",
                    amount=money(challenge.authorization.amount_cents),
                ),
                placeholder=_("Verification code"),
                max_length=8,
            ),
            answered,
        )

    @work(exclusive=True, group="checkout-pay")
    async def run_3ds(self, challenge: ChallengeRequired, code: str) -> None:
        """Send the 3-D Secure code."""
        assert self.quote is not None
        runtime = payments.runtime_for(self.portal.services)
        await self._outcome(
            checkout.complete_3ds,
            self.quote,
            provider=runtime.provider,
            settings=self.portal.services.settings,
            challenge=challenge,
            code=code,
        )

    @on(Placed)
    def _placed(self, message: Placed) -> None:
        detail = message.placed.order
        self.query_one("#card-number", Input).value = ""
        if message.placed.awaiting and detail.card is not None:
            # The process confirms it even if this session ends before the detail shows.
            payments.runtime_for(self.portal.services).confirmer.schedule(detail.card.provider_ref)
        note = (
            _("Order placed. Your card payment is being confirmed.")
            if message.placed.awaiting
            else _("Order placed and validated.")
        )
        self.app.switch_screen(OrderDetailScreen(detail.order.id, detail=detail, note=note))

    def _say(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#checkout-message", Static)
        box.update(Content(text))
        box.set_class(error, "error")
