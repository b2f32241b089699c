"""A `zentra api` process that has begun to shut down but cannot finish (here a thread blocked
for good) is ended at the deadline, after printing every thread's stack and stopping what would
outlive it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from backend.api.shutdown import EXIT_STUCK
from tests.backend.events.support import REPO

STUCK = textwrap.dedent(
    """
    import threading
    from backend.api import shutdown

    def blocked_for_good():
        threading.Event().wait()

    threading.Thread(target=blocked_for_good, name="stuck-worker").start()
    shutdown.enforce(lambda: print("stopped what outlives the process", flush=True), deadline=0.5)
    shutdown.begin()
    """
)


def test_a_shutdown_stuck_past_the_deadline_is_ended_with_every_threads_stack():
    done = subprocess.run([sys.executable, "-c", STUCK], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_STUCK
    assert "zentra api: still shutting down after 0.5 s" in done.stderr
    assert "blocked_for_good" in done.stderr  # the stuck thread's stack names where it waits
    assert done.stdout.strip() == "stopped what outlives the process"


STUCK_TASK = textwrap.dedent(
    """
    import asyncio
    from backend.api import shutdown

    async def ignores_its_cancellation():
        while True:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                continue

    async def main():
        shutdown.enforce(lambda: None, deadline=0.5)
        asyncio.create_task(ignores_its_cancellation(), name="stubborn")
        await asyncio.sleep(0)
        shutdown.begin()

    asyncio.run(main())  # its cleanup waits for "stubborn" for good
    """
)


def test_an_event_loop_task_that_ignores_cancellation_is_named_with_its_stack():
    done = subprocess.run([sys.executable, "-c", STUCK_TASK], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_STUCK
    assert "pending task stubborn:" in done.stderr and "ignores_its_cancellation" in done.stderr


def test_a_process_that_never_began_to_shut_down_is_left_alone():
    idle = "from backend.api import shutdown; shutdown.enforce(lambda: print('stopped'), deadline=0.1); import time; time.sleep(0.5); print('ran to its end')"
    done = subprocess.run([sys.executable, "-c", idle], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "ran to its end")
