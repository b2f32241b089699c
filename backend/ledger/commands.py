"""Posting commands parsed from request bodies: two legs (`debit`/`credit`) or many (`lines`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from backend.errors import ZentraError
from backend.inputs import (
    choice,
    metadata,
    object_body,
    optional_bool,
    optional_str,
    reject_unknown,
    required_str,
    timestamp,
)
from backend.ledger.legs import Leg
from backend.money.amounts import parse_amount_minor

POSTING_FIELDS = {"debit", "credit", "amount_minor", "lines", "pending", "expires_at", "correlation_id", "description", "metadata"}
MAX_LINES = 100


@dataclass(frozen=True)
class PostingCommand:
    legs: tuple[Leg, ...]
    pending: bool = False
    expires_at: datetime | None = None
    correlation_id: str | None = None
    description: str | None = None
    metadata: dict = field(default_factory=dict)
    param_prefix: str = ""


def parse_posting(body: dict, now: datetime, prefix: str = "") -> PostingCommand:
    """Read one posting from `body`; `prefix` locates it inside a batch (`postings[3].`)."""
    body = object_body(body, prefix.rstrip(".") or None)
    reject_unknown(body, POSTING_FIELDS, prefix)
    legs = _lines(body, prefix) if "lines" in body else _two_legs(body, prefix)
    pending = optional_bool(body, "pending", False, prefix)
    expires_at = None
    if body.get("expires_at") is not None:
        if not pending:
            raise ZentraError("validation_error", "expires_at only applies to pending postings", prefix + "expires_at")
        expires_at = timestamp(body["expires_at"], prefix + "expires_at")
        if expires_at <= now:
            raise ZentraError("validation_error", "expires_at must be in the future", prefix + "expires_at")
    return PostingCommand(
        legs=legs,
        pending=pending,
        expires_at=expires_at,
        correlation_id=optional_str(body, "correlation_id", prefix),
        description=optional_str(body, "description", prefix, 1000),
        metadata=metadata(body, prefix=prefix),
        param_prefix=prefix,
    )


def _two_legs(body: dict, prefix: str) -> tuple[Leg, ...]:
    debit = required_str(body, "debit", prefix, 40)
    credit = required_str(body, "credit", prefix, 40)
    amount = parse_amount_minor(body.get("amount_minor"), prefix + "amount_minor")
    if debit == credit:
        raise ZentraError("validation_error", "debit and credit must be different accounts", prefix + "credit")
    return (Leg(debit, "debit", amount, prefix + "debit"), Leg(credit, "credit", amount, prefix + "credit"))


def _lines(body: dict, prefix: str) -> tuple[Leg, ...]:
    if any(name in body for name in ("debit", "credit", "amount_minor")):
        raise ZentraError("validation_error", "send either debit/credit/amount_minor or lines, not both", prefix + "lines")
    lines = body["lines"]
    if not isinstance(lines, list) or not 2 <= len(lines) <= MAX_LINES:
        raise ZentraError("validation_error", f"lines must be a list of 2 to {MAX_LINES} legs", prefix + "lines")
    legs = []
    for i, line in enumerate(lines):
        where = f"{prefix}lines[{i}]."
        line = object_body(line, where.rstrip("."))
        reject_unknown(line, {"account", "direction", "amount_minor"}, where)
        legs.append(
            Leg(
                required_str(line, "account", where, 40),
                choice(line, "direction", ("debit", "credit"), prefix=where),
                parse_amount_minor(line.get("amount_minor"), where + "amount_minor"),
                where + "account",
            )
        )
    if {leg.direction for leg in legs} != {"debit", "credit"}:
        raise ZentraError("validation_error", "lines need at least one debit and one credit", prefix + "lines")
    if len({leg.account_id for leg in legs}) < 2:
        raise ZentraError("validation_error", "a posting needs at least two accounts", prefix + "lines")
    return tuple(legs)
