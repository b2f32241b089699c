"""ISO 4217 currencies and their exponents (USD 2, JPY 0, BHD 3), from the `iso4217` package."""

from __future__ import annotations

from typing import Any

from iso4217 import Currency

from backend.errors import ZentraError


def parse_currency(value: Any, param: str = "currency") -> str:
    """Return the upper-case ISO 4217 code, refusing unknown codes and codes without minor units."""
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ZentraError("unknown_currency", f"{param} must be an upper-case ISO 4217 code", param)
    try:
        currency = Currency(value)
    except ValueError:
        raise ZentraError("unknown_currency", f"{value} is not an ISO 4217 currency", param) from None
    if currency.exponent is None:
        raise ZentraError("unknown_currency", f"{value} has no minor unit and cannot be ledgered", param)
    return value


def exponent(code: str) -> int:
    """Digits after the decimal point for `code`."""
    return int(Currency(code).exponent)


def format_minor(amount_minor: int, code: str) -> str:
    """Render minor units as a major-unit string with the currency's exponent: 125000 USD -> '1,250.00 USD'."""
    exp = exponent(code)
    sign = "-" if amount_minor < 0 else ""
    whole, frac = divmod(abs(amount_minor), 10**exp) if exp else (abs(amount_minor), 0)
    text = f"{whole:,}" + (f".{frac:0{exp}d}" if exp else "")
    return f"{sign}{text} {code}"
