"""The matches screening found on intents, as reviewers, compliance and evidence packets read them.

A result is one list entry an intent's counterparty matched, with the score and method, and
compliance's decision on it: `pending` until someone decides, then `cleared` (not the listed
party) or `confirmed` (it is; the intent is rejected), or `closed` when the intent ended another
way first (refused by policy, rejected in review). While any result of an intent is `pending`,
its review cannot be approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import func, select
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.tables import Intent, ScreeningEntry, ScreeningList, ScreeningResult
from backend.errors import ZentraError
from backend.ids import new_id
from backend.pagination import page
from backend.screening.matching import Match
from backend.tenancy.scope import Scope

DECISIONS = ("pending", "cleared", "confirmed", "closed")


@dataclass(frozen=True)
class Found:
    """A match to record: which list version, which name was screened, and what it matched."""

    list_id: str
    screened_name: str
    match: Match


def record(session: Session, intent: Intent, found: list[Found], now: datetime) -> list[ScreeningResult]:
    """Insert `found` as `pending` results of `intent`."""
    rows = [
        ScreeningResult(
            id=new_id("scr"),
            tenant_id=intent.tenant_id,
            mode=intent.mode,
            intent_row_id=intent.id,
            intent_id=intent.intent_id,
            list_id=f.list_id,
            entry_id=f.match.entry_id,
            screened_name=f.screened_name[:200],
            matched_name=f.match.matched_name,
            score=f.match.score,
            method=f.match.method,
            created_at=now,
        )
        for f in found
    ]
    session.add_all(rows)
    session.flush()
    return rows


def of_intent(session: Session, intent_row_id: str) -> list[ScreeningResult]:
    """The intent's results as found, the best score first."""
    query = select(ScreeningResult).where(ScreeningResult.intent_row_id == intent_row_id).order_by(ScreeningResult.created_at, ScreeningResult.score.desc(), ScreeningResult.id)
    return list(session.execute(query).scalars())


def undecided(session: Session, intent_row_id: str) -> int:
    """How many of the intent's results still wait for compliance."""
    where = (ScreeningResult.intent_row_id == intent_row_id, ScreeningResult.decision == "pending")
    return session.execute(select(func.count()).select_from(ScreeningResult).where(*where)).scalar_one()


def close_open(session: Session, intent: Intent, now: datetime) -> None:
    """The intent ended before compliance decided: its pending results can no longer be decided."""
    where = (ScreeningResult.intent_row_id == intent.id, ScreeningResult.decision == "pending")
    for row in session.execute(select(ScreeningResult).where(*where)).scalars():
        row.decision, row.decided_at = "closed", now


def views(session: Session, rows: list[ScreeningResult]) -> list[dict]:
    """`rows` rendered with their list version and entry (one query for all of them)."""
    if not rows:
        return []
    entry_ids = {r.entry_id for r in rows}
    joined = session.execute(select(ScreeningEntry, ScreeningList).join(ScreeningList, ScreeningList.id == ScreeningEntry.list_id).where(ScreeningEntry.id.in_(entry_ids)))
    found = {entry.id: (entry, listed) for entry, listed in joined}
    return [view(r, *found[r.entry_id]) for r in rows]


def view(row: ScreeningResult, entry: ScreeningEntry, listed: ScreeningList) -> dict:
    return {
        "id": row.id,
        "object": "screening_result",
        "intent_id": row.intent_id,
        "list": {"id": listed.id, "name": listed.name, "version": listed.version},
        "entry": {
            "id": entry.id,
            "name": entry.name,
            "aliases": [a["name"] for a in orjson.loads(entry.aliases_json)],
            "country": entry.country,
            "reference": entry.reference,
        },
        "screened_name": row.screened_name,
        "matched_name": row.matched_name,
        "score": row.score,
        "method": row.method,
        "decision": row.decision,
        "decided_by": row.decided_by,
        "decided_at": to_iso(row.decided_at),
        "note": row.note,
        "created_at": to_iso(row.created_at),
    }


def intent_views(session: Session, intent_row_id: str) -> list[dict]:
    return views(session, of_intent(session, intent_row_id))


def find(session: Session, scope: Scope, result_id: str) -> ScreeningResult:
    """The result in `scope`, or `not_found` (carrying the id for the denial record)."""
    row = session.get(ScreeningResult, result_id)
    if row is None or (row.tenant_id, row.mode) != (scope.tenant_id, scope.mode):
        raise ZentraError("not_found", f"no screening result {result_id!r}", object_id=result_id)
    return row


def get_result(session: Session, scope: Scope, result_id: str) -> dict:
    return views(session, [find(session, scope, result_id)])[0]


def list_results(session: Session, scope: Scope, *, intent_id: str | None = None, decision: str | None = None, limit: int = 25, offset: int = 0) -> dict:
    """Results newest first, for one intent (`not_found` if `scope` has no such intent) and/or
    one decision (`pending`: compliance's work)."""
    where = [ScreeningResult.tenant_id == scope.tenant_id, ScreeningResult.mode == scope.mode]
    if intent_id is not None:
        known = select(Intent.id).where(Intent.tenant_id == scope.tenant_id, Intent.mode == scope.mode, Intent.intent_id == intent_id)
        row_id = session.execute(known).scalar_one_or_none()
        if row_id is None:
            raise ZentraError("not_found", f"no intent {intent_id!r}", object_id=intent_id)
        where.append(ScreeningResult.intent_row_id == row_id)
    if decision is not None:
        if decision not in DECISIONS:
            raise ZentraError("validation_error", f"decision must be one of {', '.join(DECISIONS)}", "decision")
        where.append(ScreeningResult.decision == decision)
    total = session.execute(select(func.count()).select_from(ScreeningResult).where(*where)).scalar_one()
    rows = session.execute(select(ScreeningResult).where(*where).order_by(ScreeningResult.created_at.desc(), ScreeningResult.score.desc(), ScreeningResult.id).limit(limit).offset(offset)).scalars().all()
    return page(views(session, list(rows)), total, limit, offset)
