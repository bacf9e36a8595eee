"""The offer form of platform admins: a new offer, or one to change.

One line of text a field (amounts in euros, the e-card discount in percent, fixed amounts
separated by spaces, organizations by name separated by commas); ``ctrl+s`` saves, and a
refusal names the field to correct. The service (``catalog_admin.spec_from_form``,
``catalog_admin.update_offer``) checks everything again and audits the change; members see it
at their next look at the shop.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Label, Static

from portal.data.catalog import Offer
from portal.i18n import N_, _
from portal.screens.base import PortalScreen
from portal.services import catalog_admin
from portal.services.errors import PortalError

LABELS: dict[str, str] = {
    "title": N_("Title"),
    "partner": N_("Partner"),
    "kind": N_("Kind (ecard, eticket or product)"),
    "category": N_("Category (groceries, culture, cinema, leisure, sport, home)"),
    "description": N_("Description"),
    "discount": N_("E-card discount in %"),
    "face_values": N_("E-card fixed amounts in euros (20 50 100)"),
    "amount_range": N_("E-card free amount, from-to in euros (10-150)"),
    "unit_face_value": N_("E-ticket or product: public price in euros"),
    "unit_price": N_("E-ticket or product: member price in euros"),
    "shipping_fee": N_("Delivery fee by post in euros (empty: not sent by post)"),
    "usable_at": N_("Where it is usable"),
    "validity": N_("Validity"),
    "conditions": N_("Conditions"),
    "organizations": N_("Only for these organizations (names, commas; empty: all)"),
}
"""Message ids of the form's labels, by field."""


class OfferFormScreen(PortalScreen):
    """Fields of one offer; saved with ctrl+s."""

    CSS_PATH = "../../styles/admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="offer_form.save"),
    ]

    def __init__(
        self, offer: Offer | None = None, organization_names: dict[int, str] | None = None
    ):
        super().__init__()
        self.offer = offer
        self.values = catalog_admin.form_values(offer, organization_names or {})
        self.saved_id: int | None = None

    def screen_title(self) -> str:
        return _("New offer") if self.offer is None else _("Edit an offer")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="offer-form", classes="page"):
            for name in catalog_admin.FORM_FIELDS:
                yield Label(_(LABELS[name]))
                yield Input(self.values[name], id=f"offer-{name}", max_length=2000)
            yield Static("", id="offer-message")
            yield Button(_("Save"), id="offer-save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#offer-title", Input).focus()

    def _typed(self) -> dict[str, str]:
        return {
            name: self.query_one(f"#offer-{name}", Input).value
            for name in catalog_admin.FORM_FIELDS
        }

    def _say(self, message: str, *, error: bool = False) -> None:
        widget = self.query_one("#offer-message", Static)
        widget.update(Content(message))
        widget.set_classes("error" if error else "success")

    def action_save(self) -> None:
        """Check and save the offer."""
        self.save()

    @on(Button.Pressed, "#offer-save")
    def pressed(self) -> None:
        """The save button."""
        self.save()

    @work(exclusive=True, group="offer-save")
    async def save(self) -> None:
        """Build the spec from the fields, then create or update the offer."""
        member = self.portal.member
        offer_id = self.offer.id if self.offer else None
        try:
            spec = await self.portal.call(
                catalog_admin.spec_from_form, member, self._typed(), offer_id=offer_id
            )
            if offer_id is None:
                self.saved_id = await self.portal.call(
                    catalog_admin.admin_create_offer, member, spec
                )
            else:
                await self.portal.call(catalog_admin.update_offer, member, offer_id, spec)
                self.saved_id = offer_id
        except PortalError as error:
            self._say(error.text(), error=True)
            return
        except PermissionError:
            self._say(_("Platform admins only."), error=True)
            return
        self.dismiss(None)
