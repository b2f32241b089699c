"""Finance's reports over real intents, holds, reviews and webhook attempts, on both databases."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from backend.db import transactions
from backend.db.tables import WebhookAttempt, WebhookMessage
from backend.errors import ZentraError
from backend.finance.backlog import holds_by_expiry, review_backlog
from backend.finance.buckets import window
from backend.finance.deliveries import webhook_health
from backend.finance.export import delivery_rows, to_csv
from backend.finance.volume import state_volume, totals
from backend.ids import new_id
from tests.backend.intents.support import payment, rails


def test_state_volume_counts_each_state_entered_per_bucket_and_currency(api, runtime, tenant):
    rails_ = rails(api)
    for amount in (1_000, 2_500):
        payment(rails_, amount)
    payment(rails_, 1_000_000)  # over the default review threshold
    since, until, bucket = window("1h", runtime.now() + timedelta(seconds=1))
    volume = transactions.read(runtime.db, lambda s: state_volume(s, tenant.sandbox, since, until, bucket))
    by_state = {}
    for row in volume["rows"]:
        by_state[row["state"]] = (by_state.get(row["state"], (0, 0))[0] + row["count"], by_state.get(row["state"], (0, 0))[1] + row["amount_minor"])
    assert by_state == {"accepted": (3, 1_003_500), "controlled": (2, 3_500), "ledgered": (2, 3_500), "review": (1, 1_000_000)}
    assert {row["currency"] for row in volume["rows"]} == {"USD"}
    assert len(volume["buckets"]) in (24, 25) and all(row["bucket"] in volume["buckets"] for row in volume["rows"])
    headline = transactions.read(runtime.db, lambda s: totals(s, tenant.sandbox, since, until))
    assert {"currency": "USD", "state": "ledgered", "count": 2, "amount_minor": 3_500} in headline


def test_a_window_name_must_be_one_the_room_offers(runtime):
    with pytest.raises(ZentraError) as refused:
        window("2w", runtime.now())
    assert (refused.value.code, refused.value.param) == ("validation_error", "window")


def test_review_backlog_and_holds_are_bucketed_by_age_and_time_to_expiry(api, runtime, tenant):
    rails_ = rails(api)
    payment(rails_, 1_000_000)
    payment(rails_, 2_000_000)
    for ttl in (60, 1_800, 7_200):
        api.post("/holds", {"account": rails_.customer, "amount_minor": ttl, "ttl_seconds": ttl, "reason": "auth", "source_request": f"a{ttl}"})
    now = runtime.now()
    reviews = transactions.read(runtime.db, lambda s: review_backlog(s, tenant.sandbox, now + timedelta(minutes=20)))
    assert reviews == [{"bucket": "15-60 min", "currency": "USD", "count": 2, "amount_minor": 3_000_000}]
    holds = transactions.read(runtime.db, lambda s: holds_by_expiry(s, tenant.sandbox, now))
    assert [(h["bucket"], h["count"], h["amount_minor"]) for h in holds] == [("under 5 min", 1, 60), ("5-60 min", 1, 1_800), ("1-24 h", 1, 7_200)]


def test_webhook_health_gives_success_rate_per_bucket_and_latency_percentiles(api, runtime, tenant):
    endpoint_id = api.post("/webhook-endpoints", {"url": "http://127.0.0.1:9/hooks", "event_types": ["*"]}).json()["id"]
    now = runtime.now()

    def attempts(session) -> None:
        message = WebhookMessage(id=new_id("msg"), tenant_id=tenant.tenant_id, mode="sandbox", endpoint_id=endpoint_id, event_id=new_id("evt"), event_type="intent.accepted", event_occurred_at=now, body="{}", created_at=now)
        session.add(message)
        session.flush()
        for i, (status, duration) in enumerate([("failed", 5_000), ("succeeded", 20), ("succeeded", 30), ("succeeded", 40)]):
            session.add(WebhookAttempt(id=new_id("wat"), tenant_id=tenant.tenant_id, mode="sandbox", endpoint_id=endpoint_id, message_id=message.id, attempt=i + 1, attempted_at=now - timedelta(minutes=i), status=status, duration_ms=duration))

    transactions.write(runtime.db, attempts)
    since, until, bucket = window("24h", now + timedelta(seconds=1))
    health = transactions.read(runtime.db, lambda s: webhook_health(s, tenant.sandbox, since, until, bucket))
    [endpoint] = [e for e in health["endpoints"] if e["endpoint_id"] == endpoint_id]
    assert sum(p["attempts"] for p in endpoint["series"]) == 4 and sum(p["succeeded"] for p in endpoint["series"]) == 3
    assert (endpoint["p50_ms"], endpoint["p99_ms"]) == (30, 5_000)
    exported = list(csv.DictReader(io.StringIO(to_csv(delivery_rows(health), ["endpoint_id", "bucket", "attempts", "succeeded", "success_rate", "p50_ms", "p99_ms"]))))
    assert sum(int(r["attempts"]) for r in exported) == 4 and {r["endpoint_id"] for r in exported} == {endpoint_id}
