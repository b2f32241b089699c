"""Webhook messages in the database: made from events, claimed for an attempt, settled after it.

The dispatcher owns the network and the timing; everything here is one transaction on the rows:

- `fan_out`: one message per (endpoint, event) whose filters match, idempotently (a unique key
  on the pair, so an event seen twice, or also recovered, makes one message).
- `claim`: a message is taken for an attempt by pushing its `next_attempt_at` a lease ahead, in
  one conditional UPDATE, so several dispatchers (workers) never attempt one message at once,
  and a dispatcher that dies mid-attempt leaves the message due again once the lease ends.
- `settle`: records each attempt with its message's new state, the endpoint's failure streak and
  the `webhook.*` event, in one transaction; 410 and five days of failures disable the endpoint.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.dialects import sqlite
from sqlmodel import Session

from backend.clock import to_iso
from backend.db.bulk import insert_rows
from backend.db.tables import WebhookAttempt, WebhookEndpoint, WebhookMessage
from backend.encoding import dumps
from backend.events.outbox import PendingEvent, record
from backend.ids import new_id
from backend.tenancy.scope import Scope
from backend.webhooks.endpoints import disable, event_types, signing_keys, subscribed
from backend.webhooks.schedule import next_delay
from backend.webhooks.settings import WebhookSettings

if TYPE_CHECKING:
    from backend.webhooks.delivery import Outcome

MESSAGES = WebhookMessage.__table__
ENDPOINTS = WebhookEndpoint.__table__


@dataclass(frozen=True)
class Job:
    """What one attempt needs, read when the message was claimed; the claim lasts until
    `lease_until`, after which another dispatcher may take the message."""

    message_id: str
    endpoint_id: str
    mode: str
    url: str
    keys: tuple[str, ...]
    rate_limit: int | None
    body: bytes
    lease_until: datetime


@dataclass
class Settled:
    """What the dispatcher must act on after a settle: endpoints it disabled (drop their queued
    jobs) and the delays of the retries it scheduled (wake up for them)."""

    disabled: set[str] = field(default_factory=set)
    retry_delays: list[float] = field(default_factory=list)


def payload(event_view: dict) -> bytes:
    """The body of every attempt of an event's messages: the event as `GET /v1/events` shows it."""
    return dumps(event_view)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def message_row(endpoint: WebhookEndpoint, event_view: dict, body: bytes, next_attempt_at: datetime, now: datetime) -> dict:
    return {
        "id": new_id("msg"),
        "tenant_id": endpoint.tenant_id,
        "mode": endpoint.mode,
        "endpoint_id": endpoint.id,
        "event_id": event_view["id"],
        "event_type": event_view["type"],
        "event_occurred_at": parse_time(event_view["occurred_at"]),
        "body": body.decode(),
        "status": "pending",
        "step": 0,
        "attempts": 0,
        "next_attempt_at": next_attempt_at,
        "last_attempt_at": None,
        "delivered_at": None,
        "created_at": now,
    }


# PostgreSQL types of the message columns, for statements that pass one array per column: the
# statement text stays the same whatever the row count (psycopg parses a statement's text on
# every call unless it has seen it, and thousands of placeholders made that the largest cost).
PG_TYPES = {
    "id": "text", "tenant_id": "text", "mode": "text", "endpoint_id": "text", "event_id": "text", "event_type": "text",
    "event_occurred_at": "timestamptz", "body": "text", "status": "text", "step": "int", "attempts": "int",
    "next_attempt_at": "timestamptz", "last_attempt_at": "timestamptz", "delivered_at": "timestamptz", "created_at": "timestamptz",
}  # fmt: skip


def _pg_arrays(session: Session, sql: str, columns: list[str], rows: list[tuple]) -> list[tuple]:
    """Run `sql`, whose `{arrays}` becomes `unnest(...)` of one array per column, on the
    session's connection; the rows it returns."""
    arrays = ", ".join(f"%b::{PG_TYPES[name]}[]" for name in columns)
    with session.connection().connection.dbapi_connection.cursor() as cursor:
        cursor.execute(sql.format(arrays=f"unnest({arrays})"), [list(values) for values in zip(*rows)])
        return cursor.fetchall() if cursor.description else []


