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
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.db import transactions
from backend.db.tables import AuditRecord, Event, Intent, WebhookMessage
from backend.intents import lifecycle, views
from backend.intents.lifecycle import Trace
from backend.runtime import Runtime
from backend.tenancy.scope import Scope

log = logging.getLogger("zentra.evidencer")

NOT_YET = timedelta(milliseconds=500)
RETRY_CHECK = timedelta(seconds=5)
BATCH = 500
INTERVAL_SECONDS = 0.25
ROUTE = "worker:evidence"


@dataclass(frozen=True)
class Story:
    """What still keeps an intent's evidence open, counted in one statement."""

    unsealed: int  # audit records about it not yet in the tenant's chain
    unpublished: int  # events about it not yet on the stream
    unattempted: int  # webhook messages from its events still waiting for their first attempt
    behind: int  # webhook messages from its events that failed an attempt and are not delivered

    def open(self, stream: bool) -> bool:
        return bool(self.unsealed or (stream and self.unpublished) or self.unattempted)


def _count(table, *where):
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


def story(session: Session, intent: Intent) -> Story:
    messages = WebhookMessage.event_id.in_(select(Event.id).where(*views.events_about(intent)))
    return Story(*session.execute(select(
        _count(AuditRecord, *views.unsealed_records(intent)),
        _count(Event, *views.unpublished_events(intent)),
        _count(WebhookMessage, messages, WebhookMessage.status == "pending", WebhookMessage.attempts == 0),
        _count(WebhookMessage, messages, WebhookMessage.status != "delivered", WebhookMessage.attempts > 0),
    )).one())


def check(session: Session, intent: Intent, now: datetime, stream: bool) -> str:
    """Move one intent on if its evidence is closed; answers its state."""
    found = story(session, intent)
    if found.open(stream):
        intent.next_action_at = now + NOT_YET
        return intent.status
    trace = Trace(Scope(intent.tenant_id, intent.mode, actor="system:evidence", role="system"), now, None, ROUTE)
    if found.behind:
        intent.next_action_at = now + RETRY_CHECK
        if intent.status == "synchronized":
            lifecycle.move(session, trace, intent, "retrying", reason=f"{found.behind} webhook deliveries behind")
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
