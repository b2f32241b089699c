"""Holds over HTTP: reserve, capture in part, release, extend, expire by themselves; each with
its reason and source request kept."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


def hold(api, account: str, amount: int, **extra) -> dict:
    body = {"account": account, "amount_minor": amount, "ttl_seconds": 600, "reason": "card authorization", "source_request": "req_auth_1", **extra}
    r = api.post("/holds", body)
    assert r.status_code == 201, r.text
    return r.json()


def test_hold_lowers_available_but_not_posted(api):
    _, customer = api.funded_account(125000)
    h = hold(api, customer, 25000)
    assert h["status"] == "active" and h["event"] == "hold.created"
    assert api.balances(customer) == {"posted": 125000, "pending": -25000, "available": 100000}


def test_partial_capture_posts_part_and_releases_the_rest(api):
    _, customer = api.funded_account(125000)
    h = hold(api, customer, 25000)
    r = api.post(f"/holds/{h['id']}/capture", {"amount_minor": 20000, "reason": "shipped", "source_request": "req_cap"})
    assert r.status_code == 200
    captured = r.json()
    assert captured["status"] == "captured" and captured["captured_minor"] == 20000
    assert [a["action"] for a in captured["history"]] == ["created", "captured"]
    assert captured["history"][1]["reason"] == "shipped" and captured["history"][1]["source_request"] == "req_cap"
    assert api.balances(customer) == {"posted": 105000, "pending": 0, "available": 105000}
    again = api.post(f"/holds/{h['id']}/release", {"reason": "x", "source_request": "y"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state_transition"


def test_capture_above_the_hold_is_refused(api):
    _, customer = api.funded_account(1000)
    h = hold(api, customer, 500)
    r = api.post(f"/holds/{h['id']}/capture", {"amount_minor": 501, "reason": "x", "source_request": "y"})
    assert r.json()["error"]["code"] == "amount_out_of_range"
    assert api.get(f"/holds/{h['id']}").json()["status"] == "active"


def test_release_returns_the_funds(api):
    _, customer = api.funded_account(1000)
    h = hold(api, customer, 500)
    r = api.post(f"/holds/{h['id']}/release", {"reason": "order cancelled", "source_request": "req_c"})
    assert r.json()["status"] == "released"
    assert api.balances(customer) == {"posted": 1000, "pending": 0, "available": 1000}


def test_extend_moves_expiry_later_only(api):
    _, customer = api.funded_account(1000)
    h = hold(api, customer, 500, ttl_seconds=60)
    later = (datetime.now(timezone.utc) + timedelta(hours=2)).isoformat()
    r = api.post(f"/holds/{h['id']}/extend", {"expires_at": later, "reason": "shipping delayed", "source_request": "req_e"})
    assert r.status_code == 200 and r.json()["expires_at"] > h["expires_at"]
    earlier = api.post(f"/holds/{h['id']}/extend", {"ttl_seconds": 30, "reason": "x", "source_request": "y"})
    assert earlier.json()["error"]["code"] == "validation_error"


def test_a_hold_cannot_exceed_available_funds(api):
    _, customer = api.funded_account(1000)
    r = api.post("/holds", {"account": customer, "amount_minor": 1001, "ttl_seconds": 60, "reason": "r", "source_request": "s"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "insufficient_funds"


def test_hold_expires_by_itself_and_then_refuses_every_action(api):
    _, customer = api.funded_account(1000)
    h = hold(api, customer, 400, ttl_seconds=1)
    assert api.balances(customer)["available"] == 600
    time.sleep(1.2)
    assert api.balances(customer) == {"posted": 1000, "pending": 0, "available": 1000}
    for action, body in (("capture", {}), ("release", {}), ("extend", {"ttl_seconds": 60})):
        r = api.post(f"/holds/{h['id']}/{action}", {"reason": "late", "source_request": "s", **body})
        assert r.status_code == 409 and r.json()["error"]["code"] == "hold_expired", action


def test_hold_inputs_are_validated(api):
    _, customer = api.funded_account(1000)
    base = {"account": customer, "amount_minor": 1, "reason": "r", "source_request": "s"}
    for extra, param in (({}, "expires_at"), ({"ttl_seconds": 5, "expires_at": "2030-01-01T00:00:00Z"}, "expires_at"), ({"ttl_seconds": 0}, "ttl_seconds"), ({"ttl_seconds": 10**9}, "ttl_seconds")):
        r = api.post("/holds", {**base, **extra})
        assert r.json()["error"]["param"] == param, extra
    r = api.post("/holds", {**base, "ttl_seconds": 5, "reason": None})
    assert r.json()["error"]["param"] == "reason"
    debit_normal = api.account(normal_balance="debit")
    r = api.post("/holds", {**base, "account": debit_normal, "ttl_seconds": 5})
    assert r.json()["error"]["code"] == "validation_error"


def test_holds_and_pending_postings_expire_through_the_background_sweep(api, runtime, tenant):
    from sqlalchemy import select

    from backend.db import transactions
    from backend.db.tables import Hold, PendingPosting
    from backend.ledger.expiry import sweep

    _, customer = api.funded_account(1000)
    h = hold(api, customer, 400, ttl_seconds=1)
    time.sleep(1.1)
    assert sweep(runtime.db, runtime.now) >= 1
    stored = transactions.read(runtime.db, lambda s: (s.get(Hold, h["id"]).status, s.get(PendingPosting, h["posting_id"]).status))
    assert stored == ("expired", "expired")
    history = api.get(f"/holds/{h['id']}").json()["history"]
    assert [a["action"] for a in history] == ["created", "expired"]
    as_of_expiry = api.balances(customer, as_of=h["expires_at"])
    assert as_of_expiry == {"posted": 1000, "pending": 0, "available": 1000, "as_of": as_of_expiry["as_of"]}
    assert transactions.read(runtime.db, lambda s: s.execute(select(PendingPosting).where(PendingPosting.tenant_id == tenant.tenant_id, PendingPosting.status == "pending")).first()) is None


def test_a_holds_posting_is_resolved_only_through_the_hold(api):
    _, customer = api.funded_account(1000)
    h = hold(api, customer, 400)
    for action in ("post", "void"):
        r = api.post(f"/ledger-entries/{h['posting_id']}/{action}", {})
        assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_state_transition" and h["id"] in r.json()["error"]["message"]
    assert api.get(f"/holds/{h['id']}").json()["status"] == "active"
    assert api.balances(customer)["available"] == 600


def test_a_hold_never_lasts_beyond_30_days_from_creation(api):
    _, customer = api.funded_account(1000)
    h = hold(api, customer, 400, ttl_seconds=29 * 86400)
    r = api.post(f"/holds/{h['id']}/extend", {"ttl_seconds": 30 * 86400, "reason": "again", "source_request": "s"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "expires_at"
    assert api.get(f"/holds/{h['id']}").json()["expires_at"] == h["expires_at"]


def test_holds_close_to_expiry_are_listed_soonest_first(api):
    _, customer = api.funded_account(10_000)

    def hold(ttl: int) -> str:
        r = api.post("/holds", {"account": customer, "amount_minor": 10, "ttl_seconds": ttl, "reason": "auth", "source_request": f"auth_{ttl}"})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    later, soon = hold(1800), hold(300)
    hold(86_400)  # not within the hour
    released = hold(60)
    api.post(f"/holds/{released}/release", {"reason": "cancelled", "source_request": "s"})
    listed = api.get("/holds", params={"expiring_within_seconds": 3600}).json()
    assert [h["id"] for h in listed["data"]] == [soon, later]
    refused = api.get("/holds", params={"expiring_within_seconds": "soon"}).json()
    assert refused["error"]["param"] == "expiring_within_seconds"
