"""The router writes a batch's outcomes in one transaction; one that cannot be written does not
take the others with it."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from sqlalchemy import select

from backend.db import transactions
from backend.db.own_session import OwnSession
from backend.db.tables import Intent, Provider
from backend.intents import router
from backend.ledger import holds
from backend.routing.submission import Outcome
from tests.backend.intents.support import payment, rails, route_due


def _row(runtime, intent_id: str) -> Intent:
    return transactions.read(runtime.db, lambda s: s.execute(select(Intent).where(Intent.intent_id == intent_id)).scalar_one())


def test_a_batch_writes_each_outcome_and_rolls_back_only_the_one_that_cannot_be_written(runtime, api, tenant):
    rail = rails(api)
    provider = rail.providers[0]["id"]
    refused, accepted, failing = (payment(rail, 100 + i).json()["intent_id"] for i in range(3))
    claimed = {d.submission.intent_id: d for d in transactions.write(runtime.db, lambda s: router.claim_due(s, "http://127.0.0.1:9", runtime.now()))}
    # Behind the router's back, the first intent's hold is released: writing its failure (which
    # releases the hold again) is refused, and only that intent's outcome is rolled back.
    hold_id = _row(runtime, refused).hold_id
    transactions.write(runtime.db, lambda s: holds.release_hold(s, tenant.sandbox, hold_id, {"reason": "test", "source_request": "t"}, runtime.now()))
    failed = Outcome(provider, "failed", 500, 3, None, "http 500")
    ok = Outcome(provider, "accepted", 200, 3, "ref_1", None)
    outcomes = [(claimed[refused], [failed]), (claimed[accepted], [ok]), (claimed[failing], [failed])]

    ended = transactions.write(runtime.db, lambda s: router.settle_routings(s, outcomes, runtime.now()))

    assert ended == {_row(runtime, accepted).id: "routed", _row(runtime, failing).id: "failed"}
    assert _row(runtime, refused).status == "ledgered"  # routed again once its lease ends
    assert _row(runtime, accepted).provider_id == provider
    assert _row(runtime, failing).failure_code == "route_failed"
    health = transactions.read(runtime.db, lambda s: s.get(Provider, provider))
    assert (health.consecutive_failures, health.last_success_at is not None) == (1, True)  # attempts counted in order: fail, ok, fail


def test_the_router_keeps_at_most_offers_in_flight_offers_open_at_once(runtime, api, monkeypatch):
    rail = rails(api)
    for i in range(10):
        assert payment(rail, 100 + i).status_code == 201
    open_now, most = 0, 0

    async def slow_offer(client, due, api_url, now):
        nonlocal open_now, most
        open_now += 1
        most = max(most, open_now)
        await asyncio.sleep(0.05)
        open_now -= 1
        return [Outcome(due.targets[0].provider_id, "accepted", 200, 50, f"ref_{due.row_id}", None)]

    monkeypatch.setattr(router, "OFFERS_IN_FLIGHT", 3)
    monkeypatch.setattr(router, "offer", slow_offer)
    assert route_due(runtime) == 10
    assert most == 3


def test_the_idle_question_sees_a_due_intent_but_not_one_under_lease(runtime, api):
    rail = rails(api)
    assert payment(rail, 100).status_code == 201
    own = OwnSession(runtime.db)
    try:
        assert own.run(lambda conn: router.any_due(conn, runtime.now()))
        assert len(transactions.write(runtime.db, lambda s: router.claim_due(s, "http://127.0.0.1:9", runtime.now()))) == 1
        assert not own.run(lambda conn: router.any_due(conn, runtime.now()))
        assert own.run(lambda conn: router.any_due(conn, runtime.now() + router.LEASE + timedelta(seconds=1)))
    finally:
        own.close()


async def test_the_running_worker_routes_an_intent_that_becomes_due(runtime, api):
    rail = rails(api)
    worker = asyncio.create_task(router.run_forever(runtime))
    try:
        await asyncio.sleep(0.2)  # idle first: the worker's question finds nothing due
        intent_id = (await asyncio.to_thread(payment, rail, 100)).json()["intent_id"]
        deadline = asyncio.get_running_loop().time() + 20
        while (await asyncio.to_thread(_row, runtime, intent_id)).status == "ledgered":
            assert asyncio.get_running_loop().time() < deadline, "the worker did not route the intent"
            await asyncio.sleep(0.05)
        routed = await asyncio.to_thread(_row, runtime, intent_id)
        assert routed.status != "failed" and routed.provider_id == rail.providers[0]["id"]
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
