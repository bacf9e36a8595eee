"""The catalog: partners and offers, and which organizations see which offer.

Small typed queries returning frozen dataclasses. Visibility is decided here, in SQL, so
that a listing never carries an offer the member's organization may not see: an offer
with no ``offer_organizations`` row is for everyone, otherwise only for those listed.
Pricing and validation rules live in ``portal.services.catalog``. Stock moves by
conditional updates (``take_stock``, ``release_stock``) inside the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class Partner:
    """A store, cinema or park whose e-cards, e-tickets or products are sold."""

    id: int
    name: str
    website: str


@dataclass(frozen=True)
class Offer:
    """One offer of the catalog, as stored (prices in integer cents)."""

    id: int
    partner_id: int
    partner_name: str
    kind: str
    """``ecard``, ``eticket`` or ``product``."""
    category: str
    """Category code (see ``portal.services.catalog.CATEGORIES``)."""
    title: str
    description: str
    discount_bp: int
    """Discount in basis points (500 = 5 %); for e-cards, the price rule."""
    face_values: tuple[int, ...]
    """E-cards sold in fixed amounts: the amounts, in cents, ascending."""
    min_amount_cents: int | None
    """E-cards with a free amount: the smallest amount."""
    max_amount_cents: int | None
    """E-cards with a free amount: the largest amount."""
    unit_face_value_cents: int | None
    """E-tickets and products: the public price of one unit."""
    unit_price_cents: int | None
    """E-tickets and products: the member price of one unit."""
    shipping: bool
    """A physical item sent by post (needs a postal address)."""
    shipping_cents: int
    """Delivery fee of the order when it holds this offer (0: free delivery)."""
    validity_months: int | None
    validity: str
    usable_at: str
    conditions: str
    active: bool
    organization_ids: tuple[int, ...]
    """Organizations that may see the offer; empty means every organization."""
    stock: int | None = None
    """Physical products: units left (None: not counted); none left hides the offer."""

    def visible_to(self, organization_id: int | None) -> bool:
        """Whether a member of this organization may see and buy the offer."""
        if not self.active or self.stock == 0:
            return False
        return not self.organization_ids or organization_id in self.organization_ids


_OFFER_SELECT = """
    SELECT o.id, o.partner_id, p.name AS partner_name, o.kind, o.category, o.title,
           o.description, o.discount_bp, o.face_values, o.min_amount_cents,
           o.max_amount_cents, o.unit_face_value_cents, o.unit_price_cents, o.shipping,
           o.shipping_cents, o.validity_months, o.validity, o.usable_at, o.conditions,
           o.active, o.stock,
           (SELECT group_concat(oo.organization_id) FROM offer_organizations oo
            WHERE oo.offer_id = o.id) AS organization_ids
    FROM offers o JOIN partners p ON p.id = o.partner_id
"""

_VISIBLE = """
    o.active = 1 AND (o.stock IS NULL OR o.stock > 0) AND (
        NOT EXISTS (SELECT 1 FROM offer_organizations oo WHERE oo.offer_id = o.id)
        OR EXISTS (SELECT 1 FROM offer_organizations oo
                   WHERE oo.offer_id = o.id AND oo.organization_id = ?)
    )
"""

_ORDER = " ORDER BY o.category, p.name, o.title, o.id"


def _offer(row: Any) -> Offer:
    data = dict(row)
    data["face_values"] = tuple(sorted(json.loads(data["face_values"] or "[]")))
    data["shipping"] = bool(data["shipping"])
    data["active"] = bool(data["active"])
    ids = data["organization_ids"]
    data["organization_ids"] = tuple(sorted(int(i) for i in ids.split(","))) if ids else ()
    return Offer(**data)


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# -- partners ------------------------------------------------------------------------


def create_partner(db: Database, name: str, website: str = "") -> int:
    """Insert a partner and return its id."""
    cur = db.execute("INSERT INTO partners (name, website) VALUES (?, ?)", [name, website])
    return int(cur.lastrowid or 0)


def get_partner_by_name(db: Database, name: str) -> Partner | None:
    """One partner by its exact name."""
    row = db.execute("SELECT id, name, website FROM partners WHERE name = ?", [name]).fetchone()
    return Partner(**dict(row)) if row else None


# -- offers --------------------------------------------------------------------------


_OFFER_FIELDS = (
    "partner_id",
    "kind",
    "category",
    "title",
    "description",
    "discount_bp",
    "face_values",
    "min_amount_cents",
    "max_amount_cents",
    "unit_face_value_cents",
    "unit_price_cents",
    "shipping",
    "shipping_cents",
    "validity_months",
    "validity",
    "usable_at",
    "conditions",
    "search_text",
)
"""The columns an offer is created with and an edit replaces, in one order."""


def _offer_values(fields: dict[str, Any]) -> list[Any]:
    """The stored form of an offer's fields, in ``_OFFER_FIELDS`` order."""
    stored = {
        **fields,
        "face_values": json.dumps(sorted(fields["face_values"])),
        "shipping": int(fields["shipping"]),
    }
    return [stored[name] for name in _OFFER_FIELDS]


