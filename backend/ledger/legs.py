"""Legs of a posting and the rules they obey: balanced, one currency, known accounts, and the
movements each kind of posting makes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from backend.encoding import canonical
from backend.errors import ZentraError
from backend.ledger.balances import AccountBalance, Movement
from backend.money.amounts import check_total


@dataclass(frozen=True)
class Leg:
    account_id: str
    direction: str  # "debit" | "credit"
    amount_minor: int
    param: str  # where this leg came from in the request, for error messages


def check_legs(legs: tuple[Leg, ...], accounts: dict[str, AccountBalance], param_prefix: str = "") -> str:
    """Validate legs against the (locked) accounts and return the posting's currency."""
    for leg in legs:
        if leg.account_id not in accounts:
            raise ZentraError("unknown_account", f"no account {leg.account_id!r} in this tenant and mode", leg.param, object_id=leg.account_id)
    currencies = {accounts[leg.account_id].currency for leg in legs}
    if len(currencies) > 1:
        raise ZentraError("currency_mismatch", f"a posting cannot mix currencies ({', '.join(sorted(currencies))})", param_prefix + "lines" if len(legs) > 2 else param_prefix + "credit")
    debits = check_total(sum(leg.amount_minor for leg in legs if leg.direction == "debit"), param_prefix + "amount_minor")
    credits = check_total(sum(leg.amount_minor for leg in legs if leg.direction == "credit"), param_prefix + "amount_minor")
    if debits != credits:
        raise ZentraError("validation_error", f"debits ({debits}) must equal credits ({credits})", param_prefix + "lines")
    return currencies.pop()


def total(legs: tuple[Leg, ...]) -> int:
    return sum(leg.amount_minor for leg in legs if leg.direction == "debit")


def movements(legs: tuple[Leg, ...], bucket: str, sign: int = 1) -> list[Movement]:
    """Each leg as a movement of `bucket`; `sign=-1` releases a pending amount."""
    return [Movement(leg.account_id, leg.direction, bucket, sign * leg.amount_minor) for leg in legs]


def swapped(legs: tuple[Leg, ...]) -> tuple[Leg, ...]:
    """The legs of a reversal: same accounts and amounts, debit and credit exchanged."""
    flip = {"debit": "credit", "credit": "debit"}
    return tuple(Leg(leg.account_id, flip[leg.direction], leg.amount_minor, leg.param) for leg in legs)


def entry_hash(posting_id: str, currency: str, legs: tuple[Leg, ...]) -> str:
    """SHA-256 over the canonical JSON of a posting's legs: the evidence that names its entries."""
    legs_json = [[leg.account_id, leg.direction, leg.amount_minor] for leg in legs]
    return hashlib.sha256(canonical({"posting_id": posting_id, "currency": currency, "legs": legs_json})).hexdigest()
