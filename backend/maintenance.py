"""Background upkeep every serving process runs: expire due pending postings, forget old keys."""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from backend.idempotency.keys import purge
from backend.ledger.expiry import sweep
from backend.runtime import Runtime

log = logging.getLogger("zentra.maintenance")

SWEEP_INTERVAL_SECONDS = 1.0
PURGE_EVERY_SWEEPS = 3600


async def run_forever(runtime: Runtime) -> None:
    """Sweep once a second until cancelled; a failed pass is logged and retried, never fatal."""
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