def insert_new(session: Session, rows: list[dict]) -> set[str]:
    """Insert the messages whose (endpoint, event) has none yet; the ids actually inserted."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        columns = list(rows[0])
        sql = f"INSERT INTO webhook_messages ({', '.join(columns)}) SELECT * FROM {{arrays}} ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING id"
        return {row[0] for row in _pg_arrays(session, sql, columns, [tuple(r[c] for c in columns) for r in rows])}
    stmt = sqlite.insert(MESSAGES).on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"]).returning(MESSAGES.c.id)
    return set(session.execute(stmt, rows).scalars())


def fan_out(session: Session, views: list[dict], rooms: dict[str, int], default_room: int, now: datetime, lease_until: datetime) -> list[Job]:
    """Messages for `views` (event views of any tenants) to every enabled endpoint of their scope
    that subscribes to them and existed when they occurred. Those whose endpoint has room in this
    dispatcher (`rooms`, consumed here) are claimed at once and returned as jobs; the rest are
    left due for the due loop."""
    endpoints: dict[tuple[str, str], list[tuple[WebhookEndpoint, list[str]]]] = defaultdict(list)
    for endpoint in session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.tenant_id.in_({v["tenant"] for v in views}), WebhookEndpoint.status == "enabled")
    ).scalars():
        endpoints[(endpoint.tenant_id, endpoint.mode)].append((endpoint, event_types(endpoint)))
    rows, claimed, by_id = [], set(), {}
    for event_view in views:
        body = payload(event_view)
        occurred_at = parse_time(event_view["occurred_at"])
        for endpoint, filters in endpoints.get((event_view["tenant"], event_view["mode"]), []):
            if endpoint.created_at > occurred_at or not subscribed(filters, event_view["type"]):
                continue
            take = rooms.get(endpoint.id, default_room) > 0
            row = message_row(endpoint, event_view, body, lease_until if take else now, now)
            rows.append(row)
            if take:
                rooms[endpoint.id] = rooms.get(endpoint.id, default_room) - 1
                claimed.add(row["id"])
            by_id[endpoint.id] = endpoint
    inserted = insert_new(session, rows)
    taken = [row for row in rows if row["id"] in claimed and row["id"] in inserted]
    if not taken:  # the usual case for most events: no endpoint wants them
        return []
    keys = signing_keys(session, {row["endpoint_id"] for row in taken}, now)
    return [_job(row["id"], by_id[row["endpoint_id"]], keys, row["body"], lease_until) for row in taken]


def _job(message_id: str, endpoint: WebhookEndpoint, keys: dict[str, tuple[str, ...]], body: str, lease_until: datetime) -> Job:
    return Job(message_id, endpoint.id, endpoint.mode, endpoint.url, keys.get(endpoint.id, ()), endpoint.rate_limit, body.encode(), lease_until)


def due(session: Session, now: datetime, rooms: dict[str, int], default_room: int) -> list[tuple[str, str]]:
    """(message id, endpoint id) of messages due by `now`, oldest first per enabled endpoint and
    at most its lane's room (`rooms`, else `default_room`): each endpoint is one index range, so
    one endpoint's backlog never crowds out the others and a round costs what it claims."""
    pending = (MESSAGES.c.endpoint_id == ENDPOINTS.c.id, MESSAGES.c.status == "pending", MESSAGES.c.next_attempt_at <= now)
    endpoint_ids = session.execute(select(ENDPOINTS.c.id).where(ENDPOINTS.c.status == "enabled", exists().where(*pending))).scalars().all()
    picked: list[tuple[str, str]] = []
    for endpoint_id in endpoint_ids:
        room = rooms.get(endpoint_id, default_room)
        if room > 0:
            query = select(MESSAGES.c.id).where(MESSAGES.c.endpoint_id == endpoint_id, *pending[1:]).order_by(MESSAGES.c.next_attempt_at).limit(room)
            picked += [(message_id, endpoint_id) for message_id in session.execute(query).scalars()]
    return picked


