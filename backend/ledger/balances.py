"""Balance arithmetic over an account's four running totals, after TigerBeetle's account model.

`posted` is the settled balance on the account's normal side; `pending` is the signed net of its
unresolved pending postings; `available` is posted minus pending *outflows* only: money on its way
in is not spendable until posted, money on its way out is already spoken for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from backend.errors import ZentraError
from backend.money.amounts import check_total


@dataclass(frozen=True)
class Movement:
    """A signed change to one bucket (`posted` or `pending`) on one side of one account."""

    account_id: str
    direction: str  # "debit" | "credit"
    bucket: str  # "posted" | "pending"
    amount_minor: int  # negative only when a pending amount is released


@dataclass(frozen=True)
class AccountBalance:
    id: str
    currency: str
    normal_balance: str
    allow_negative: bool
    debits_posted: int = 0
    credits_posted: int = 0
    debits_pending: int = 0
    credits_pending: int = 0

    @property
    def posted(self) -> int:
        net = self.credits_posted - self.debits_posted
        return net if self.normal_balance == "credit" else -net

    @property
    def pending(self) -> int:
        net = self.credits_pending - self.debits_pending
        return net if self.normal_balance == "credit" else -net

    @property
    def available(self) -> int:
        outflow = self.debits_pending if self.normal_balance == "credit" else self.credits_pending
        return self.posted - outflow

    def as_dict(self) -> dict[str, int]:
        return {"posted": self.posted, "pending": self.pending, "available": self.available}

    def moved(self, movement: Movement) -> "AccountBalance":
        """This balance after `movement`, refusing totals that leave int64 or go below zero."""
        name = f"{movement.direction}s_{movement.bucket}"
        total = check_total(getattr(self, name) + movement.amount_minor)
        if total < 0:
            raise AssertionError(f"{name} of {self.id} would go negative: a release larger than its hold")
        return replace(self, **{name: total})


def apply(balances: dict[str, AccountBalance], movements: list[Movement], params: dict[str, str]) -> dict[str, AccountBalance]:
    """Return the balances changed by `movements` (the input is not touched).

    Raises `insufficient_funds` naming the account's parameter when an account that does not
    allow negative balances would end with negative `available`.
    """
    changed: dict[str, AccountBalance] = {}
    for movement in movements:
        current = changed.get(movement.account_id) or balances[movement.account_id]
        changed[movement.account_id] = current.moved(movement)
    for account_id, after in changed.items():
        if not after.allow_negative and after.available < 0 and after.available < balances[account_id].available:
            raise ZentraError(
                "insufficient_funds",
                f"account {account_id} has {balances[account_id].available} available in minor units",
                params.get(account_id),
            )
    return changed
