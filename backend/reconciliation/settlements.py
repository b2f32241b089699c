"""The ledger's side of reconciliation: one expected settlement per intent a provider settled.

It is written by the settlement callback itself, in its transaction (one small insert, so the
expectation exists exactly when the money moved, with no cursor that a late commit could slip
behind); matching it happens later, off the callback's path (`continuous`, or an import).
`reference` is what the provider knows the intent by: the internal intent id the router sent it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select, text, update
from sqlmodel import Session

from backend.db.tables import Intent, ReconciliationMatch, ReconciliationSettlement
from backend.ids import new_id
from backend.reconciliation.matching import Expected
from backend.tenancy.scope import Scope

CHUNK = 500  # ids per IN list: far below every database's bind-parameter limit
S = ReconciliationSettlement


def expect(session: Session, intent: Intent, provider_id: str, posting_id: str, amount_minor: int, now: datetime) -> None:
    """Record that `provider_id` settled `amount_minor` of `intent` (its settlement posting is
    `posting_id`), dated `now`'s UTC day."""
    session.add(S(
        id=new_id("rcs"),
        tenant_id=intent.tenant_id,
        mode=intent.mode,
        provider_id=provider_id,
        reference=intent.id,
        intent_id=intent.intent_id,
        posting_id=posting_id,
        amount_minor=amount_minor,
        currency=intent.currency,
        counterparty=intent.counterparty,
        settled_at=now,
        value_date=now.date(),
        status="new",
        recorded_at=now,
    ))


def lock_provider(session: Session, scope: Scope, provider_id: str) -> None:
    """Serialise reconciliation of one provider (an import, the continuous matcher, a manual
    link) without locking the provider's row, which routing updates. SQLite has one writer."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"zentra.reconciliation|{scope.tenant_id}|{scope.mode}|{provider_id}".encode()).digest()
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)})


def _expected(row) -> Expected:
    return Expected(row.id, row.reference, row.intent_id, row.amount_minor, row.currency, row.value_date, row.counterparty, row.status == "matched")


COLUMNS = (S.id, S.reference, S.intent_id, S.amount_minor, S.currency, S.value_date, S.counterparty, S.status)


def candidates(session: Session, scope: Scope, provider_id: str, start: date, end: date, references: Iterable[str]) -> list[Expected]:
    """Every settlement of the provider dated from `start` to `end`, plus those the report names
    by reference (an internal or a public intent id) outside those dates."""
    scoped = (S.tenant_id == scope.tenant_id, S.mode == scope.mode, S.provider_id == provider_id)
    rows = session.connection().execute(select(*COLUMNS).where(*scoped, S.value_date >= start, S.value_date <= end)).all()
    found = {row.id: _expected(row) for row in rows}
    known = {e.reference for e in found.values()} | {e.intent_id for e in found.values()}
    missing = sorted(set(references) - known)
    for chunk in _chunks(missing):
        internal = session.execute(select(Intent.id).where(Intent.tenant_id == scope.tenant_id, Intent.mode == scope.mode, Intent.intent_id.in_(chunk))).scalars().all()
        for row in session.execute(select(*COLUMNS).where(*scoped, S.reference.in_([*chunk, *internal]))).all():
            found.setdefault(row.id, _expected(row))
    return list(found.values())


def mark_matched(session: Session, settlement_ids: list[str], run_id: str) -> None:
    for chunk in _chunks(settlement_ids):
        session.execute(update(S).where(S.id.in_(chunk)).values(status="matched", matched_run_id=run_id))


def mark_run_matched(session: Session, run_id: str) -> None:
    """Every settlement the run's matches name is matched: one statement, whatever the run's size."""
    matched = select(ReconciliationMatch.settlement_id).where(ReconciliationMatch.run_id == run_id)
    session.connection().execute(update(S.__table__).where(S.__table__.c.id.in_(matched)).values(status="matched", matched_run_id=run_id))


def widen(start: date, end: date, tolerance_days: int) -> tuple[date, date]:
    return start - timedelta(days=tolerance_days), end + timedelta(days=tolerance_days)


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]
