"""Sandbox providers as real HTTP participants, played by this process under `/sandbox`.

`POST /sandbox/providers/{provider_id}/payments` takes a submission signed like a callback
(Standard Webhooks headers, the provider's secret; else 401) for a provider of kind `sandbox`
(else 404), and answers as the provider's behaviour decides for (provider, reference, attempt):
503 `provider_unavailable`; or a hold past any caller's timeout, then 504 and no callback; or
202 `{provider_reference, status: "accepted"}`, after which a background task waits `latency_ms`
and POSTs signed callbacks to the submission's `callback_url`: `intent.settled`, or
`intent.failed` with `failure_reason` "declined_by_provider"; the same bytes and `webhook-id`
twice when it duplicates; a stale `intent.failed` with a lower sequence after the settlement
when it reorders. A callback is retried with short backoff on connection errors and 5xx, as a
real provider would, and is signed with the provider's secret as it is at sending time.

The `Idempotency-Key` (else the reference) makes a resubmission answer what the first accepted
one did, without a second callback. Only accepted answers are remembered (a 503 or a timeout
means the provider did nothing, so a retry is a new attempt with its own draw), in a bounded
in-memory LRU: a restart, or another worker process, forgets them, as the callbacks' webhook-ids
and the receiving side's apply-once rules are what keep money right.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import ssl
from collections import OrderedDict
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from backend.clock import to_iso
from backend.db import transactions
from backend.db.tables import Provider
from backend.errors import ZentraError
from backend.ids import new_id
from backend.inputs import (
    object_body,
    path_id,
    reject_unknown,
    required_str,
    whole_number,
)
from backend.money.amounts import MAX_AMOUNT
from backend.outbound.connections import FAILURES, Connections
from backend.providers import registry, verification
from backend.runtime import Runtime
from backend.sandbox import faults, receivers, reports
from backend.sandbox.behaviour import Behaviour, Decision, decide, parse_behaviour
from backend.webhooks.addresses import Blocked, Unresolvable, check_url, destination

log = logging.getLogger("zentra.sandbox")

FIELDS = {"reference", "intent_id", "kind", "amount_minor", "currency", "corridor", "callback_url"}
MAX_BODY_BYTES = 64_000
HOLD_SECONDS = 30.0  # a timed-out submission is held this long past the latency: longer than callers wait
REMEMBERED = 10_000
MAX_KEY_LENGTH = 255
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)
CALLBACK_TIMEOUT_SECONDS = 10.0
CALLBACKS_IN_FLIGHT = 64  # per event loop: more wait their turn, as behind a provider's sender pool
ANSWER_BYTES = 4096  # of the callbacks endpoint's answer read, so the connection can be kept
UNAUTHENTICATED = {"signature_invalid", "timestamp_out_of_tolerance"}


@dataclass(frozen=True)
class Payment:
    """A verified, well-formed submission."""

    provider_id: str
    reference: str
    amount_minor: int
    callback_url: str


@dataclass(frozen=True)
class _Sender:
    """One event loop's callback connections and the bound on callbacks it sends at once."""

    loop: asyncio.AbstractEventLoop
    connections: Connections
    slots: asyncio.Semaphore


@dataclass
class _Seen:
    """What this process remembers of one idempotency key at one provider."""

    digest: str
    attempts: int = 0
    answer: dict | None = None


