"""A burst of new intents takes at most `INTAKE_SLOTS` worker threads; the rest wait their turn
and are all taken in."""

from __future__ import annotations

import asyncio
import time

import httpx

from backend.api import mutations
from backend.api.routes.intents import INTAKE_SLOTS


def test_a_burst_of_new_intents_holds_at_most_the_intake_slots_at_once(api, api_url, tenant, monkeypatch):
    _, source = api.funded_account(1_000_000)
    merchant = api.account(customer="Merchant Ltd")
    open_now, most = [0], [0]
    to_thread = mutations.run_in_threadpool

    async def counted(func):
        open_now[0] += 1  # on the event loop: no lock needed
        most[0] = max(most[0], open_now[0])
        try:
            return await to_thread(lambda: (time.sleep(0.05), func())[1])
        finally:
            open_now[0] -= 1

    monkeypatch.setattr(mutations, "run_in_threadpool", counted)
    body = {"kind": "payment", "amount_minor": 100, "currency": "USD", "source": source, "destination": merchant}

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=api_url + "/v1", headers={"Authorization": f"Bearer {tenant.sandbox_key}"}, timeout=60) as client:
            answers = await asyncio.gather(*(client.post("/runtime/intents", json={**body, "idempotency_key": f"burst{i}"}) for i in range(3 * INTAKE_SLOTS)))
        return [a.status_code for a in answers]

    assert asyncio.run(burst()) == [201] * (3 * INTAKE_SLOTS)
    assert most[0] == INTAKE_SLOTS
