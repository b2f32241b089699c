"""Who may use the sandbox's props (receivers, faults, settlement reports): a sandbox API key."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from backend.api.requests import bearer_key
from backend.db import transactions
from backend.errors import ZentraError
from backend.runtime import Runtime
from backend.tenancy.api_keys import authenticate
from backend.tenancy.scope import Scope


async def sandbox_scope(runtime: Runtime, request: Request) -> Scope:
    """The scope of the request's API key, which must be a sandbox key."""
    scope = await run_in_threadpool(transactions.read, runtime.db, lambda s: authenticate(s, bearer_key(request)))
    if scope.mode != "sandbox":
        raise ZentraError("forbidden", "the sandbox's props take sandbox keys only")
    return scope
