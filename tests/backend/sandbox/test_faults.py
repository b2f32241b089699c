"""The sandbox's fault switch is off unless the instance allows it, and takes sandbox keys only."""

from __future__ import annotations

import httpx

from backend.events import partition


def test_the_nats_partition_is_refused_on_an_instance_without_faults(api_url, tenant, monkeypatch):
    monkeypatch.delenv(partition.FAULTS_SETTING, raising=False)
    r = httpx.post(f"{api_url}/sandbox/faults/nats-partition", json={"seconds": 5}, headers={"Authorization": f"Bearer {tenant.sandbox_key}"})
    assert (r.status_code, r.json()["error"]) == (403, "forbidden")
    assert partition.remaining() == 0


def test_live_keys_and_bad_durations_are_refused(api_url, tenant, monkeypatch):
    monkeypatch.setenv(partition.FAULTS_SETTING, "1")
    live = httpx.post(f"{api_url}/sandbox/faults/nats-partition", json={"seconds": 5}, headers={"Authorization": f"Bearer {tenant.live_key}"})
    assert live.status_code == 403
    for seconds in (0, -1, 121, "5", True):
        bad = httpx.post(f"{api_url}/sandbox/faults/nats-partition", json={"seconds": seconds}, headers={"Authorization": f"Bearer {tenant.sandbox_key}"})
        assert (bad.status_code, bad.json()["param"]) == (400, "seconds")
    assert partition.remaining() == 0


def test_while_partitioned_the_relay_cannot_reach_nats():
    partition.partition_for(0.2)
    try:
        try:
            partition.check()
        except ConnectionError as err:
            assert "partitioned" in str(err)
        else:
            raise AssertionError("the partition let the relay through")
    finally:
        partition.partition_for(0)
    partition.check()
