"""Server-side display helpers: every amount is rendered here with `format_minor`, never as a float,
and every time in the operator's time zone (`SessionState.time_zone`, UTC unless the browser
reported a zone the server knows), labelled with the zone's abbreviation.

Rows handed to the browser are small dicts of strings, one page at a time; a time shown in a
table or drawer keeps its recorded ISO form beside it (`stamp`) for the tooltip.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.money.currencies import format_minor

PAGE_SIZE = 25
UTC = "UTC"
MAX_ZONE_NAME = 64


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def known_zone(name: object) -> str:
    """`name` when it is an IANA time zone this server knows (what the browser reports), else UTC."""
    if not isinstance(name, str) or not name or len(name) > MAX_ZONE_NAME:
        return UTC
    return name if _zone(name) is not None else UTC


def _in_zone(moment: datetime, zone: str) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(_zone(zone) or timezone.utc)


def when(iso: str | None, zone: str = UTC) -> str:
    """`2026-04-26T14:12:09.123456Z` -> `2026-04-26 14:12:09 UTC`, or in the operator's `zone`
    with its abbreviation (`2026-04-26 16:12:09 CEST`); empty for None."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return _in_zone(moment, zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def clock(moment: datetime, zone: str = UTC) -> str:
    """`14:12:09 UTC` (or `16:12:09 CEST`): the time of day of `moment` in `zone`."""
    return _in_zone(moment, zone).strftime("%H:%M:%S %Z")


def stamp(key: str, iso: str | None, zone: str = UTC) -> dict[str, str]:
    """A row's time as shown (`key`, in the operator's zone) and as recorded (`key_iso`, raw ISO
    for the tooltip)."""
    return {key: when(iso, zone), f"{key}_iso": iso or ""}


def money(amount_minor: int | None, currency: str) -> str:
    return "" if amount_minor is None else format_minor(int(amount_minor), currency)


def account_row(view: dict) -> dict[str, str]:
    balances, currency = view["balances"], view["currency"]
    return {
        "id": view["id"],
        "customer": view["customer"],
        "account_type": view["account_type"],
        "currency": currency,
        "normal_balance": view["normal_balance"],
        "posted": money(balances["posted"], currency),
        "pending": money(balances["pending"], currency),
        "available": money(balances["available"], currency),
        "status": view["status"],
        "system": "system" if view.get("system_role") else "",
    }


def account_facts(view: dict, zone: str = UTC) -> dict[str, str]:
    row = account_row(view)
    row.update(
        {
            "mode": view["mode"],
            "allow_negative": "allowed" if view["allow_negative"] else "not allowed",
            **stamp("created_at", view["created_at"], zone),
            "system_role": view.get("system_role") or "",
        }
    )
    return row


def posting_row(view: dict, account_id: str, zone: str = UTC) -> dict[str, str]:
    """A posting as seen from one account: the direction(s) and amount of that account's legs."""
    mine = [e for e in view["entries"] if e["account"] == account_id]
    legs = [e for e in mine if e["amount_minor"] > 0] or mine  # a release alone shows as negative
    directions = sorted({e["direction"] for e in legs})
    amount = sum(e["amount_minor"] for e in legs) if len(directions) == 1 else view["amount_minor"]
    buckets = sorted({e["bucket"] for e in mine})
    return {
        "posting_id": view["posting_id"],
        "kind": view["kind"],
        "status": view["status"],
        "amount": money(amount, view["currency"]),
        "direction": "/".join(directions),
        "bucket": "/".join(buckets),
        "description": view.get("description") or "",
        "correlation_id": view.get("correlation_id") or "",
        **stamp("created_at", view["created_at"], zone),
    }


def hold_row(view: dict, zone: str = UTC) -> dict[str, str]:
    return {
        "id": view["id"],
        "amount": money(view["amount_minor"], view["currency"]),
        "captured": money(view.get("captured_minor"), view["currency"]),
        "status": view["status"],
        "reason": view["reason"],
        "source_request": view["source_request"],
        "expires_at": view["expires_at"] or "",
        "expires_label": when(view["expires_at"], zone),
        **stamp("created_at", view["created_at"], zone),
    }


def history_row(line: dict, currency: str, normal_balance: str, zone: str = UTC) -> dict[str, str]:
    """One journal line; `+` when it moves the account towards its normal side."""
    sign = "+" if (line["direction"] == normal_balance) == (line["amount_minor"] >= 0) else "−"
    return {
        "posting_id": line["posting_id"],
        "direction": line["direction"],
        "bucket": line["bucket"],
        "amount": f"{sign}{money(abs(line['amount_minor']), currency)}",
        "posted": money(line["posted"], currency),
        "available": money(line["available"], currency),
        **stamp("effective_at", line["effective_at"], zone),
    }


def page_label(offset: int, count: int, total: int, exact: bool = True) -> str:
    """`26–50 of 1,204`; `of 10,025+` when the total is a lower bound (a capped count)."""
    if total == 0:
        return "0 of 0"
    return f"{offset + 1:,}–{offset + count:,} of {total:,}{'' if exact else '+'}"
