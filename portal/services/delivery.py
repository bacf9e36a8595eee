"""Where an order goes: the postal address of its parcels, the email of its e-products.

At checkout the member confirms (or types, for this order only) the delivery address,
prefilled from "Contact details & preferences", and may send e-cards and e-tickets to
another email address (seed's order FAQ). What they type is kept as a *draft* for their
next order; ``attach_to_order``, called in the transaction that writes the order, copies
the draft (or the profile) onto the order and forgets the draft. So a later profile edit
never moves a parcel already ordered, and an order with a parcel and no valid address is
never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import contact as contact_data
from portal.data import order_delivery
from portal.data.db import transaction
from portal.data.members import Member
from portal.data.order_delivery import DeliveryDraft
from portal.i18n import N_
from portal.services import contact as contact_service
from portal.services import text as text_rules
from portal.services.errors import PortalError, UserError
from portal.services.notifications import recipient_for

__all__ = [
    "NO_ADDRESS",
    "Delivery",
    "DeliveryError",
    "attach_to_order",
    "checkout_delivery",
    "forget_checkout_delivery",
    "save_checkout_delivery",
]

NO_ADDRESS = N_(
    "This order holds a product sent by post: enter a delivery address (street, postal code"
    " and city) before paying."
)
"""The refusal of an order with a parcel and no valid address."""
MAX_LINE = 100
MAX_CITY = 60
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")


class DeliveryError(UserError):
    """A delivery address, phone or email refused (nothing was stored)."""


@dataclass(frozen=True)
class Delivery:
    """The delivery of the next order: postal address, phone, e-product email."""

    line1: str
    line2: str
    postal_code: str
    city: str
    phone: str
    email: str
    """Where e-cards and e-tickets go."""
    from_profile: bool
    """True when nothing was typed for this order (the profile's address is used)."""

    @property
    def has_address(self) -> bool:
        """True when a complete postal address is known."""
        return bool(self.line1 and self.postal_code and self.city)

    @property
    def address_lines(self) -> tuple[str, ...]:
        """The address as printed lines (empty when incomplete)."""
        if not self.has_address:
            return ()
        lines = [self.line1, *([self.line2] if self.line2 else [])]
        return (*lines, f"{self.postal_code} {self.city}")


def checkout_delivery(db: Database, member: Member) -> Delivery:
    """What the next order of ``member`` would be delivered to (typed draft, else profile)."""
    draft = order_delivery.get_delivery_draft(db, member.id)
    usual = recipient_for(db, member.id)
    if draft is not None:
        return Delivery(
            draft.line1,
            draft.line2,
            draft.postal_code,
            draft.city,
            draft.phone,
            draft.email or usual,
            from_profile=False,
        )
    details = contact_data.get_details(db, member.id)
    return Delivery(
        details.street,
        details.street2,
        details.postal_code,
        details.city,
        "",
        usual,
        from_profile=True,
    )


def _line(raw: str, limit: int) -> str:
    text = " ".join(text_rules.check_line(raw, error=DeliveryError).split())
    if len(text) > limit:
        raise DeliveryError(N_("An address line may have at most {n} characters."), n=limit)
    return text


def normalize_phone(raw: str) -> str:
    """A phone number without its spaces, dots and dashes ("" when none is given).

    Raises:
        DeliveryError: Not a phone number.
    """
    text = text_rules.check_line(raw, error=DeliveryError)
    compact = re.sub(r"[\s.\-()]", "", text)
    if compact and not _PHONE.match(compact):
        raise DeliveryError(
            N_("A phone number has 6 to 15 digits, optionally after a + (for example 0612345678).")
        )
    return compact


def save_checkout_delivery(
    db: Database,
    member: Member,
    *,
    line1: str,
    line2: str = "",
    postal_code: str,
    city: str,
    phone: str = "",
    email: str = "",
) -> Delivery:
    """Keep the address, phone and e-product email typed for the next order only.

    The profile is left alone. An empty ``email`` means the usual address.

    Raises:
        DeliveryError: A field is missing or invalid (nothing is written).
    """
    line1, line2, city = _line(line1, MAX_LINE), _line(line2, MAX_LINE), _line(city, MAX_CITY)
    code = text_rules.check_line(postal_code, error=DeliveryError)
    if line1 or line2 or code or city:
        if not (line1 and code and city):
            raise DeliveryError(N_("Enter the street, the postal code and the city."))
        code = contact_service.validate_postal_code(code)
    phone = normalize_phone(phone)
    address = text_rules.check_line(email, error=DeliveryError)
    if address:
        address = text_rules.normalize_email(
            address,
            error=DeliveryError,
            message=N_("This email address does not look right (for example: name@example.com)."),
        )
    with transaction(db):
        order_delivery.set_delivery_draft(
            db,
            DeliveryDraft(member.id, line1, line2, code, city, phone, address),
        )
        return checkout_delivery(db, member)


def forget_checkout_delivery(db: Database, member: Member) -> Delivery:
    """Go back to the profile's address for the next order."""
    with transaction(db):
        order_delivery.delete_delivery_draft(db, member.id)
        return checkout_delivery(db, member)


def attach_to_order(
    db: Database, member: Member, order_id: int, *, has_postal: bool, has_digital: bool
) -> None:
    """Copy the delivery onto a new order, inside the transaction that writes it.

    Raises:
        DeliveryError: the order holds a parcel and no complete address is known
            (``NO_ADDRESS``); the caller's transaction then rolls back.
    """
    delivery = checkout_delivery(db, member)
    if has_postal and not delivery.has_address:
        raise DeliveryError(NO_ADDRESS)
    if has_postal:
        # The profile may hold an address saved before the rules tightened: check again.
        try:
            contact_service.validate_postal_code(delivery.postal_code)
        except PortalError as error:
            raise DeliveryError(NO_ADDRESS) from error
    order_delivery.set_order_delivery(
        db,
        order_id,
        line1=delivery.line1 if has_postal else None,
        line2=(delivery.line2 or None) if has_postal else None,
        postal_code=delivery.postal_code if has_postal else None,
        city=delivery.city if has_postal else None,
        phone=(delivery.phone or None) if has_postal else None,
        email=delivery.email if has_digital else None,
    )
    order_delivery.delete_delivery_draft(db, member.id)
