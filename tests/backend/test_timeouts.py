"""`within`: a wait with a deadline that answers, times out, and always passes a cancellation on;
`stop_if_cancelled`: a loop stops even when a library call swallowed its cancellation."""

from __future__ import annotations

import asyncio

import pytest

from backend.timeouts import stop_if_cancelled, within


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


def test_a_loop_stops_after_a_library_swallowed_its_cancellation():
    turns = 0

    async def loop():
        nonlocal turns
        for _ in range(300):  # bounded, so that without the check the test fails instead of hanging
            turns += 1
            try:
                await asyncio.sleep(0.01)
            except asyncio.CancelledError:
                pass  # what wait_for does on Python 3.11 when its awaitable completes meanwhile
            stop_if_cancelled()

    async def main():
        task = asyncio.create_task(loop())
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.wait({task}, timeout=5)  # not wait_for: on timeout it waits for the task to stop
        assert task.cancelled()

    asyncio.run(main())
    assert turns >= 2


def test_an_uncancelled_loop_goes_on():
    async def main():
        stop_if_cancelled()
        try:
            async with asyncio.timeout(0.01):
                await asyncio.Event().wait()
        except TimeoutError:
            pass
        stop_if_cancelled()  # a timeout's own cancellation is not a request to stop
        return "went on"

    assert asyncio.run(main()) == "went on"
