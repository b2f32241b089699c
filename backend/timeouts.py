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
