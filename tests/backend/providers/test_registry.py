"""Registering providers: external ones with an endpoint checked like a webhook URL, sandbox
ones (sandbox mode only) with a behaviour; the view shows kind, endpoint, behaviour and health."""

from __future__ import annotations

import pytest

from tests.conftest import Api


def refused(api: Api, path: str, body: dict) -> tuple[int, str, str]:
    r = api.post(path, body)
    error = r.json()["error"]
    return r.status_code, error["code"], error["param"]


def test_an_external_provider_shows_its_endpoint_and_health(api):
    r = api.post("/providers", {"name": "Acme Pay", "endpoint_url": "https://pay.example.com/submit"})
    assert r.status_code == 201, r.text
    shown = api.get(f"/providers/{r.json()['id']}").json()
    assert (shown["kind"], shown["endpoint_url"], shown["behaviour"]) == ("external", "https://pay.example.com/submit", None)
    assert shown["health"] == {"consecutive_failures": 0, "unhealthy_until": None, "last_success_at": None, "last_failure_at": None}
    assert "secret" not in shown


def test_an_external_provider_may_only_call_back(api):
    shown = api.post("/providers", {"name": "Callbacks Only"}).json()
    assert (shown["kind"], shown["endpoint_url"]) == ("external", None)


def test_a_sandbox_provider_shows_its_behaviour(api):
    r = api.post("/providers", {"name": "Sandbox Pay", "kind": "sandbox", "behaviour": {"failure_rate": 0.5}})
    assert r.status_code == 201, r.text
    shown = api.get(f"/providers/{r.json()['id']}").json()
    assert (shown["kind"], shown["endpoint_url"]) == ("sandbox", None)
    assert shown["behaviour"] == {"latency_ms": 50, "failure_rate": 0.5, "timeout_rate": 0.0, "decline_rate": 0.0, "duplicate_rate": 0.0, "out_of_order_rate": 0.0}


def test_sandbox_providers_exist_in_sandbox_mode_only(api_url, tenant):
    live = Api(api_url, tenant.live_key)
    assert refused(live, "/providers", {"name": "Sandbox Pay", "kind": "sandbox"}) == (400, "validation_error", "kind")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://10.0.0.8/submit", "private"),
        ("https://127.0.0.1/submit", "loopback"),
        ("https://localhost/submit", "local name"),
        ("http://pay.example.com/submit", "https"),
        ("https://169.254.169.254/latest", "link-local"),
    ],
)
def test_a_live_endpoint_must_be_public_https(api_url, tenant, url, why):
    live = Api(api_url, tenant.live_key)
    r = live.post("/providers", {"name": "Acme Pay", "endpoint_url": url})
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["param"]) == (400, "validation_error", "endpoint_url")
    assert why in r.json()["error"]["message"]


def test_sandbox_endpoints_may_be_private_but_not_link_local(api):
    assert api.post("/providers", {"name": "Local Pay", "endpoint_url": "http://127.0.0.1:8081/submit"}).status_code == 201
    assert refused(api, "/providers", {"name": "Meta", "endpoint_url": "http://169.254.169.254/"}) == (400, "validation_error", "endpoint_url")


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"kind": "sandbox", "endpoint_url": "http://127.0.0.1/submit"}, "endpoint_url"),
        ({"behaviour": {"failure_rate": 0.1}}, "behaviour"),
        ({"kind": "sandbox", "behaviour": {"failure_rate": 2}}, "behaviour.failure_rate"),
        ({"kind": "sandbox", "behaviour": {"jitter": 1}}, "behaviour.jitter"),
        ({"kind": "mock"}, "kind"),
        ({"endpoint_url": "x" * 501}, "endpoint_url"),
    ],
)
def test_kind_endpoint_and_behaviour_are_checked(api, body, param):
    assert refused(api, "/providers", {"name": "Pay", **body}) == (400, "validation_error", param)


def test_only_a_sandbox_providers_behaviour_can_change(api):
    sandbox = api.post("/providers", {"name": "Sandbox Pay", "kind": "sandbox"}).json()
    external = api.post("/providers", {"name": "Acme Pay"}).json()
    r = api.post(f"/providers/{sandbox['id']}/behaviour", {"behaviour": {"latency_ms": 0, "decline_rate": 1}})
    assert r.status_code == 200, r.text
    assert api.get(f"/providers/{sandbox['id']}").json()["behaviour"]["decline_rate"] == 1.0
    assert "secret" not in r.json()
    assert refused(api, f"/providers/{external['id']}/behaviour", {"behaviour": {}}) == (400, "validation_error", "behaviour")
    assert refused(api, f"/providers/{sandbox['id']}/behaviour", {"behaviour": {"timeout_rate": -1}}) == (400, "validation_error", "behaviour.timeout_rate")
    assert refused(api, f"/providers/{sandbox['id']}/behaviour", {}) == (400, "validation_error", "behaviour")
    audited = [r["action"] for r in api.get("/audit", params={"limit": 100}).json()["data"]]
    assert "provider.set_behaviour" in audited
