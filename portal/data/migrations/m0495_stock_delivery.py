"""Stock taken by order lines.

``order_lines.stock_taken`` holds the units a line took from its offer's stock when the
order was placed (0 for offers whose stock is not counted). Cancelling the order or
accepting the return of the line puts exactly those units back and zeroes the column, so
units are never given back twice, nor given back for an offer whose stock was counted
only after the order. (``orders.delivered_at`` already exists, from m0290.)
"""

from __future__ import annotations

from sqlite_utils import Database


def up(db: Database) -> None:
    """Add the units taken from stock to order lines."""
    db.execute(
        "ALTER TABLE order_lines ADD COLUMN stock_taken INTEGER NOT NULL DEFAULT 0"
        " CHECK (stock_taken >= 0)"
    )
