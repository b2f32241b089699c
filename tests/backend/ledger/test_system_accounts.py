"""The tenant's system accounts: created once on first use, then known without a statement."""

from __future__ import annotations

import contextlib
from typing import Iterator

from sqlalchemy import event, select

from backend.db import transactions
from backend.db.tables import Account
from backend.ledger.accounts import system_account


@contextlib.contextmanager
def statements(runtime) -> Iterator[list[str]]:
    """The SQL statements the write engine runs inside the block."""
    seen: list[str] = []

    def count(conn, cursor, statement, params, context, executemany) -> None:
        seen.append(statement)

    event.listen(runtime.db.write, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(runtime.db.write, "before_cursor_execute", count)


def accounts_named(runtime, account_id: str) -> int:
    return len(transactions.read(runtime.db, lambda s: s.execute(select(Account.id).where(Account.id == account_id)).all()))


def test_a_committed_system_account_is_named_without_another_insert(runtime, tenant):
    scope = tenant.sandbox
    created = transactions.write(runtime.db, lambda s: system_account(s, scope, "payouts", "GBP", runtime.now()))
    again = transactions.write(runtime.db, lambda s: system_account(s, scope, "payouts", "GBP", runtime.now()))  # finds the committed row
    with statements(runtime) as seen:
        known = transactions.write(runtime.db, lambda s: system_account(s, scope, "payouts", "GBP", runtime.now()))
    assert created == again == known
    assert not [s for s in seen if "INSERT INTO accounts" in s]
    assert accounts_named(runtime, created) == 1


def test_an_account_inserted_in_a_rolled_back_transaction_is_not_remembered(runtime, tenant):
    scope = tenant.sandbox

    def then_fail(session) -> None:
        system_account(session, scope, "payouts", "JPY", runtime.now())
        system_account(session, scope, "payouts", "JPY", runtime.now())  # its own insert, found again
        raise RuntimeError("the transaction fails after naming the account")

    try:
        transactions.write(runtime.db, then_fail)
    except RuntimeError:
        pass
    account_id = transactions.write(runtime.db, lambda s: system_account(s, scope, "payouts", "JPY", runtime.now()))
    assert accounts_named(runtime, account_id) == 1  # inserted again, for real this time
