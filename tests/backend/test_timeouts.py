"""`within`: a wait with a deadline that answers, times out, and always passes a cancellation on."""

from __future__ import annotations

import asyncio

import pytest

from backend.timeouts import within


def test_it_answers_what_was_awaited_in_time():
    async def quick():
        return "done"

    assert asyncio.run(within(1, quick())) == "done"


def test_it_raises_timeout_error_past_the_deadline():
    with pytest.raises(TimeoutError):
        asyncio.run(within(0.01, asyncio.Event().wait()))


def test_a_cancelled_wait_is_cancelled_even_when_what_it_awaited_is_ready():
    async def main():
        event = asyncio.Event()
        waiter = asyncio.create_task(within(10, event.wait()))
        await asyncio.sleep(0)
        event.set()  # ready and cancelled at once: the race wait_for loses on Python 3.11
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter

    asyncio.run(main())
