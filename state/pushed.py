"""What a burst of pushed events is about: a room refreshes only for the kinds it shows."""

from __future__ import annotations


def any_of_type(events: list[dict], *prefixes: str) -> bool:
    """Whether any of `events` has a type starting with one of `prefixes` (`"hold."`,
    `"customer."`, or a whole type such as `"screening.list_loaded"`)."""
    return any(str(e.get("type") or "").startswith(prefixes) for e in events)
