"""The action layer: every action of the permission table with every role, the refused ones
changing nothing and recorded; operator management; another tenant's objects stay invisible."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend.clock import to_iso
from backend.db import transactions
from backend.db.tables import Account, Hold, OperatorMembership, Review, ScreeningResult
from backend.errors import ZentraError
from backend.intents import intake
from backend.intents.lifecycle import Trace
from backend.intents.requests import parse_runtime_intent
from backend.ledger import accounts, holds
from backend.ledger.commands import PostingCommand
from backend.ledger.legs import Leg
from backend.ledger.postings import create_postings
from backend.operators import (
    actions,
    intent_actions,
    reconciliation_actions,
    roles,
    room_actions,
    sandbox_actions,
    screening_actions,
    sessions,
)
from backend.policy.versions import publish_policy
from backend.providers.registry import create_provider
from backend.screening.lists import parse_csv, replace_list
from backend.tenancy.scope import Scope
from backend.webhooks import endpoints
from tests.backend.operators.conftest import make_operator, open_session, records, rid
from tests.conftest import make_tenant

HOLD_BODY = {"reason": "operator decision", "source_request": "ticket_1"}


def make_holds(runtime, scope: Scope, count: int) -> list[str]:
    """`count` active holds on a funded customer account in `scope`."""
    def unit(session) -> list[str]:
        now = runtime.now()
        funding = accounts.create_account(session, scope, {"customer": "treasury", "currency": "USD", "account_type": "funding", "allow_negative": True}, now)["id"]
        customer = accounts.create_account(session, scope, {"customer": "alice", "currency": "USD", "account_type": "customer_wallet"}, now)["id"]
        create_postings(session, scope, [PostingCommand(legs=(Leg(funding, "debit", 10**6, "debit"), Leg(customer, "credit", 10**6, "credit")))], atomic=True, now=now)
        body = {"account": customer, "amount_minor": 100, "ttl_seconds": 600, "reason": "card authorization", "source_request": "auth"}
        return [holds.create_hold(session, scope, body, now)["id"] for _ in range(count)]

    return transactions.write(runtime.db, unit)


def tenant_state(runtime, tenant_id: str) -> tuple:
    """Everything an operator action could change in a tenant."""
    def unit(session) -> tuple:
        account_count = session.execute(select(func.count()).select_from(Account).where(Account.tenant_id == tenant_id)).scalar_one()
        hold_rows = session.execute(select(Hold.id, Hold.status, Hold.expires_at, Hold.captured_minor).where(Hold.tenant_id == tenant_id).order_by(Hold.id)).all()
        members = session.execute(select(OperatorMembership.operator_id, OperatorMembership.role).where(OperatorMembership.tenant_id == tenant_id).order_by(OperatorMembership.operator_id)).all()
        return account_count, [tuple(h) for h in hold_rows], [tuple(m) for m in members]

    return transactions.read(runtime.db, unit)


def make_reviews(runtime, scope: Scope, count: int) -> tuple[list[str], dict]:
    """A policy that sends every intent to review, `count` held intents (their review ids), and
    the body of a payment an operator may create under that policy."""
    def unit(session) -> tuple[list[str], dict]:
        now = runtime.now()
        publish_policy(session, scope, {"rules": {"review_threshold": {"*": 1}}}, now)
        funding = accounts.create_account(session, scope, {"customer": "treasury", "currency": "USD", "account_type": "funding", "allow_negative": True}, now)["id"]
        merchant = accounts.create_account(session, scope, {"customer": "shop", "currency": "USD", "account_type": "merchant"}, now)["id"]
        body = {"kind": "payment", "amount_minor": 100, "currency": "USD", "source": funding, "destination": merchant}
        trace = Trace(scope, now, None, "tests")
        held = [intake.create_intent(session, trace, parse_runtime_intent(dict(body))) for _ in range(count)]
        reviews = [session.execute(select(Review.id).where(Review.intent_row_id == i.id)).scalar_one() for i in held]
        return reviews, body

    return transactions.write(runtime.db, unit)


def make_endpoint(runtime, scope: Scope) -> str:
    """A sandbox webhook endpoint (loopback is allowed in sandbox) to recover."""
    body = {"url": "http://127.0.0.1:9/hooks", "event_types": ["ledger.*"]}
    return transactions.write(runtime.db, lambda s: endpoints.create_endpoint(s, scope, body, runtime.now())["id"])


def attempts(runtime, tenant_id: str, hold_ids: list[str], endpoint_id: str, review_ids: list[str], payment: dict, assignee: str) -> dict[str, Callable[[str, str], object]]:
    """One way to try each action of the permission table: (token, request id) -> result."""
    return {
        "intents.view": lambda token, r: actions.check(runtime, token, "intents.view", request_id=r),
        "intents.create": lambda token, r: intent_actions.create_intent(runtime, token, payment, r),
        "reviews.decide": lambda token, r: intent_actions.review_action(runtime, token, "claim", review_ids.pop(), {}, r),
        "reviews.assign": lambda token, r: intent_actions.review_action(runtime, token, "assign", review_ids.pop(), {"operator_id": assignee}, r),
        "policy.view": lambda token, r: actions.check(runtime, token, "policy.view", request_id=r),
        "filters.save": lambda token, r: room_actions.save_filter(runtime, token, "intents", f"mine {r}", {"status": "review"}, r),
        "policy.manage": lambda token, r: actions.publish_policy(runtime, token, {"rules": {"review_threshold": {"*": 1}}}, r),
        "ledger.view": lambda token, r: actions.check(runtime, token, "ledger.view", request_id=r),
        "accounts.create": lambda token, r: actions.create_account(runtime, token, {"customer": "bob", "currency": "EUR", "account_type": "customer_wallet"}, r),
        "holds.capture": lambda token, r: actions.capture_hold(runtime, token, hold_ids.pop(), dict(HOLD_BODY), r),
        "holds.release": lambda token, r: actions.release_hold(runtime, token, hold_ids.pop(), dict(HOLD_BODY), r),
        "holds.extend": lambda token, r: actions.extend_hold(runtime, token, hold_ids.pop(), {**HOLD_BODY, "ttl_seconds": 3600}, r),
        "audit.view": lambda token, r: actions.check(runtime, token, "audit.view", request_id=r),
        "evidence.export": lambda token, r: actions.check(runtime, token, "evidence.export", object_id="int_example", request_id=r),
        "operators.manage": lambda token, r: actions.invite_operator(runtime, token, {"email": f"new-{secrets.token_hex(4)}@example.com", "name": "New", "role": "viewer"}, r),
        "tenant.switch": lambda token, r: sessions.switch(runtime, token, tenant_id, "live", r),
        "webhooks.view": lambda token, r: actions.check(runtime, token, "webhooks.view", request_id=r),
        "finance.view": lambda token, r: actions.check(runtime, token, "finance.view", request_id=r),
        "webhooks.manage": lambda token, r: actions.recover_webhooks(runtime, token, endpoint_id, {"since": to_iso(runtime.now() - timedelta(hours=1)), "dry_run": True}, r),
    }


def make_hits(runtime, scope: Scope, count: int) -> list[str]:
    """A screening list and `count` intents held for a match on it: their pending results."""
    def unit(session) -> list[str]:
        now = runtime.now()
        replace_list(session, scope, "Sanctions", "test", parse_csv("name\nJohn Smith\n"), now)
        funding = accounts.create_account(session, scope, {"customer": "treasury", "currency": "USD", "account_type": "funding", "allow_negative": True}, now)["id"]
        merchant = accounts.create_account(session, scope, {"customer": "shop", "currency": "USD", "account_type": "merchant"}, now)["id"]
        body = {"kind": "payment", "amount_minor": 100, "currency": "USD", "source": funding, "destination": merchant, "counterparty": "John Smith"}
        held = [intake.create_intent(session, Trace(scope, now, None, "tests"), parse_runtime_intent(dict(body))) for _ in range(count)]
        return [session.execute(select(ScreeningResult.id).where(ScreeningResult.intent_row_id == i.id)).scalar_one() for i in held]

    return transactions.write(runtime.db, unit)


def screening_attempts(runtime, scope: Scope) -> dict[str, Callable[[str, str], object]]:
    """One way to try each screening action: view, load a list, decide a match."""
    results = make_hits(runtime, scope, 2 * len(roles.ROLES))
    return {
        "screening.view": lambda token, r: actions.check(runtime, token, "screening.view", request_id=r),
        "screening.manage": lambda token, r: screening_actions.load_list(runtime, token, {"name": f"List {r}", "csv": "name\nSomeone\n"}, r),
        "screening.decide": lambda token, r: screening_actions.decide(runtime, token, results.pop(), {"decision": "clear", "note": "another person"}, r),
    }


def reconciliation_attempts(runtime, scope: Scope) -> dict[str, Callable[[str, str], object]]:
    """One way to try each reconciliation action: view, and import a report (of a provider's)."""
    provider = transactions.write(runtime.db, lambda s: create_provider(s, scope, {"name": "Bank"}, runtime.now()))["id"]
    report = "reference,amount,currency,value_date\nGHOST,1.00,USD,2026-01-01\n"
    return {
        "reconciliation.view": lambda token, r: actions.check(runtime, token, "reconciliation.view", request_id=r),
        "reconciliation.manage": lambda token, r: reconciliation_actions.import_report(runtime, token, {"provider_id": provider, "report": report}, r),
    }


def sandbox_attempts(runtime) -> dict[str, Callable[[str, str], object]]:
    """One way to try each sandbox action: look at the traffic dial, and turn it (left paused)."""
    return {
        "sandbox.view": lambda token, r: sandbox_actions.traffic(runtime, token, r),
        "sandbox.operate": lambda token, r: sandbox_actions.set_traffic(runtime, token, {"rate_per_minute": 30}, r),
    }


UNRECORDED_READS = {"ledger.view", "audit.view", "webhooks.view", "intents.view", "policy.view", "finance.view", "screening.view", "reconciliation.view", "sandbox.view"}


def test_every_action_with_every_role_does_exactly_what_the_table_allows(runtime, tenant):
    people = {role: make_operator(runtime, {tenant.tenant_id: role}) for role in roles.ROLES}
    hold_ids = make_holds(runtime, tenant.sandbox, 3 * len(roles.ROLES))
    review_ids, payment = make_reviews(runtime, tenant.sandbox, 2 * len(roles.ROLES))
    tries = attempts(runtime, tenant.tenant_id, hold_ids, make_endpoint(runtime, tenant.sandbox), review_ids, payment, people["support"].operator_id)
    tries |= screening_attempts(runtime, tenant.sandbox)
    tries |= reconciliation_attempts(runtime, tenant.sandbox)
    tries |= sandbox_attempts(runtime)
    assert set(tries) == set(roles.PERMISSIONS), "every action in the table needs a way to try it here"
    succeeded = set()
    for role, person in people.items():
        for action, attempt in tries.items():
            token, request_id = open_session(runtime, person.operator_id, tenant.tenant_id), rid()
            before = tenant_state(runtime, tenant.tenant_id)
            try:
                attempt(token, request_id)
            except ZentraError as err:
                assert err.code == "forbidden", (role, action, err.code, err.message)
                assert tenant_state(runtime, tenant.tenant_id) == before, (role, action)
                [record] = records(runtime, request_id)
                assert (record["chain"], record["action"], record["actor"], record["role"]) == (tenant.tenant_id, action, f"operator:{person.operator_id}", role)
                assert record["policy"] == {"decision": "denied", "reason": "role"}
                continue
            succeeded.add((role, action))
            left = records(runtime, request_id)
            if action in UNRECORDED_READS:
                assert left == []
            else:
                # the action's own record, beside the records of what it caused (an intent's states)
                [own] = [r for r in left if r["action"] == action]
                assert own["policy"]["decision"] == "allowed" and own["role"] == role
                assert all(r["actor"] == f"operator:{person.operator_id}" for r in left)
    assert succeeded == {(role, action) for action, allowed in roles.PERMISSIONS.items() for role in allowed}
    assert roles.actions_for("viewer") == {"ledger.view", "tenant.switch", "intents.view", "policy.view", "filters.save", "sandbox.view"}


def test_allowed_actions_reach_the_services_and_are_recorded_with_the_operator(runtime, tenant):
    support = make_operator(runtime, {tenant.tenant_id: "support"})
    token = open_session(runtime, support.operator_id, tenant.tenant_id)
    [hold_id] = make_holds(runtime, tenant.sandbox, 1)
    request_id = rid()
    captured = actions.capture_hold(runtime, token, hold_id, {**HOLD_BODY, "amount_minor": 60}, request_id)
    assert captured["status"] == "captured" and captured["captured_minor"] == 60
    [record] = records(runtime, request_id)
    assert record["object"] == hold_id and record["actor"] == f"operator:{support.operator_id}" and record["detail"]["amount_minor"] == 60
    again = rid()
    with pytest.raises(ZentraError) as refused:
        actions.capture_hold(runtime, token, hold_id, dict(HOLD_BODY), again)
    assert refused.value.code == "invalid_state_transition" and records(runtime, again) == []


def test_another_tenants_hold_is_not_found_and_the_attempt_is_recorded_in_its_chain(runtime, tenant):
    other = make_tenant(runtime, "Other Co")
    [their_hold] = make_holds(runtime, other.sandbox, 1)
    support = make_operator(runtime, {tenant.tenant_id: "support"})
    token = open_session(runtime, support.operator_id, tenant.tenant_id)
    before = tenant_state(runtime, other.tenant_id)
    request_id = rid()
    with pytest.raises(ZentraError) as refused:
        actions.release_hold(runtime, token, their_hold, dict(HOLD_BODY), request_id)
    assert refused.value.code == "not_found" and tenant_state(runtime, other.tenant_id) == before
    [record] = records(runtime, request_id)
    assert (record["chain"], record["action"], record["object"], record["actor"]) == (other.tenant_id, "access.denied", their_hold, f"operator:{support.operator_id}")


def test_an_admin_invites_operators_and_changes_roles_but_keeps_an_admin(runtime, tenant):
    other = make_tenant(runtime, "Other Co")
    admin = make_operator(runtime, {tenant.tenant_id: "admin"})
    elsewhere = make_operator(runtime, {other.tenant_id: "viewer"})
    token = open_session(runtime, admin.operator_id, tenant.tenant_id)
    request_id = rid()
    invited = actions.invite_operator(runtime, token, {"email": f"New.Person.{secrets.token_hex(3)}@Example.com", "name": "New Person", "role": "finance"}, request_id)
    assert invited["email"] == invited["email"].lower() and invited["role"] == "finance" and len(invited["password"]) >= 20
    [record] = records(runtime, request_id)
    assert record["object"] == invited["operator_id"] and invited["password"] not in str(record)
    signed = sessions.sign_in(runtime, invited["email"], invited["password"])
    assert (signed.operator.tenant_id, signed.operator.role) == (tenant.tenant_id, "finance")
    joined = actions.invite_operator(runtime, token, {"email": elsewhere.email, "role": "support"})
    assert joined["password"] is None and joined["operator_id"] == elsewhere.operator_id
    assert sessions.sign_in(runtime, elsewhere.email, elsewhere.password, tenant_id=tenant.tenant_id).operator.role == "support"
    before = tenant_state(runtime, tenant.tenant_id)
    for call, code in [
        (lambda: actions.invite_operator(runtime, token, {"email": elsewhere.email, "role": "viewer"}), "validation_error"),
        (lambda: actions.invite_operator(runtime, token, {"email": "x@example.com", "name": "X", "role": "owner"}), "validation_error"),
        (lambda: actions.invite_operator(runtime, token, {"email": "x@example.com", "name": "X", "role": "viewer", "password": "chosen"}), "validation_error"),
        (lambda: actions.change_role(runtime, token, admin.operator_id, "viewer"), "validation_error"),
        (lambda: actions.remove_operator(runtime, token, admin.operator_id), "validation_error"),
        (lambda: actions.change_role(runtime, token, "op_not_here", "viewer"), "not_found"),
    ]:
        with pytest.raises(ZentraError) as refused:
            call()
        assert refused.value.code == code
    assert tenant_state(runtime, tenant.tenant_id) == before
    actions.change_role(runtime, token, joined["operator_id"], "admin")
    actions.change_role(runtime, token, admin.operator_id, "viewer")
    with pytest.raises(ZentraError) as ended:
        sessions.current(runtime, token)
    assert ended.value.code == "unauthorized"


def test_check_returns_the_operator_for_the_room_to_show_or_hide(runtime, tenant):
    finance = make_operator(runtime, {tenant.tenant_id: "finance"})
    me = actions.check(runtime, open_session(runtime, finance.operator_id, tenant.tenant_id), "ledger.view")
    assert me.can("accounts.create") and not me.can("holds.capture") and not me.can("operators.manage")
    assert actions.create_account(runtime, me, {"customer": "c", "currency": "USD", "account_type": "wallet"})["status"] == "active"
