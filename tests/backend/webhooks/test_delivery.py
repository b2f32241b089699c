"""Deliveries end to end: events on the real JetStream stream, the dispatcher, a real HTTP
receiver, and the attempts log read back through the API.

Schedules are compressed to tenths of a second (`support.FAST`); assertions wait for outcomes
rather than for fixed times, and time bounds are only ever lower bounds."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from backend.events.relay import Relay
from backend.webhooks.addresses import Unresolvable
from tests.backend.webhooks.support import (
    FAST,
    Answer,
    Receiver,
    dispatching,
    eventually,
    publish_events,
    verify_v1a,
)
from tests.conftest import Api


async def call(method, *args, **kwargs):
    """A blocking API call off the event loop the dispatcher runs on."""
    return await asyncio.to_thread(method, *args, **kwargs)


async def endpoint(api: Api, url: str, **fields) -> dict:
    r = await call(api.post, "/webhook-endpoints", {"url": url, "event_types": ["*"], **fields})
    assert r.status_code == 201, r.text
    return r.json()


async def events(api: Api, runtime, nats_url: str, tenant_id: str, count: int = 1) -> list[str]:
    """`count` new `account.created` events, published to the stream; their account ids."""
    ids = [await call(api.account) for _ in range(count)]
    await publish_events(runtime, nats_url, tenant_id)
    return ids


def attempts(api: Api, endpoint_id: str, **params) -> list[dict]:
    """The endpoint's attempts, oldest first."""
    r = api.get(f"/webhook-endpoints/{endpoint_id}/attempts", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["data"]))


def messages(api: Api, endpoint_id: str) -> list[dict]:
    return api.get(f"/webhook-endpoints/{endpoint_id}/messages", params={"limit": 100}).json()["data"]


def settled(api: Api, endpoint_id: str, count: int):
    """The attempts once `count` messages have left `pending`."""
    found = messages(api, endpoint_id)
    return attempts(api, endpoint_id) if len(found) >= count and all(m["status"] != "pending" for m in found) else None


async def test_hmac_deliveries_verify_with_the_standardwebhooks_package(runtime, api, tenant, nats_url):
    with Receiver().running() as receiver:
        hook = await endpoint(api, receiver.url)
        async with dispatching(runtime, nats_url, tenant.tenant_id):
            accounts = await events(api, runtime, nats_url, tenant.tenant_id, 3)
            log = await eventually(lambda: settled(api, hook["id"], 3))
    assert [a["status"] for a in log] == ["succeeded"] * 3 and {a["response_code"] for a in log} == {200}
    verifier = Webhook(hook["secret"])
    delivered = [verifier.verify(r.body, r.headers) for r in receiver.received]
    assert sorted(e["object"] for e in delivered) == sorted(accounts)
    assert {e["type"] for e in delivered} == {"account.created"} and {e["tenant"] for e in delivered} == {tenant.tenant_id}
    assert {r.headers["webhook-id"] for r in receiver.received} == {a["message_id"] for a in log}
    with pytest.raises(WebhookVerificationError):
        verifier.verify(receiver.received[0].body + b" ", receiver.received[0].headers)


async def test_ed25519_deliveries_carry_v1a_signatures_that_verify_with_the_public_key(runtime, api, tenant, nats_url):
    with Receiver().running() as receiver:
        hook = await endpoint(api, receiver.url, signing="ed25519")
        async with dispatching(runtime, nats_url, tenant.tenant_id):
            await events(api, runtime, nats_url, tenant.tenant_id, 2)
            await eventually(lambda: settled(api, hook["id"], 2))
    assert "secret" not in hook and hook["public_key"].startswith("whpk_")
    for request in receiver.received:
        assert request.headers["webhook-signature"].startswith("v1a,")
        assert verify_v1a(hook["public_key"], request.headers, request.body) == 1


