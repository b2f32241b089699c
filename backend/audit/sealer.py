"""Sealing: linking committed audit records into their chain, in order, after commit.

Records are written unsealed by the transactions they describe, so no request waits on a
per-tenant chain lock. The sealer takes a chain's head row `FOR UPDATE` (only sealers contend
for it), gives the chain's unsealed records the next sequence numbers in insertion order, and
stores each record's `prev_hash` and `hash`. Once sealed, a record's place never changes; a
record committed late (on PostgreSQL ids are handed out before commit) is simply sealed in a
later batch.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.audit.chain import GENESIS, link_hash
from backend.db import transactions
from backend.db.bulk import update_by_id
from backend.db.engine import Database
from backend.db.tables import AuditChain, AuditRecord

BATCH = 2000
LINK_COLUMNS = {"seq": "bigint", "prev_hash": "text", "hash": "text"}


def pending_chains(db: Database) -> list[str]:
    """Chains with records waiting to be sealed."""
    query = select(AuditRecord.chain).where(AuditRecord.seq.is_(None)).distinct()
    return transactions.read(db, lambda s: list(s.execute(query).scalars()))


def seal(db: Database, chain: str | None = None) -> int:
    """Seal everything committed so far (in `chain`, or in every chain); returns how many."""
    total = 0
    for name in [chain] if chain else pending_chains(db):
        while sealed := transactions.write(db, lambda s, name=name: _seal_batch(s, name)):
            total += sealed
    return total


def lock_head(session: Session, chain: str) -> AuditChain:
    """The chain's head row, locked for this transaction (created at genesis on first use)."""
    query = select(AuditChain).where(AuditChain.chain == chain).with_for_update()
    head = session.execute(query).scalar_one_or_none()
    if head is not None:
        return head
    try:
        with session.begin_nested():
            session.add(AuditChain(chain=chain, seq=0, hash=GENESIS, verified_seq=0))
    except IntegrityError:
        pass  # another sealer created it first: lock theirs
    return session.execute(query).scalar_one()


def _seal_batch(session: Session, chain: str) -> int:
    head = lock_head(session, chain)
    table = AuditRecord.__table__
    query = select(table.c.id, table.c.record_digest).where(table.c.chain == chain, table.c.seq.is_(None)).order_by(table.c.id).limit(BATCH)
    rows = session.connection().execute(query).all()
    if not rows:
        return 0
    seq, prev = head.seq, head.hash
    updates = []
    for row in rows:
        seq += 1
        current = link_hash(seq, prev, row.record_digest)
        updates.append((row.id, seq, prev, current))
        prev = current
    update_by_id(session.connection(), AuditRecord.__table__, LINK_COLUMNS, updates)
    session.execute(update(AuditChain).where(AuditChain.chain == chain).values(seq=seq, hash=prev))
    return len(rows)
