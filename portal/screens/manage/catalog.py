"""Platform admins' catalog: offers, prices and discounts, stock, who sees each offer.

Each row names the offer, its partner, its price (the e-card discount or the member
price), its stock for a physical product, whether it is open, and the organizations that
see it ("all" when not restricted). Enter or ``e`` edits an offer, ``n`` adds one, ``w``
withdraws or opens it, ``s`` sets a product's stock, ``p`` adds a partner. The services
refuse anyone but an admin and audit every change; members see it at once.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Static

from portal.i18n import N_, _, money
from portal.screens.manage.listing import ManageListScreen
from portal.screens.manage.offer_form import OfferFormScreen
from portal.services import catalog_admin
from portal.services.catalog_admin import AdminOffer
from portal.widgets.dialogs import AskDialog
from portal.widgets.table import AMOUNT, DataTable


class CatalogAdminScreen(ManageListScreen[AdminOffer]):
    """The table of every offer and the keys to change them."""

    CSS_PATH = "../../styles/admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create", "New offer", id="catalog_admin.create"),
        Binding("e", "edit", "Edit", id="catalog_admin.edit"),
        Binding("w", "toggle_active", "Withdraw/open", id="catalog_admin.active"),
        Binding("s", "stock", "Stock", id="catalog_admin.stock"),
        Binding("p", "partner", "New partner", id="catalog_admin.partner"),
    ]
    TABLE_ID = "catalog-table"
    MESSAGE_ID = "catalog-message"
    DENIED = N_("Platform admins only.")
    READ_DENIED = DENIED

    def __init__(self) -> None:
        super().__init__()
        self.query_text = ""

    def screen_title(self) -> str:
        return _("Catalog")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="catalog-admin", classes="page"):
            yield Input(placeholder=_("Search offers"), id="catalog-search", max_length=60)
            yield DataTable(id="catalog-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="catalog-message")

    def on_mount(self) -> None:
        self.add_columns(
            (_("Offer"), "title"),
            (_("Partner"), "partner"),
            (_("Price"), "price", AMOUNT),
            (_("Stock"), "stock", AMOUNT),
            (_("Status"), "status"),
            (_("Organizations"), "organizations"),
            flex=("title", "organizations"),
        )

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

    async def fetch(self) -> list[AdminOffer]:
        return await self.portal.call(
            catalog_admin.admin_offers, self.portal.member, self.query_text
        )

    def cells(self, item: AdminOffer) -> list[Any]:
        offer = item.offer
        return [
            offer.title,
            offer.partner_name,
            self._price(item),
            "—" if offer.stock is None else str(offer.stock),
            _("open") if offer.active else _("withdrawn"),
            ", ".join(item.organizations) or _("all"),
        ]

    def key(self, item: AdminOffer) -> str:
        return str(item.offer.id)

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
        item = self.selected()
        if item is not None:
            self.open_form(item.offer.id)

    @on(DataTable.RowSelected, "#catalog-table")
    def chosen(self) -> None:
        """Enter edits the offer."""
        self.action_edit()

    def action_toggle_active(self) -> None:
        """Withdraw the selected offer from the shop, or open it again."""
        item = self.selected()
        if item is not None:
            self.change(
                catalog_admin.set_offer_active,
                item.offer.id,
                not item.offer.active,
                done=_("Saved."),
            )

    def action_stock(self) -> None:
        """Set the selected product's stock (empty: not counted)."""
        item = self.selected()
        if item is None:
            return

        def answered(value: str | None) -> None:
            if value is None:
                return
            value = value.strip()
            if value and not (value.isascii() and value.isdigit()):
                self.say(_("The stock is a whole number (empty: not counted)."), error=True)
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
        self.ask(
            AskDialog(_("Name of the new partner:"), max_length=80),
            lambda name: self.change(catalog_admin.save_partner, name, done=_("Partner added.")),
        )
