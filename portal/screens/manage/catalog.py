"""Platform admins' catalog: offers, prices and discounts, stock, who sees each offer.

Each row names the offer, its partner, its price (the e-card discount or the member
price), its stock for a physical product, whether it is open, and the organizations that
see it ("all" when not restricted). Enter or ``e`` edits an offer, ``n`` adds one, ``w``
withdraws or opens it, ``s`` sets a product's stock, ``p`` adds a partner. The services
refuse anyone but an admin and audit every change; members see it at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from portal.i18n import _, money
from portal.screens.base import PortalScreen
from portal.screens.manage.offer_form import OfferFormScreen
from portal.services import catalog_admin
from portal.services.catalog_admin import AdminOffer
from portal.services.errors import PortalError
from portal.widgets.dialogs import AskDialog
from portal.widgets.table import DataTable


class CatalogAdminScreen(PortalScreen):
    """The table of every offer and the keys to change them."""

    CSS_PATH = "../../styles/admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create", "New offer", id="catalog_admin.create"),
        Binding("e", "edit", "Edit", id="catalog_admin.edit"),
        Binding("w", "toggle_active", "Withdraw/open", id="catalog_admin.active"),
        Binding("s", "stock", "Stock", id="catalog_admin.stock"),
        Binding("p", "partner", "New partner", id="catalog_admin.partner"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.offers: list[AdminOffer] = []
        self.query_text = ""

    def screen_title(self) -> str:
        return _("Catalog")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="catalog-admin", classes="page"):
            yield Input(placeholder=_("Search offers"), id="catalog-search", max_length=60)
            yield DataTable(id="catalog-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="catalog-message")

    def on_mount(self) -> None:
        table = self.query_one("#catalog-table", DataTable)
        table.add_column(_("Offer"), key="title")
        table.add_column(_("Partner"), key="partner")
        table.add_column(_("Price"), key="price")
        table.add_column(_("Stock"), key="stock")
        table.add_column(_("Status"), key="status")
        table.add_column(_("Organizations"), key="organizations")
        table.focus()

    def on_screen_resume(self) -> None:
        """Read again each time the screen shows (back from the form too)."""
        self.reload()

    @on(Input.Changed, "#catalog-search")
    def typed(self, event: Input.Changed) -> None:
        """Search as you type."""
        self.query_text = event.value
        self.reload()

    @staticmethod
    def _price(item: AdminOffer) -> str:
        offer = item.offer
        if offer.kind == "ecard":
            percent = f"{offer.discount_bp / 100:g}"
            return _("-{percent} %", percent=percent)
        return money(offer.unit_price_cents or 0)

    @work(exclusive=True, group="catalog-admin")
    async def reload(self) -> None:
        """Read the offers again."""
        try:
            self.offers = await self.portal.call(
                catalog_admin.admin_offers, self.portal.member, self.query_text
            )
        except PermissionError:
            self._say(_("Platform admins only."), error=True)
            return
        table = self.query_one("#catalog-table", DataTable)
        row = table.cursor_row
        table.clear()
        for item in self.offers:
            offer = item.offer
            table.add_row(
                offer.title,
                offer.partner_name,
                self._price(item),
                "—" if offer.stock is None else str(offer.stock),
                _("open") if offer.active else _("withdrawn"),
                ", ".join(item.organizations) or _("all"),
                key=str(offer.id),
            )
        if self.offers:
            table.move_cursor(row=min(row, len(self.offers) - 1))

    def _selected(self) -> AdminOffer | None:
        table = self.query_one("#catalog-table", DataTable)
        if not self.offers or table.cursor_row < 0:
            return None
        return self.offers[min(table.cursor_row, len(self.offers) - 1)]

    def _say(self, message: str, *, error: bool = False) -> None:
        widget = self.query_one("#catalog-message", Static)
        widget.update(Content(message))
        widget.set_classes("error" if error else "success")

    @work(group="catalog-change")
    async def change(self, fn: Callable[..., Any], *args: Any, done: str) -> None:
        """Run one change, then read the offers again."""
        try:
            await self.portal.call(fn, self.portal.member, *args)
        except PortalError as error:
            self._say(error.text(), error=True)
            return
        except PermissionError:
            self._say(_("Platform admins only."), error=True)
            return
        self._say(done)
        self.reload()

    @work(group="catalog-form")
    async def open_form(self, offer_id: int | None) -> None:
        """Open the offer form (with the organizations' names for the visibility field)."""
        member = self.portal.member
        offer = (
            await self.portal.call(catalog_admin.admin_offer, member, offer_id)
            if offer_id is not None
            else None
        )
        names = await self.portal.call(catalog_admin.organization_names, member)
        self.app.push_screen(OfferFormScreen(offer, names))

    def action_create(self) -> None:
        """A new offer."""
        self.open_form(None)

    def action_edit(self) -> None:
        """Edit the selected offer."""
        item = self._selected()
        if item is not None:
            self.open_form(item.offer.id)

    @on(DataTable.RowSelected, "#catalog-table")
    def chosen(self) -> None:
        """Enter edits the offer."""
        self.action_edit()

    def action_toggle_active(self) -> None:
        """Withdraw the selected offer from the shop, or open it again."""
        item = self._selected()
        if item is not None:
            self.change(
                catalog_admin.set_offer_active,
                item.offer.id,
                not item.offer.active,
                done=_("Saved."),
            )

    def action_stock(self) -> None:
        """Set the selected product's stock (empty: not counted)."""
        item = self._selected()
        if item is None:
            return

        def answered(value: str | None) -> None:
            if value is None:
                return
            value = value.strip()
            if value and not (value.isascii() and value.isdigit()):
                self._say(_("The stock is a whole number (empty: not counted)."), error=True)
                return
            self.change(
                catalog_admin.set_stock,
                item.offer.id,
                int(value) if value else None,
                done=_("Saved."),
            )

        stock = item.offer.stock
        self.app.push_screen(
            AskDialog(
                _("Units left of {title} (empty: not counted):", title=item.offer.title),
                value="" if stock is None else str(stock),
                max_length=7,
            ),
            answered,
        )

    def action_partner(self) -> None:
        """Add a partner (offers name their partner; a new name in the form adds one too)."""

        def answered(name: str | None) -> None:
            if name:
                self.change(catalog_admin.save_partner, name, done=_("Partner added."))

        self.app.push_screen(AskDialog(_("Name of the new partner:"), max_length=80), answered)
