"""Amount validation: money is an integer count of minor units, never a float, string or bool."""

from __future__ import annotations

from typing import Any

from backend.errors import ZentraError

MAX_AMOUNT = 2**63 - 1


def parse_amount_minor(value: Any, param: str = "amount_minor") -> int:
    """Return `value` as a positive int64 amount or raise the contract's typed error.

    `bool` is checked first because Python's `True` is an `int`.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ZentraError("amount_not_integer", f"{param} must be an integer count of minor units", param)
    if value <= 0 or value > MAX_AMOUNT:
        raise ZentraError("amount_out_of_range", f"{param} must be between 1 and {MAX_AMOUNT}", param)
    return value


def check_total(total: int, param: str = "amount_minor") -> int:
    """Refuse a running total (a balance bucket or a sum of legs) that would not fit in int64."""
    if total > MAX_AMOUNT or total < -MAX_AMOUNT:
        raise ZentraError("amount_out_of_range", f"{param} would overflow a 64-bit balance", param)
    return total
