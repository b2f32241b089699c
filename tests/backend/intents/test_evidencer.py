"""Evidence closes only on a known delivery outcome: a webhook message about the intent that has
not had its first attempt holds the intent at `synchronized`; a failed attempt moves it to
`retrying`; delivery lets it close as `evidenced`."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from backend.audit.sealer import seal
from backend.db import transactions
from backend.db.tables import Event, WebhookMessage
from backend.ids import new_id
from backend.intents import evidencer
from backend.webhooks.endpoints import create_endpoint
from tests.backend.intents.support import (
    close_evidence,
    payment,
    rails,
    route_due,
    wait_for,
)


def _message_for(runtime, tenant, intent_id: str) -> str:
    """A pending message of the intent's first event to a new endpoint, as the dispatcher makes it."""
    scope, now = tenant.sandbox, runtime.now()

    def unit(session) -> str:
        endpoint = create_endpoint(session, scope, {"url": "http://127.0.0.1:9/hooks", "event_types": ["intent.*"]}, now)
        event = session.execute(select(Event).where(Event.object_id == intent_id).order_by(Event.occurred_at)).scalars().first()
        message = WebhookMessage(id=new_id("msg"), tenant_id=scope.tenant_id, mode=scope.mode, endpoint_id=endpoint["id"], event_id=event.id, event_type=event.type, event_occurred_at=event.occurred_at, body="{}", created_at=now)
        session.add(message)
        return message.id

    return transactions.write(runtime.db, unit)


def _set(runtime, message_id: str, **fields) -> None:
    def unit(session) -> None:
        message = session.get(WebhookMessage, message_id)
        for name, value in fields.items():
            setattr(message, name, value)

    transactions.write(runtime.db, unit)


def test_evidence_waits_for_the_first_attempt_then_follows_the_delivery(api, runtime, tenant):
    lane = rails(api)
    intent_id = payment(lane, 2_500).json()["intent_id"]
    route_due(runtime)
    wait_for(api, intent_id, "synchronized")
    message_id = _message_for(runtime, tenant, intent_id)

    close_evidence(runtime, later=timedelta(seconds=1))
    assert api.get(f"/runtime/intents/{intent_id}").json()["status"] == "synchronized"  # outcome unknown yet

    _set(runtime, message_id, attempts=1, step=1)
    close_evidence(runtime, later=timedelta(seconds=2))
    assert api.get(f"/runtime/intents/{intent_id}").json()["status"] == "retrying"

    _set(runtime, message_id, status="delivered")
    close_evidence(runtime, later=timedelta(seconds=10))
    assert api.get(f"/runtime/intents/{intent_id}").json()["status"] == "evidenced"


def _evidence_pass(runtime, later: timedelta, stream: bool) -> None:
    transactions.write(runtime.db, lambda s: evidencer.evidence_due(s, runtime.now() + later, stream=stream))


def test_evidence_waits_for_the_chain_and_with_a_stream_for_every_event_on_it(api, runtime, tenant):
    lane = rails(api)
    intent_id = payment(lane, 2_600).json()["intent_id"]
    route_due(runtime)
    wait_for(api, intent_id, "synchronized")

    _evidence_pass(runtime, timedelta(seconds=1), stream=False)
    assert api.get(f"/runtime/intents/{intent_id}").json()["status"] == "synchronized"  # its audit records are not sealed yet

    seal(runtime.db)
    _evidence_pass(runtime, timedelta(seconds=2), stream=True)
    assert api.get(f"/runtime/intents/{intent_id}").json()["status"] == "synchronized"  # its events are not on the stream yet

    at = runtime.now()
    transactions.write(runtime.db, lambda s: s.execute(update(Event).where(Event.object_id == intent_id).values(published_at=at)))
    _evidence_pass(runtime, timedelta(seconds=3), stream=True)
    assert api.get(f"/runtime/intents/{intent_id}").json()["status"] == "evidenced"
