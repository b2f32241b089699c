"""The review queue by keyboard, in a real browser: with a low review threshold two intents an
admin created wait for a person. Support moves to the first with j, claims it with c, opens the
approval with a (the first reason code chosen) and confirms with Enter; the selection moves on to
the next review, which r then Enter reject (Escape closes the dialog without deciding). Typing in
a field is never a shortcut. The intents' statuses are then checked through the API.
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
SELECTED = '[data-testid="review-row"][data-selected="yes"]'


def _post(api: httpx.Client, path: str, body: dict) -> dict:
    response = api.post(path, json={**body, "idempotency_key": secrets.token_hex(12)})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def held(ui_server: UiServer) -> dict:
    """A tenant of its own whose sandbox policy sends every intent of 10.00 or more to review, and
    two such intents an admin created (so support may decide both)."""
    out = json.loads(ui_server.zentra("admin", "create-tenant", f"UI-Keys-{secrets.token_hex(3)}", "--json"))
    tenant = Tenant(out["tenant_id"], out["sandbox_api_key"], out["live_api_key"], {"admin": (out["operator_email"], out["operator_password"]), **_add_operators(ui_server.database, out["tenant_id"])})
    db = open_database(ui_server.database.url, schema=ui_server.database.schema)
    runtime = Runtime(Settings(data_dir=Path(ui_server.env["ZENTRA_DATA_DIR"]), database_url=ui_server.database.url, nats_url=None, redis_url=None), db)
    api = httpx.Client(base_url=ui_server.url + "/v1", headers={"Authorization": f"Bearer {tenant.sandbox_key}"}, timeout=60)
    try:
        scope = Scope(tenant.tenant_id, "sandbox", actor="system:ui-test", role="system")
        transactions.write(db, lambda s: publish_policy(s, scope, {"rules": {"review_threshold": {"*": 1000}}, "note": "review everything from 10.00"}, datetime.now(timezone.utc)))
        funding = _post(api, "/accounts", {"customer": "Funding", "currency": "USD", "account_type": "funding", "allow_negative": True})["id"]
        customer = _post(api, "/accounts", {"customer": f"Customer {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
        merchant = _post(api, "/accounts", {"customer": f"Merchant {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
        _post(api, "/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 1_000_000, "description": "funding"})
        admin_token = sessions.sign_in(runtime, *tenant.operators["admin"], tenant_id=tenant.tenant_id).token
        intents = []
        for amount in (4_000, 6_000):
            body = {"intent_id": f"intent_ui_{secrets.token_hex(5)}", "kind": "payment", "amount_minor": amount, "currency": "USD", "source": customer, "destination": merchant}
            intent = create_intent(runtime, admin_token, body)
            assert intent["status"] == "review", intent
            intents.append(intent["intent_id"])
        yield {"tenant": tenant, "api": api, "intents": intents}
    finally:
        api.close()
        db.dispose()


def _review(page, intent_id: str):
    return page.locator(f'[data-testid="review-row"][data-intent="{intent_id}"]')


def _status(api: httpx.Client, intent_id: str) -> str:
    response = api.get(f"/runtime/intents/{intent_id}")
    assert response.status_code == 200, response.text
    return response.json()["status"]


def test_support_works_the_review_queue_by_keyboard(browser, ui_server: UiServer, held: dict, screenshots):
    tenant: Tenant = held["tenant"]
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["support"])
        page.get_by_role("link", name="Review queue", exact=True).click()
        page.wait_for_url(REVIEWS)
        for intent_id in held["intents"]:
            expect(_review(page, intent_id)).to_have_count(1)
        expect(page.get_by_test_id("review-keys")).to_contain_text("approve")

        # Keys typed into a field are text, not shortcuts.
        search = page.get_by_test_id("global-search")
        search.click()
        page.keyboard.type("jc")
        expect(search).to_have_value("jc")
        search.fill("")
        search.blur()
        expect(page.locator(SELECTED)).to_have_count(0)

        # j selects the oldest review; c claims it.
        page.keyboard.press("j")
        expect(page.locator(SELECTED)).to_have_count(1)
        first = page.locator(SELECTED).get_attribute("data-intent")
        second = next(i for i in held["intents"] if i != first)
        assert first in held["intents"]
        page.keyboard.press("c")
        expect(page.get_by_test_id("review-notice")).to_have_text("Claimed: the review is yours to decide.")
        expect(_review(page, first).get_by_test_id("review-assignee")).to_have_text("you")

        # a opens the approval with the first reason code; Enter confirms it.
        page.keyboard.press("a")
        expect(page.get_by_test_id("decide-code")).to_have_text("verified_customer")
        expect(page.get_by_test_id("decide-confirm")).to_be_focused()
        page.screenshot(path=str(screenshots / "support_review_keyboard_approve.png"), full_page=True)
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("review-notice")).to_have_text(f"Approved: {first}.")
        expect(_review(page, first)).to_have_count(0)

        # The selection moved on to the review now in its place.
        expect(_review(page, second)).to_have_attribute("data-selected", "yes")
        page.keyboard.press("r")
        expect(page.get_by_test_id("review-error")).to_contain_text("Claim it first (c)")
        page.keyboard.press("c")
        expect(_review(page, second).get_by_test_id("review-assignee")).to_have_text("you")

        # Escape closes the dialog without deciding; r then Enter rejects.
        page.keyboard.press("r")
        expect(page.get_by_test_id("decide-code")).to_have_text("suspected_fraud")
        page.keyboard.press("Escape")
        expect(page.get_by_test_id("decide-confirm")).to_have_count(0)
        expect(_review(page, second)).to_have_count(1)
        page.keyboard.press("r")
        expect(page.get_by_test_id("decide-confirm")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("review-notice")).to_have_text(f"Rejected: {second}.")
        expect(_review(page, second)).to_have_count(0)
        page.screenshot(path=str(screenshots / "support_review_keyboard_done.png"), full_page=True)
    finally:
        context.close()

    assert AFTER_REVIEW.match(_status(held["api"], first))
    assert _status(held["api"], second) == "rejected"
