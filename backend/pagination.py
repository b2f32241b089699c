"""The list shape every paged read answers with, and the count a room's table can afford."""

from __future__ import annotations

from sqlalchemy import Select, func, select

COUNT_AHEAD = 10_000


def page(data: list, total: int, limit: int, offset: int) -> dict:
    """One page of `total` rows starting at `offset`."""
    return {"object": "list", "data": data, "total": total, "limit": limit, "offset": offset, "has_more": offset + len(data) < total}


def capped_count_query(rows: Select, offset: int) -> Select:
    """Count the rows of `rows` only up to COUNT_AHEAD past `offset` (`capped_total` reads the
    answer). An exact count reads every matching index entry, which at a million intents is most
    of a page's time; the room only needs to know how far it can page. Give `rows` the page's
    own ORDER BY: without one, the LIMIT lets the planner pick any index that starts fast, and a
    selective filter may then walk the whole table."""
    return select(func.count()).select_from(rows.limit(offset + COUNT_AHEAD + 1).subquery())


def capped_total(counted: int, offset: int) -> tuple[int, bool]:
    """(total, exact) from a `capped_count_query` answer: past the cap the total is a lower bound."""
    cap = offset + COUNT_AHEAD
    return min(counted, cap), counted <= cap