def claim(session: Session, message_ids: list[str], now: datetime, lease_until: datetime) -> list[Job]:
    """Take the messages that are still due (another dispatcher may have taken some) until
    `lease_until`, and the jobs to attempt them."""
    if not message_ids:
        return []
    taken = session.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id.in_(message_ids), MESSAGES.c.status == "pending", MESSAGES.c.next_attempt_at <= now)
        .values(next_attempt_at=lease_until)
        .returning(MESSAGES.c.id)
    ).scalars().all()
    if not taken:
        return []
    rows = session.execute(
        select(WebhookMessage.id, WebhookMessage.body, WebhookEndpoint).join(WebhookEndpoint, WebhookEndpoint.id == WebhookMessage.endpoint_id).where(WebhookMessage.id.in_(taken))
    ).all()
    keys = signing_keys(session, {endpoint.id for _, _, endpoint in rows}, now)
    return [_job(message_id, endpoint, keys, body, lease_until) for message_id, body, endpoint in rows]


@dataclass
class _Message:
    """The columns of a message that settling reads and moves."""

    id: str
    tenant_id: str
    mode: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: str
    step: int
    attempts: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None


@dataclass
class _Endpoint:
    id: str
    status: str
    failing_since: datetime | None
    disabled_reason: str | None = None
    changed: bool = False


def settle(session: Session, outcomes: list[tuple[Job, Outcome]], settings: WebhookSettings, now: datetime) -> Settled:
    """Record `outcomes` (attempts, message states, endpoint streaks, `webhook.*` events) with
    Core statements: this runs for every delivery, so it reads and writes plain rows."""
    messages = {
        row.id: _Message(**row._mapping)
        for row in session.execute(
            select(*(MESSAGES.c[name] for name in ("id", "tenant_id", "mode", "endpoint_id", "event_id", "event_type", "status", "step", "attempts", "next_attempt_at")))
            .where(MESSAGES.c.id.in_([job.message_id for job, _ in outcomes]))
            .with_for_update()
        )
    }
    endpoints = {
        row.id: _Endpoint(row.id, row.status, row.failing_since)
        for row in session.execute(
            select(ENDPOINTS.c.id, ENDPOINTS.c.status, ENDPOINTS.c.failing_since).where(ENDPOINTS.c.id.in_({m.endpoint_id for m in messages.values()})).with_for_update()
        )
    }
    settled, attempts, events = Settled(), [], defaultdict(list)
    for job, outcome in outcomes:
        message = messages.get(job.message_id)
        if message is None:
            continue
        event_type = _apply(message, endpoints[message.endpoint_id], outcome, settings, now, settled)
        attempts.append(_attempt_row(message, outcome))
        events[(message.tenant_id, message.mode)].append(_event(event_type, message, outcome, now))
    _write(session, list(messages.values()), [e for e in endpoints.values() if e.changed])
    for endpoint_id in settled.disabled:
        disable(session, endpoint_id, endpoints[endpoint_id].disabled_reason, now)
    insert_rows(session.connection(), WebhookAttempt.__table__, attempts)
    for (tenant_id, mode), scoped in events.items():
        record(session, Scope(tenant_id, mode), scoped)
    return settled


MOVED = ("status", "step", "attempts", "next_attempt_at", "last_attempt_at", "delivered_at")


