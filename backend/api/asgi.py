"""The API as an importable ASGI app, for `zentra api --workers N` (each worker builds its own)."""

from __future__ import annotations

import asyncio
import contextlib

from backend.api.app import create_api
from backend.maintenance import run_forever
from backend.runtime import current


def build():
    """A FastAPI app over this process's runtime, running the upkeep loop for its lifetime."""
    runtime = current()
    app = create_api(runtime)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        task = asyncio.create_task(run_forever(runtime))
        yield
        task.cancel()

    app.router.lifespan_context = lifespan
    return app
