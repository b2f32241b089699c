"""Sealing links committed records into their chain in order, exactly once, however many
sealers run; the background verifier re-walks the chain and raises the alarm on any edit."""

from __future__ import annotations

import asyncio
import threading

import orjson
import pytest
from sqlalchemy import delete, select, update

from backend.audit import records
from backend.audit.queries import chain_status
from backend.audit.sealer import seal
from backend.audit.verifier import verify_all, walk
from backend.db import transactions
from backend.db.tables import AuditRecord, Event
from backend.maintenance import audit_forever
from backend.tenancy.scope import Scope


def _write(runtime, tenant_id: str, n: int, mode: str = "sandbox") -> None:
    scope = Scope(tenant_id, mode, actor="api_key:key_test", role="api_key")
    entries = [records.for_scope(scope, "account.create", f"acct_{i}", "POST /v1/accounts", runtime.now(), f"req_{i}") for i in range(n)]
    records.record_alone(runtime.db, entries)


def _chain(runtime, tenant_id: str) -> list[AuditRecord]:
    query = select(AuditRecord).where(AuditRecord.chain == tenant_id).order_by(AuditRecord.seq)
    return list(transactions.read(runtime.db, lambda s: s.execute(query).scalars().all()))


def _alarms(runtime, tenant_id: str) -> list[Event]:
    query = select(Event).where(Event.tenant_id == tenant_id, Event.type == "audit.chain_broken")
    return list(transactions.read(runtime.db, lambda s: s.execute(query).scalars().all()))


def test_records_are_unsealed_until_the_sealer_links_them_in_insertion_order(runtime, tenant):
    _write(runtime, tenant.tenant_id, 3)
    assert [r.seq for r in _chain(runtime, tenant.tenant_id)] == [None] * 3
    assert seal(runtime.db, tenant.tenant_id) == 3
    sealed = _chain(runtime, tenant.tenant_id)
    assert [r.seq for r in sealed] == [1, 2, 3]
    assert [r.object_id for r in sealed] == ["acct_0", "acct_1", "acct_2"]
    assert sealed[1].prev_hash == sealed[0].hash and sealed[2].prev_hash == sealed[1].hash
    assert seal(runtime.db, tenant.tenant_id) == 0
    assert walk(runtime.db, tenant.tenant_id).ok


def test_chains_are_per_tenant(runtime, tenant):
    from tests.conftest import make_tenant

    other = make_tenant(runtime, "Other")
    _write(runtime, tenant.tenant_id, 2)
    _write(runtime, other.tenant_id, 1)
    seal(runtime.db)
    assert [r.seq for r in _chain(runtime, tenant.tenant_id)] == [1, 2]
    assert [r.seq for r in _chain(runtime, other.tenant_id)] == [1]


def test_concurrent_writers_and_sealers_give_every_record_one_place(runtime, tenant):
    """Four writers and three sealers at once: seqs 1..n, no gaps, no duplicates, one chain."""
    errors: list[BaseException] = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
                errors.append(exc)
        return run

    writers = [threading.Thread(target=guarded(lambda: [_write(runtime, tenant.tenant_id, 5) for _ in range(10)])) for _ in range(4)]
    sealers = [threading.Thread(target=guarded(lambda: [seal(runtime.db, tenant.tenant_id) for _ in range(20)])) for _ in range(3)]
    for t in writers + sealers:
        t.start()
    for t in writers + sealers:
        t.join()
    seal(runtime.db, tenant.tenant_id)
    assert errors == []
    assert [r.seq for r in _chain(runtime, tenant.tenant_id)] == list(range(1, 201))
    assert walk(runtime.db, tenant.tenant_id).ok


@pytest.mark.parametrize(
    "tamper, named",
    [
        (lambda table, chain: update(table).where(table.chain == chain, table.seq == 3).values(actor="api_key:someone_else"), "seq 3: hash does not match"),
        (lambda table, chain: update(table).where(table.chain == chain, table.seq == 2).values(detail_json='{"amount":1}'), "seq 2: hash does not match"),
        (lambda table, chain: delete(table).where(table.chain == chain, table.seq == 4), "seq 4 is missing"),
        (lambda table, chain: delete(table).where(table.chain == chain, table.seq == 5), "seq 5 is missing"),
        (lambda table, chain: update(table).where(table.chain == chain, table.seq == 2).values(hash="0" * 64), "seq 2: hash does not match"),
    ],
    ids=["edited actor", "edited detail", "deleted middle", "deleted last", "rewritten hash"],
)
def test_the_verifier_finds_a_tampered_row_and_raises_the_alarm_once(runtime, tenant, tamper, named):
    _write(runtime, tenant.tenant_id, 5)
    seal(runtime.db)
    assert next(v for v in verify_all(runtime.db, runtime.now()) if v.chain == tenant.tenant_id).ok
    transactions.write(runtime.db, lambda s: s.execute(tamper(AuditRecord, tenant.tenant_id)))

    verdict = next(v for v in verify_all(runtime.db, runtime.now()) if v.chain == tenant.tenant_id)
    assert not verdict.ok and named in verdict.reason
    alarms = _alarms(runtime, tenant.tenant_id)
    assert sorted(a.mode for a in alarms) == ["live", "sandbox"]
    assert orjson.loads(alarms[0].data_json)["broken_seq"] == verdict.broken_seq
    status = transactions.read(runtime.db, lambda s: chain_status(s, tenant.tenant_id))
    assert status["status"] == "broken" and status["broken_seq"] == verdict.broken_seq

    verify_all(runtime.db, runtime.now())
    assert len(_alarms(runtime, tenant.tenant_id)) == 2  # the same break is not raised again


async def test_the_background_loop_seals_and_trips_the_alarm_on_an_edited_row(runtime, tenant):
    _write(runtime, tenant.tenant_id, 3)
    loop = asyncio.create_task(audit_forever(runtime, verify_every=0.2))
    try:
        await _eventually(lambda: [r.seq for r in _chain(runtime, tenant.tenant_id)] == [1, 2, 3])
        await _eventually(lambda: transactions.read(runtime.db, lambda s: chain_status(s, tenant.tenant_id))["verified_seq"] == 3)
        transactions.write(runtime.db, lambda s: s.execute(update(AuditRecord).where(AuditRecord.chain == tenant.tenant_id, AuditRecord.seq == 2).values(action="hold.release")))
        await _eventually(lambda: len(_alarms(runtime, tenant.tenant_id)) == 2)
    finally:
        loop.cancel()


async def _eventually(check, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(check):
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)
