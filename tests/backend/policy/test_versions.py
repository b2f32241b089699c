"""Policy versions in the database: the defaults as version 0, publishing the next version with its
event, old versions kept readable, other scopes kept apart, and publishing as an audited operator
action only admins may perform."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from backend.db import transactions
from backend.db.tables import Event, PolicyVersion
from backend.errors import ZentraError
from backend.operators import actions, roles
from backend.policy.rules import DEFAULT_RULES
from backend.policy.versions import (
    current_policy,
    get_policy,
    list_versions,
    publish_policy,
)
from tests.backend.operators.conftest import make_operator, open_session, records, rid
from tests.conftest import make_tenant

REVIEW_RULES = {"review_threshold": {"USD": 50_000}}


def publish(runtime, scope, body: dict) -> dict:
    return transactions.write(runtime.db, lambda s: publish_policy(s, scope, body, runtime.now()))


def read(runtime, fn):
    return transactions.read(runtime.db, fn)


def test_a_tenant_starts_on_the_built_in_defaults_as_version_zero(runtime, tenant):
    assert read(runtime, lambda s: current_policy(s, tenant.sandbox)) == (0, DEFAULT_RULES)
    shown = read(runtime, lambda s: get_policy(s, tenant.sandbox))
    assert (shown["object"], shown["version"], shown["created_by"], shown["id"]) == ("policy", 0, "zentra", None)
    assert shown["rules"] == DEFAULT_RULES.to_dict()
    assert read(runtime, lambda s: get_policy(s, tenant.sandbox, 0)) == shown
    assert read(runtime, lambda s: list_versions(s, tenant.sandbox, 25, 0))["total"] == 0


def test_publishing_makes_the_next_version_with_the_whole_document_and_an_event(runtime, tenant):
    scope = tenant.sandbox
    first = publish(runtime, scope, {"rules": REVIEW_RULES, "note": "lower the review bar"})
    assert (first["version"], first["event"], first["note"], first["created_by"]) == (1, "policy.updated", "lower the review bar", scope.actor)
    assert first["id"].startswith("pol_")
    assert first["rules"] == {**DEFAULT_RULES.to_dict(), "review_threshold": {"USD": 50_000}}
    second = publish(runtime, scope, {"rules": {**first["rules"], "blocked_counterparties": ["Evil Corp"]}})
    assert second["version"] == 2 and second["note"] is None
    version, rules = read(runtime, lambda s: current_policy(s, scope))
    assert (version, rules.blocked_counterparties, rules.review_threshold) == (2, ("Evil Corp",), {"USD": 50_000})
    assert read(runtime, lambda s: get_policy(s, scope))["version"] == 2
    old = read(runtime, lambda s: get_policy(s, scope, 1))
    assert {k: v for k, v in first.items() if k != "event"} == old
    events = read(runtime, lambda s: s.execute(select(Event.type, Event.object_id).where(Event.tenant_id == tenant.tenant_id, Event.type == "policy.updated").order_by(Event.seq)).all())
    assert [tuple(e) for e in events] == [("policy.updated", first["id"]), ("policy.updated", second["id"])]


def test_versions_are_listed_newest_first_a_page_at_a_time(runtime, tenant):
    for threshold in (100, 200, 300):
        publish(runtime, tenant.sandbox, {"rules": {"review_threshold": {"*": threshold}}})
    first = read(runtime, lambda s: list_versions(s, tenant.sandbox, 2, 0))
    assert ([v["version"] for v in first["data"]], first["total"], first["has_more"]) == ([3, 2], 3, True)
    rest = read(runtime, lambda s: list_versions(s, tenant.sandbox, 2, 2))
    assert ([v["version"] for v in rest["data"]], rest["has_more"]) == ([1], False)


def test_a_version_is_published_only_if_it_is_still_the_next_one(runtime, tenant):
    publish(runtime, tenant.sandbox, {"rules": REVIEW_RULES, "version": 1})
    with pytest.raises(ZentraError) as stale:
        publish(runtime, tenant.sandbox, {"rules": {}, "version": 1})
    assert (stale.value.code, stale.value.param) == ("invalid_state_transition", "version")
    assert publish(runtime, tenant.sandbox, {"rules": {}, "version": 2})["version"] == 2


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "rules"),
        ({"rules": None}, "rules"),
        ({"rules": {"corridors": ["usa"]}}, "rules.corridors[0]"),
        ({"rules": {}, "note": ""}, "note"),
        ({"rules": {}, "note": "x" * 501}, "note"),
        ({"rules": {}, "version": "2"}, "version"),
        ({"rules": {}, "author": "me"}, "author"),
    ],
)
def test_a_bad_publish_is_refused_and_changes_nothing(runtime, tenant, body, param):
    with pytest.raises(ZentraError) as refused:
        publish(runtime, tenant.sandbox, body)
    assert (refused.value.code, refused.value.param) == ("validation_error", param)
    assert read(runtime, lambda s: s.execute(select(PolicyVersion).where(PolicyVersion.tenant_id == tenant.tenant_id)).all()) == []


def test_a_policy_belongs_to_one_tenant_and_mode(runtime, tenant):
    other = make_tenant(runtime, "Other")
    publish(runtime, tenant.sandbox, {"rules": REVIEW_RULES})
    for scope in (tenant.live, other.sandbox):
        assert read(runtime, lambda s: current_policy(s, scope))[0] == 0
        assert read(runtime, lambda s: list_versions(s, scope, 25, 0))["data"] == []
        with pytest.raises(ZentraError) as hidden:
            read(runtime, lambda s: get_policy(s, scope, 1))
        assert hidden.value.code == "not_found"
    assert publish(runtime, other.sandbox, {"rules": {}})["version"] == 1  # numbered per tenant and mode


def test_an_admin_publishes_through_the_action_layer_and_is_recorded(runtime, tenant):
    admin = make_operator(runtime, {tenant.tenant_id: "admin"})
    token, request_id = open_session(runtime, admin.operator_id, tenant.tenant_id), rid()
    published = actions.publish_policy(runtime, token, {"rules": REVIEW_RULES, "note": "tighter"}, request_id)
    assert (published["version"], published["created_by"]) == (1, f"operator:{admin.operator_id}")
    [record] = records(runtime, request_id)
    assert (record["action"], record["object"], record["actor"], record["role"]) == ("policy.manage", published["id"], f"operator:{admin.operator_id}", "admin")
    assert record["detail"] == {"change": "publish", "note": "tighter"} and record["policy"]["decision"] == "allowed"
    bad = rid()
    with pytest.raises(ZentraError) as refused:
        actions.publish_policy(runtime, token, {"rules": {"review_threshold": {"USD": 0}}}, bad)
    assert (refused.value.code, refused.value.param) == ("validation_error", "rules.review_threshold.USD")
    assert records(runtime, bad) == []  # bad input changes nothing and leaves no record, as in the API


@pytest.mark.parametrize("role", sorted(set(roles.ROLES) - roles.PERMISSIONS["policy.manage"]))
def test_every_other_role_is_refused_publishing_and_the_refusal_is_recorded(runtime, tenant, role):
    person = make_operator(runtime, {tenant.tenant_id: role})
    token, request_id = open_session(runtime, person.operator_id, tenant.tenant_id), rid()
    assert actions.check(runtime, token, "policy.view").role == role  # every role may read the policy
    with pytest.raises(ZentraError) as refused:
        actions.publish_policy(runtime, token, {"rules": REVIEW_RULES}, request_id)
    assert refused.value.code == "forbidden"
    assert read(runtime, lambda s: current_policy(s, tenant.sandbox))[0] == 0
    [record] = records(runtime, request_id)
    assert (record["chain"], record["action"], record["actor"], record["role"]) == (tenant.tenant_id, "policy.manage", f"operator:{person.operator_id}", role)
    assert record["policy"] == {"decision": "denied", "reason": "role"}
