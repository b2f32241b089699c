"""The outbox relay puts each event in JetStream exactly once, in commit order per tenant, through
restarts, a NATS outage and a SIGKILL (real NATS server, real API, real database)."""

from __future__ import annotations

import asyncio
import signal

import nats

from backend.events.relay import Relay, relay_lock
from tests.backend.events.support import (
    Poster,
    RelayThread,
    assert_stream_holds_the_log,
    forget_published,
    published,
    relay_process,
    unpublished,
    wait_until,
)


def all_published(runtime, tenant) -> None:
    wait_until(lambda: unpublished(runtime, tenant.tenant_id) == 0, "every event of the tenant to be published")


def test_each_event_is_published_once_on_its_subject_with_its_id_and_view_in_commit_order(runtime, api, tenant, nats_url):
    source, customer = api.funded_account(10_000)
    for amount in (1, 2, 3):
        assert api.post("/ledger-entries", {"debit": customer, "credit": source, "amount_minor": amount}).status_code == 201
    pending = api.post("/ledger-entries", {"debit": customer, "credit": source, "amount_minor": 5, "pending": True}).json()
    assert api.post(f"/ledger-entries/{pending['posting_id']}/void").status_code == 200
    with RelayThread(runtime.db, nats_url):
        all_published(runtime, tenant)
    assert_stream_holds_the_log(nats_url, api, tenant)


def test_a_restarted_relay_resumes_and_a_tail_sent_again_is_stored_once(runtime, api, tenant, nats_url):
    source, customer = api.funded_account(10_000)
    with RelayThread(runtime.db, nats_url):
        all_published(runtime, tenant)
    for amount in (1, 2, 3):
        assert api.post("/ledger-entries", {"debit": customer, "credit": source, "amount_minor": amount}).status_code == 201
    forget_published(runtime, tenant.tenant_id)  # as if the relay died between the acks and its marks
    with RelayThread(runtime.db, nats_url):
        all_published(runtime, tenant)
    assert_stream_holds_the_log(nats_url, api, tenant)


def test_nats_stopped_mid_stream_and_started_again_still_gets_every_event_once_in_order(runtime, api, tenant, embedded_nats):
    source, customer = api.funded_account(10**9)
    with RelayThread(runtime.db, embedded_nats.url):
        with Poster(api, customer, source) as poster:
            wait_until(lambda: published(runtime, tenant.tenant_id) >= 10, "the relay to be publishing")
            embedded_nats.stop()
            poster.wait_for(100)  # commits go on while NATS is down
            embedded_nats.start()  # same port, same JetStream store
            poster.wait_for(20)
        all_published(runtime, tenant)
    assert_stream_holds_the_log(embedded_nats.url, api, tenant)


def test_a_relay_killed_with_sigkill_mid_stream_and_restarted_loses_and_repeats_nothing(runtime, api, tenant, nats_url, test_database, tmp_path):
    source, customer = api.funded_account(10**9)
    relay = relay_process(test_database, tmp_path, nats_url, tmp_path / "relay.log")
    try:
        with Poster(api, customer, source) as poster:
            wait_until(lambda: published(runtime, tenant.tenant_id) >= 10, "the relay process to be publishing")
            relay.send_signal(signal.SIGKILL)
            relay.wait()
            poster.wait_for(20)
            relay = relay_process(test_database, tmp_path, nats_url, tmp_path / "relay.log")
            poster.wait_for(20)
        all_published(runtime, tenant)
    finally:
        relay.terminate()
        relay.wait(30)
    assert_stream_holds_the_log(nats_url, api, tenant)


def test_one_relay_per_database_holds_the_lock_until_it_lets_go(runtime):
    first, second = relay_lock(runtime.db), relay_lock(runtime.db)
    assert first.acquire()
    try:
        assert not second.acquire()
    finally:
        first.release()
    assert second.acquire()
    second.release()


async def test_a_cancelled_relay_stops_even_when_connecting_swallowed_the_cancellation(runtime, nats_url, monkeypatch):
    """nats-py's `connect` waits with `asyncio.wait_for`, which on Python 3.11 can return the
    connection instead of raising when a cancellation arrives with it; the relay stops anyway."""
    original, connecting, swallowed = nats.connect, asyncio.Event(), []

    async def connect(*args, **kwargs):
        client = await original(*args, **kwargs)
        connecting.set()
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            swallowed.append("connect")
        return client

    monkeypatch.setattr(nats, "connect", connect)
    task = asyncio.create_task(Relay(runtime.db, nats_url).run())
    try:
        await asyncio.wait_for(connecting.wait(), 10)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=10)
        assert swallowed == ["connect"]
        assert task in done and task.cancelled()
        lock = relay_lock(runtime.db)
        assert lock.acquire(), "the relay let go of its lock"
        lock.release()
    finally:
        task.cancel()
