"""The scenario worker: every serving process claims queued failure-scenario runs and plays them.

A scenario drives this very instance over HTTP, as `zentra sandbox run` would from outside, at
the instance's own address (`ZENTRA_API_URL`) with the rehearsal cast from the data dir. It runs
on a thread of its own (its waits are blocking HTTP polls that can last a minute), so the
serving loop never waits on it; its verdict is kept with the run when it ends, whatever ended it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback

from starlette.concurrency import run_in_threadpool

from backend.db import transactions
from backend.runtime import Runtime
from backend.sandbox import scenario_runs
from backend.sandbox.cast import CAST_FILE, Cast, load_cast
from backend.sandbox.scenarios.catalogue import run_scenario
from backend.sandbox.scenarios.verdict import Verdict
from backend.tenancy.scope import Scope

log = logging.getLogger("zentra.sandbox.scenarios")

TICK_SECONDS = 1.0
PLAYING_AT_ONCE = 4  # per process: each is one thread blocking on HTTP polls


def rehearsal_cast(runtime: Runtime) -> Cast | None:
    """The cast `zentra demo` (or `zentra sandbox seed`) wrote to this instance's data dir."""
    try:
        return load_cast(runtime.settings.data_dir / CAST_FILE)
    except FileNotFoundError:
        return None


def play(runtime: Runtime, scope: Scope, run_id: str, scenario: str) -> dict:
    """Play one claimed run to its verdict and keep it; a crash of the runner itself is kept as a
    failed check, so a run never stays `running` because its code raised."""
    cast = rehearsal_cast(runtime)
    if cast is None or cast.tenant_id != scope.tenant_id:
        verdict = Verdict(scenario)
        verdict.check("rehearsal cast present", False, f"no cast for tenant {scope.tenant_id} in {runtime.settings.data_dir}")
        result = verdict.to_dict()
    else:
        try:
            result = run_scenario(scenario, runtime.settings.api_url, cast).to_dict()
        except Exception as err:  # noqa: BLE001 - the verdict must record any failure of the runner
            log.exception("scenario %s (%s) crashed", scenario, run_id)
            verdict = Verdict(scenario)
            verdict.check("scenario runner finished", False, "".join(traceback.format_exception_only(err)).strip())
            result = verdict.to_dict()
    return transactions.write(runtime.db, lambda s: scenario_runs.finish(s, scope, run_id, result, runtime.now()))


async def run_forever(runtime: Runtime) -> None:
    """Claim what is queued once a second (a read first, so an idle tenant costs no write lock),
    while fewer than `PLAYING_AT_ONCE` play here. Each
    plays on a daemon thread: a stopping process does not wait minutes for a rehearsal to end
    (the run it leaves behind is marked interrupted later)."""
    playing: list[threading.Thread] = []
    while True:
        try:
            playing = [t for t in playing if t.is_alive()]
            room = PLAYING_AT_ONCE - len(playing)
            due = room > 0 and await run_in_threadpool(transactions.read, runtime.db, lambda s: scenario_runs.has_work(s, runtime.now()))
            claimed = await run_in_threadpool(transactions.write, runtime.db, lambda s: scenario_runs.claim(s, runtime.now(), room)) if due else []
            for scope, run_id, scenario in claimed:
                thread = threading.Thread(target=_play_logged, args=(runtime, scope, run_id, scenario), name=f"scenario-{run_id}", daemon=True)
                thread.start()
                playing.append(thread)
        except Exception:  # noqa: BLE001 - upkeep must survive a bad pass (e.g. database restart)
            log.exception("scenario worker pass failed")
        await asyncio.sleep(TICK_SECONDS)


def _play_logged(runtime: Runtime, scope: Scope, run_id: str, scenario: str) -> None:
    """`play` on its own thread: a verdict that could not be stored (the database gone) is
    logged, and the run is left for `expire` to mark interrupted."""
    try:
        play(runtime, scope, run_id, scenario)
    except Exception:  # noqa: BLE001 - nothing above this thread would see it
        log.exception("scenario run %s could not keep its verdict", run_id)
