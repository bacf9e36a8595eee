"""The managers' order list: one page of an organization's orders, filtered and searched.

Searches the order number (``CMD-0000042`` or ``42``), the member's login and name
(``LIKE``, case-insensitive for ASCII letters, wildcards typed by the manager escaped).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from portal.data.orders import _SUMMARY_COLUMNS, OrderSummary


def _org_where(
    organization_id: int | None, statuses: tuple[str, ...], search: str
) -> tuple[str, list[Any]]:
    """The WHERE clause of an organization's order list (filter and search)."""
    where: list[str] = []
    params: list[Any] = []
    if organization_id is not None:
        where.append("o.organization_id = ?")
        params.append(organization_id)
    if statuses:
        where.append(f"o.status IN ({','.join('?' * len(statuses))})")
        params += list(statuses)
    term = search.strip()
    if term:
        digits = term.upper().removeprefix("CMD-").lstrip("0")
        like = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clause = (
            "(m.login LIKE ? ESCAPE '\\' OR (m.first_name || ' ' || m.last_name) LIKE ? ESCAPE '\\'"
        )
        params += [like, like]
        if digits.isdigit() and len(digits) <= 9:
            clause += " OR o.id = ?"
            params.append(int(digits))
        where.append(clause + ")")
    return ((" WHERE " + " AND ".join(where)) if where else ""), params


def search_org_orders(
    db: Database,
    organization_id: int | None,
    *,
    statuses: tuple[str, ...] = (),
    limit: int = 200,
    offset: int = 0,
    search: str = "",
) -> list[tuple[OrderSummary, str]]:
    """Orders of an organization (or all), newest first, each with its member's name.

    ``search`` matches the order number (``CMD-0000042`` or ``42``), the member's login or
    name (case-insensitive for ASCII); ``offset``/``limit`` take one page.
    """
    clause, params = _org_where(organization_id, statuses, search)
    cols = ", ".join(f"o.{c.strip()}" for c in _SUMMARY_COLUMNS.split(","))
    rows = db.execute(
        f"SELECT {cols}, m.first_name || ' ' || m.last_name AS member_name FROM orders o"
        f" JOIN members m ON m.id = o.member_id{clause} ORDER BY o.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    result = []
    for r in rows:
        d = dict(r)
        name = d.pop("member_name")
        result.append((OrderSummary(**d), name))
    return result


def count_org_orders(
    db: Database, organization_id: int | None, *, statuses: tuple[str, ...] = (), search: str = ""
) -> int:
    """How many orders ``list_org_orders`` would page through."""
    clause, params = _org_where(organization_id, statuses, search)
    row = db.execute(
        f"SELECT COUNT(*) FROM orders o JOIN members m ON m.id = o.member_id{clause}", params
    ).fetchone()
    return int(row[0])
