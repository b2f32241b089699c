"""Typed readers for request fields: each returns a clean value or raises the contract's error.

Commands are parsed from plain dicts by these readers, so the HTTP API and any other caller refuse
bad input the same way, before anything is read from or written to the database.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from backend.errors import ZentraError


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
    return value


def optional_bool(body: dict, name: str, default: bool, prefix: str = "") -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ZentraError("validation_error", f"{prefix}{name} must be true or false", prefix + name)
    return value


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
    return parsed.astimezone(timezone.utc)


def metadata(body: dict, name: str = "metadata", prefix: str = "") -> dict:
    """Free-form string key/value pairs attached to an object (at most 50 keys, 8 KB)."""
    value = body.get(name, {})
    param = prefix + name
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 50:
        raise ZentraError("validation_error", f"{param} must be an object with at most 50 keys", param)
    for key, item in value.items():
        if not isinstance(item, (str, int, bool)) or isinstance(item, float):
            raise ZentraError("validation_error", f"{param}.{key} must be a string, integer or boolean", f"{param}.{key}")
    if len(json.dumps(value)) > 8192:
        raise ZentraError("validation_error", f"{param} must be at most 8 KB", param)
    return value


def object_body(value: Any, param: str | None = None) -> dict:
    if not isinstance(value, dict):
        raise ZentraError("invalid_request", "the request body must be a JSON object" if param is None else f"{param} must be an object", param)
    return value
