"""The API as an importable ASGI app, for `zentra api --workers N` (each worker builds its own)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from backend.api import shutdown
from backend.api.app import create_api
from backend.maintenance import run_forever
from backend.runtime import current

log = logging.getLogger("zentra.api")

UPKEEP_STOP_SECONDS = 10.0


def build():
    """A FastAPI app over this process's runtime, running the upkeep loop for its lifetime."""
    runtime = current()
    app = create_api(runtime)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        task = asyncio.create_task(run_forever(runtime), name="zentra-upkeep")
        yield
        shutdown.begin()
        await stop_upkeep(task)

    app.router.lifespan_context = lifespan
    return app


async def stop_upkeep(task: asyncio.Task, timeout: float = UPKEEP_STOP_SECONDS) -> None:
    """Cancel the upkeep and wait for it, at most `timeout`: a worker thread still inside a
    database call (a SQLite busy wait, a PostgreSQL lock wait) finishes that call first. If it
    is still running after that, name every task still pending, so a stuck shutdown says where."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if done:
        if not task.cancelled() and task.exception() is not None:
            log.error("upkeep ended with an error", exc_info=task.exception())
        return
    log.warning("upkeep still stopping after %.0f s:\n%s", timeout, shutdown.pending_tasks(asyncio.get_running_loop(), asyncio.current_task()))