def _write(session: Session, messages: list[_Message], endpoints: list[_Endpoint]) -> None:
    """Store the messages' new state: one `UPDATE … FROM unnest(…)` on PostgreSQL (psycopg's
    executemany is a statement per row), `executemany` on SQLite (in process, already cheap)."""
    rows = [(m.id, *(getattr(m, name) for name in MOVED)) for m in messages]
    if session.get_bind().dialect.name == "postgresql":
        assignments = ", ".join(f"{name} = v.{name}" for name in MOVED)
        sql = f"UPDATE webhook_messages SET {assignments} FROM {{arrays}} AS v(id, {', '.join(MOVED)}) WHERE webhook_messages.id = v.id"
        _pg_arrays(session, sql, ["id", *MOVED], rows)
    else:
        statement = update(MESSAGES).where(MESSAGES.c.id == bindparam("b_id")).values({name: bindparam(f"b_{name}") for name in MOVED})
        session.execute(statement, [{"b_id": row[0], **{f"b_{name}": value for name, value in zip(MOVED, row[1:])}} for row in rows])
    for endpoint in endpoints:
        session.execute(update(ENDPOINTS).where(ENDPOINTS.c.id == endpoint.id).values(failing_since=endpoint.failing_since))


def _apply(message: _Message, endpoint: _Endpoint, outcome: Outcome, settings: WebhookSettings, now: datetime, settled: Settled) -> str:
    """Move one message (and its endpoint's streak) past one attempt; the event type to emit."""
    message.attempts += 1
    message.step += 1
    message.last_attempt_at = outcome.attempted_at
    if outcome.succeeded:
        message.status, message.delivered_at, message.next_attempt_at = "delivered", outcome.attempted_at, None
        endpoint.failing_since, endpoint.changed = None, endpoint.changed or endpoint.failing_since is not None
        return "webhook.delivered"
    if endpoint.failing_since is None:
        endpoint.failing_since, endpoint.changed = outcome.attempted_at, True
    reason = _disable_reason(endpoint, outcome, settings)
    if reason and endpoint.status == "enabled":
        endpoint.status, endpoint.disabled_reason = "disabled", reason
        settled.disabled.add(endpoint.id)
    delay = None
    if endpoint.status == "enabled" and message.status == "pending":
        delay = next_delay(settings.schedule_for(message.mode), message.step, outcome.retry_after, settings.jitter)
    if delay is None:
        message.status, message.next_attempt_at = "failed" if message.status == "pending" else message.status, None
        return "webhook.failed"
    message.next_attempt_at = now + timedelta(seconds=delay)
    settled.retry_delays.append(delay)
    return "webhook.retrying"


def _disable_reason(endpoint: _Endpoint, outcome: Outcome, settings: WebhookSettings) -> str | None:
    if outcome.response_code == 410:
        return "the endpoint answered 410 Gone"
    streak = outcome.attempted_at - endpoint.failing_since
    if streak.total_seconds() >= settings.disable_after_seconds:
        return f"no successful delivery since {to_iso(endpoint.failing_since)}"
    return None


def _attempt_row(message: _Message, outcome: Outcome) -> dict:
    return {
        "id": new_id("watt"),
        "tenant_id": message.tenant_id,
        "mode": message.mode,
        "endpoint_id": message.endpoint_id,
        "message_id": message.id,
        "attempt": message.attempts,
        "attempted_at": outcome.attempted_at,
        "status": "succeeded" if outcome.succeeded else "failed",
        "duration_ms": outcome.duration_ms,
        "response_code": outcome.response_code,
        "error_kind": outcome.error_kind,
        "error": outcome.error,
        "response_excerpt": outcome.excerpt,
        "next_attempt_at": message.next_attempt_at if message.status == "pending" else None,
    }


def _event(event_type: str, message: _Message, outcome: Outcome, now: datetime) -> PendingEvent:
    data = {
        "message_id": message.id,
        "endpoint_id": message.endpoint_id,
        "event_id": message.event_id,
        "event_type": message.event_type,
        "attempt": message.attempts,
        "response_code": outcome.response_code,
        "error_kind": outcome.error_kind,
        "duration_ms": outcome.duration_ms,
        "next_attempt_at": to_iso(message.next_attempt_at) if message.status == "pending" else None,
    }
    return PendingEvent(event_type, message.id, data, now, message.event_id)
