"""The shop ("Boutique"): categories, a search box and the offers table.

Keys: ``/`` searches, ``enter`` opens the highlighted offer, ``b`` opens the basket.
Categories filter as they are highlighted; the search narrows within the category.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from portal.data.catalog import Offer
from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.screens.basket import BasketScreen
from portal.screens.offer import OfferScreen
from portal.services import basket as basket_service
from portal.services import catalog
from portal.services.catalog import Category, OfferSheet
from portal.widgets.format import (
    basket_summary,
    category_name,
    discount_text,
    from_price,
)
from portal.widgets.table import AMOUNT, DataTable

ALL = "all"
"""Option id of the "All categories" entry."""
_DISCOUNT_WIDTH = 8
_PRICE_WIDTH = 12
_MIN_TITLE_WIDTH = 16


# -- the screen ----------------------------------------------------------------------


class ShopScreen(PortalScreen):
    """Browse the catalog by category, search it, and open an offer."""

    CSS_PATH = "../styles/shop.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: handled as the key is read, so letters typed right after "/" (in the
        # same packet over a slow link) already land in the search box.
        Binding("slash", "search", "Search", id="shop.search", priority=True),
        Binding("b", "basket", "Basket", id="shop.basket"),
    ]

    class CategoriesLoaded(Message):
        """The categories the member may browse."""

        def __init__(self, categories: list[Category]) -> None:
            super().__init__()
            self.categories = categories

    class OffersLoaded(Message):
        """The offers of the current category and search."""

        def __init__(self, offers: list[Offer]) -> None:
            super().__init__()
            self.offers = offers

    class BasketCounted(Message):
        """The basket's size and total, for the status line."""

        def __init__(self, count: int, total_cents: int) -> None:
            super().__init__()
            self.count = count
            self.total_cents = total_cents

    class SheetLoaded(Message):
        """An offer sheet, ready to show (None: the offer is gone)."""

        def __init__(self, sheet: OfferSheet | None) -> None:
            super().__init__()
            self.sheet = sheet

    def __init__(self) -> None:
        super().__init__()
        self._category = ALL
        self._categories: list[Category] = []
        self._offers: list[Offer] = []
        self._focus_results = False
        self._basket_text = ""
        self._offers_loaded = False

    @property
    def offers(self) -> list[Offer]:
        """The offers in the table, in its order."""
        return list(self._offers)

    def screen_title(self) -> str:
        return _("Shop")

    def compose_body(self) -> ComposeResult:
        yield Input(
            placeholder=_("Search an offer, a store, a city… (/)"),
            id="shop-search",
            compact=True,
            max_length=catalog.SEARCH_MAX_LENGTH,
        )
        with Horizontal(id="shop-main"):
            categories = OptionList(id="shop-categories")
            categories.border_title = _("Categories")
            yield categories
            table: DataTable = DataTable(id="shop-offers", cursor_type="row", zebra_stripes=True)
            table.border_title = _("Offers")
            yield table
        yield Static("", id="shop-status")

    def on_mount(self) -> None:
        self.query_one("#shop-offers", DataTable).focus()

    def on_screen_resume(self) -> None:
        # Each time the shop shows (first time, back from an offer, after a language
        # change re-composed it): the catalog and the basket may have changed meanwhile.
        self.load_categories()
        self.load_offers()
        self.count_basket()

    # -- loading (workers post messages; handlers change widgets) -----------------------

    @work(exclusive=True, group="shop-categories")
    async def load_categories(self) -> None:
        """Fetch the categories the member may see."""
        found = await self.portal.call(catalog.list_categories, self.portal.member)
        self.post_message(self.CategoriesLoaded(found))

    @work(exclusive=True, group="shop-offers")
    async def load_offers(self) -> None:
        """Fetch the offers of the chosen category matching the search."""
        query = self.query_one("#shop-search", Input).value
        category = None if self._category == ALL else self._category
        found = await self.portal.call(catalog.search_offers, self.portal.member, query, category)
        self.post_message(self.OffersLoaded(found))

    @work(exclusive=True, group="shop-basket")
    async def count_basket(self) -> None:
        """Fetch the basket's size for the status line."""
        basket = await self.portal.call(basket_service.get_basket, self.portal.member)
        self.post_message(self.BasketCounted(basket.item_count, basket.total_cents))

    @work(exclusive=True, group="shop-open")
    async def open_offer(self, offer_id: int) -> None:
        """Fetch an offer's sheet (with the member's benefits) and show it."""
        sheet = await self.portal.call(catalog.get_offer_sheet, self.portal.member, offer_id)
        self.post_message(self.SheetLoaded(sheet))

    @on(CategoriesLoaded)
    def show_categories(self, message: CategoriesLoaded) -> None:
        """Fill the categories list, "All" first, keeping the current choice."""
        self._categories = message.categories
        total = sum(c.count for c in message.categories)
        options = [Option(_("All ({n})", n=total), id=ALL)]
        options += [
            Option(_("{name} ({n})", name=category_name(c.code), n=c.count), id=c.code)
            for c in message.categories
        ]
        listing = self.query_one("#shop-categories", OptionList)
        listing.clear_options()
        listing.add_options(options)
        ids = [o.id for o in options]
        listing.highlighted = ids.index(self._category) if self._category in ids else 0

    @on(OffersLoaded)
    def show_offers(self, message: OffersLoaded) -> None:
        """Fill the offers table."""
        self._offers = message.offers
        self._offers_loaded = True
        self._fill_table()
        if self._focus_results:
            self._focus_results = False
            self.query_one("#shop-offers", DataTable).focus()

    @on(BasketCounted)
    def show_basket_count(self, message: BasketCounted) -> None:
        """Show the basket's size and total."""
        self._basket_text = basket_summary(message.count, message.total_cents)
        self._show_status()

    @on(SheetLoaded)
    def show_sheet(self, message: SheetLoaded) -> None:
        """Open the offer screen, or say the offer is gone and refresh the list."""
        if message.sheet is None:
            self.notify(_(catalog.NOT_AVAILABLE), severity="warning")
            self.load_offers()
            return
        self.app.push_screen(OfferScreen(message.sheet))

    def _fill_table(self) -> None:
        table = self.query_one("#shop-offers", DataTable)
        selected = self._selected_offer_id()
        table.clear(columns=True)
        # The title takes what the amounts leave (the table stretches it on resize).
        table.add_column(_("Offer"), width=_MIN_TITLE_WIDTH, key="title", flex=True)
        table.add_column(_("Discount"), width=_DISCOUNT_WIDTH, key="discount", kind=AMOUNT)
        table.add_column(_("Price"), width=_PRICE_WIDTH, key="price", kind=AMOUNT)
        for offer in self._offers:
            table.add_row(
                offer.title,
                discount_text(offer.discount_bp, offer.kind),
                from_price(offer),
                key=str(offer.id),
            )
        self._show_status()
        ids = [str(o.id) for o in self._offers]
        if selected in ids:
            table.move_cursor(row=ids.index(selected))

    def _show_status(self) -> None:
        """The status line: why the table is empty, else the basket's summary."""
        text = self._basket_text
        if self._offers_loaded and not self._offers:
            query = self.query_one("#shop-search", Input).value.strip()
            text = (
                _("No offer matches “{query}”.", query=query)
                if query
                else _("No offer in this category.")
            )
        self.query_one("#shop-status", Static).update(text)

    def _selected_offer_id(self) -> str | None:
        table = self.query_one("#shop-offers", DataTable)
        if not table.row_count:
            return None
        row_key, _column = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    # -- events --------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        if self._offers:
            self.call_after_refresh(self._fill_table)

    @on(OptionList.OptionHighlighted, "#shop-categories")
    def category_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Browse: the table follows the highlighted category."""
        self._choose_category(event.option.id or ALL)

    @on(OptionList.OptionSelected, "#shop-categories")
    def category_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a category goes to its offers."""
        self._choose_category(event.option.id or ALL)
        self.query_one("#shop-offers", DataTable).focus()

    def _choose_category(self, code: str) -> None:
        if code != self._category:
            self._category = code
            self.load_offers()

    @on(Input.Changed, "#shop-search")
    def search_changed(self) -> None:
        """Search as the member types."""
        self.load_offers()

    @on(Input.Submitted, "#shop-search")
    def search_submitted(self) -> None:
        """Enter in the search box goes to the results, once they match what was typed.

        (Moving at once would let a quick second Enter open a row of the previous list.)
        """
        self._focus_results = True
        self.load_offers()

    @on(DataTable.RowSelected, "#shop-offers")
    def offer_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an offer opens its sheet."""
        if event.row_key.value is not None:
            self.open_offer(int(event.row_key.value))

    def action_search(self) -> None:
        """Focus the search box at once (in the box, "/" is just typed)."""
        search = self.query_one("#shop-search", Input)
        if self.focused is search:  # set at once, unlike ``has_focus``
            raise SkipAction()
        self.set_focus(search)

    def action_basket(self) -> None:
        """Open the basket."""
        self.app.push_screen(BasketScreen())

    def action_back(self) -> None:
        """Leave the search box first (to the results), then the shop."""
        search = self.query_one("#shop-search", Input)
        if self.focused is search:
            self.query_one("#shop-offers", DataTable).focus()
            return
        super().action_back()
