"""The review queue and the intent table in a real browser: with a low review threshold, intents
wait for a person. Support bulk-claims two of them, is refused on one it created itself
(maker-checker) and on one that changed after the approve dialog opened (the approval quotes the
hash it was shown), then claims and approves one an admin created, and the intent table open in
another tab follows the intent out of review without a reload. A viewer sees the queue read-only.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from backend.config import Settings
from backend.db import transactions
from backend.db.engine import open_database
from backend.operators import sessions
from backend.operators.intent_actions import create_intent
from backend.policy.versions import publish_policy
from backend.runtime import Runtime
from backend.tenancy.scope import Scope
from tests.ui.conftest import Tenant, UiServer, _add_operators, sign_in

REVIEWS = re.compile(r"/reviews/?$")
AFTER_REVIEW = re.compile(r"^(controlled|ledgered|routed|synchronized|retrying|evidenced|failed)$")
REACHED = re.compile(r"^(done|current)$")


class Api:
    def __init__(self, base: str, key: str):
        self.client = httpx.Client(base_url=base + "/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)

    def post(self, path: str, body: dict, status: int = 201) -> dict:
        response = self.client.post(path, json={**body, "idempotency_key": secrets.token_hex(12)})
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture(scope="module")
def queue(ui_server: UiServer) -> dict:
    """A tenant of its own (its policy must not leak into other tests) whose sandbox policy sends
    every intent of 10.00 or more to review, with three intents waiting: one an admin created,
    one the API key created, one the support operator created."""
    out = json.loads(ui_server.zentra("admin", "create-tenant", f"UI-Reviews-{secrets.token_hex(3)}", "--json"))
    tenant = Tenant(out["tenant_id"], out["sandbox_api_key"], out["live_api_key"], {"admin": (out["operator_email"], out["operator_password"]), **_add_operators(ui_server.database, out["tenant_id"])})
    db = open_database(ui_server.database.url, schema=ui_server.database.schema)
    runtime = Runtime(Settings(data_dir=Path(ui_server.env["ZENTRA_DATA_DIR"]), database_url=ui_server.database.url, nats_url=None, redis_url=None), db)
    try:
        scope = Scope(tenant.tenant_id, "sandbox", actor="system:ui-test", role="system")
        transactions.write(db, lambda s: publish_policy(s, scope, {"rules": {"review_threshold": {"*": 1000}}, "note": "review everything from 10.00"}, datetime.now(timezone.utc)))

        api = Api(ui_server.url, tenant.sandbox_key)
        funding = api.post("/accounts", {"customer": "Funding", "currency": "USD", "account_type": "funding", "allow_negative": True})["id"]
        customer = api.post("/accounts", {"customer": f"Customer {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
        merchant = api.post("/accounts", {"customer": f"Merchant {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
        api.post("/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 1_000_000, "description": "funding"})
        hold = api.post("/holds", {"account": customer, "amount_minor": 2_500, "ttl_seconds": 1800, "reason": "card authorization", "source_request": "req_ui_queue_hold"})["id"]

        def body(amount: int) -> dict:
            return {"intent_id": f"intent_ui_{secrets.token_hex(5)}", "kind": "payment", "amount_minor": amount, "currency": "USD", "source": customer, "destination": merchant}

        admin_token = sessions.sign_in(runtime, *tenant.operators["admin"], tenant_id=tenant.tenant_id).token
        support_token = sessions.sign_in(runtime, *tenant.operators["support"], tenant_id=tenant.tenant_id).token
        by_admin = create_intent(runtime, admin_token, body(5_000))
        by_key = api.post("/runtime/intents", body(7_500))
        by_support = create_intent(runtime, support_token, body(9_000))
        for intent in (by_admin, by_key, by_support):
            assert intent["status"] == "review", intent
        yield {"tenant": tenant, "api": api, "admin": by_admin["intent_id"], "key": by_key["intent_id"], "support": by_support["intent_id"], "hold": hold}
        api.client.close()
    finally:
        db.dispose()


def _context(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(30_000)
    return context


def _review(page, intent_id: str):
    return page.locator(f'[data-testid="review-row"][data-intent="{intent_id}"]')


def _choose(page, trigger_test_id: str, option: str) -> None:
    page.get_by_test_id(trigger_test_id).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_support_claims_and_decides_and_the_intent_table_follows_live(browser, ui_server: UiServer, queue: dict, screenshots):
    tenant: Tenant = queue["tenant"]
    context = _context(browser)
    try:
        # Tab 1: the intent table, left open on the admin's intent while support decides in tab 2.
        table = context.new_page()
        sign_in(table, ui_server, tenant.operators["support"])
        table.get_by_role("link", name="Intents", exact=True).click()
        table.wait_for_url(re.compile(r"/intents/?$"))
        row = table.get_by_test_id("intent-row").filter(has_text=queue["admin"])
        expect(row.get_by_test_id("intent-status")).to_have_text("review")
        expect(row.get_by_test_id("path-accepted")).to_have_attribute("data-mark", "done")
        expect(row.get_by_test_id("path-ledgered")).to_have_attribute("data-mark", "")
        expect(row).to_contain_text("50.00 USD")

        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["support"])
        page.get_by_role("link", name="Review queue", exact=True).click()
        page.wait_for_url(REVIEWS)
        for intent_id in (queue["admin"], queue["key"], queue["support"]):
            expect(_review(page, intent_id)).to_have_count(1)
        expect(_review(page, queue["admin"]).get_by_test_id("review-sla")).to_contain_text(re.compile(r"due in 3h 5\dm|due in 4h 00m"))
        expect(_review(page, queue["admin"]).get_by_test_id("review-approve")).to_have_count(0)  # not claimed yet

        # Bulk: claim the API key's intent and support's own.
        _review(page, queue["key"]).get_by_test_id("review-pick").click()
        _review(page, queue["support"]).get_by_test_id("review-pick").click()
        expect(page.get_by_test_id("picked-count")).to_have_text("2 ticked")
        page.get_by_test_id("bulk-claim").click()
        expect(page.get_by_test_id("review-notice")).to_have_text("2 of 2 claimed.")
        expect(_review(page, queue["key"]).get_by_test_id("review-assignee")).to_have_text("you")
        expect(_review(page, queue["support"]).get_by_test_id("review-assignee")).to_have_text("you")

        # Maker-checker: support created this one, so support cannot approve it.
        _review(page, queue["support"]).get_by_test_id("review-approve").click()
        _choose(page, "decide-code", "verified_customer")
        page.get_by_test_id("decide-confirm").click()
        expect(page.get_by_test_id("decide-error")).to_contain_text("maker-checker: nobody approves an intent they created")
        page.get_by_role("button", name="Cancel").click()
        expect(page.locator(f'[data-testid="review-row-error"][data-intent="{queue["support"]}"]')).to_contain_text("maker-checker")

        # The hash binding: the intent changes while the approve dialog is open; the approval quotes
        # what was shown, so it is refused.
        shown = _review(page, queue["key"]).get_by_test_id("review-hash").inner_text()
        _review(page, queue["key"]).get_by_test_id("review-approve").click()
        queue["api"].post(f"/runtime/intents/{queue['key']}/amend", {"amount_minor": 8_000}, status=200)
        _choose(page, "decide-code", "within_risk_appetite")
        page.get_by_test_id("decide-confirm").click()
        expect(page.get_by_test_id("decide-error")).to_contain_text("changed since it was reviewed")
        page.get_by_role("button", name="Cancel").click()
        expect(_review(page, queue["key"]).get_by_test_id("review-hash")).not_to_have_text(shown)  # the queue shows the new facts
        expect(_review(page, queue["key"])).to_contain_text("80.00 USD")

        # The admin's intent: claim, approve.
        _review(page, queue["admin"]).get_by_test_id("review-claim").click()
        expect(_review(page, queue["admin"]).get_by_test_id("review-assignee")).to_have_text("you")
        _review(page, queue["admin"]).get_by_test_id("review-approve").click()
        _choose(page, "decide-code", "verified_documents")
        page.get_by_test_id("decide-note").fill("documents checked in the ui test")
        page.screenshot(path=str(screenshots / "support_review_approve_dialog.png"), full_page=True)
        page.get_by_test_id("decide-confirm").click()
        expect(page.get_by_test_id("review-notice")).to_have_text(f"Approved: {queue['admin']}.")
        expect(_review(page, queue["admin"])).to_have_count(0)
        page.screenshot(path=str(screenshots / "support_review_queue.png"), full_page=True)

        # Holds close to expiry: the hold expiring in 30 minutes is flagged until support extends it.
        hold = page.get_by_test_id("queue-hold-row").filter(has_text=queue["hold"])
        expect(hold).to_contain_text("within 1 h")
        hold.get_by_test_id("hold-extend").click()
        page.get_by_test_id("hold-reason").fill("customer asked for more time")
        page.get_by_test_id("hold-ttl").fill("120")
        page.get_by_test_id("hold-confirm").click()
        expect(page.get_by_test_id("hold-notice")).to_contain_text("extend done")
        expect(hold).not_to_contain_text("within 1 h")

        # Tab 1 was never reloaded: the live push moved the row out of review, through ledgered.
        table.bring_to_front()
        expect(row.get_by_test_id("intent-status")).to_have_text(AFTER_REVIEW)
        expect(row.get_by_test_id("path-ledgered")).to_have_attribute("data-mark", REACHED)
        row.click()
        drawer = table.get_by_test_id("intent-drawer")
        expect(drawer.get_by_test_id("drawer-intent-id")).to_have_text(queue["admin"])
        transitions = drawer.get_by_test_id("drawer-transition")
        expect(transitions.filter(has_text="review.approved")).to_contain_text("controlled")
        expect(transitions.filter(has_text="ledger.reserved")).to_contain_text("ledgered")
        expect(drawer.get_by_test_id("drawer-policy-version")).to_have_text("1")
        expect(drawer.get_by_test_id("drawer-policy-labels")).to_contain_text("review_required: amount_over_threshold")
        expect(drawer.get_by_test_id("drawer-event").filter(has_text="review.assigned")).to_have_count(1)
        expect(drawer.get_by_test_id("drawer-leg").first).to_be_visible()
        table.screenshot(path=str(screenshots / "support_intent_drawer.png"), full_page=True)
    finally:
        context.close()

    # A deep link opens the drawer straight away.
    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["admin"])
        page.goto(ui_server.url + f"/intents?id={queue['key']}")
        expect(page.get_by_test_id("drawer-intent-id")).to_have_text(queue["key"])
        expect(page.get_by_test_id("drawer-status")).to_have_text("review")
        expect(page.get_by_test_id("evidence-link")).to_have_attribute("href", f"/evidence?id={queue['key']}")
    finally:
        context.close()


def test_a_viewer_reads_the_queue_but_cannot_decide(browser, ui_server: UiServer, queue: dict):
    tenant: Tenant = queue["tenant"]
    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["viewer"])
        expect(page.get_by_role("link", name="Intents", exact=True)).to_have_count(1)
        expect(page.get_by_role("link", name="Review queue", exact=True)).to_have_count(0)
        page.goto(ui_server.url + "/reviews")
        expect(page.get_by_test_id("queue-read-only")).to_be_visible()
        expect(_review(page, queue["support"])).to_have_count(1)
        expect(page.get_by_test_id("queue-hold-row").filter(has_text=queue["hold"])).to_have_count(1)
        for button in ("review-claim", "review-approve", "review-reject", "review-release", "review-pick", "bulk-approve", "hold-extend", "hold-capture"):
            expect(page.get_by_test_id(button)).to_have_count(0)
    finally:
        context.close()
