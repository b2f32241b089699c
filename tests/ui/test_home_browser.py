"""The operations room at `/` in a real browser. Signed out, `/` still goes to sign in. A support
operator opens the room and sees the runtime strip and the live intent table; an intent created
through the API with the tenant's sandbox key appears in the table and the API stage's count
rises without a reload; a click shows the intent's money and its event handoff. An admin also
sees the Audit tab and the intent's audit packet, with the link to export it.
"""

from __future__ import annotations

import json
import re
import secrets

import httpx
import pytest
from playwright.sync_api import expect

from tests.ui.conftest import Tenant, UiServer, _add_operators, sign_in

SIGNIN = re.compile(r"/signin/?$")
STAGES = ("api", "policy", "ledger", "route", "webhook", "evidence")


def _post(client: httpx.Client, path: str, body: dict, status: int = 201) -> dict:
    response = client.post(path, json={**body, "idempotency_key": secrets.token_hex(12)})
    assert response.status_code == status, response.text
    return response.json()


def _payment(room: dict, amount: int) -> dict:
    body = {"intent_id": f"intent_ui_home_{secrets.token_hex(5)}", "kind": "payment", "amount_minor": amount, "currency": "USD", "source": room["customer"], "destination": room["merchant"]}
    return _post(room["api"], "/runtime/intents", body)


@pytest.fixture(scope="module")
def room(ui_server: UiServer) -> dict:
    """A tenant of its own (so the strip's counts are this test's alone): a funded customer, a
    merchant, a sandbox provider on the `*` route, and one intent already in the table."""
    out = json.loads(ui_server.zentra("admin", "create-tenant", f"UI-Home-{secrets.token_hex(3)}", "--json"))
    tenant = Tenant(out["tenant_id"], out["sandbox_api_key"], out["live_api_key"], {"admin": (out["operator_email"], out["operator_password"]), **_add_operators(ui_server.database, out["tenant_id"])})
    with httpx.Client(base_url=ui_server.url + "/v1", headers={"Authorization": f"Bearer {tenant.sandbox_key}"}, timeout=60) as api:
        funding = _post(api, "/accounts", {"customer": "Funding", "currency": "USD", "account_type": "funding", "allow_negative": True})["id"]
        customer = _post(api, "/accounts", {"customer": f"Customer {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
        merchant = _post(api, "/accounts", {"customer": f"Merchant {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
        _post(api, "/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 1_000_000, "description": "funding"})
        provider = _post(api, "/providers", {"name": "Sandbox Home", "kind": "sandbox", "behaviour": {"latency_ms": 0}})["id"]
        _post(api, "/routes", {"corridor": "*", "providers": [provider]}, status=200)
        room = {"tenant": tenant, "api": api, "customer": customer, "merchant": merchant}
        room["first"] = _payment(room, 1_200)["intent_id"]
        yield room


def _context(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    context.set_default_timeout(30_000)
    return context


def _stage_count(page, stage: str):
    return page.get_by_test_id(f"stage-{stage}").get_by_test_id("stage-count")


def test_support_sees_a_new_intent_arrive_live_and_its_event_handoff(browser, ui_server: UiServer, room: dict, screenshots):
    tenant: Tenant = room["tenant"]
    context = _context(browser)
    try:
        page = context.new_page()
        page.goto(ui_server.url + "/")
        page.wait_for_url(SIGNIN)  # signed out: `/` still asks to sign in first

        sign_in(page, ui_server, tenant.operators["support"])  # lands in the operations room
        expect(page.get_by_test_id("runtime-strip")).to_be_visible()
        for stage in STAGES:
            expect(page.get_by_test_id(f"stage-{stage}").get_by_test_id("stage-word")).not_to_have_text("")
        expect(_stage_count(page, "api")).to_have_text("1")
        expect(page.get_by_test_id("stage-route").get_by_test_id("route-provider")).to_contain_text("Sandbox Home")
        rows = page.get_by_test_id("home-intent-row")
        expect(rows.filter(has_text=room["first"])).to_have_count(1)
        expect(page.get_by_test_id("home-tab-audit")).to_have_count(0)  # support has no audit.view

        # A new intent through the API: the room follows it without a reload.
        page.evaluate("window.__ztNoReload = true")
        intent_id = _payment(room, 4_321)["intent_id"]
        row = rows.filter(has_text=intent_id)
        expect(row).to_have_count(1)
        expect(row).to_contain_text("43.21 USD")
        expect(_stage_count(page, "api")).to_have_text("2")
        expect(rows.first).to_contain_text(intent_id)  # newest first
        assert page.evaluate("window.__ztNoReload") is True

        row.click()
        expect(page.get_by_test_id("home-selected-id")).to_have_text(intent_id)
        expect(page.get_by_test_id("home-selected-amount")).to_have_text("43.21 USD")
        handoff = page.get_by_test_id("home-handoff-event")
        expect(handoff.filter(has_text="intent.accepted")).to_contain_text("API")
        expect(handoff.filter(has_text="policy.accepted")).to_contain_text("Policy")
        expect(handoff.filter(has_text="ledger.reserved")).to_contain_text("Ledger")
        expect(page.get_by_test_id("home-intent-link")).to_have_attribute("href", f"/intents?id={intent_id}")
        expect(page.get_by_test_id("home-evidence-link")).to_have_count(0)
        expect(page.get_by_test_id("home-packet")).to_contain_text("compliance and admin")
        page.get_by_test_id("home-tab-events").click()
        expect(page.get_by_test_id("home-event-row").first).to_be_visible()
        assert page.evaluate("window.__ztNoReload") is True
        page.screenshot(path=str(screenshots / "support_operations_room.png"), full_page=True)
    finally:
        context.close()


def test_an_admin_reads_the_audit_tab_and_the_intents_audit_packet(browser, ui_server: UiServer, room: dict, screenshots):
    tenant: Tenant = room["tenant"]
    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["admin"])  # lands in the operations room
        expect(page.get_by_test_id("day-row").filter(has_text="accepted")).to_contain_text("USD")
        page.get_by_test_id("home-tab-audit").click()
        expect(page.get_by_test_id("home-audit-row").first).to_be_visible()
        page.get_by_test_id("home-intent-row").filter(has_text=room["first"]).click()
        expect(page.get_by_test_id("home-packet-record").filter(has_text="intent.accepted")).to_have_count(1)
        expect(page.get_by_test_id("home-evidence-link")).to_have_attribute("href", f"/evidence?id={room['first']}")
        page.screenshot(path=str(screenshots / "admin_operations_room.png"), full_page=True)
    finally:
        context.close()
