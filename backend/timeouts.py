"""Waiting at most so long, in loops that must stop when their task is cancelled."""

from __future__ import annotations

import asyncio
from typing import Awaitable, TypeVar

T = TypeVar("T")


async def within(seconds: float, awaitable: Awaitable[T]) -> T:
    """`await awaitable`, raising TimeoutError after `seconds`, as `asyncio.wait_for` does. Not
    wait_for itself: on Python 3.11 it can lose a cancellation that arrives as its awaitable
    completes (cpython gh-86296), and a polling loop built on it then goes on after its task
    was cancelled, keeping a stopping process waiting for good."""
    async with asyncio.timeout(seconds):
        return await awaitable


def stop_if_cancelled() -> None:
    """Raise the cancellation a library call swallowed. nats-py waits with `asyncio.wait_for`
    (a pull subscription's `fetch`, `connect`), which loses a cancellation in the same race as
    above; the task still counts the request (`Task.cancelling`), so a loop around such calls
    checks here on every turn and stops as it was asked to."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
