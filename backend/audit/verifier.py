"""The background verifier: re-walks every chain from genesis and raises an alarm on a break.

It trusts nothing stored: each record's digest is recomputed from its columns, each link from
its predecessor, and the walk must end exactly at the sealed head, so an edited, deleted,
inserted or reordered row is found wherever it is. A break is reported once (an
`audit.chain_broken` event in both modes of the tenant, and the chain's status row), and cleared
if the chain verifies again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, select, update

from backend.audit.chain import GENESIS, Link, first_break, record_digest
from backend.audit.records import PLATFORM_CHAIN, body_of
from backend.audit.sealer import lock_head
from backend.db import transactions
from backend.db.engine import Database
from backend.db.tables import AuditChain, AuditRecord
from backend.events.outbox import PendingEvent, record
from backend.tenancy.scope import MODES, Scope

log = logging.getLogger("zentra.audit")

PAGE = 5000


@dataclass(frozen=True)
class Verdict:
    chain: str
    verified_seq: int
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def _link(row: Row) -> Link:
    return Link(seq=row.seq, record_digest=record_digest(body_of(row)), prev_hash=row.prev_hash or "", hash=row.hash or "")


def walk(db: Database, chain: str) -> Verdict:
    """Check `chain` from genesis up to its sealed head as it was when the walk began."""
    head_seq = transactions.read(db, lambda s: s.execute(select(AuditChain.seq).where(AuditChain.chain == chain)).scalar_one_or_none()) or 0
    last_seq, last_hash = 0, GENESIS
    while last_seq < head_seq:
        rows = transactions.read(db, lambda s, after=last_seq: _page(s, chain, after, head_seq))
        if not rows:
            return Verdict(chain, last_seq, last_seq + 1, f"record seq {last_seq + 1} is missing: the head is at seq {head_seq}")
        links = [_link(r) for r in rows]
        if links[0].seq != last_seq + 1:
            return Verdict(chain, last_seq, last_seq + 1, f"record seq {last_seq + 1} is missing")
        problem = first_break(links, start_hash=last_hash)
        if problem is not None:
            return Verdict(chain, problem.seq - 1, problem.seq, problem.reason)
        last_seq, last_hash = links[-1].seq, links[-1].hash
    return Verdict(chain, last_seq)


def _page(session, chain: str, after: int, head_seq: int) -> list[Row]:
    table = AuditRecord.__table__
    query = select(table).where(table.c.chain == chain, table.c.seq > after, table.c.seq <= head_seq).order_by(table.c.seq).limit(PAGE)
    return list(session.connection().execute(query).all())


def chains(db: Database) -> list[str]:
    return transactions.read(db, lambda s: list(s.execute(select(AuditChain.chain).order_by(AuditChain.chain)).scalars()))


def verify_all(db: Database, now: datetime) -> list[Verdict]:
    """Walk every chain and store each verdict; a new break raises `audit.chain_broken`."""
    verdicts = [walk(db, chain) for chain in chains(db)]
    for verdict in verdicts:
        transactions.write(db, lambda s, v=verdict: _store(s, v, now))
    return verdicts


def _store(session, verdict: Verdict, now: datetime) -> None:
    head = lock_head(session, verdict.chain)
    newly_broken = not verdict.ok and head.broken_seq != verdict.broken_seq
    values = {"verified_seq": verdict.verified_seq, "verified_at": now, "broken_seq": verdict.broken_seq, "broken_reason": verdict.reason}
    session.execute(update(AuditChain).where(AuditChain.chain == verdict.chain).values(**values))
    if newly_broken:
        _alarm(session, verdict, now)


def _alarm(session, verdict: Verdict, now: datetime) -> None:
    log.error("audit chain %s broken at seq %s: %s", verdict.chain, verdict.broken_seq, verdict.reason)
    if verdict.chain == PLATFORM_CHAIN:
        return
    data = {"chain": verdict.chain, "broken_seq": verdict.broken_seq, "verified_seq": verdict.verified_seq, "reason": verdict.reason}
    for mode in MODES:
        record(session, Scope(verdict.chain, mode), [PendingEvent("audit.chain_broken", verdict.chain, data, now)])
