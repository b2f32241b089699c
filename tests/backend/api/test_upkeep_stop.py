"""Stopping the upkeep on shutdown: a cancelled upkeep is awaited, and one that does not stop in
time is named in the log instead of hanging the shutdown silently."""

from __future__ import annotations

import asyncio
import logging

from backend.api.asgi import stop_upkeep


def test_a_cancelled_upkeep_is_awaited_until_it_has_stopped():
    cleaned_up = []

    async def upkeep():
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned_up.append(True)

    async def main():
        task = asyncio.create_task(upkeep())
        await asyncio.sleep(0)
        await stop_upkeep(task, timeout=5)
        return task

    task = asyncio.run(main())
    assert task.cancelled() and cleaned_up == [True]


def test_an_upkeep_that_does_not_stop_in_time_is_named_in_the_log(caplog):
    async def stubborn():
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                await asyncio.sleep(0.5)
                return

    async def main():
        task = asyncio.create_task(stubborn(), name="stubborn-loop")
        await asyncio.sleep(0)
        await stop_upkeep(task, timeout=0.05)
        stopped_in_time = task.done()
        await task
        return stopped_in_time

    with caplog.at_level(logging.WARNING, logger="zentra.api"):
        assert asyncio.run(main()) is False
    assert any("stubborn-loop" in record.getMessage() and "stubborn" in record.getMessage() for record in caplog.records)
