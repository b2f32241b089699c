"""Reading an intent request (`POST /v1/runtime/intents`, `POST /v1/transfers`) into one shape.

Everything is checked before anything is read from the database: the accounts the request names
are resolved later, in the transaction that locks them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backend.errors import ZentraError
from backend.ids import new_id
from backend.inputs import choice, optional_str, reject_unknown, required_str
from backend.money.amounts import parse_amount_minor
from backend.money.currencies import parse_currency

KINDS = ("payment", "transfer", "card_authorization", "payout")
# Payments and transfers end in an account of the tenant; payouts and card authorizations leave the
# ledger towards an outside party named by `destination`.
ACCOUNT_DESTINATIONS = frozenset({"payment", "transfer"})
MONEY_MODEL = "minor_units + ledger_currency"
PRIMITIVES = ("policy", "ledger", "events", "accounts", "routes", "evidence")
REQUIRED_PRIMITIVES = ("policy", "ledger", "events")
INTENT_ID = re.compile(r"intent_[A-Za-z0-9_-]{1,64}")
CORRIDOR = re.compile(r"[A-Z]{2}-[A-Z]{2}")
ANY_CORRIDOR = "*"
RUNTIME_FIELDS = {"intent_id", "scope", "money_model", "primitives", "kind", "amount_minor", "currency", "source", "destination", "corridor", "counterparty"}
TRANSFER_FIELDS = {"source_account", "destination_account", "amount_minor", "currency", "corridor"}


@dataclass(frozen=True)
class IntentRequest:
    intent_id: str
    kind: str
    amount_minor: int
    currency: str
    source: str
    destination: str
    counterparty: str | None
    corridor: str
    scope_label: str
    money_model: str
    primitives: tuple[str, ...]


def _intent_id(body: dict) -> str:
    value = body.get("intent_id")
    if value is None:
        return new_id("intent")
    if not isinstance(value, str) or not INTENT_ID.fullmatch(value):
        raise ZentraError("validation_error", "intent_id must be `intent_` followed by 1 to 64 letters, digits, `_` or `-`", "intent_id")
    return value


def _corridor(body: dict) -> str:
    value = body.get("corridor", ANY_CORRIDOR)
    if value != ANY_CORRIDOR and (not isinstance(value, str) or not CORRIDOR.fullmatch(value)):
        raise ZentraError("validation_error", "corridor must look like US-GB (source and destination country codes)", "corridor")
    return value


def _primitives(body: dict) -> tuple[str, ...]:
    value = body.get("primitives", list(PRIMITIVES))
    if not isinstance(value, list) or not value or any(p not in PRIMITIVES for p in value) or len(set(value)) != len(value):
        raise ZentraError("validation_error", f"primitives must be a list of distinct names from {', '.join(PRIMITIVES)}", "primitives")
    missing = [p for p in REQUIRED_PRIMITIVES if p not in value]
    if missing:
        raise ZentraError("validation_error", f"money never moves without {', '.join(REQUIRED_PRIMITIVES)}: add {', '.join(missing)}", "primitives")
    return tuple(value)


def _money_model(body: dict) -> str:
    value = body.get("money_model", MONEY_MODEL)
    if value != MONEY_MODEL:
        raise ZentraError("validation_error", f"money_model must be {MONEY_MODEL!r}: amounts are integer minor units in the ledger's currency", "money_model")
    return value


def parse_runtime_intent(body: dict) -> IntentRequest:
    """The body of `POST /v1/runtime/intents`."""
    reject_unknown(body, RUNTIME_FIELDS)
    kind = choice(body, "kind", KINDS)
    return IntentRequest(
        intent_id=_intent_id(body),
        kind=kind,
        amount_minor=parse_amount_minor(body.get("amount_minor")),
        currency=parse_currency(body.get("currency")),
        source=required_str(body, "source", max_length=40),
        destination=required_str(body, "destination", max_length=40 if kind in ACCOUNT_DESTINATIONS else 200),
        counterparty=optional_str(body, "counterparty"),
        corridor=_corridor(body),
        scope_label=optional_str(body, "scope", max_length=80) or "default",
        money_model=_money_model(body),
        primitives=_primitives(body),
    )


def parse_transfer(body: dict) -> IntentRequest:
    """The body of `POST /v1/transfers`: a transfer intent between two accounts of the tenant."""
    reject_unknown(body, TRANSFER_FIELDS)
    return IntentRequest(
        intent_id=new_id("intent"),
        kind="transfer",
        amount_minor=parse_amount_minor(body.get("amount_minor")),
        currency=parse_currency(body.get("currency")),
        source=required_str(body, "source_account", max_length=40),
        destination=required_str(body, "destination_account", max_length=40),
        counterparty=None,
        corridor=_corridor(body),
        scope_label="default",
        money_model=MONEY_MODEL,
        primitives=PRIMITIVES,
    )
