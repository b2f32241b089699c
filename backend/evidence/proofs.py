"""The audit part of a packet: the subject's sealed records and the chain links that join them.

Links run over every seq from the subject's first record to its last, so a verifier can recompute
the chain across them; records of other objects (the tenant's other mode included) appear only as
their body digests, never their contents. The cost is that a packet grows with the span of the
chain between the subject's first and last records.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from backend.audit.chain import GENESIS, record_digest
from backend.audit.records import body_of, render
from backend.db.tables import AuditChain, AuditRecord
from backend.tenancy.scope import Scope


def audit_proof(session: Session, scope: Scope, object_id: str) -> dict:
    """The sealed records of `object_id` in `scope`, in seq order, with the links that join them."""
    chain = scope.tenant_id
    mine = (AuditRecord.chain == chain, AuditRecord.object_id == object_id, AuditRecord.mode == scope.mode, AuditRecord.seq.is_not(None))
    first, last = session.execute(select(func.min(AuditRecord.seq), func.max(AuditRecord.seq)).where(*mine)).one()
    rows = [] if first is None else session.execute(
        select(AuditRecord).where(AuditRecord.chain == chain, AuditRecord.seq.between(first, last)).order_by(AuditRecord.seq)
    ).scalars().all()
    records = [render(r) for r in rows if r.object_id == object_id and r.mode == scope.mode]
    return {
        "chain": chain,
        "record_seqs": [r["seq"] for r in records],
        "records": records,
        "links": [link(r) for r in rows],
    }


def link(row: AuditRecord) -> dict:
    """One link of the chain: a record's seq, body digest and hashes, without its body."""
    return {"seq": row.seq, "record_digest": record_digest(body_of(row)), "prev_hash": row.prev_hash, "hash": row.hash}


def chain_head(session: Session, chain: str) -> dict:
    """The chain's sealed head as this transaction sees it (genesis when nothing is sealed yet)."""
    head = session.get(AuditChain, chain)
    return {"seq": head.seq, "hash": head.hash} if head is not None else {"seq": 0, "hash": GENESIS}
