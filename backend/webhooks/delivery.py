"""One delivery attempt: check the destination, sign, POST, classify what happened.

Nothing here touches the database; the outcome is settled by `messages.settle`. Error kinds:
`blocked` (the destination is not allowed in this mode: nothing was sent), `dns` (the host did
not resolve), `connection` (refused, reset, TLS or protocol failure), `timeout` (no complete
answer within the timeout, which covers the whole attempt), `http` (an answer other than 2xx;
redirects are not followed, as the Standard Webhooks spec advises).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from backend.outbound.connections import FAILURES, Connections
from backend.webhooks import addresses, signing
from backend.webhooks.messages import Job
from backend.webhooks.schedule import parse_retry_after

USER_AGENT = "Zentra-Webhooks/1"
EXCERPT_CHARS = 500
ERROR_CHARS = 300


@dataclass(frozen=True)
class Outcome:
    attempted_at: datetime
    duration_ms: int
    response_code: int | None = None
    error_kind: str | None = None
    error: str | None = None
    excerpt: str | None = None
    retry_after: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.error_kind is None


def headers(job: Job, timestamp: int) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt (the timestamp is the attempt's own)."""
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": job.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.signature_header(job.keys, job.message_id, timestamp, job.body),
    }


async def attempt(connections: Connections, job: Job, *, timeout: float, now: Callable[[], datetime], resolver: addresses.Resolver = addresses.system_resolver) -> Outcome:
    """Deliver `job` once and say how it went; never raises for anything the receiver or the
    network does."""
    attempted_at = now()
    started = time.perf_counter()

    def outcome(**fields) -> Outcome:
        return Outcome(attempted_at, round((time.perf_counter() - started) * 1000), **fields)

    resolved = False
    try:
        async with asyncio.timeout(timeout):
            target = await addresses.destination(job.url, job.mode == "sandbox", resolver)
            resolved = True
            sent = {"host": target.host_header, **headers(job, int(attempted_at.timestamp()))}
            answer = await connections.post(target.scheme, target.address, target.port, target.target, sent, job.body, target.sni_hostname, EXCERPT_CHARS)
    except addresses.Blocked as exc:
        return outcome(error_kind="blocked", error=_short(exc))
    except addresses.Unresolvable as exc:
        return outcome(error_kind="dns", error=_short(exc))
    except TimeoutError:
        return outcome(error_kind="timeout" if resolved else "dns", error=f"no answer within {timeout:g} s" if resolved else "resolving the host timed out")
    except FAILURES as exc:
        return outcome(error_kind="connection", error=_short(exc))
    excerpt = answer.excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS] or None
    if 200 <= answer.status < 300:
        return outcome(response_code=answer.status, excerpt=excerpt)
    retry_after = parse_retry_after(answer.headers.get("retry-after"), attempted_at)
    return outcome(response_code=answer.status, error_kind="http", error=f"HTTP {answer.status}", excerpt=excerpt, retry_after=retry_after)


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:ERROR_CHARS] if str(exc) else type(exc).__name__
