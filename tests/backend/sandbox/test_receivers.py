"""Sandbox webhook receivers: up (200) until a rehearsal takes one down, counting what they get;
only the tenant's own sandbox key sets them."""

from __future__ import annotations

import httpx

from backend.api.app import create_api
from tests.conftest import Api, serving


def test_a_receiver_nobody_set_is_up_and_counts_deliveries(api_url, tenant, api: Api):
    url = f"{api_url}/sandbox/receivers/{tenant.tenant_id}/fresh-consumer"
    assert httpx.post(url, json={"type": "intent.accepted"}).status_code == 200
    shown = api.client.get(f"{api_url}/sandbox/receivers/fresh-consumer").json()
    assert (shown["status"], shown["received"], shown["answered_ok"]) == (200, 1, 1)


def test_a_receiver_taken_down_answers_its_status_until_it_is_back(api_url, tenant, api: Api):
    set_to = lambda status: api.client.put(f"{api_url}/sandbox/receivers/flaky", json={"status": status})  # noqa: E731
    down = set_to(503)
    assert down.status_code == 200 and down.json()["url"].endswith(f"/sandbox/receivers/{tenant.tenant_id}/flaky")
    assert httpx.post(down.json()["url"], json={}).status_code == 503
    set_to(200)
    assert httpx.post(down.json()["url"], json={}).status_code == 200
    assert api.client.get(f"{api_url}/sandbox/receivers/flaky").json()["received"] == 2


def test_bad_names_and_statuses_are_refused(api_url, tenant, api: Api):
    assert httpx.post(f"{api_url}/sandbox/receivers/{tenant.tenant_id}/Not%20A%20Name", json={}).status_code == 404
    refused = api.client.put(f"{api_url}/sandbox/receivers/flaky", json={"status": 42})
    assert (refused.status_code, refused.json()["error"], refused.json()["param"]) == (400, "validation_error", "status")


def test_every_serving_process_answers_a_receiver_the_same_way(runtime, api_url, tenant, api: Api):
    """The receiver is a row: a second app on the same database (another worker) sees the outage."""
    api.client.put(f"{api_url}/sandbox/receivers/shared", json={"status": 503})
    with serving(create_api(runtime)) as other:
        assert httpx.post(f"{other}/sandbox/receivers/{tenant.tenant_id}/shared", json={}).status_code == 503
    assert api.client.get(f"{api_url}/sandbox/receivers/shared").json()["received"] == 1


def test_a_receiver_of_no_tenant_answers_not_found(api_url):
    assert httpx.post(f"{api_url}/sandbox/receivers/ten_nobody/consumer", json={}).status_code == 404
