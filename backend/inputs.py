"""Typed readers for request fields: each returns a clean value or raises the contract's error.

Commands are parsed from plain dicts by these readers, so the HTTP API and any other caller refuse
bad input the same way, before anything is read from or written to the database.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from backend.errors import ZentraError
from backend.money.amounts import MAX_AMOUNT


def reject_unknown(body: dict, allowed: set[str], prefix: str = "") -> None:
    """Refuse fields the endpoint does not know: a typo in a money request must not pass silently."""
    for name in body:
        if name not in allowed:
            raise ZentraError("validation_error", f"unknown field {prefix}{name}", prefix + name)


def required_str(body: dict, name: str, prefix: str = "", max_length: int = 200) -> str:
    value = body.get(name)
    if value is None:
        raise ZentraError("validation_error", f"{prefix}{name} is required", prefix + name)
    return _str(value, prefix + name, max_length)


def optional_str(body: dict, name: str, prefix: str = "", max_length: int = 200) -> str | None:
    value = body.get(name)
    return None if value is None else _str(value, prefix + name, max_length)


def _str(value: Any, param: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ZentraError("validation_error", f"{param} must be a non-empty string", param)
    if len(value) > max_length:
        raise ZentraError("validation_error", f"{param} must be at most {max_length} characters", param)
    return storable_text(value, param)


def storable_text(value: str, param: str) -> str:
    """Refuse text no database column can hold: NUL characters and lone UTF-16 surrogates."""
    if "\x00" in value:
        raise ZentraError("validation_error", f"{param} must not contain NUL characters", param)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ZentraError("validation_error", f"{param} must be valid Unicode text", param) from None
    return value


def optional_bool(body: dict, name: str, default: bool, prefix: str = "") -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ZentraError("validation_error", f"{prefix}{name} must be true or false", prefix + name)
    return value


def whole_number(value: Any, param: str, low: int | None = None, high: int | None = None) -> int:
    """An int within [low, high] (bounds inclusive, None: unbounded on that side).

    `bool` is refused first because Python's `True` is an `int`; floats are refused even when
    whole, so `1.0` never stands for a count, a status or a number of seconds.
    """
    if isinstance(value, bool) or not isinstance(value, int) or (low is not None and value < low) or (high is not None and value > high):
        raise ZentraError("validation_error", f"{param} must be {_integer_range(low, high)}", param)
    return value


def _integer_range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"an integer from {low} to {high}"
    if low is not None:
        return f"an integer of at least {low}"
    return "an integer" if high is None else f"an integer of at most {high}"


def choice(body: dict, name: str, options: tuple[str, ...], default: str | None = None, prefix: str = "") -> str:
    value = body.get(name, default)
    if value not in options:
        raise ZentraError("validation_error", f"{prefix}{name} must be one of {', '.join(options)}", prefix + name)
    return value


def timestamp(value: Any, param: str) -> datetime:
    """An ISO 8601 instant with an explicit offset (naive times are ambiguous for money)."""
    if not isinstance(value, str):
        raise ZentraError("validation_error", f"{param} must be an ISO 8601 timestamp string", param)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ZentraError("validation_error", f"{param} is not an ISO 8601 timestamp", param) from None
    if parsed.tzinfo is None:
        raise ZentraError("validation_error", f"{param} must carry a UTC offset, e.g. 2026-01-01T00:00:00Z", param)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise ZentraError("validation_error", f"{param} is out of the representable range", param) from None


def metadata(body: dict, name: str = "metadata", prefix: str = "") -> dict:
    """Free-form string key/value pairs attached to an object (at most 50 keys, 8 KB)."""
    value = body.get(name, {})
    param = prefix + name
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 50:
        raise ZentraError("validation_error", f"{param} must be an object with at most 50 keys", param)
    for key, item in value.items():
        where = f"{param}.{storable_text(key, param)}"
        if isinstance(item, str):
            storable_text(item, where)
        elif isinstance(item, bool) or (isinstance(item, int) and -MAX_AMOUNT <= item <= MAX_AMOUNT):
            continue
        else:
            raise ZentraError("validation_error", f"{where} must be a string, a 64-bit integer or a boolean", where)
    if len(json.dumps(value)) > 8192:
        raise ZentraError("validation_error", f"{param} must be at most 8 KB", param)
    return value


def path_id(value: str, what: str) -> str:
    """An id taken from a URL path or query: one that could never exist is simply not found."""
    if len(value) > 64 or "\x00" in value or not value.isascii():
        raise ZentraError("not_found", f"no {what} {value[:64]!r}")
    return value


def query_text(value: str | None, param: str, max_length: int = 200) -> str | None:
    """A free-text query parameter (search, cursors), refused if it cannot be stored or compared."""
    if value is None:
        return None
    if len(value) > max_length:
        raise ZentraError("validation_error", f"{param} must be at most {max_length} characters", param)
    return storable_text(value, param)


def object_body(value: Any, param: str | None = None) -> dict:
    if not isinstance(value, dict):
        raise ZentraError("invalid_request", "the request body must be a JSON object" if param is None else f"{param} must be an object", param)
    return value
