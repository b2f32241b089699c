"""How an intent moves money, through the ledger's own services (never a second copy of its rules).

As the seed pages draw it: at `ledgered` the amount is reserved by a hold (Customer -> Reserved,
pending); when the provider confirms, the hold is captured and the money travels on through the
tenant's Settlement account to the Merchant (a payment or transfer's destination account) or to the
Payout clearing account (payouts and card authorizations leave the ledger there). A failure or a
rejection after reservation releases the hold; a reversal swaps every settled posting back, newest
first, as new linked postings.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson
from sqlalchemy import select
from sqlmodel import Session

from backend.db.tables import Account, Intent
from backend.ledger import holds, postings
from backend.ledger.accounts import system_account
from backend.ledger.commands import PostingCommand
from backend.ledger.legs import Leg
from backend.tenancy.scope import Scope

# How long reserved funds wait for a provider: a card authorization's usual lifetime.
RESERVATION_TTL = timedelta(days=7)
EXTERNAL_ROLE = {"payout": "payouts", "card_authorization": "card_network"}


def lock_accounts(session: Session, intents: list[Intent], *, settling: bool) -> None:
    """Lock, in id order (the ledger's own order), the balance-limited accounts the intents' next
    money steps touch (their sources, and their destinations when settling), before any of the
    steps' services locks one of them: two intents between the same two customer accounts in
    opposite directions then queue rather than deadlock. The tenant's clearing accounts are not
    limited and not locked here (backend.ledger.book adds to them at commit)."""
    ids = {i.source_account_id for i in intents}
    if settling:
        ids.update(i.destination_account_id for i in intents if i.destination_account_id)
    session.execute(select(Account.id).where(Account.id.in_(sorted(ids)), Account.allow_negative.is_(False)).order_by(Account.id).with_for_update()).all()


def reserve(session: Session, scope: Scope, intent: Intent, now: datetime) -> dict:
    """Place the hold that reserves the intent's amount on its source account."""
    body = {
        "account": intent.source_account_id,
        "amount_minor": intent.amount_minor,
        "ttl_seconds": int(RESERVATION_TTL.total_seconds()),
        "reason": f"{intent.kind} {intent.intent_id}",
        "source_request": intent.intent_id,
    }
    hold = holds.create_hold(session, scope, body, now)
    intent.hold_id = hold["id"]
    _add_postings(intent, [hold["posting_id"]])
    return hold


def settle(session: Session, scope: Scope, intent: Intent, amount_minor: int, why: str, source: str, now: datetime) -> list[str]:
    """Capture the hold (partly if the provider settled less; the rest is released) and carry the
    captured amount Reserved -> Settlement -> destination. Answers the settlement posting ids (the
    hold's own posting, now posted, is already the intent's first)."""
    captured = holds.capture_hold(session, scope, intent.hold_id, {"amount_minor": amount_minor, "reason": why, "source_request": source}, now)
    amount = captured["captured_minor"]
    reserved = system_account(session, scope, "holds", intent.currency, now)
    settlement = system_account(session, scope, "settlement", intent.currency, now)
    destination = intent.destination_account_id or system_account(session, scope, EXTERNAL_ROLE[intent.kind], intent.currency, now)
    commands = [_move(reserved, settlement, amount, intent, "settlement"), _move(settlement, destination, amount, intent, "payout" if intent.destination_account_id is None else "merchant credit")]
    created = [r["posting_id"] for r in postings.create_postings(session, scope, commands, atomic=True, now=now)]
    _add_postings(intent, created)
    return created


def release(session: Session, scope: Scope, intent: Intent, why: str, source: str, now: datetime) -> None:
    """Give the reserved funds back (the hold's pending posting is voided)."""
    holds.release_hold(session, scope, intent.hold_id, {"reason": why, "source_request": source}, now)


def reverse(session: Session, scope: Scope, intent: Intent, why: str, now: datetime) -> list[str]:
    """Swap every posted posting of the intent back, newest first; all or nothing."""
    settled = [p for p in posting_ids(intent) if postings.read_posting(session, scope, p)["status"] == "posted"]
    created = [postings.reverse(session, scope, p, why, now)["posting_id"] for p in reversed(settled)]
    _add_postings(intent, created)
    return created


def posting_ids(intent: Intent) -> list[str]:
    return orjson.loads(intent.postings_json)


def _add_postings(intent: Intent, ids: list[str]) -> None:
    intent.postings_json = orjson.dumps([*posting_ids(intent), *ids]).decode()


def _move(debit: str, credit: str, amount: int, intent: Intent, step: str) -> PostingCommand:
    legs = (Leg(debit, "debit", amount, "debit"), Leg(credit, "credit", amount, "credit"))
    return PostingCommand(legs=legs, correlation_id=intent.intent_id, description=f"{intent.kind} {intent.intent_id}: {step}")