class SandboxProviders:
    """The sandbox providers' memory (idempotency keys) and their callbacks in flight."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.seen: OrderedDict[tuple[str, str], _Seen] = OrderedDict()
        self.tasks: set[asyncio.Task] = set()  # referenced, or the loop may collect them mid-flight
        self._sender: _Sender | None = None

    def sender(self) -> _Sender:
        """One callback sender per event loop, kept: building its TLS context loads the trust
        store (about 35 ms of blocked loop), which per callback capped a server at ~28
        callbacks/s. Mounted apps get no lifespan, so it lives as long as the process's loop."""
        loop = asyncio.get_running_loop()
        if self._sender is None or self._sender.loop is not loop:
            self._sender = _Sender(loop, Connections(ssl.create_default_context(), keep=CALLBACKS_IN_FLIGHT), asyncio.Semaphore(CALLBACKS_IN_FLIGHT))
        return self._sender

    async def take(self, request: Request, provider_id: str) -> Response:
        """Verify and answer one submission."""
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise ZentraError("invalid_request", f"the submission is larger than {MAX_BODY_BYTES} bytes")
        provider = await run_in_threadpool(transactions.read, self.runtime.db, lambda s: _sandbox_provider(s, provider_id))
        now = self.runtime.now()
        verification.verify(request.headers, body, registry.verifying_secrets(provider, now), now)
        payment = _payment(provider.id, body)
        behaviour = parse_behaviour(orjson.loads(provider.behaviour_json))
        key = request.headers.get("idempotency-key") or payment.reference
        if len(key) > MAX_KEY_LENGTH:
            raise ZentraError("validation_error", f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters", "Idempotency-Key")
        status, answer, decision = self._answer(behaviour, payment, key, hashlib.sha256(body).hexdigest())
        if decision is not None and decision.outcome == "timeout":
            await _hold(request, behaviour.latency_ms / 1000 + HOLD_SECONDS)
        replayed = {"idempotent-replayed": "true"} if decision is None and status == 202 else {}
        return JSONResponse(answer, status_code=status, headers=replayed)

    def _answer(self, behaviour: Behaviour, payment: Payment, key: str, digest: str) -> tuple[int, dict, Decision | None]:
        """Status, body and the decision drawn (None for a replay). No await here: the lookup and
        the remembering happen in one step of the event loop, so concurrent copies see each other."""
        seen = self._remember((payment.provider_id, key), digest)
        if seen.answer is not None:
            if seen.digest != digest:
                return 409, {"error": "idempotency_key_reused", "message": "this Idempotency-Key was used with another submission"}, None
            return 202, seen.answer, None
        seen.digest, seen.attempts = digest, seen.attempts + 1
        decision = decide(behaviour, payment.provider_id, payment.reference, seen.attempts)
        if decision.outcome == "failure":
            return 503, {"error": "provider_unavailable"}, decision
        if decision.outcome == "timeout":
            return 504, {"error": "provider_timeout"}, decision
        seen.answer = {"provider_reference": new_id("sbx"), "status": "accepted"}
        self._spawn(self._call_back(payment, decision, behaviour.latency_ms))
        return 202, seen.answer, decision

    def _remember(self, key: tuple[str, str], digest: str) -> _Seen:
        seen = self.seen.pop(key, None) or _Seen(digest)
        self.seen[key] = seen
        while len(self.seen) > REMEMBERED:
            self.seen.popitem(last=False)
        return seen

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(job)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if task.cancelled():
            log.info("a sandbox provider callback was cancelled (the server is stopping)")
        elif task.exception() is not None:
            log.error("a sandbox provider callback failed", exc_info=task.exception())

    async def _call_back(self, payment: Payment, decision: Decision, latency_ms: int) -> None:
        """After the latency, send the callbacks the decision calls for, in order."""
        await asyncio.sleep(latency_ms / 1000)
        sender = self.sender()
        async with sender.slots:
            for message in _messages(payment, decision):
                headers, body = await self._signed(payment.provider_id, message)
                for _ in range(2 if decision.duplicate else 1):
                    await _deliver(sender.connections, payment.callback_url, headers, body)

    async def _signed(self, provider_id: str, message: dict) -> tuple[dict[str, str], bytes]:
        """The message signed with the provider's secret as it is now (it may have rotated)."""
        provider = await run_in_threadpool(transactions.read, self.runtime.db, lambda s: registry.find_provider(s, provider_id))
        now = self.runtime.now()
        body = orjson.dumps({**message, "occurred_at": to_iso(now)})
        webhook_id, stamp = new_id("cb"), int(now.timestamp())
        headers = {"content-type": "application/json", "webhook-id": webhook_id, "webhook-timestamp": str(stamp), "webhook-signature": verification.sign(provider.signing_secret, webhook_id, stamp, body)}
        return headers, body


def _sandbox_provider(session: Session, provider_id: str) -> Provider:
    provider = session.get(Provider, path_id(provider_id, "provider"))
    if provider is None or provider.kind != "sandbox":
        raise ZentraError("not_found", f"no sandbox provider {provider_id!r}")
    return provider


def _payment(provider_id: str, body: bytes) -> Payment:
    """The submission's fields, or the refusal a real provider would answer 400."""
    try:
        fields = object_body(orjson.loads(body))
    except orjson.JSONDecodeError:
        raise ZentraError("invalid_request", "the submission is not valid JSON") from None
    reject_unknown(fields, FIELDS)
    for name in ("intent_id", "kind", "currency", "corridor"):
        required_str(fields, name)
    amount = whole_number(fields.get("amount_minor"), "amount_minor", 1, MAX_AMOUNT)
    callback_url = check_url(required_str(fields, "callback_url", max_length=2048), True, "callback_url")
    return Payment(provider_id, required_str(fields, "reference", max_length=64), amount, callback_url)


def _messages(payment: Payment, decision: Decision) -> list[dict]:
    """The callbacks for an accepted payment (without `occurred_at`, stamped when sent)."""
    envelope = {"reference": payment.reference}
    if decision.outcome == "decline":
        return [{"type": "intent.failed", **envelope, "sequence": 1, "failure_reason": "declined_by_provider"}]
    if not decision.out_of_order:
        return [{"type": "intent.settled", **envelope, "sequence": 1, "amount_minor": payment.amount_minor}]
    settled = {"type": "intent.settled", **envelope, "sequence": 2, "amount_minor": payment.amount_minor}
    return [settled, {"type": "intent.failed", **envelope, "sequence": 1, "failure_reason": "temporary_failure"}]


async def _deliver(connections: Connections, url: str, headers: dict[str, str], body: bytes) -> None:
    """POST one callback, retrying connection errors, timeouts and 5xx; a refused destination is
    not retried. Gives up with a log line, as a provider's dead-letter queue would."""
    problem = ""
    for delay in (0.0, *RETRY_DELAYS):
        await asyncio.sleep(delay)
        try:
            async with asyncio.timeout(CALLBACK_TIMEOUT_SECONDS):
                target = await destination(url, sandbox=True)
                sent = {"host": target.host_header, **headers}
                answer = await connections.post(target.scheme, target.address, target.port, target.target, sent, body, target.sni_hostname, ANSWER_BYTES)
        except Blocked as exc:
            log.warning("sandbox callback to %s refused: %s", url, exc)
            return
        except (*FAILURES, Unresolvable) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            continue
        if answer.status < 500:
            return
        problem = f"HTTP {answer.status}"
    log.warning("sandbox callback %s to %s gave up after %d attempts: %s", headers["webhook-id"], url, 1 + len(RETRY_DELAYS), problem)


async def _hold(request: Request, seconds: float) -> None:
    """Keep a timed-out submission open for `seconds`, or until its caller hangs up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline and not await request.is_disconnected():
        await asyncio.sleep(min(0.25, max(0.0, deadline - loop.time())))


def sandbox_app(runtime: Runtime) -> FastAPI:
    """The sandbox providers' own small app, mounted at `/sandbox` (outside the API's OpenAPI
    document: it is not Zentra's API but its providers'), with the sandbox webhook receivers
    and the rehearsal faults. Errors are the provider's own shape,
    `{"error": code, "message", "param"}`; a bad signature is 401."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    providers = SandboxProviders(runtime)
    app.state.providers = providers

    @app.exception_handler(ZentraError)
    async def _typed(_request: Request, exc: ZentraError) -> Response:
        status = 401 if exc.code in UNAUTHENTICATED else exc.status
        return JSONResponse({"error": exc.code, "message": exc.message, "param": exc.param}, status_code=status)

    @app.post("/providers/{provider_id}/payments")
    async def payments(request: Request, provider_id: str) -> Response:
        return await providers.take(request, provider_id)

    app.include_router(receivers.router(runtime))
    app.include_router(faults.router(runtime))
    app.include_router(reports.router(runtime))
    return app
