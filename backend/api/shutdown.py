"""A deadline on shutting down `zentra api`: a worker that has begun to stop but is still there
after SHUTDOWN_DEADLINE_SECONDS (a task that ignores cancellation, a thread blocked for good) is
ended, after printing every thread's stack, so an operator's SIGTERM always ends the process
and the stacks say where it was stuck. It watches the serving process itself (one worker, as
SQLite requires); with several workers, uvicorn's supervisor stops its children."""

from __future__ import annotations

import asyncio
import faulthandler
import io
import os
import sys
import threading
import time
from typing import Callable

SHUTDOWN_DEADLINE_SECONDS = 30.0
EXIT_STUCK = 70  # EX_SOFTWARE: the process did not stop by itself

_started = threading.Event()
_loop: asyncio.AbstractEventLoop | None = None


def begin() -> None:
    """Mark that this process's worker has begun to shut down (its lifespan is ending; call it on
    the worker's event loop, whose pending tasks the deadline then names)."""
    global _loop
    try:
        _loop = asyncio.get_running_loop()
    except RuntimeError:
        _loop = None
    _started.set()


def enforce(on_expiry: Callable[[], None], deadline: float = SHUTDOWN_DEADLINE_SECONDS) -> threading.Thread:
    """Watch in a daemon thread: once `begin()` was called, wait `deadline` seconds; if the
    process is still running then, print every thread's stack to stderr, run `on_expiry` (stop
    what would outlive the process) and exit with EXIT_STUCK."""

    def watch() -> None:
        _started.wait()
        time.sleep(deadline)
        print(f"zentra api: still shutting down after {deadline:g} s; every thread's stack follows", file=sys.stderr, flush=True)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        _print_pending_tasks()
        on_expiry()
        os._exit(EXIT_STUCK)

    watcher = threading.Thread(target=watch, name="zentra-shutdown-deadline", daemon=True)
    watcher.start()
    return watcher


def pending_tasks(loop: asyncio.AbstractEventLoop, leave_out: asyncio.Task | None = None) -> str:
    """Every unfinished task of `loop` but `leave_out`, each named with its stack: where a
    coroutine is waiting, or ignoring its cancellation."""
    out = io.StringIO()
    for task in list(asyncio.all_tasks(loop)):
        if task is not leave_out:
            out.write(f"pending task {task.get_name()}:\n")
            task.print_stack(limit=12, file=out)
    return out.getvalue()


def _print_pending_tasks() -> None:
    """`pending_tasks` of the worker's loop, read from this thread while the loop waits: a best
    effort, never in the way of the exit."""
    loop = _loop
    if loop is None:
        return
    try:
        print(pending_tasks(loop), file=sys.stderr, end="")
    except Exception as exc:  # noqa: BLE001 - the loop may change under us; the exit must happen
        print(f"(could not list the pending tasks: {exc!r})", file=sys.stderr)
    sys.stderr.flush()
