"""The basket ("Panier"): lines, totals, "vous économisez", and the way to checkout.

Keys: ``+``/``-`` change the highlighted line's quantity, ``d``/``delete`` remove it,
``c`` goes to checkout, ``s`` to the shop. The basket is read again each time the
screen shows (it lives in the database, so it is the same in every session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from portal.i18n import _, money
from portal.screens.base import PortalScreen
from portal.screens.checkout import CheckoutScreen
from portal.screens.context import OpenSection
from portal.services import basket as basket_service
from portal.services.basket import Basket, BasketLine
from portal.services.catalog import ShopError
from portal.widgets.format import discount_text
from portal.widgets.table import AMOUNT, DataTable

_TITLE_MIN_WIDTH = 16
"""The offer column's narrowest width; it takes the rest of the table's width."""
_FIXED_WIDTHS = {"amount": 10, "quantity": 4, "discount": 8, "price": 11}


class BasketScreen(PortalScreen):
    """The member's basket, changed line by line."""

    CSS_PATH = "../styles/shop.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus", "more", "One more", id="basket.more"),
        Binding("minus", "less", "One less", id="basket.less"),
        Binding("d,delete", "remove", "Remove", id="basket.remove"),
        Binding("c", "checkout", "Checkout", id="basket.checkout"),
        Binding("s", "shop", "Shop", id="basket.shop", show=False),
    ]

    class Loaded(Message):
        """The basket as stored, after a read or a change."""

        def __init__(self, basket: Basket, note: str = "") -> None:
            super().__init__()
            self.basket = basket
            self.note = note

    class Refused(Message):
        """A change was refused; the reason, translated."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        self.basket: Basket | None = None
        """The basket last read (None until the first read)."""

    def screen_title(self) -> str:
        return _("Basket")

    def compose_body(self) -> ComposeResult:
        table: DataTable = DataTable(id="basket-lines", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(_("Loading…"), id="basket-totals")
        yield Static("", id="basket-savings")
        yield Static("", id="basket-message")

    def on_mount(self) -> None:
        self.query_one("#basket-lines", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.run_change(basket_service.get_basket)

    # -- service calls ---------------------------------------------------------------

    @work(exclusive=True, group="basket")
    async def run_change(self, fn: Callable[..., Basket], *args: Any, note: str = "") -> None:
        """Run a basket service function for the member; post the new basket or the refusal."""
        try:
            basket = await self.portal.call(fn, self.portal.member, *args)
        except ShopError as error:
            self.post_message(self.Refused(error.text(self.portal.translator())))
            return
        self.post_message(self.Loaded(basket, note))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.basket = message.basket
        self._fill()
        if message.basket.has_unavailable and not message.note:
            self._say(_("Some offers are no longer available: remove them to order."), error=True)
        else:
            self._say(message.note)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self._say(message.text, error=True)

    # -- drawing -------------------------------------------------------------------------

    def _fill(self) -> None:
        basket = self.basket
        assert basket is not None
        table = self.query_one("#basket-lines", DataTable)
        keep = self._current_line()
        table.clear(columns=True)
        table.add_column(_("Offer"), width=_TITLE_MIN_WIDTH, key="title", flex=True)
        for key, label in (
            ("amount", _("Amount")),
            ("quantity", _("Qty")),
            ("discount", _("Discount")),
            ("price", _("Price")),
        ):
            table.add_column(label, width=_FIXED_WIDTHS[key], key=key, kind=AMOUNT)
        for line in basket.lines:
            table.add_row(*self._cells(line), key=str(line.id))
        ids = [line.id for line in basket.lines]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        self.query_one("#basket-totals", Static).update(self._totals(basket))
        self.query_one("#basket-savings", Static).update(self._savings(basket))

    def _cells(self, line: BasketLine) -> list[str | int | Text]:
        amount, quantity = money(line.face_value_cents), line.quantity
        if not line.available:
            title = _("{title} (no longer available)", title=line.offer_title)
            return [
                Text(title, style="dim strike", overflow="ellipsis"),
                amount,
                quantity,
                "—",
                "—",
            ]
        return [
            line.offer_title,
            amount,
            quantity,
            discount_text(line.discount_bp, line.kind),
            money(line.line_total_cents),
        ]

    def _totals(self, basket: Basket) -> Content:
        if basket.is_empty:
            return Content(_("Your basket is empty. Press s to browse the shop."))
        parts = [
            _("Value {amount}", amount=money(basket.face_total_cents)),
            _("Discounts -{amount}", amount=money(basket.savings_cents)),
        ]
        if basket.needs_shipping:
            parts.append(
                _("Delivery {amount}", amount=money(basket.shipping_cents))
                if basket.shipping_cents
                else _("Free delivery")
            )
        return Content.from_markup(
            "$details\n[b]$total[/b]",
            details=" · ".join(parts),
            total=_("Total {amount}", amount=money(basket.total_cents)),
        )

    def _savings(self, basket: Basket) -> str:
        if not basket.savings_cents:
            return ""
        return _("You save {amount}", amount=money(basket.savings_cents))

    def _say(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#basket-message", Static)
        box.update(Content(text))
        box.set_class(error, "error")

    def _current_line(self) -> int | None:
        table = self.query_one("#basket-lines", DataTable)
        if not table.row_count:
            return None
        row_key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
        return int(row_key.value) if row_key.value is not None else None

    def _current(self) -> BasketLine | None:
        line_id = self._current_line()
        if self.basket is None or line_id is None:
            return None
        return self.basket.line(line_id)

    # -- actions -------------------------------------------------------------------------

    def action_more(self) -> None:
        """One more of the highlighted line."""
        line = self._current()
        if line is not None:
            self.run_change(basket_service.change_quantity, line.id, 1)

    def action_less(self) -> None:
        """One less of the highlighted line."""
        line = self._current()
        if line is not None:
            self.run_change(basket_service.change_quantity, line.id, -1)

    def action_remove(self) -> None:
        """Remove the highlighted line."""
        line = self._current()
        if line is not None:
            self.run_change(
                basket_service.remove_line,
                line.id,
                note=_("Removed: {title}.", title=line.offer_title),
            )

    def action_checkout(self) -> None:
        """Go to checkout with this basket."""
        basket = self.basket
        if basket is None or basket.is_empty:
            self._say(_("Your basket is empty."), error=True)
            return
        if basket.has_unavailable:
            self._say(_("Some offers are no longer available: remove them to order."), error=True)
            return
        self.app.push_screen(CheckoutScreen())

    def action_shop(self) -> None:
        """Back to the shop (the one below, or a new one from the home menu).

        The shop opens the basket, so the basket asks the app for the shop section
        rather than importing the shop's screen (see ``context.OpenSection``).
        """
        self.app.post_message(OpenSection("shop"))