async def test_rotation_sends_both_signatures_during_the_overlap_and_each_verifies(runtime, api, tenant, nats_url):
    with Receiver().running() as receiver:
        hook = await endpoint(api, receiver.url)
        signed = await endpoint(api, receiver.url, signing="ed25519", event_types=["hold.*"])  # receives nothing here
        async with dispatching(runtime, nats_url, tenant.tenant_id):
            await events(api, runtime, nats_url, tenant.tenant_id)
            await eventually(lambda: settled(api, hook["id"], 1))
            rotated = (await call(api.post, f"/webhook-endpoints/{hook['id']}/rotate-secret", {"overlap_seconds": 3600})).json()
            await events(api, runtime, nats_url, tenant.tenant_id)
            await eventually(lambda: settled(api, hook["id"], 2))
            retired = (await call(api.post, f"/webhook-endpoints/{hook['id']}/rotate-secret", {"overlap_seconds": 0})).json()
            await events(api, runtime, nats_url, tenant.tenant_id)
            await eventually(lambda: settled(api, hook["id"], 3))
    first, during, after = sorted(receiver.received, key=lambda r: r.at)
    assert len(first.headers["webhook-signature"].split(" ")) == 1
    assert len(during.headers["webhook-signature"].split(" ")) == 2 and rotated["previous_key_expires_at"]
    for secret in (hook["secret"], rotated["secret"]):
        Webhook(secret).verify(during.body, during.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(retired["secret"]).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(rotated["secret"]).verify(after.body, after.headers)
    assert messages(api, signed["id"]) == []


async def test_ed25519_rotation_signs_with_both_keys(runtime, api, tenant, nats_url):
    with Receiver().running() as receiver:
        hook = await endpoint(api, receiver.url, signing="ed25519")
        rotated = (await call(api.post, f"/webhook-endpoints/{hook['id']}/rotate-secret", {})).json()
        async with dispatching(runtime, nats_url, tenant.tenant_id):
            await events(api, runtime, nats_url, tenant.tenant_id)
            await eventually(lambda: settled(api, hook["id"], 1))
    (request,) = receiver.received
    assert rotated["public_key"] != hook["public_key"]
    assert verify_v1a(hook["public_key"], request.headers, request.body) == 1
    assert verify_v1a(rotated["public_key"], request.headers, request.body) == 1


async def test_a_500_then_a_timeout_then_a_200_is_three_attempts_one_success(runtime, api, tenant, nats_url):
    with Receiver([Answer(500), Answer(200, delay=1.5), Answer(200)]).running() as receiver:
        hook = await endpoint(api, receiver.url)
        async with dispatching(runtime, nats_url, tenant.tenant_id):
            await events(api, runtime, nats_url, tenant.tenant_id)
            log = await eventually(lambda: settled(api, hook["id"], 1))
    assert len(receiver.received) == 3
    assert [(a["attempt"], a["status"], a["response_code"], a["error_kind"]) for a in log] == [
        (1, "failed", 500, "http"),
        (2, "failed", None, "timeout"),
        (3, "succeeded", 200, None),
    ]
    assert log[0]["next_attempt_at"] and log[1]["next_attempt_at"] and log[2]["next_attempt_at"] is None
    assert log[1]["duration_ms"] >= 400
    (message,) = messages(api, hook["id"])
    assert message["status"] == "delivered" and message["attempts"] == 3
    types = [e["type"] for e in api.get("/events", params={"limit": 100}).json()["data"] if e["object"] == message["id"]]
    assert types == ["webhook.retrying", "webhook.retrying", "webhook.delivered"]
    health = api.get(f"/webhook-endpoints/{hook['id']}").json()["health"]
    assert health["attempts"] == 3 and health["succeeded"] == 1 and health["state"] == "healthy" and health["backlog"] == 0


async def test_410_disables_the_endpoint(runtime, api, tenant, nats_url):
    with Receiver(default=Answer(410)).running() as receiver:
        hook = await endpoint(api, receiver.url)
        async with dispatching(runtime, nats_url, tenant.tenant_id):
            await events(api, runtime, nats_url, tenant.tenant_id, 2)
            await eventually(lambda: settled(api, hook["id"], 2))
            await events(api, runtime, nats_url, tenant.tenant_id)
            await asyncio.sleep(0.3)
    shown = api.get(f"/webhook-endpoints/{hook['id']}").json()
    assert shown["status"] == "disabled" and "410" in shown["disabled_reason"] and shown["health"]["state"] == "disabled"
    assert {m["status"] for m in messages(api, hook["id"])} == {"failed"} and len(messages(api, hook["id"])) == 2
    assert {(a["response_code"], a["next_attempt_at"]) for a in attempts(api, hook["id"])} == {(410, None)}
    assert len(receiver.received) <= 2


async def test_retry_after_is_honoured(runtime, api, tenant, nats_url):
    with Receiver([Answer(503, headers={"Retry-After": "1"})]).running() as receiver:
        hook = await endpoint(api, receiver.url)
        async with dispatching(runtime, nats_url, tenant.tenant_id):
            await events(api, runtime, nats_url, tenant.tenant_id)
            log = await eventually(lambda: settled(api, hook["id"], 1))
    first, second = receiver.received
    assert second.at - first.at >= 0.95  # the schedule alone would have retried after 0.1 s
    waited = datetime.fromisoformat(log[0]["next_attempt_at"]) - datetime.fromisoformat(log[0]["attempted_at"])
    assert waited >= timedelta(seconds=1) and log[0]["response_code"] == 503 and log[1]["status"] == "succeeded"


async def test_a_slow_endpoint_does_not_delay_another(runtime, api, tenant, nats_url):
    settings = replace(FAST, concurrency=2, timeout_seconds=5.0)
    with Receiver(default=Answer(200, delay=1.0)).running() as slow, Receiver().running() as fast:
        slow_hook, fast_hook = await endpoint(api, slow.url), await endpoint(api, fast.url)
        async with dispatching(runtime, nats_url, tenant.tenant_id, settings):
            await events(api, runtime, nats_url, tenant.tenant_id, 10)
            await eventually(lambda: settled(api, fast_hook["id"], 10))
            slow_seen = len(slow.received)
    assert len(fast.received) == 10
    assert slow_seen < 10  # two at a time, a second each: the slow one is still busy
    assert slow.peak <= 2  # its concurrency limit
    assert len(messages(api, slow_hook["id"])) == 10


async def test_an_endpoints_rate_limit_paces_its_deliveries(runtime, api, tenant, nats_url):
    with Receiver().running() as receiver:
        hook = await endpoint(api, receiver.url, rate_limit=2)  # 2 a second, bursts of 4
        async with dispatching(runtime, nats_url, tenant.tenant_id):
            await events(api, runtime, nats_url, tenant.tenant_id, 8)
            await eventually(lambda: settled(api, hook["id"], 8))
    times = sorted(r.at for r in receiver.received)
    assert times[-1] - times[0] >= 1.5  # four beyond the burst at two a second


async def test_private_addresses_are_blocked_outside_sandbox_at_delivery_time(runtime, api_url, tenant, nats_url):
    live = Api(api_url, tenant.live_key)
    sandbox = Api(api_url, tenant.sandbox_key)

    async def resolver(host: str, port: int) -> list[str]:
        """hooks.rebind.test passed the check when it was saved, then points inside."""
        if host == "nowhere.test":
            raise Unresolvable("nowhere.test does not resolve")
        return {"hooks.rebind.test": ["127.0.0.1"], "metadata.test": ["169.254.169.254"]}[host]

    with Receiver().running() as receiver:
        rebound = await endpoint(live, "https://hooks.rebind.test/x")
        metadata = await endpoint(sandbox, "http://metadata.test/x")
        missing = await endpoint(sandbox, "http://nowhere.test/x")
        local = await endpoint(sandbox, receiver.url)
        async with dispatching(runtime, nats_url, tenant.tenant_id, resolver=resolver):
            await call(live.account)
            await events(sandbox, runtime, nats_url, tenant.tenant_id)
            await eventually(lambda: settled(sandbox, local["id"], 1))
            blocked = await eventually(lambda: attempts(live, rebound["id"]))
            refused = await eventually(lambda: attempts(sandbox, metadata["id"]))
            unresolved = await eventually(lambda: attempts(sandbox, missing["id"]))
    assert blocked[0]["error_kind"] == "blocked" and "127.0.0.1" in blocked[0]["error"] and blocked[0]["response_code"] is None
    assert refused[0]["error_kind"] == "blocked" and "169.254.169.254" in refused[0]["error"]
    assert unresolved[0]["error_kind"] == "dns"
    assert len(receiver.received) == 1  # only the sandbox endpoint on loopback was called


async def test_resend_delivers_the_same_message_again(runtime, api, tenant, nats_url):
    with Receiver().running() as receiver:
        hook = await endpoint(api, receiver.url)
        async with dispatching(runtime, nats_url, tenant.tenant_id):
            await events(api, runtime, nats_url, tenant.tenant_id)
            await eventually(lambda: settled(api, hook["id"], 1))
            (message,) = messages(api, hook["id"])
            r = await call(api.post, f"/webhook-endpoints/{hook['id']}/messages/{message['id']}/resend", {})
            assert r.status_code == 200 and r.json()["status"] == "pending"
            await eventually(lambda: len(attempts(api, hook["id"])) == 2)
    first, again = receiver.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"] == message["id"] and first.body == again.body
    Webhook(hook["secret"]).verify(again.body, again.headers)
    missing = api.post(f"/webhook-endpoints/{hook['id']}/messages/msg_0000000000000000000000000000/resend", {})
    assert missing.status_code == 404


async def test_recover_counts_on_a_dry_run_then_sends_what_was_missed(runtime, api, tenant, nats_url):
    settings = replace(FAST, sandbox_schedule=(0, 0.05, 0.05))
    start = datetime.now(timezone.utc).isoformat()
    with Receiver([Answer(200)], default=Answer(500)).running() as receiver:
        hook = await endpoint(api, receiver.url)
        async with dispatching(runtime, nats_url, tenant.tenant_id, settings):
            await events(api, runtime, nats_url, tenant.tenant_id)
            await eventually(lambda: settled(api, hook["id"], 1))
            await events(api, runtime, nats_url, tenant.tenant_id, 2)
            await eventually(lambda: settled(api, hook["id"], 3))
            await call(api.post, f"/webhook-endpoints/{hook['id']}/disable", {})
            await events(api, runtime, nats_url, tenant.tenant_id)  # while disabled: no message
            await asyncio.sleep(0.3)
            await call(api.post, f"/webhook-endpoints/{hook['id']}/enable", {})
            sent_before = len(receiver.received)
            dry = (await call(api.post, f"/webhook-endpoints/{hook['id']}/recover", {"since": start, "dry_run": True})).json()
            assert (dry["would_send"], dry["already_acknowledged"], dry["in_progress"], dry["dry_run"]) == (3, 1, 0, True)
            await asyncio.sleep(0.3)
            assert len(receiver.received) == sent_before and len(messages(api, hook["id"])) == 3
            receiver.default = Answer(200)
            real = (await call(api.post, f"/webhook-endpoints/{hook['id']}/recover", {"since": start})).json()
            assert (real["would_send"], real["already_acknowledged"], real["dry_run"]) == (3, 1, False)
            await eventually(lambda: settled(api, hook["id"], 4))
    statuses = [m["status"] for m in messages(api, hook["id"])]
    assert statuses == ["delivered"] * 4
    after = api.post(f"/webhook-endpoints/{hook['id']}/recover", {"since": start, "dry_run": True}).json()
    assert (after["would_send"], after["already_acknowledged"]) == (0, 4)


async def test_an_endpoint_failing_for_the_whole_window_is_disabled(runtime, api, tenant, nats_url):
    settings = replace(FAST, disable_after_seconds=0.3)  # five days, compressed
    with Receiver(default=Answer(500)).running() as receiver:
        hook = await endpoint(api, receiver.url)
        async with dispatching(runtime, nats_url, tenant.tenant_id, settings):
            await events(api, runtime, nats_url, tenant.tenant_id)
            await eventually(lambda: settled(api, hook["id"], 1))
    shown = api.get(f"/webhook-endpoints/{hook['id']}").json()
    assert shown["status"] == "disabled" and shown["disabled_reason"].startswith("no successful delivery since")
    log = attempts(api, hook["id"])
    assert 2 <= len(log) < len(FAST.sandbox_schedule) and log[-1]["next_attempt_at"] is None
    assert messages(api, hook["id"])[0]["status"] == "failed"


async def test_a_posting_reaches_its_endpoint_through_the_outbox_relay(runtime, api, tenant, nats_url):
    """The whole path: a posting's outbox event, the relay, the stream, the dispatcher, the receiver."""
    with Receiver().running() as receiver:
        hook = await endpoint(api, receiver.url, event_types=["ledger.entry.*"])
        source, customer = await call(api.funded_account, 500)
        async with dispatching(runtime, nats_url, tenant.tenant_id):
            relay = asyncio.create_task(Relay(runtime.db, nats_url, now=runtime.now).run())
            try:
                posting = (await call(api.post, "/ledger-entries", {"debit": customer, "credit": source, "amount_minor": 7})).json()
                await eventually(lambda: any(posting["posting_id"].encode() in r.body for r in receiver.received), timeout=60)
            finally:
                relay.cancel()
                await asyncio.gather(relay, return_exceptions=True)
    bodies = [Webhook(hook["secret"]).verify(r.body, r.headers) for r in receiver.received]
    assert all(b["type"].startswith("ledger.entry.") for b in bodies)  # account.created is not subscribed
    assert posting["posting_id"] in {b["object"] for b in bodies}


async def test_retries_come_from_the_database_and_survive_a_restart(runtime, api, tenant, nats_url):
    settings = replace(FAST, sandbox_schedule=(0, 0.5))
    with Receiver([Answer(503)]).running() as receiver:
        hook = await endpoint(api, receiver.url)
        async with dispatching(runtime, nats_url, tenant.tenant_id, settings):
            await events(api, runtime, nats_url, tenant.tenant_id)
            (first,) = await eventually(lambda: attempts(api, hook["id"]))
        assert first["response_code"] == 503 and first["next_attempt_at"] and len(receiver.received) == 1
        async with dispatching(runtime, nats_url, tenant.tenant_id, settings):  # a new process: nothing in memory
            log = await eventually(lambda: settled(api, hook["id"], 1))
    assert [a["status"] for a in log] == ["failed", "succeeded"] and len(receiver.received) == 2
