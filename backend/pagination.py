"""The list shape every paged read answers with."""

from __future__ import annotations


def page(data: list, total: int, limit: int, offset: int) -> dict:
    """One page of `total` rows starting at `offset`."""
    return {"object": "list", "data": data, "total": total, "limit": limit, "offset": offset, "has_more": offset + len(data) < total}