def create_offer(
    db: Database,
    *,
    partner_id: int,
    kind: str,
    category: str,
    title: str,
    description: str = "",
    discount_bp: int = 0,
    face_values: Sequence[int] = (),
    min_amount_cents: int | None = None,
    max_amount_cents: int | None = None,
    unit_face_value_cents: int | None = None,
    unit_price_cents: int | None = None,
    shipping: bool = False,
    shipping_cents: int = 0,
    validity_months: int | None = None,
    validity: str = "",
    usable_at: str = "",
    conditions: str = "",
    search_text: str = "",
    active: bool = True,
) -> int:
    """Insert an offer (visible to every organization until restricted) and return its id."""
    fields = dict(locals())  # every keyword argument is a column of the offer
    cur = db.execute(
        f"INSERT INTO offers ({', '.join(_OFFER_FIELDS)}, active)"
        f" VALUES ({', '.join('?' for _ in _OFFER_FIELDS)}, ?)",
        [*_offer_values(fields), int(active)],
    )
    return int(cur.lastrowid or 0)


def set_offer_organizations(db: Database, offer_id: int, organization_ids: Iterable[int]) -> None:
    """Restrict an offer to these organizations (an empty list opens it to everyone)."""
    db.execute("DELETE FROM offer_organizations WHERE offer_id = ?", [offer_id])
    for organization_id in sorted(set(organization_ids)):
        db.execute(
            "INSERT INTO offer_organizations (offer_id, organization_id) VALUES (?, ?)",
            [offer_id, organization_id],
        )


def set_offer_active(db: Database, offer_id: int, active: bool) -> None:
    """Open or withdraw an offer."""
    db.execute(
        "UPDATE offers SET active = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        " WHERE id = ?",
        [int(active), offer_id],
    )


def set_face_values(db: Database, offer_id: int, face_values: Sequence[int]) -> None:
    """Change the amounts an e-card is sold in (lines at a dropped amount become unavailable)."""
    db.execute(
        "UPDATE offers SET face_values = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        " WHERE id = ?",
        [json.dumps(sorted(face_values)), offer_id],
    )


def get_offer(db: Database, offer_id: int) -> Offer | None:
    """One offer by id, whoever may see it (callers check ``Offer.visible_to``)."""
    row = db.execute(_OFFER_SELECT + " WHERE o.id = ?", [offer_id]).fetchone()
    return _offer(row) if row else None


