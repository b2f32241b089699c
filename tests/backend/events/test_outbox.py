"""The event log's order is commit order within a tenant and mode, so `after` never skips."""

from __future__ import annotations

import threading
import time

from backend.clock import utcnow
from backend.db import commit_tail, transactions
from backend.events.log import events_after
from backend.events.outbox import PendingEvent, record


def test_a_consumer_paging_with_after_never_skips_an_event_that_commits_late(runtime, tenant):
    """A transaction that inserts its event first (events go in at the tail, just before the
    commit) but commits last must not land behind a cursor that a consumer already moved past a
    later event."""
    scope = tenant.sandbox
    slow_inserted = threading.Event()

    def stall(session, _items):
        slow_inserted.set()
        time.sleep(0.5)

    def slow(session):
        record(session, scope, [PendingEvent("test.slow", "obj_slow", {}, utcnow())])
        commit_tail.defer(session, commit_tail.Step("stall after the events' insert", rank=30, run=stall), None)

    worker = threading.Thread(target=transactions.write, args=(runtime.db, slow))
    worker.start()
    slow_inserted.wait(10)
    transactions.write(runtime.db, lambda s: record(s, scope, [PendingEvent("test.fast", "obj_fast", {}, utcnow())]))
    first_page = transactions.read(runtime.db, lambda s: events_after(s, scope, None, 10))["data"]
    worker.join()
    rest = transactions.read(runtime.db, lambda s: events_after(s, scope, first_page[-1]["id"], 10))["data"]
    assert [e["type"] for e in first_page + rest] == ["test.slow", "test.fast"]
