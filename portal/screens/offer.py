"""The offer sheet: what an offer is, its conditions, its price, and "add to basket".

E-cards ask for an amount (a list of fixed amounts, or a typed amount within a range),
every offer for a quantity. ``a`` (or ``enter`` in a field) adds to the basket; the
service checks everything again and a refusal is shown in a sentence, nothing written.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from portal.i18n import Translator, _, money, ngettext
from portal.screens.base import PortalScreen
from portal.screens.basket import BasketScreen
from portal.services import basket as basket_service
from portal.services import benefits, subsidies
from portal.services.basket import Basket, parse_amount, parse_quantity
from portal.services.benefits import BenefitSummary
from portal.services.catalog import (
    OfferSheet,
    ShopError,
    amount_range,
    check_amount,
    fold,
    price_line,
)
from portal.widgets.format import basket_summary, category_name, kind_label, percent


def benefit_text(
    benefit: BenefitSummary, translator: Translator, unit_price_cents: int | None = None
) -> str:
    """One line for a benefit that applies: what it gives here, and what is left of it.

    Args:
        benefit: From ``spending.applicable_benefits``.
        translator: The session's translator (for the wallet's rule sentence).
        unit_price_cents: The offer's member price when it is fixed (a subsidy then shows
            what it takes off each item); None for e-cards, whose price follows the amount.
    """
    kind = translator.gettext(benefits.KIND_LABELS.get(benefit.kind, benefit.kind))
    # Labels often already name their kind ("Subvention cinéma 2026"): no need to repeat it.
    name = benefit.label if fold(kind) in fold(benefit.label) else f"{kind} · {benefit.label}"
    left = _("{amount} left", amount=money(benefit.remaining_cents))
    if benefit.rule is None:
        details = left
    elif unit_price_cents is not None:
        details = _(
            "{amount} off each item ({left})",
            amount=money(benefit.subsidy_for(unit_price_cents)),
            left=left,
        )
    else:
        terms = subsidies.describe_rule(benefit.rule, translator, benefit.quotient_familial)
        details = f"{terms} ({left})"
    return _("{benefit}: {details}", benefit=name, details=details)


class OfferScreen(PortalScreen):
    """One offer, its conditions, and the form that adds it to the basket."""

    CSS_PATH = "../styles/shop.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add to basket", id="offer.add"),
        Binding("b", "basket", "Basket", id="offer.basket"),
    ]

    class Added(Message):
        """The line was added; the new basket."""

        def __init__(self, basket: Basket, quantity: int) -> None:
            super().__init__()
            self.basket = basket
            self.quantity = quantity

    class Refused(Message):
        """The basket refused the line; the reason, translated."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, sheet: OfferSheet) -> None:
        super().__init__()
        self.sheet = sheet
        self.offer = sheet.offer

    def screen_title(self) -> str:
        return self.offer.title

    # -- layout --------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        offer = self.offer
        with VerticalScroll(id="offer-details"):
            yield Static(
                Content.from_markup(
                    "[b]$title[/b] · $partner", title=offer.title, partner=offer.partner_name
                ),
                id="offer-heading",
            )
            if offer.description:
                yield Static(offer.description, markup=False, id="offer-description")
            yield Static(self._facts(), id="offer-facts")
            yield Static(_("Your benefits that apply"), classes="heading")
            yield Static(self._benefits(), id="offer-benefits")
            yield Static(_("Good to know"), classes="heading")
            yield Static(self._conditions(), id="offer-conditions")
        with Vertical(id="offer-form"):
            with Horizontal(id="offer-fields"):
                if offer.kind == "ecard":
                    yield Label(_("Amount"), classes="field-label")
                    limits = amount_range(offer)
                    if limits is None:
                        yield Select(
                            [(money(v), v) for v in offer.face_values],
                            allow_blank=False,
                            id="offer-amount",
                            compact=True,
                        )
                    else:
                        yield Input(
                            placeholder=_(
                                "{min} to {max}", min=money(limits[0]), max=money(limits[1])
                            ),
                            id="offer-amount-input",
                            compact=True,
                            max_length=12,
                        )
                yield Label(_("Quantity"), classes="field-label")
                yield Input("1", id="offer-quantity", compact=True, max_length=4)
            yield Static("", id="offer-preview")
            yield Static(
                _(
                    "a or Enter: add to basket · at most {max} per line",
                    max=basket_service.MAX_QUANTITY_PER_LINE,
                ),
                id="offer-message",
                classes="hint",
            )

    def _fact(self, label: str, value: str) -> Content:
        return Content.from_markup("[b]$label[/b] $value", label=label, value=value)

    def _facts(self) -> Content:
        offer = self.offer
        lines = [
            self._fact(_("Type:"), f"{kind_label(offer.kind)} · {category_name(offer.category)}")
        ]
        if offer.kind == "ecard":
            lines.append(self._fact(_("Discount:"), percent(offer.discount_bp)))
            limits = amount_range(offer)
            if limits is None:
                amounts = ", ".join(money(v) for v in offer.face_values)
            else:
                amounts = _(
                    "free, from {min} to {max}, in whole euros",
                    min=money(limits[0]),
                    max=money(limits[1]),
                )
            lines.append(self._fact(_("Amounts:"), amounts))
        else:
            price = price_line(offer, None, 1)
            lines.append(
                self._fact(
                    _("Price:"),
                    _(
                        "{price} instead of {face} (-{discount})",
                        price=money(price.unit_price_cents),
                        face=money(price.face_value_cents),
                        discount=percent(price.discount_bp, offer.kind),
                    ),
                )
            )
        return Content("\n").join(lines)

    def _conditions(self) -> Content:
        offer = self.offer
        lines = []
        validity = offer.validity or (
            ngettext("{n} month", "{n} months", offer.validity_months)
            if offer.validity_months
            else ""
        )
        if validity:
            lines.append(self._fact(_("Validity:"), validity))
        if offer.usable_at:
            lines.append(self._fact(_("Where to use it:"), offer.usable_at))
        if offer.kind == "product":
            delivery = (
                _("By post, delivery fee {fee} per order", fee=money(offer.shipping_cents))
                if offer.shipping_cents
                else _("By post, free delivery")
            )
        elif offer.kind == "eticket":
            delivery = _("Electronic ticket, in My e-tickets & e-cards a few hours after payment")
        else:
            delivery = _("Electronic card, in My e-tickets & e-cards a few hours after payment")
        lines.append(self._fact(_("Delivery:"), delivery))
        if offer.conditions:
            lines.append(self._fact(_("Terms:"), offer.conditions))
        return Content("\n").join(lines)

    def _benefits(self) -> str:
        if not self.sheet.benefits:
            return _("None of your benefits applies to this offer.")
        t = self.portal.translator()
        unit_price = (
            None if self.offer.kind == "ecard" else price_line(self.offer, None, 1).unit_price_cents
        )
        return "\n".join(f"• {benefit_text(b, t, unit_price)}" for b in self.sheet.benefits)

    def on_mount(self) -> None:
        # E-cards start on their amount; fixed-price offers on the sheet itself, so that
        # "a" adds one at once and "b" opens the basket (tab reaches the quantity).
        first = "#offer-details"
        if self.offer.kind == "ecard":
            first = "#offer-amount" if amount_range(self.offer) is None else "#offer-amount-input"
        self.query_one(first).focus()
        self._update_preview()

    # -- form ----------------------------------------------------------------------------

    def _face_value(self) -> int | None:
        """The chosen amount in cents (None for offers without one); may raise ShopError."""
        if self.offer.kind != "ecard":
            return None
        if amount_range(self.offer) is None:
            value = self.query_one("#offer-amount", Select).value
            return value if isinstance(value, int) else None
        return parse_amount(self.query_one("#offer-amount-input", Input).value)

    def _read_form(self) -> tuple[int | None, int]:
        """Amount and quantity as typed, checked against the offer; may raise ShopError."""
        face = check_amount(self.offer, self._face_value())
        quantity = parse_quantity(self.query_one("#offer-quantity", Input).value)
        return (face if self.offer.kind == "ecard" else None), quantity

    @on(Input.Changed)
    @on(Select.Changed)
    def _update_preview(self) -> None:
        preview = self.query_one("#offer-preview", Static)
        try:
            face, quantity = self._read_form()
        except ShopError:
            preview.update("")
            return
        if quantity < 1:
            preview.update("")
            return
        price = price_line(self.offer, face, quantity)
        preview.update(
            Content.from_markup(
                "$line [b]$total[/b] · $savings",
                line=_("{n} × {unit} =", n=quantity, unit=money(price.unit_price_cents)),
                total=money(price.total_cents),
                savings=_("you save {amount}", amount=money(price.savings_cents)),
            )
        )

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_add()

    def action_add(self) -> None:
        """Check the form and add the line to the basket."""
        try:
            face, quantity = self._read_form()
        except ShopError as error:
            self._say(error.text(self.portal.translator()), error=True)
            return
        self.add_line(face, quantity)

    @work(exclusive=True, group="offer-add")
    async def add_line(self, face_value_cents: int | None, quantity: int) -> None:
        """Ask the basket service to add the line (it checks everything again)."""
        try:
            basket = await self.portal.call(
                basket_service.add_to_basket,
                self.portal.member,
                self.offer.id,
                face_value_cents=face_value_cents,
                quantity=quantity,
            )
        except ShopError as error:
            self.post_message(self.Refused(error.text(self.portal.translator())))
            return
        self.post_message(self.Added(basket, quantity))

    @on(Added)
    def _added(self, message: Added) -> None:
        basket = message.basket
        self._say(
            _(
                "Added: {n} × {title}. {summary}",
                n=message.quantity,
                title=self.offer.title,
                summary=basket_summary(basket.item_count, basket.total_cents),
            ),
        )

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self._say(message.text, error=True)

    def _say(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#offer-message", Static)
        box.update(Content(text))
        box.set_class(error, "error")
        box.set_class(not error, "success")
        box.remove_class("hint")

    def action_basket(self) -> None:
        """Open the basket."""
        self.app.push_screen(BasketScreen())
