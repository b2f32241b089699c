"""The evidence worker: a `synchronized` intent becomes `evidenced` once its story is closed.

Closed means every audit record about the intent is sealed into the tenant's chain, every event
about it is on the stream (when a stream is configured) and every webhook message already made
from those events has had its first attempt, so the packet never closes on a delivery whose
outcome nobody knows yet; then its packet is final and verifiable.
If a webhook carrying one of its events has failed an attempt and is not delivered, the intent is
`retrying` instead, and is looked at again until delivery (a retry, a resend or a recovery)
catches up, then `evidenced`: delivery trouble is visible on the intent without a second ledger
effect.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.db import transactions
from backend.db.tables import AuditRecord, Event, Intent, WebhookMessage
from backend.intents import lifecycle
from backend.intents.lifecycle import Trace
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

log = logging.getLogger("zentra.evidencer")

NOT_YET = timedelta(milliseconds=500)
RETRY_CHECK = timedelta(seconds=5)
BATCH = 500
INTERVAL_SECONDS = 0.25
ROUTE = "worker:evidence"


def _unsealed(session: Session, intent: Intent) -> int:
    where = (AuditRecord.chain == intent.tenant_id, AuditRecord.object_id == intent.intent_id, AuditRecord.seq.is_(None))
    return session.execute(select(func.count()).select_from(AuditRecord).where(*where)).scalar_one()


def _events(intent: Intent):
    return select(Event.id).where(Event.tenant_id == intent.tenant_id, Event.mode == intent.mode, Event.object_id == intent.intent_id)


def _unpublished(session: Session, intent: Intent) -> int:
    where = (Event.tenant_id == intent.tenant_id, Event.mode == intent.mode, Event.object_id == intent.intent_id, Event.published_at.is_(None))
    return session.execute(select(func.count()).select_from(Event).where(*where)).scalar_one()


def _unattempted(session: Session, intent: Intent) -> int:
    """Webhook messages about the intent still waiting for their first attempt."""
    where = (WebhookMessage.event_id.in_(_events(intent)), WebhookMessage.status == "pending", WebhookMessage.attempts == 0)
    return session.execute(select(func.count()).select_from(WebhookMessage).where(*where)).scalar_one()


def deliveries_behind(session: Session, intent: Intent) -> int:
    """Webhook messages about the intent that failed an attempt and are not yet delivered."""
    where = (WebhookMessage.event_id.in_(_events(intent)), WebhookMessage.status != "delivered", WebhookMessage.attempts > 0)
    return session.execute(select(func.count()).select_from(WebhookMessage).where(*where)).scalar_one()


def check(session: Session, intent: Intent, now: datetime, stream: bool) -> str:
    """Move one intent on if its evidence is closed; answers its state."""
    if _unsealed(session, intent) or (stream and _unpublished(session, intent)) or _unattempted(session, intent):
        intent.next_action_at = now + NOT_YET
        return intent.status
    trace = Trace(Scope(intent.tenant_id, intent.mode, actor="system:evidence", role="system"), now, None, ROUTE)
    behind = deliveries_behind(session, intent)
    if behind:
        intent.next_action_at = now + RETRY_CHECK
        if intent.status == "synchronized":
            lifecycle.move(session, trace, intent, "retrying", reason=f"{behind} webhook deliveries behind")
        return intent.status
    intent.next_action_at = None
    lifecycle.move(session, trace, intent, "evidenced", reason="audit records sealed, events synchronized")
    return intent.status


def evidence_due(session: Session, now: datetime, stream: bool, limit: int = BATCH) -> int:
    """Check up to `limit` intents whose evidence check is due; answers how many were checked."""
    query = select(Intent).where(Intent.status.in_(("synchronized", "retrying")), Intent.next_action_at <= now).order_by(Intent.next_action_at).limit(limit).with_for_update(skip_locked=True)
    intents = list(session.execute(query).scalars())
    for intent in intents:
        check(session, intent, now, stream)
    return len(intents)


async def run_forever(runtime: Runtime) -> None:
    stream = runtime.settings.nats_url is not None
    while True:
        try:
            await run_in_threadpool(transactions.write, runtime.db, lambda s: evidence_due(s, runtime.now(), stream))
        except Exception:  # noqa: BLE001 - upkeep must survive a bad pass
            log.exception("evidence pass failed")
        await asyncio.sleep(INTERVAL_SECONDS)
