"""The relay's reader: the oldest unpublished events in commit order, but those it is told to
leave out (acknowledged, not yet marked)."""

from __future__ import annotations

from sqlalchemy import select

from backend.db import transactions
from backend.db.tables import Event
from backend.events.relay import OutboxReader, mark_published


def tenant_seqs(runtime, tenant_id: str) -> list[int]:
    stmt = select(Event.seq).where(Event.tenant_id == tenant_id).order_by(Event.seq)
    return list(transactions.read(runtime.db, lambda s: s.execute(stmt).scalars()))


def test_it_reads_unpublished_events_oldest_first_leaving_out_the_given_ones(runtime, api, tenant):
    api.funded_account(1_000)
    seqs = tenant_seqs(runtime, tenant.tenant_id)
    assert len(seqs) >= 3
    mark_published(runtime.db, [seqs[0]], runtime.now())
    reader = OutboxReader(runtime.db)
    try:
        rows = [r for r in reader.fetch(1000) if r.tenant_id == tenant.tenant_id]
        assert [r.seq for r in rows] == seqs[1:]
        rows = [r for r in reader.fetch(1000, leave_out=[seqs[1]]) if r.tenant_id == tenant.tenant_id]
        assert [r.seq for r in rows] == seqs[2:]
        assert {r.id for r in rows} == set(transactions.read(runtime.db, lambda s: s.execute(select(Event.id).where(Event.seq.in_(seqs[2:]))).scalars()))
    finally:
        reader.close()
