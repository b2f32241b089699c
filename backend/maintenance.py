"""Background upkeep every serving process runs: expire due pending postings, forget old keys,
seal audit records into their chains and re-verify the chains, route ledgered intents to their
providers and close their evidence, match settlements against provider reports as they arrive, send what the sandbox traffic dial owes, play the failure scenarios the sandbox room asked for, relay the outbox to JetStream and deliver webhooks from it."""

from __future__ import annotations

import asyncio
import logging
import time

from starlette.concurrency import run_in_threadpool

from backend.audit.sealer import seal
from backend.audit.verifier import verify_all
from backend.events.relay import Relay
from backend.idempotency.keys import purge
from backend.intents import evidencer, router
from backend.ledger.expiry import sweep
from backend.reconciliation import continuous
from backend.runtime import Runtime
from backend.sandbox import scenario_worker, traffic_worker
from backend.webhooks.dispatcher import run_forever as deliver_webhooks

log = logging.getLogger("zentra.maintenance")

SWEEP_INTERVAL_SECONDS = 1.0
PURGE_EVERY_SWEEPS = 3600
SEAL_INTERVAL_SECONDS = 0.25
VERIFY_INTERVAL_SECONDS = 30.0


async def run_forever(runtime: Runtime) -> None:
    """Run the ledger, audit and intent workers, and the event relay and the webhook dispatcher when
    NATS is configured (one process per database publishes at a time: see
    `backend.events.relay`; dispatchers share the work: see `backend.webhooks.dispatcher`),
    until cancelled."""
    loops = [ledger_forever(runtime), audit_forever(runtime), router.run_forever(runtime), evidencer.run_forever(runtime), continuous.run_forever(runtime), traffic_worker.run_forever(runtime), scenario_worker.run_forever(runtime)]
    if runtime.settings.nats_url:
        loops.append(Relay(runtime.db, runtime.settings.nats_url, now=runtime.now).run())
        loops.append(deliver_webhooks(runtime, runtime.settings.nats_url))
    await asyncio.gather(*loops)


async def ledger_forever(runtime: Runtime) -> None:
    """Sweep once a second; a failed pass is logged and retried, never fatal."""
    passes = 0
    while True:
        try:
            await run_in_threadpool(sweep, runtime.db, runtime.now)
            if passes % PURGE_EVERY_SWEEPS == 0:
                await run_in_threadpool(purge, runtime.db, runtime.now())
        except Exception:  # noqa: BLE001 - upkeep must survive a bad pass (e.g. database restart)
            log.exception("maintenance pass failed")
        passes += 1
        await asyncio.sleep(SWEEP_INTERVAL_SECONDS)


async def audit_forever(runtime: Runtime, verify_every: float = VERIFY_INTERVAL_SECONDS) -> None:
    """Seal new records four times a second and re-walk every chain every `verify_every` s."""
    next_verify = time.monotonic()
    while True:
        try:
            await run_in_threadpool(seal, runtime.db)
            if time.monotonic() >= next_verify:
                await run_in_threadpool(verify_all, runtime.db, runtime.now())
                next_verify = time.monotonic() + verify_every
        except Exception:  # noqa: BLE001 - upkeep must survive a bad pass
            log.exception("audit upkeep pass failed")
        await asyncio.sleep(SEAL_INTERVAL_SECONDS)
