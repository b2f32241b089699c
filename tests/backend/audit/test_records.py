"""Audit records are written with the transaction they record, at its tail: in one statement,
after the transaction's other writes, and dropped with a savepoint that rolls back."""

from __future__ import annotations

from sqlalchemy import event, select

from backend.audit import records
from backend.db import transactions
from backend.db.tables import AuditRecord
from backend.tenancy.scope import Scope


def _entry(runtime, scope: Scope, object_id: str) -> records.AuditEntry:
    return records.for_scope(scope, "account.create", object_id, "POST /v1/accounts", runtime.now(), f"req_{object_id}")


def _stored(runtime, tenant_id: str, *object_ids: str) -> list[str]:
    query = select(AuditRecord.object_id).where(AuditRecord.chain == tenant_id, AuditRecord.object_id.in_(object_ids)).order_by(AuditRecord.id)
    return list(transactions.read(runtime.db, lambda s: s.execute(query).scalars().all()))


def test_a_transactions_records_are_inserted_at_commit_in_one_statement_in_order(runtime, tenant):
    scope = tenant.sandbox
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany) -> None:
        statements.append(statement)

    def unit(session) -> set[tuple[str, str]]:
        records.append(session, [_entry(runtime, scope, "acct_tail_a")])
        records.append(session, [_entry(runtime, scope, "acct_tail_b"), _entry(runtime, scope, "acct_tail_c")])
        assert session.execute(select(AuditRecord.id).where(AuditRecord.object_id == "acct_tail_a")).first() is None  # not yet in the table
        return records.unwritten(session)

    event.listen(runtime.db.write, "before_cursor_execute", count)
    try:
        unwritten = transactions.write(runtime.db, unit)
    finally:
        event.remove(runtime.db.write, "before_cursor_execute", count)
    assert unwritten == {(tenant.tenant_id, "acct_tail_a"), (tenant.tenant_id, "acct_tail_b"), (tenant.tenant_id, "acct_tail_c")}
    assert _stored(runtime, tenant.tenant_id, "acct_tail_a", "acct_tail_b", "acct_tail_c") == ["acct_tail_a", "acct_tail_b", "acct_tail_c"]
    inserts = [s for s in statements if s.startswith("INSERT INTO audit_records")]
    assert len(inserts) == (0 if runtime.db.write.dialect.name == "postgresql" else 1)  # PostgreSQL's COPY runs outside this hook


def test_records_appended_in_a_rolled_back_savepoint_are_dropped_with_it(runtime, tenant):
    scope = tenant.sandbox

    def unit(session) -> None:
        records.append(session, [_entry(runtime, scope, "acct_kept")])
        savepoint = session.begin_nested()
        records.append(session, [_entry(runtime, scope, "acct_refused")])
        savepoint.rollback()

    transactions.write(runtime.db, unit)
    assert _stored(runtime, tenant.tenant_id, "acct_kept", "acct_refused") == ["acct_kept"]


def test_records_of_a_transaction_that_fails_are_never_written(runtime, tenant):
    scope = tenant.sandbox

    def unit(session) -> None:
        records.append(session, [_entry(runtime, scope, "acct_never")])
        raise RuntimeError("the mutation fails after its record was appended")

    try:
        transactions.write(runtime.db, unit)
    except RuntimeError:
        pass
    assert _stored(runtime, tenant.tenant_id, "acct_never") == []
