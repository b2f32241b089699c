"""Every object lives in exactly one tenant and mode: from anywhere else it is `404 not_found`
(or `unknown_account` where it is named inside a body), nothing changes, and the attempt is a
denied-attempt record in the owning tenant's audit chain.

The walk below is checked against the application's own route table, so an endpoint added
without an isolation case fails this file."""

from __future__ import annotations

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from backend.api.app import create_api
from backend.audit.sealer import seal
from backend.db import transactions
from backend.db.tables import AuditRecord
from backend.sandbox.cast import issue_cast, write_cast
from backend.screening import lists as screening_lists
from tests.backend.providers.support import body as callback_body
from tests.backend.providers.support import deliver, register
from tests.conftest import Api, make_tenant

# Each endpoint, and how an intruder reaches for the owner's objects through it:
# (method, path, body or query, the answer it must get). `{customer}` etc. name the owner's ids.
PROBES: dict[tuple[str, str], list[tuple[str, dict | None, str]]] = {
    ("POST", "/v1/accounts"): [],  # creates in the caller's own scope; names no existing object
    ("GET", "/v1/sandbox/traffic"): [],  # the caller's own tenant's dial
    ("POST", "/v1/sandbox/traffic"): [],  # turns the caller's own tenant's dial; names no object
    ("GET", "/v1/sandbox/scenarios"): [],  # the catalogue, with the caller's own runs
    ("GET", "/v1/sandbox/scenario-runs"): [],  # lists the caller's own scope
    ("POST", "/v1/sandbox/scenario-runs"): [],  # queues in the caller's own scope; names no object
    ("GET", "/v1/sandbox/scenario-runs/{run_id}"): [("/sandbox/scenario-runs/{scenario_run}", None, "not_found")],
    ("POST", "/v1/operator-sessions"): [],  # a sign-in: no key, names no object
    ("GET", "/v1/accounts"): [],  # lists the caller's own scope (checked below: empty)
    ("GET", "/v1/accounts/{account_id}"): [("/accounts/{customer}", None, "not_found")],
    ("POST", "/v1/ledger-entries"): [
        ("/ledger-entries", {"debit": "{customer}", "credit": "{own}", "amount_minor": 1}, "unknown_account"),
        ("/ledger-entries", {"debit": "{own}", "credit": "{customer}", "amount_minor": 1}, "unknown_account"),
        ("/ledger-entries", {"lines": [{"account": "{customer}", "direction": "debit", "amount_minor": 1}, {"account": "{own}", "direction": "credit", "amount_minor": 1}]}, "unknown_account"),
    ],
    ("POST", "/v1/ledger-entries/batch"): [
        ("/ledger-entries/batch", {"postings": [{"debit": "{customer}", "credit": "{own}", "amount_minor": 1}]}, "unknown_account"),
    ],
    ("GET", "/v1/ledger-entries"): [("/ledger-entries?account={customer}", None, "not_found")],
    ("GET", "/v1/ledger-entries/{posting_id}"): [("/ledger-entries/{posting}", None, "not_found")],
    ("POST", "/v1/ledger-entries/{posting_id}/post"): [("/ledger-entries/{pending}/post", {}, "not_found")],
    ("POST", "/v1/ledger-entries/{posting_id}/void"): [("/ledger-entries/{pending}/void", {}, "not_found")],
    ("POST", "/v1/ledger-entries/{posting_id}/reverse"): [("/ledger-entries/{posting}/reverse", {"reason": "x"}, "not_found")],
    ("POST", "/v1/holds"): [("/holds", {"account": "{customer}", "amount_minor": 1, "ttl_seconds": 60, "reason": "r", "source_request": "s"}, "unknown_account")],
    ("GET", "/v1/holds"): [],
    ("GET", "/v1/holds/{hold_id}"): [("/holds/{hold}", None, "not_found")],
    ("POST", "/v1/holds/{hold_id}/capture"): [("/holds/{hold}/capture", {"reason": "x", "source_request": "s"}, "not_found")],
    ("POST", "/v1/holds/{hold_id}/release"): [("/holds/{hold}/release", {"reason": "x", "source_request": "s"}, "not_found")],
    ("POST", "/v1/holds/{hold_id}/extend"): [("/holds/{hold}/extend", {"ttl_seconds": 900, "reason": "x", "source_request": "s"}, "not_found")],
    ("POST", "/v1/runtime/intents"): [
        ("/runtime/intents", {"kind": "payment", "amount_minor": 1, "currency": "USD", "source": "{customer}", "destination": "{own}"}, "unknown_account"),
        ("/runtime/intents", {"kind": "payment", "amount_minor": 1, "currency": "USD", "source": "{own}", "destination": "{merchant}"}, "unknown_account"),
    ],
    ("POST", "/v1/transfers"): [("/transfers", {"source_account": "{own}", "destination_account": "{customer}", "amount_minor": 1, "currency": "USD"}, "unknown_account")],
    ("GET", "/v1/runtime/intents"): [],  # lists the caller's own scope; a search for another's id finds nothing
    ("GET", "/v1/runtime/intents/{intent_id}"): [("/runtime/intents/{intent}", None, "not_found")],
    ("POST", "/v1/runtime/intents/{intent_id}/amend"): [("/runtime/intents/{intent}/amend", {"amount_minor": 5}, "not_found")],
    ("GET", "/v1/reviews"): [],
    ("GET", "/v1/reviews/{review_id}"): [("/reviews/{review}", None, "not_found")],
    ("POST", "/v1/reviews/{review_id}/claim"): [("/reviews/{review}/claim", {}, "not_found")],
    ("POST", "/v1/reviews/{review_id}/assign"): [("/reviews/{review}/assign", {"operator_id": "op_x"}, "not_found")],
    ("POST", "/v1/reviews/{review_id}/release"): [("/reviews/{review}/release", {}, "not_found")],
    ("POST", "/v1/reviews/{review_id}/approve"): [("/reviews/{review}/approve", {"reviewed_hash": "0" * 64, "reason_code": "other"}, "not_found")],
    ("POST", "/v1/reviews/{review_id}/reject"): [("/reviews/{review}/reject", {"reason_code": "other"}, "not_found")],
    ("POST", "/v1/screening/lists"): [],  # loads into the caller's own scope (and needs a person)
    ("GET", "/v1/screening/lists"): [],
    ("GET", "/v1/screening/lists/{list_id}"): [("/screening/lists/{screening_list}", None, "not_found")],
    ("GET", "/v1/screening/results"): [("/screening/results?intent={screened_intent}", None, "not_found")],
    ("GET", "/v1/screening/results/{result_id}"): [("/screening/results/{screening_result}", None, "not_found")],
    ("POST", "/v1/screening/results/{result_id}/decision"): [("/screening/results/{screening_result}/decision", {"decision": "confirm", "note": "x"}, "not_found")],
    ("POST", "/v1/customers"): [],  # registers in the caller's own scope: customer strings are per scope
    ("GET", "/v1/customers"): [],
    ("GET", "/v1/customers/{customer_id}"): [("/customers/{kyc_customer}", None, "not_found")],
    ("POST", "/v1/customers/{customer_id}/kyc"): [("/customers/{kyc_customer}/kyc", {"kyc_status": "rejected"}, "not_found")],
    ("POST", "/v1/routes"): [("/routes", {"corridor": "*", "providers": ["{provider}"]}, "not_found")],
    ("GET", "/v1/routes"): [],
    ("GET", "/v1/events"): [("/events?after={event}", None, "not_found")],
    ("GET", "/v1/audit"): [],  # filters within the caller's own chain (checked below: empty)
    ("GET", "/v1/audit/status"): [],
    ("GET", "/v1/policy"): [],  # the caller's own policy; versions are numbered per tenant and mode, no id to reach for
    ("GET", "/v1/policy/versions"): [],
    ("GET", "/v1/evidence/{object_id}"): [("/evidence/{customer}", None, "not_found"), ("/evidence/{posting}", None, "not_found")],
    ("POST", "/v1/providers"): [],
    ("GET", "/v1/providers/{provider_id}"): [("/providers/{provider}", None, "not_found")],
    ("POST", "/v1/providers/{provider_id}/rotate-secret"): [("/providers/{provider}/rotate-secret", {}, "not_found")],
    ("POST", "/v1/providers/{provider_id}/behaviour"): [("/providers/{provider}/behaviour", {"behaviour": {}}, "not_found")],
    ("GET", "/v1/providers/{provider_id}/callbacks"): [("/providers/{provider}/callbacks", None, "not_found")],
    # signed by a provider, not called with an API key: see test_a_provider_callback_cannot_reach_another_scope
    ("POST", "/v1/providers/{provider_id}/callbacks"): [],
    ("POST", "/v1/reconciliation/runs"): [("/reconciliation/runs", {"provider_id": "{provider}", "report": "reference,amount,currency,value_date\nx,1.00,USD,2026-01-01\n"}, "not_found")],
    ("GET", "/v1/reconciliation/runs"): [],  # lists the caller's own scope
    ("GET", "/v1/reconciliation/runs/{run_id}"): [("/reconciliation/runs/{recon_run}", None, "not_found")],
    ("GET", "/v1/reconciliation/exceptions"): [],  # the caller's own queue; filtering by another's run finds nothing
    ("POST", "/v1/reconciliation/exceptions/{exception_id}/resolve"): [("/reconciliation/exceptions/{recon_exception}/resolve", {"action": "accept_ledger"}, "not_found")],
    ("GET", "/v1/reconciliation/providers/{provider_id}/mapping"): [("/reconciliation/providers/{provider}/mapping", None, "not_found")],
    ("POST", "/v1/reconciliation/providers/{provider_id}/mapping"): [("/reconciliation/providers/{provider}/mapping", {"mapping": None}, "not_found")],
    ("POST", "/v1/webhook-endpoints"): [],
    ("GET", "/v1/webhook-endpoints"): [],
    ("GET", "/v1/webhook-endpoints/{endpoint_id}"): [("/webhook-endpoints/{webhook}", None, "not_found")],
    ("POST", "/v1/webhook-endpoints/{endpoint_id}"): [("/webhook-endpoints/{webhook}", {"description": "x"}, "not_found")],
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/rotate-secret"): [("/webhook-endpoints/{webhook}/rotate-secret", {}, "not_found")],
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/disable"): [("/webhook-endpoints/{webhook}/disable", {}, "not_found")],
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/enable"): [("/webhook-endpoints/{webhook}/enable", {}, "not_found")],
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/recover"): [("/webhook-endpoints/{webhook}/recover", {"since": "2026-01-01T00:00:00Z"}, "not_found")],
    ("GET", "/v1/webhook-endpoints/{endpoint_id}/attempts"): [("/webhook-endpoints/{webhook}/attempts", None, "not_found")],
    ("GET", "/v1/webhook-endpoints/{endpoint_id}/messages"): [("/webhook-endpoints/{webhook}/messages", None, "not_found")],
    ("POST", "/v1/webhook-endpoints/{endpoint_id}/messages/{message_id}/resend"): [("/webhook-endpoints/{webhook}/messages/{webhook_message}/resend", {}, "not_found")],
}
PUBLIC: set[tuple[str, str]] = {("GET", "/v1/evidence/public-key")}  # the evidence key is published to all


