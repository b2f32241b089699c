"""The JetStream stream every event is published to, in one place for the relay, the webhook
consumers and the operations room.

Subjects are the contract's `zentra.<tenant>.<mode>.<type>`; `Nats-Msg-Id` is the event id, and
the duplicate window is long enough to cover a relay restart that re-publishes its unacknowledged
tail, so the stream holds each event once. Limits retention keeps events for replay and recovery
(webhook `recover`, a consumer that was down) for a week.
"""

from __future__ import annotations

from datetime import timedelta

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

STREAM = "ZENTRA_EVENTS"
SUBJECTS = ["zentra.>"]
DUPLICATE_WINDOW = timedelta(minutes=10)
MAX_AGE = timedelta(days=7)


def subject(tenant_id: str, mode: str, event_type: str) -> str:
    """The contract's subject for one event."""
    return f"zentra.{tenant_id}.{mode}.{event_type}"


def scope_subjects(tenant_id: str, mode: str) -> str:
    """Every event of one tenant and mode (a consumer's filter)."""
    return f"zentra.{tenant_id}.{mode}.>"


def config() -> StreamConfig:
    """File storage, limits retention: an event leaves the stream after MAX_AGE (the database's
    outbox keeps every event for good)."""
    return StreamConfig(
        name=STREAM,
        subjects=SUBJECTS,
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=MAX_AGE.total_seconds(),
        duplicate_window=DUPLICATE_WINDOW.total_seconds(),
    )


async def ensure_stream(js) -> None:
    """Create the stream, or bring an existing one to this configuration (idempotent). Only
    "not found" means create: a timeout (NATS down) must surface, not be answered with an add."""
    try:
        await js.stream_info(STREAM)
    except NotFoundError:
        await js.add_stream(config())
        return
    await js.update_stream(config())
