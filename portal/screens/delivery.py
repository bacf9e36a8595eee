"""Delivery of the next order: the parcel's address and phone, the e-products' email.

Pushed by the checkout screen. Prefilled from what the member typed for this order, else
from "Contact details & preferences"; what is saved here is used for the next order only
(the profile is left alone). On saving, ``on_saved`` gets the ``Delivery`` now in force
and the screen closes; escape leaves without saving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.services import delivery as delivery_service
from portal.services.delivery import Delivery
from portal.services.errors import PortalError


def delivery_summary(delivery: Delivery, *, postal: bool, digital: bool) -> str:
    """One or two lines saying where the order goes (for the checkout screen)."""
    parts: list[str] = []
    if postal:
        if delivery.has_address:
            parts.append(
                _("Parcel to: {address}", address=", ".join(delivery.address_lines))
                + (f" · {delivery.phone}" if delivery.phone else "")
            )
        else:
            parts.append(_("No delivery address yet: press ctrl+d to enter one."))
    if digital:
        parts.append(_("E-cards and e-tickets to: {email}", email=delivery.email))
    return "\n".join(parts)


class DeliveryScreen(PortalScreen):
    """Where this order goes; ``ctrl+s`` keeps it for this order, ``ctrl+r`` the profile's."""

    CSS_PATH = "../styles/orders.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Use for this order", id="delivery.save", priority=True),
        Binding("ctrl+r", "profile", "Use my profile", id="delivery.profile", priority=True),
    ]

    class Saved(Message):
        """The delivery now in force (or a refusal)."""

        def __init__(self, delivery: Delivery | None, error: str = "") -> None:
            super().__init__()
            self.delivery = delivery
            self.error = error

    def __init__(
        self,
        delivery: Delivery,
        *,
        postal: bool = True,
        digital: bool = True,
        on_saved: Callable[[Delivery], None] | None = None,
    ) -> None:
        super().__init__()
        self.on_saved = on_saved
        """Called with the delivery now in force, before the screen closes."""
        self.delivery = delivery
        """What the fields start from."""
        self.postal = postal
        self.digital = digital

    def screen_title(self) -> str:
        return _("Delivery of this order")

    def compose_body(self) -> ComposeResult:
        d = self.delivery
        with VerticalScroll(id="delivery", classes="page"):
            if self.postal:
                yield Static(_("Postal address of the parcel"), classes="heading")
                yield Static(
                    _("Prefilled from your profile; a change here is for this order only.")
                    if d.from_profile
                    else _("Typed for this order; your profile is unchanged."),
                    classes="hint",
                )
                yield from self._row(_("Street"), "delivery-line1", d.line1, 100)
                yield from self._row(
                    _("Additional line"),
                    "delivery-line2",
                    d.line2,
                    100,
                    _("building, floor... (optional)"),
                )
                with Horizontal(classes="row"):
                    yield Label(_("Postal code"), classes="field")
                    yield Input(
                        d.postal_code,
                        id="delivery-postal-code",
                        compact=True,
                        max_length=5,
                        restrict=r"[0-9]*",
                    )
                    yield Label(_("City"), id="delivery-city-label")
                    yield Input(d.city, id="delivery-city", compact=True, max_length=60)
                yield from self._row(
                    _("Phone"), "delivery-phone", d.phone, 20, _("for the carrier (optional)")
                )
            if self.digital:
                yield Static(_("Email for e-cards and e-tickets"), classes="heading")
                yield Static(
                    _("You may send them to another address than your usual one."),
                    classes="hint",
                )
                yield from self._row(_("Email"), "delivery-email", d.email, 254)
            with Horizontal(classes="row"):
                yield Label("", classes="field")
                yield Button(_("Use for this order"), id="delivery-save", compact=True)
            yield Static("", id="delivery-message")

    @staticmethod
    def _row(
        label: str, widget_id: str, value: str, max_length: int, placeholder: str = ""
    ) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(label, classes="field")
            yield Input(
                value,
                id=widget_id,
                compact=True,
                max_length=max_length,
                placeholder=placeholder,
            )

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def _value(self, widget_id: str, default: str = "") -> str:
        found = self.query(f"#{widget_id}")
        return found.first(Input).value if found else default

    @on(Button.Pressed, "#delivery-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        """Check and keep the fields for this order."""
        d = self.delivery
        self.run_save(
            dict(
                line1=self._value("delivery-line1", d.line1 if self.postal else ""),
                line2=self._value("delivery-line2", d.line2 if self.postal else ""),
                postal_code=self._value(
                    "delivery-postal-code", d.postal_code if self.postal else ""
                ),
                city=self._value("delivery-city", d.city if self.postal else ""),
                phone=self._value("delivery-phone", d.phone if self.postal else ""),
                email=self._value("delivery-email", ""),
            )
        )

    def action_profile(self) -> None:
        """Forget what was typed: the profile's address and usual email are used."""
        self.run_profile()

    @work(exclusive=True, group="delivery")
    async def run_save(self, fields: dict[str, str]) -> None:
        """Save through the service."""
        try:
            saved = await self.portal.call(
                delivery_service.save_checkout_delivery, self.portal.member, **fields
            )
        except PortalError as error:
            self.post_message(self.Saved(None, error.text(self.portal.translator())))
            return
        self.post_message(self.Saved(saved))

    @work(exclusive=True, group="delivery")
    async def run_profile(self) -> None:
        """Go back to the profile through the service."""
        saved = await self.portal.call(
            delivery_service.forget_checkout_delivery, self.portal.member
        )
        self.post_message(self.Saved(saved))

    @on(Saved)
    def _saved(self, message: Saved) -> None:
        if message.delivery is None:
            box = self.query_one("#delivery-message", Static)
            box.update(Content(message.error))
            box.add_class("error")
            return
        if self.on_saved is not None:
            self.on_saved(message.delivery)
        self.dismiss()


class DeliveryStepScreen(PortalScreen):
    """Base of the checkout screen: shows where the order goes, ``ctrl+d`` changes it.

    The subclass yields ``delivery_widget()`` in its body and calls nothing else: the
    delivery is read on mount and after the ``DeliveryScreen`` closes. Which parts apply
    (parcel, e-products) comes from the subclass's ``quote`` once planned.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+d", "delivery", "Delivery", id="checkout.delivery", priority=True),
    ]

    class DeliveryRead(Message):
        """The delivery of the next order, as the service reads it."""

        def __init__(self, delivery: Delivery) -> None:
            super().__init__()
            self.delivery = delivery

    next_delivery: Delivery | None = None
    """The delivery last read (None until read)."""

    @staticmethod
    def delivery_widget() -> Static:
        """The line the subclass places in its body."""
        return Static("", id="checkout-delivery", classes="hint")

    def _kinds(self) -> tuple[bool, bool]:
        quote = getattr(self, "quote", None)
        lines = getattr(quote, "lines", ()) or ()
        return any(ln.shipping for ln in lines), any(not ln.shipping for ln in lines)

    def on_screen_resume(self) -> None:
        self.read_delivery()

    @work(exclusive=True, group="checkout-delivery")
    async def read_delivery(self) -> None:
        """Read where the next order goes."""
        found = await self.portal.call(delivery_service.checkout_delivery, self.portal.member)
        self.post_message(self.DeliveryRead(found))

    @on(DeliveryRead)
    def _delivery_read(self, message: DeliveryRead) -> None:
        self.next_delivery = message.delivery
        self.draw_delivery()

    def draw_delivery(self) -> None:
        """Redraw the delivery line (after the plan or the delivery changed)."""
        found = self.query("#checkout-delivery")
        if not found or self.next_delivery is None:
            return
        postal, digital = self._kinds()
        text = delivery_summary(self.next_delivery, postal=postal, digital=digital)
        if text:
            text += "\n" + _("Ctrl+D: change the delivery for this order.")
        found.first(Static).update(Content(text))

    def action_delivery(self) -> None:
        """Open the delivery step."""
        if self.next_delivery is None:
            return
        postal, digital = self._kinds()
        if not (postal or digital):
            return
        self.app.push_screen(
            DeliveryScreen(
                self.next_delivery, postal=postal, digital=digital, on_saved=self._delivery_chosen
            )
        )

    def _delivery_chosen(self, chosen: Delivery) -> None:
        self.next_delivery = chosen
        self.draw_delivery()
