"""Accounts without a balance limit (the tenant's clearing accounts, `allow_negative` accounts) are
added to at commit, not locked for the whole transaction, and still end on the exact balance."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from backend.db import transactions
from backend.db.tables import Account, Entry, Event
from backend.ledger import holds, postings
from backend.ledger.accounts import create_account, get_account, system_account
from backend.ledger.commands import PostingCommand
from backend.ledger.legs import Leg
from tests.conftest import PG_URL


def open_account(runtime, scope, **fields) -> str:
    body = {"customer": "c", "currency": "USD", "account_type": "t", **fields}
    return transactions.write(runtime.db, lambda s: create_account(s, scope, body, runtime.now()))["id"]


def post(session: Session, scope, debit: str, credit: str, amount: int, now) -> dict:
    legs = (Leg(debit, "debit", amount, "debit"), Leg(credit, "credit", amount, "credit"))
    return postings.create_postings(session, scope, [PostingCommand(legs=legs)], atomic=True, now=now)[0]


TOTALS = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")


def totals_match_entries(runtime, account_id: str) -> None:
    """The account's stored running totals equal the sums of its journal entries."""

    def read(session: Session) -> tuple[dict, dict]:
        row = session.get(Account, account_id)
        sums = session.execute(select(Entry.direction, Entry.bucket, func.sum(Entry.amount_minor)).where(Entry.account_id == account_id).group_by(Entry.direction, Entry.bucket)).all()
        journaled = {f"{direction}s_{bucket}": int(total) for direction, bucket, total in sums}
        return {n: getattr(row, n) for n in TOTALS}, {n: journaled.get(n, 0) for n in TOTALS}

    stored, journaled = transactions.read(runtime.db, read)
    assert stored == journaled


def test_the_tenants_clearing_accounts_carry_no_balance_limit(runtime, tenant):
    scope = tenant.sandbox
    account_id = transactions.write(runtime.db, lambda s: system_account(s, scope, "settlement", "USD", runtime.now()))
    assert transactions.read(runtime.db, lambda s: get_account(s, scope, account_id, runtime.now()))["allow_negative"] is True


def test_concurrent_writers_add_to_one_unlimited_account_exactly(runtime, tenant):
    scope = tenant.sandbox
    funding = open_account(runtime, scope, allow_negative=True)
    customers = [open_account(runtime, scope) for _ in range(4)]
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for i in range(20):
                transactions.write(runtime.db, lambda s: post(s, scope, funding, customers[k], i + 1, runtime.now()))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    balance = transactions.read(runtime.db, lambda s: get_account(s, scope, funding, runtime.now()))["balances"]
    assert balance["posted"] == -4 * sum(range(1, 21))
    totals_match_entries(runtime, funding)


@pytest.mark.skipif(PG_URL is None, reason="SQLite has one writer at a time: only PostgreSQL shows row locks")
def test_an_unlimited_account_is_not_held_by_a_transaction_still_running(runtime, tenant):
    """A transaction that moved money through a clearing account and is still at work does not
    make the next one wait: the account's row is taken only at commit."""
    scope = tenant.sandbox
    funding = open_account(runtime, scope, allow_negative=True)
    first, second = open_account(runtime, scope), open_account(runtime, scope)
    moved, other_committed = threading.Event(), threading.Event()
    seen: list[bool] = []

    def slow(session: Session) -> None:
        post(session, scope, funding, first, 5, runtime.now())
        moved.set()
        seen.append(other_committed.wait(30))

    worker = threading.Thread(target=transactions.write, args=(runtime.db, slow))
    worker.start()
    assert moved.wait(30)
    transactions.write(runtime.db, lambda s: post(s, scope, funding, second, 7, runtime.now()))
    other_committed.set()
    worker.join()
    assert seen == [True]
    assert transactions.read(runtime.db, lambda s: get_account(s, scope, funding, runtime.now()))["balances"]["posted"] == -12
    totals_match_entries(runtime, funding)


def test_a_refused_step_in_a_savepoint_leaves_the_unlimited_account_and_the_events_untouched(runtime, tenant):
    scope = tenant.sandbox
    funding = open_account(runtime, scope, allow_negative=True)
    customer = open_account(runtime, scope)

    def unit(session: Session) -> str:
        kept = post(session, scope, funding, customer, 10, runtime.now())
        with pytest.raises(RuntimeError):
            with session.begin_nested():
                post(session, scope, funding, customer, 1_000, runtime.now())
                raise RuntimeError("the step after the posting failed")
        return kept["posting_id"]

    kept = transactions.write(runtime.db, unit)
    assert transactions.read(runtime.db, lambda s: get_account(s, scope, funding, runtime.now()))["balances"]["posted"] == -10
    totals_match_entries(runtime, funding)
    objects = transactions.read(runtime.db, lambda s: list(s.execute(select(Event.object_id).where(Event.tenant_id == scope.tenant_id, Event.type == "ledger.entry.created")).scalars()))
    assert objects.count(kept) == 1 and len([o for o in objects if o.startswith("pst_")]) == 1


def test_a_hold_placed_and_released_in_one_transaction_sees_its_own_additions(runtime, tenant):
    """The release reads the clearing account as this transaction left it, not as committed."""
    scope = tenant.sandbox
    funding = open_account(runtime, scope, allow_negative=True)
    customer = open_account(runtime, scope)
    transactions.write(runtime.db, lambda s: post(s, scope, funding, customer, 100, runtime.now()))

    def unit(session: Session) -> None:
        hold = holds.create_hold(session, scope, {"account": customer, "amount_minor": 60, "ttl_seconds": 600, "reason": "r", "source_request": "t"}, runtime.now())
        holds.release_hold(session, scope, hold["id"], {"reason": "r", "source_request": "t"}, runtime.now())

    transactions.write(runtime.db, unit)
    reserved = transactions.write(runtime.db, lambda s: system_account(s, scope, "holds", "USD", runtime.now()))
    assert transactions.read(runtime.db, lambda s: get_account(s, scope, customer, runtime.now()))["balances"] == {"posted": 100, "pending": 0, "available": 100}
    totals_match_entries(runtime, reserved)
