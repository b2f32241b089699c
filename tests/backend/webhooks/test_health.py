"""The webhooks room's per-row health: each endpoint's backlog (messages waiting for an attempt)
and one-word state, read for a whole page at once, agreeing with the one-endpoint `health`."""

from __future__ import annotations

from datetime import timedelta

from backend.db import transactions
from backend.db.tables import WebhookAttempt, WebhookEndpoint, WebhookMessage
from backend.ids import new_id
from backend.webhooks.endpoints import create_endpoint
from backend.webhooks.health import health, summaries


def _endpoint(runtime, scope) -> str:
    body = {"url": "http://127.0.0.1:9/hooks", "event_types": ["intent.*"]}
    return transactions.write(runtime.db, lambda s: create_endpoint(s, scope, body, runtime.now()))["id"]


def _message(session, scope, endpoint_id: str, status: str, now) -> str:
    message = WebhookMessage(id=new_id("msg"), tenant_id=scope.tenant_id, mode=scope.mode, endpoint_id=endpoint_id, event_id=new_id("evt"), event_type="intent.accepted", event_occurred_at=now, body="{}", status=status, created_at=now)
    session.add(message)
    session.flush()
    return message.id


def _attempt(session, scope, endpoint_id: str, message_id: str, status: str, at) -> None:
    session.add(WebhookAttempt(id=new_id("att"), tenant_id=scope.tenant_id, mode=scope.mode, endpoint_id=endpoint_id, message_id=message_id, attempt=1, attempted_at=at, status=status, duration_ms=12))


def test_a_page_of_endpoints_shows_each_ones_backlog_and_state(runtime, tenant):
    scope, now = tenant.sandbox, runtime.now()
    busy, quiet, failing = (_endpoint(runtime, scope) for _ in range(3))

    def fill(session):
        for _ in range(3):
            _message(session, scope, busy, "pending", now)
        sent = _message(session, scope, busy, "delivered", now)
        _attempt(session, scope, busy, sent, "succeeded", now - timedelta(minutes=5))
        old = _message(session, scope, quiet, "delivered", now)
        _attempt(session, scope, quiet, old, "succeeded", now - timedelta(hours=30))  # outside the window
        down = _message(session, scope, failing, "pending", now)
        _attempt(session, scope, failing, down, "failed", now - timedelta(seconds=5))
        session.get(WebhookEndpoint, failing).failing_since = now - timedelta(seconds=5)

    transactions.write(runtime.db, fill)
    shown = transactions.read(runtime.db, lambda s: summaries(s, [busy, quiet, failing], now))
    assert shown == {busy: {"backlog": 3, "state": "healthy"}, quiet: {"backlog": 0, "state": "idle"}, failing: {"backlog": 1, "state": "failing"}}
    for endpoint_id in (busy, quiet, failing):
        one = transactions.read(runtime.db, lambda s: health(s, s.get(WebhookEndpoint, endpoint_id), now))
        assert (one["backlog"], one["state"]) == (shown[endpoint_id]["backlog"], shown[endpoint_id]["state"])


def test_an_empty_page_reads_nothing(runtime):
    assert transactions.read(runtime.db, lambda s: summaries(s, [], runtime.now())) == {}