def get_offers(db: Database, offer_ids: Iterable[int]) -> dict[int, Offer]:
    """Several offers by id, whoever may see them, keyed by id."""
    ids = sorted(set(offer_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = db.execute(_OFFER_SELECT + f" WHERE o.id IN ({marks})", ids).fetchall()
    return {offer.id: offer for offer in map(_offer, rows)}


def get_visible_offer(db: Database, organization_id: int | None, offer_id: int) -> Offer | None:
    """One active offer by id, only if this organization may see it."""
    row = db.execute(
        _OFFER_SELECT + " WHERE o.id = ? AND " + _VISIBLE, [offer_id, organization_id]
    ).fetchone()
    return _offer(row) if row else None


def list_visible_offers(
    db: Database,
    organization_id: int | None,
    *,
    category: str | None = None,
    words: Sequence[str] = (),
    limit: int = 500,
) -> list[Offer]:
    """Active offers this organization may see, by category, partner and title.

    Args:
        organization_id: The member's organization (None sees only offers for everyone).
        category: Only this category code.
        words: Folded words (lower case, no accents) that must all appear in the offer's
            ``search_text``.
        limit: At most this many offers.
    """
    where = [_VISIBLE]
    params: list[Any] = [organization_id]
    if category is not None:
        where.append("o.category = ?")
        params.append(category)
    for word in words:
        where.append("o.search_text LIKE ? ESCAPE '\\'")
        params.append(_like(word))
    sql = _OFFER_SELECT + " WHERE " + " AND ".join(where) + _ORDER + " LIMIT ?"
    rows = db.execute(sql, [*params, limit]).fetchall()
    return [_offer(r) for r in rows]


def visible_category_counts(db: Database, organization_id: int | None) -> dict[str, int]:
    """How many active offers of each category this organization may see."""
    rows = db.execute(
        "SELECT o.category, count(*) FROM offers o WHERE " + _VISIBLE + " GROUP BY o.category",
        [organization_id],
    ).fetchall()
    return {row[0]: int(row[1]) for row in rows}


def has_offers(db: Database) -> bool:
    """True when the catalog holds any offer."""
    return bool(db.execute("SELECT EXISTS (SELECT 1 FROM offers)").fetchone()[0])


# -- administration (platform admins) ------------------------------------------------


def list_partners(db: Database) -> list[Partner]:
    """Every partner, by name."""
    rows = db.execute("SELECT id, name, website FROM partners ORDER BY name").fetchall()
    return [Partner(**dict(r)) for r in rows]


def get_partner(db: Database, partner_id: int) -> Partner | None:
    """One partner by id."""
    row = db.execute("SELECT id, name, website FROM partners WHERE id = ?", [partner_id]).fetchone()
    return Partner(**dict(row)) if row else None


def update_partner(db: Database, partner_id: int, name: str, website: str) -> None:
    """Rename a partner or change its website."""
    db.execute(
        "UPDATE partners SET name = ?, website = ? WHERE id = ?", [name, website, partner_id]
    )


def list_all_offers(db: Database, words: Sequence[str] = (), limit: int = 500) -> list[Offer]:
    """Every offer, withdrawn ones too, by category, partner and title (admins' view)."""
    where = ["1 = 1"]
    params: list[Any] = []
    for word in words:
        where.append("o.search_text LIKE ? ESCAPE '\\'")
        params.append(_like(word))
    sql = _OFFER_SELECT + " WHERE " + " AND ".join(where) + _ORDER + " LIMIT ?"
    return [_offer(r) for r in db.execute(sql, [*params, limit]).fetchall()]


def update_offer(
    db: Database,
    offer_id: int,
    *,
    partner_id: int,
    kind: str,
    category: str,
    title: str,
    description: str,
    discount_bp: int,
    face_values: Sequence[int],
    min_amount_cents: int | None,
    max_amount_cents: int | None,
    unit_face_value_cents: int | None,
    unit_price_cents: int | None,
    shipping: bool,
    shipping_cents: int,
    validity_months: int | None,
    validity: str,
    usable_at: str,
    conditions: str,
    search_text: str,
) -> None:
    """Replace every field of an offer (its id, status and stock are kept)."""
    fields = dict(locals())  # every keyword argument is a column of the offer
    db.execute(
        f"UPDATE offers SET {', '.join(f'{name} = ?' for name in _OFFER_FIELDS)},"
        " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?",
        [*_offer_values(fields), offer_id],
    )


def set_stock(db: Database, offer_id: int, stock: int | None) -> None:
    """Units of a physical product left (None: not counted)."""
    db.execute(
        "UPDATE offers SET stock = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        " WHERE id = ?",
        [stock, offer_id],
    )


def take_stock(db: Database, offer_id: int, quantity: int) -> int | None:
    """Take ``quantity`` units of an offer whose stock is counted; inside the order's
    transaction.

    A conditional update (``stock >= quantity``), so two members racing for the last
    unit cannot both get it. Returns the units taken (0 when the stock is not counted),
    or None when fewer than ``quantity`` are left (nothing changed).
    """
    cur = db.execute(
        "UPDATE offers SET stock = stock - ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        " WHERE id = ? AND stock IS NOT NULL AND stock >= ?",
        [quantity, offer_id, quantity],
    )
    if cur.rowcount == 1:
        return quantity
    row = db.execute("SELECT stock FROM offers WHERE id = ?", [offer_id]).fetchone()
    return 0 if row is not None and row[0] is None else None


def stock_left(db: Database, offer_id: int) -> int | None:
    """Units of an offer left (None: not counted, or no such offer)."""
    row = db.execute("SELECT stock FROM offers WHERE id = ?", [offer_id]).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def record_stock_taken(db: Database, order_id: int, position: int, units: int) -> None:
    """Remember the units an order line took from stock (what a release gives back)."""
    db.execute(
        "UPDATE order_lines SET stock_taken = ? WHERE order_id = ? AND position = ?",
        [units, order_id, position],
    )


def release_stock(db: Database, order_id: int, line_ids: Iterable[int] | None = None) -> int:
    """Put back the units an order's lines (or some of them) took from stock; returns how
    many. Each line's ``stock_taken`` is zeroed, so a second release gives nothing."""
    where = "order_id = ? AND stock_taken > 0 AND offer_id IS NOT NULL"
    params: list[Any] = [order_id]
    if line_ids is not None:
        ids = list(line_ids)
        if not ids:
            return 0
        where += f" AND id IN ({','.join('?' * len(ids))})"
        params += ids
    rows = db.execute(
        f"SELECT id, offer_id, stock_taken FROM order_lines WHERE {where}", params
    ).fetchall()
    for line_id, offer_id, units in rows:
        db.execute(
            "UPDATE offers SET stock = stock + ?,"
            " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')"
            " WHERE id = ? AND stock IS NOT NULL",
            [units, offer_id],
        )
        db.execute("UPDATE order_lines SET stock_taken = 0 WHERE id = ?", [line_id])
    return sum(int(r[2]) for r in rows)


def organization_names(db: Database) -> dict[int, str]:
    """Every organization's name by id (to label admins' rows)."""
    rows = db.execute("SELECT id, name FROM organizations").fetchall()
    return {int(r[0]): str(r[1]) for r in rows}