def test_the_walk_covers_every_endpoint(runtime):
    paths = create_api(runtime).openapi()["paths"]
    assert {(method.upper(), path) for path, methods in paths.items() for method in methods} - PUBLIC == set(PROBES)


@pytest.fixture
def world(api_url, runtime, tenant):
    """Objects of one tenant's sandbox, and clients for its live mode and for another tenant."""
    owner = Api(api_url, tenant.sandbox_key)
    funding, customer = owner.funded_account(10_000)
    merchant = owner.account()
    posting = owner.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 100}).json()["posting_id"]
    pending = owner.post("/ledger-entries", {"debit": customer, "credit": merchant, "amount_minor": 100, "pending": True}).json()["posting_id"]
    hold = owner.post("/holds", {"account": customer, "amount_minor": 50, "ttl_seconds": 600, "reason": "r", "source_request": "s"}).json()["id"]
    event = owner.get("/events").json()["data"][0]["id"]
    provider = register(owner)["id"]
    webhook = owner.post("/webhook-endpoints", {"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}).json()["id"]
    owner.account()  # an event after the endpoint, which recover turns into a message
    owner.post(f"/webhook-endpoints/{webhook}/recover", {"since": owner.get(f"/webhook-endpoints/{webhook}").json()["created_at"]})
    webhook_message = owner.get(f"/webhook-endpoints/{webhook}/messages").json()["data"][0]["id"]
    intent = owner.post("/runtime/intents", {"kind": "payment", "amount_minor": 100, "currency": "USD", "source": customer, "destination": merchant}).json()["intent_id"]
    review = owner.post("/runtime/intents", {"kind": "payment", "amount_minor": 5_000_000, "currency": "USD", "source": customer, "destination": merchant}).json()["review"]["id"]
    recon_run = owner.post("/reconciliation/runs", {"provider_id": provider, "report": "reference,amount,currency,value_date\nGHOST,1.00,USD,2026-01-01\n"}).json()["id"]
    recon_exception = owner.get("/reconciliation/exceptions", params={"run_id": recon_run}).json()["data"][0]["id"]
    write_cast(runtime.settings.data_dir, transactions.write(runtime.db, lambda s: issue_cast(s, tenant.tenant_id, runtime.now())))
    scenario_run = owner.post("/sandbox/scenario-runs", {"scenario": "hold-expiry"}).json()["id"]
    intruders = {"wrong_mode": Api(api_url, tenant.live_key), "wrong_tenant": Api(api_url, make_tenant(runtime, "Other").sandbox_key)}
    ids = {"customer": customer, "merchant": merchant, "posting": posting, "pending": pending, "hold": hold, "event": event, "provider": provider, "webhook": webhook, "webhook_message": webhook_message, "intent": intent, "review": review, "recon_run": recon_run, "recon_exception": recon_exception, "scenario_run": scenario_run}
    ids.update(_screening_objects(runtime, tenant, owner, customer, merchant))
    return owner, intruders, ids


def _screening_objects(runtime, tenant, owner: Api, customer: str, merchant: str) -> dict:
    """A screening list (loaded as compliance would), a registered customer, and an intent held
    for a match with its result."""
    listed = transactions.write(runtime.db, lambda s: screening_lists.replace_list(s, tenant.sandbox, "Sanctions", "test", screening_lists.parse_csv("name\nJohn Smith\n"), runtime.now()))
    kyc_customer = owner.post("/customers", {"customer": "cust", "name": "Alice Example", "kyc_status": "verified"}).json()["id"]
    screened = owner.post("/runtime/intents", {"kind": "payment", "amount_minor": 100, "currency": "USD", "source": customer, "destination": merchant, "counterparty": "Jon Smyth"}).json()["intent_id"]
    result = owner.get("/screening/results", params={"intent": screened}).json()["data"][0]["id"]
    return {"screening_list": listed["id"], "kyc_customer": kyc_customer, "screened_intent": screened, "screening_result": result}


def _fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _snapshot(owner: Api, ids: dict) -> dict:
    """Everything the owner can see that an intruder's attempt could have changed."""
    return {
        "balances": {k: owner.balances(ids[k]) for k in ("customer", "merchant")},
        "pending": owner.get(f"/ledger-entries/{ids['pending']}").json()["status"],
        "posting": owner.get(f"/ledger-entries/{ids['posting']}").json(),
        "hold": owner.get(f"/holds/{ids['hold']}").json(),
        "provider": owner.get(f"/providers/{ids['provider']}").json(),
        "screening": (owner.get(f"/screening/results/{ids['screening_result']}").json(), owner.get(f"/customers/{ids['kyc_customer']}").json()),
        "webhook": owner.get(f"/webhook-endpoints/{ids['webhook']}").json(),
        "reconciliation": (owner.get(f"/reconciliation/runs/{ids['recon_run']}").json(), owner.get("/reconciliation/exceptions", params={"status": "all"}).json()),
        "webhook_messages": owner.get(f"/webhook-endpoints/{ids['webhook']}/messages").json(),
        "events": [e["id"] for e in owner.get("/events", params={"limit": 100}).json()["data"]],
        "audit": _audit_hashes(owner),
    }


def _audit_hashes(owner: Api) -> list[str]:
    """The hashes of every record in the owner's chain but denials, paging to the end."""
    hashes, params = [], {"limit": 100}
    while True:
        page = owner.get("/audit", params=params).json()
        hashes += [r["hash"] for r in page["data"] if not r["action"].endswith(".denied")]
        if not page.get("next_before"):
            return hashes
        params = {"limit": 100, "before": page["next_before"]}


def _denials(runtime, tenant_id: str) -> list[AuditRecord]:
    seal(runtime.db)
    query = select(AuditRecord).where(AuditRecord.chain == tenant_id, AuditRecord.action == "access.denied").order_by(AuditRecord.seq)
    return list(transactions.read(runtime.db, lambda s: s.execute(query).scalars().all()))


def test_every_endpoint_refuses_another_scope_changes_nothing_and_records_the_attempt(world, runtime, tenant):
    owner, intruders, ids = world
    before = _snapshot(owner, ids)
    attempts = 0
    for reason, intruder in intruders.items():
        wanted = {**ids, "own": intruder.account(allow_negative=True)}
        for (method, route), probes in PROBES.items():
            for path, body, code in probes:
                path = _fill(path, wanted)
                r = intruder.post(path, _fill(body, wanted)) if method == "POST" else intruder.get(path)
                assert (r.status_code, r.json()["error"]["code"]) in {(404, code), (400, code)}, (reason, method, path, r.text)
                attempts += 1
        assert intruder.get("/accounts").json()["total"] == 1  # only its own
        assert intruder.get("/holds").json()["total"] == 0
        assert intruder.get("/audit", params={"object": ids["customer"]}).json()["data"] == []
    assert _snapshot(owner, ids) == before
    denials = _denials(runtime, tenant.tenant_id)
    assert len(denials) == attempts
    for record in denials:
        assert record.object_id in ids.values()
        assert record.actor.startswith("api_key:") and record.role == "api_key"
        assert record.request_id and record.hash and record.seq


def test_denials_say_which_boundary_was_crossed(world, runtime, tenant):
    owner, intruders, ids = world
    for reason, intruder in intruders.items():
        assert intruder.get(f"/holds/{ids['hold']}").status_code == 404
    records = _denials(runtime, tenant.tenant_id)
    reasons = [orjson.loads(r.policy_json)["reason"] for r in records]
    assert reasons == ["wrong_mode", "wrong_tenant"]
    assert [r.scope for r in records] == ["GET /v1/holds/{hold_id}"] * 2
    assert all(r.mode == "sandbox" and r.tenant_id == tenant.tenant_id for r in records)


def test_an_id_that_exists_nowhere_is_not_a_denial(api, runtime, tenant):
    assert api.get("/holds/hold_0000000000000000000000000000").status_code == 404
    assert _denials(runtime, tenant.tenant_id) == []


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer zk_test_forged", "Basic abc", "Bearer  zk_live_"])
def test_missing_or_forged_keys_are_unauthorized_and_recorded(api_url, runtime, header):
    headers = {"Authorization": header} if header is not None else {}
    count = lambda: transactions.read(runtime.db, lambda s: s.execute(select(func.count()).select_from(AuditRecord).where(AuditRecord.chain == "platform")).scalar_one())  # noqa: E731
    before = count()
    r = httpx.get(api_url + "/v1/accounts", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = httpx.post(api_url + "/v1/accounts", headers=headers, json={"customer": "c", "currency": "USD", "account_type": "t", "idempotency_key": "k"})
    assert r.status_code == 401
    assert count() == before + 2


def test_a_provider_callback_cannot_reach_another_scope(world, api_url, runtime, tenant):
    """Another scope's provider naming the owner's hold is verified but rejected, changes nothing
    and is a denial in the owner's chain; its secret does not open the owner's provider's URL."""
    owner, intruders, ids = world
    before = _snapshot(owner, ids)
    for reason, intruder in intruders.items():
        theirs = register(intruder, "Intruder Pay")
        answer = deliver(api_url, theirs, callback_body(ids["hold"])).json()
        assert answer["outcome"] == "rejected" and answer["reason"].startswith("unknown_reference"), reason
        r = deliver(api_url, {**theirs, "id": ids["provider"]}, callback_body(ids["hold"]))
        assert (r.status_code, r.json()["error"]["code"]) == (400, "signature_invalid"), reason
    assert _snapshot(owner, ids) == before
    records = _denials(runtime, tenant.tenant_id)
    assert [orjson.loads(r.policy_json)["reason"] for r in records] == ["wrong_mode", "wrong_tenant"]
    assert all(r.object_id == ids["hold"] and r.role == "provider" and r.actor.startswith("provider:prv_") for r in records)
    refused = select(func.count()).select_from(AuditRecord).where(AuditRecord.chain == tenant.tenant_id, AuditRecord.action == "provider.callback.denied")
    assert transactions.read(runtime.db, lambda s: s.execute(refused).scalar_one()) == 2

