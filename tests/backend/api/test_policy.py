"""GET /v1/policy and /v1/policy/versions: the scope's policy as integrators read it (publishing is
an operator action in the room, not an API-key call)."""

from __future__ import annotations

import httpx

from backend.db import transactions
from backend.policy.rules import DEFAULT_RULES
from backend.policy.versions import publish_policy
from tests.backend.operators.conftest import make_operator, open_session
from tests.conftest import Api


def publish(runtime, scope, rules: dict, note: str | None = None) -> dict:
    return transactions.write(runtime.db, lambda s: publish_policy(s, scope, {"rules": rules, "note": note}, runtime.now()))


def test_the_current_policy_is_the_defaults_until_one_is_published(api):
    r = api.get("/policy")
    assert r.status_code == 200, r.text
    assert (r.json()["version"], r.json()["created_by"], r.json()["rules"]) == (0, "zentra", DEFAULT_RULES.to_dict())
    assert api.get("/policy/versions").json() == {"object": "list", "data": [], "total": 0, "limit": 25, "offset": 0, "has_more": False}


def test_the_current_and_older_versions_and_the_history(api, runtime, tenant):
    first = publish(runtime, tenant.sandbox, {"review_threshold": {"USD": 50_000}}, "first")
    second = publish(runtime, tenant.sandbox, {"corridors": ["US-GB"]})
    current = api.get("/policy").json()
    assert (current["id"], current["version"], current["rules"]["corridors"]) == (second["id"], 2, ["US-GB"])
    older = api.get("/policy", params={"version": 1}).json()
    assert (older["id"], older["note"], older["rules"]["review_threshold"]) == (first["id"], "first", {"USD": 50_000})
    assert api.get("/policy", params={"version": 0}).json()["rules"] == DEFAULT_RULES.to_dict()
    history = api.get("/policy/versions", params={"limit": 1}).json()
    assert ([v["version"] for v in history["data"]], history["total"], history["has_more"]) == ([2], 2, True)


def test_a_version_that_does_not_exist_or_cannot_be_one_is_refused(api):
    missing = api.get("/policy", params={"version": 7})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    for bad in ("-1", "one", "1.0", "9" * 10):
        r = api.get("/policy", params={"version": bad})
        assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["param"]) == (400, "validation_error", "version"), bad


def test_another_mode_reads_its_own_policy(api_url, runtime, tenant):
    publish(runtime, tenant.sandbox, {"review_threshold": {"*": 1}})
    live = Api(api_url, tenant.live_key)
    assert live.get("/policy").json()["version"] == 0
    assert live.get("/policy", params={"version": 1}).status_code == 404


def test_an_operator_reads_the_policy_with_a_session_token(api_url, runtime, tenant):
    viewer = make_operator(runtime, {tenant.tenant_id: "viewer"})
    token = open_session(runtime, viewer.operator_id, tenant.tenant_id)
    r = httpx.get(api_url + "/v1/policy", headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()["version"]) == (200, 0)


def test_there_is_no_way_to_publish_with_an_api_key(api):
    r = api.post("/policy", {"rules": {}})
    assert r.status_code == 405
    assert api.get("/policy").json()["version"] == 0
