"""Sandbox providers as real HTTP participants: submissions over HTTP to the served API, signed
callbacks over HTTP to a real receiver (or to the API itself), as each behaviour says.

Timing is only ever asserted as a lower bound; absence of a callback is checked after waiting
well past the provider's latency."""

from __future__ import annotations

import asyncio
import secrets
import ssl
import threading
import time
from dataclasses import replace
from datetime import datetime, timezone
from typing import Iterator

import httpx
import orjson
import pytest
from standardwebhooks.webhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from backend.db import transactions
from backend.db.tables import Provider
from backend.outbound.connections import Connections
from backend.routing.submission import Outcome, Submission, Target, submit, target_for
from tests.backend.providers.support import signed_headers
from tests.conftest import Api, serving


class Receiver:
    """A callback receiver that keeps every delivery (headers, body, when) and answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes, float]] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/callbacks", self._take, methods=["POST"])])

    async def _take(self, request: Request) -> JSONResponse:
        body = await request.body()
        with self._lock:
            self.received.append((dict(request.headers), body, time.monotonic()))
        return JSONResponse({"ok": True})

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes, float]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert len(self.received) >= count, f"{len(self.received)} callbacks, wanted {count}"
        return list(self.received)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    found = Receiver()
    with serving(found.app) as url:
        yield found, f"{url}/callbacks"


def sandbox_provider(api: Api, **behaviour) -> dict:
    r = api.post("/providers", {"name": "Sandbox Pay", "kind": "sandbox", "behaviour": {"latency_ms": 0, **behaviour}})
    assert r.status_code == 201, r.text
    return r.json()


def target(runtime, provider: dict) -> Target:
    row = transactions.read(runtime.db, lambda s: s.get(Provider, provider["id"]))
    return target_for(row, runtime.settings.api_url)


def submission(callback_url: str, reference: str | None = None, amount_minor: int = 1_250) -> Submission:
    reference = reference or f"int_{secrets.token_hex(8)}"
    return Submission(reference, f"pi_{reference}", "payment", amount_minor, "USD", "US-GB", callback_url)


async def send(runtime, provider: dict, sub: Submission, timeout: float = 10.0) -> Outcome:
    connections = Connections(ssl.create_default_context(), keep=1)
    try:
        return await submit(connections, target(runtime, provider), sub, timeout, datetime.now(timezone.utc))
    finally:
        connections.close()


def payload(delivery: tuple[dict[str, str], bytes, float]) -> dict:
    return orjson.loads(delivery[1])


async def test_an_accepted_submission_is_called_back_after_the_latency_signed_with_the_secret(runtime, api, receiver):
    sink, callback_url = receiver
    provider = sandbox_provider(api, latency_ms=300)
    sub = submission(callback_url)
    started = time.monotonic()
    outcome = await send(runtime, provider, sub)
    assert (outcome.result, outcome.status_code, outcome.error) == ("accepted", 202, None)
    assert outcome.provider_reference.startswith("sbx_") and outcome.provider_id == provider["id"]
    [(headers, body, at)] = await sink.wait_for(1)
    assert at - started >= 0.3
    assert Webhook(provider["secret"]).verify(body, headers) == payload((headers, body, at))
    assert headers["webhook-id"].startswith("cb_")
    message = orjson.loads(body)
    assert {k: message[k] for k in ("type", "reference", "sequence", "amount_minor")} == {"type": "intent.settled", "reference": sub.reference, "sequence": 1, "amount_minor": 1_250}


async def test_a_callback_to_the_api_itself_verifies_there(runtime, api, api_url):
    provider = sandbox_provider(api)
    sub = submission(f"{api_url}/v1/providers/{provider['id']}/callbacks")
    assert (await send(runtime, provider, sub)).result == "accepted"
    deadline = time.monotonic() + 10
    while not (receipts := api.get(f"/providers/{provider['id']}/callbacks").json()["data"]) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    [receipt] = receipts
    assert (receipt["type"], receipt["reference"], receipt["outcome"]) == ("intent.settled", sub.reference, "rejected")
    assert receipt["reason"].startswith("unknown_reference")  # verified, then found no such intent


async def test_failure_rate_one_answers_503_and_never_calls_back(runtime, api, receiver):
    sink, callback_url = receiver
    outcome = await send(runtime, sandbox_provider(api, failure_rate=1), submission(callback_url))
    assert (outcome.result, outcome.status_code) == ("failed", 503)
    assert "provider_unavailable" in outcome.error
    await asyncio.sleep(0.5)
    assert sink.received == []


async def test_timeout_rate_one_outlasts_the_caller_and_never_calls_back(runtime, api, receiver):
    sink, callback_url = receiver
    outcome = await send(runtime, sandbox_provider(api, timeout_rate=1), submission(callback_url), timeout=0.5)
    assert (outcome.result, outcome.status_code, outcome.provider_reference) == ("timeout", None, None)
    assert outcome.duration_ms >= 500
    await asyncio.sleep(1.0)
    assert sink.received == []


async def test_a_decline_is_accepted_then_called_back_failed(runtime, api, receiver):
    sink, callback_url = receiver
    provider = sandbox_provider(api, decline_rate=1)
    sub = submission(callback_url)
    assert (await send(runtime, provider, sub)).result == "accepted"
    [delivery] = await sink.wait_for(1)
    Webhook(provider["secret"]).verify(delivery[1], delivery[0])
    assert {k: payload(delivery)[k] for k in ("type", "reference", "sequence", "failure_reason")} == {"type": "intent.failed", "reference": sub.reference, "sequence": 1, "failure_reason": "declined_by_provider"}


async def test_a_duplicate_is_the_same_message_twice(runtime, api, receiver):
    sink, callback_url = receiver
    provider = sandbox_provider(api, duplicate_rate=1)
    assert (await send(runtime, provider, submission(callback_url))).result == "accepted"
    first, second = await sink.wait_for(2)
    assert first[1] == second[1]
    assert {k: first[0][k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")} == {k: second[0][k] for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    await asyncio.sleep(0.5)
    assert len(sink.received) == 2


async def test_out_of_order_sends_a_stale_failure_after_the_settlement(runtime, api, receiver):
    sink, callback_url = receiver
    provider = sandbox_provider(api, out_of_order_rate=1)
    assert (await send(runtime, provider, submission(callback_url))).result == "accepted"
    settled, stale = await sink.wait_for(2)
    assert (payload(settled)["type"], payload(settled)["sequence"]) == ("intent.settled", 2)
    assert (payload(stale)["type"], payload(stale)["sequence"]) == ("intent.failed", 1)
    assert settled[0]["webhook-id"] != stale[0]["webhook-id"]


async def test_a_resubmission_answers_the_same_and_calls_back_once(runtime, api, receiver):
    sink, callback_url = receiver
    provider = sandbox_provider(api, latency_ms=200)
    sub = submission(callback_url)
    first, again = await send(runtime, provider, sub), await send(runtime, provider, sub)
    assert (first.result, again.result) == ("accepted", "accepted")
    assert first.provider_reference == again.provider_reference
    await sink.wait_for(1)
    await asyncio.sleep(0.6)
    assert len(sink.received) == 1


async def test_a_changed_submission_under_the_same_key_is_declined(runtime, api, receiver):
    _, callback_url = receiver
    provider = sandbox_provider(api)
    sub = submission(callback_url)
    assert (await send(runtime, provider, sub)).result == "accepted"
    changed = await send(runtime, provider, replace(sub, amount_minor=9_999))
    assert (changed.result, changed.status_code) == ("declined", 409)
    assert "idempotency_key_reused" in changed.error


async def test_a_behaviour_change_applies_to_the_next_submission(runtime, api, receiver):
    _, callback_url = receiver
    provider = sandbox_provider(api)
    r = api.post(f"/providers/{provider['id']}/behaviour", {"behaviour": {"failure_rate": 1}})
    assert r.status_code == 200, r.text
    assert (r.json()["event"], r.json()["behaviour"]["failure_rate"]) == ("provider.behaviour_updated", 1.0)
    assert (await send(runtime, provider, submission(callback_url))).result == "failed"


async def test_a_callback_is_signed_with_the_secret_current_when_it_is_sent(runtime, api, receiver):
    sink, callback_url = receiver
    provider = sandbox_provider(api, latency_ms=1_000)
    assert (await send(runtime, provider, submission(callback_url))).result == "accepted"
    rotated = api.post(f"/providers/{provider['id']}/rotate-secret", {"overlap_seconds": 0}).json()
    [delivery] = await sink.wait_for(1)
    Webhook(rotated["secret"]).verify(delivery[1], delivery[0])


def test_a_submission_signed_with_another_secret_is_401(api, api_url):
    provider = sandbox_provider(api)
    body = orjson.dumps({"reference": "int_x"})
    r = httpx.post(f"{api_url}/sandbox/providers/{provider['id']}/payments", content=body, headers=signed_headers(sandbox_provider(api)["secret"], body))
    assert (r.status_code, r.json()["error"]) == (401, "signature_invalid")
    unsigned = httpx.post(f"{api_url}/sandbox/providers/{provider['id']}/payments", content=body)
    assert unsigned.status_code == 401


def test_an_external_provider_is_not_at_the_sandbox_route(api, api_url):
    external = api.post("/providers", {"name": "Acme Pay"}).json()
    body = orjson.dumps({"reference": "int_x"})
    for provider_id in (external["id"], "prv_nothing"):
        r = httpx.post(f"{api_url}/sandbox/providers/{provider_id}/payments", content=body, headers=signed_headers(external["secret"], body))
        assert (r.status_code, r.json()["error"]) == (404, "not_found")


def test_a_malformed_submission_is_400(api, api_url):
    provider = sandbox_provider(api)
    body = orjson.dumps({"reference": "int_x", "intent_id": "pi", "kind": "payment", "amount_minor": 1.5, "currency": "USD", "corridor": "US-GB", "callback_url": "http://127.0.0.1:9/"})
    r = httpx.post(f"{api_url}/sandbox/providers/{provider['id']}/payments", content=body, headers=signed_headers(provider["secret"], body))
    assert (r.status_code, r.json()["error"], r.json()["param"]) == (400, "validation_error", "amount_minor")


def test_the_sandbox_providers_are_not_in_the_api_document(api_url):
    paths = httpx.get(f"{api_url}/v1/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/sandbox")]
    assert "/v1/sandbox/traffic" in paths  # Zentra's own sandbox dial is API


async def test_an_unreachable_provider_is_a_connection_outcome(api):
    provider = api.post("/providers", {"name": "Acme Pay"}).json()
    sub = submission("http://127.0.0.1:9/callbacks")
    connections = Connections(ssl.create_default_context(), keep=1)
    closed = await submit(connections, Target(provider["id"], "http://127.0.0.1:9/payments", provider["secret"]), sub, 5.0, datetime.now(timezone.utc))
    nowhere = await submit(connections, Target(provider["id"], "", provider["secret"]), sub, 5.0, datetime.now(timezone.utc))
    assert (closed.result, closed.status_code) == ("connection", None) and "ConnectionRefusedError" in closed.error
    assert (nowhere.result, nowhere.error) == ("connection", "the provider has no endpoint_url")
    assert closed.to_dict()["provider_id"] == provider["id"]
