"""Offering an intent to one provider over HTTP, as the router does, and what came of it.

The submission is JSON signed like a callback (Standard Webhooks headers under the provider's
current signing secret), with the reference as `Idempotency-Key`, so a provider can tell a retry
from a new payment. Every answer is an `Outcome`, never an exception: the router fails over on
anything but `accepted` and keeps every attempt on the intent.

Results: `accepted` (2xx), `declined` (4xx: the provider refused this payment), `failed` (5xx,
and 408/429, which say "not now" rather than "no"), `timeout` (no answer in time; the provider may
still have taken it, which its idempotency key settles), `connection` (unreachable, DNS, a broken
answer, or an external provider without an `endpoint_url`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import datetime

import orjson

from backend.db.tables import Provider
from backend.outbound.connections import FAILURES, Answer, Connections
from backend.providers.verification import sign

RETRYABLE_4XX = {408, 429}
MAX_TEXT = 200
ANSWER_BYTES = 16_384  # of a provider's answer read: its reference, or the start of its refusal


@dataclass(frozen=True)
class Target:
    provider_id: str
    url: str  # where to POST the submission ("" when an external provider has no endpoint_url)
    secret: str  # the provider's current signing secret


def target_for(provider: Provider, api_url: str) -> Target:
    """Sandbox providers are played by this process under `/sandbox`; external ones take
    submissions at their `endpoint_url`."""
    url = f"{api_url}/sandbox/providers/{provider.id}/payments" if provider.kind == "sandbox" else provider.endpoint_url or ""
    return Target(provider.id, url, provider.signing_secret)


@dataclass(frozen=True)
class Submission:
    reference: str  # the intent's internal id (`int_…`); callbacks name it
    intent_id: str
    kind: str
    amount_minor: int
    currency: str
    corridor: str
    callback_url: str


@dataclass(frozen=True)
class Outcome:
    provider_id: str
    result: str  # accepted | failed | timeout | connection | declined
    status_code: int | None
    duration_ms: int
    provider_reference: str | None
    error: str | None

    def to_dict(self) -> dict:
        return asdict(self)


def signed_headers(secret: str, body: bytes, now: datetime, idempotency_key: str) -> dict[str, str]:
    """Standard Webhooks headers for `body` (a fresh `webhook-id` per request)."""
    webhook_id, stamp = f"sub_{secrets.token_hex(12)}", int(now.timestamp())
    return {
        "content-type": "application/json",
        "idempotency-key": idempotency_key,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, webhook_id, stamp, body),
    }


async def submit(connections: Connections, target: Target, submission: Submission, timeout: float, now: datetime) -> Outcome:
    """POST the signed submission to `target` and classify the answer; never raises for the
    provider's failures."""
    started = time.monotonic()

    def outcome(result: str, status: int | None = None, reference: str | None = None, error: str | None = None) -> Outcome:
        return Outcome(target.provider_id, result, status, int((time.monotonic() - started) * 1000), reference, error)

    if not target.url:
        return outcome("connection", error="the provider has no endpoint_url")
    body = orjson.dumps(asdict(submission))
    try:
        async with asyncio.timeout(timeout):
            answer = await connections.post_url(target.url, signed_headers(target.secret, body, now, submission.reference), body, ANSWER_BYTES)
    except TimeoutError:
        return outcome("timeout", error=f"no answer within {timeout:g} s")
    except FAILURES as exc:
        return outcome("connection", error=f"{type(exc).__name__}: {exc}"[:MAX_TEXT])
    status = answer.status
    if 200 <= status < 300:
        return outcome("accepted", status, _provider_reference(answer))
    declined = 400 <= status < 500 and status not in RETRYABLE_4XX
    return outcome("declined" if declined else "failed", status, error=answer.excerpt.decode("utf-8", "replace")[:MAX_TEXT] or f"HTTP {status}")


def _provider_reference(answer: Answer) -> str | None:
    """The provider's own id for the payment, if its answer names one."""
    try:
        found = orjson.loads(answer.excerpt).get("provider_reference")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return found[:MAX_TEXT] if isinstance(found, str) else None
