"""Saved filters in a real browser: support saves the intents room's filter under a name, clears
it, applies it again from the select, finds the review queue's list separate, and deletes it; an
admin of the same tenant never sees support's filters."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import Tenant, UiServer, _add_operators, sign_in

INTENTS = re.compile(r"/intents/?$")


@pytest.fixture(scope="module")
def tenant(ui_server: UiServer) -> Tenant:
    out = json.loads(ui_server.zentra("admin", "create-tenant", f"UI-Filters-{secrets.token_hex(3)}", "--json"))
    return Tenant(out["tenant_id"], out["sandbox_api_key"], out["live_api_key"], {"admin": (out["operator_email"], out["operator_password"]), **_add_operators(ui_server.database, out["tenant_id"])})


def _context(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    context.set_default_timeout(30_000)
    return context


def _choose(page, trigger_test_id: str, option: str) -> None:
    page.get_by_test_id(trigger_test_id).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_support_saves_applies_and_deletes_a_filter_of_its_own(browser, ui_server: UiServer, tenant: Tenant, screenshots):
    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["support"])
        page.get_by_role("link", name="Intents", exact=True).click()
        page.wait_for_url(INTENTS)
        expect(page.get_by_test_id("saved-filter-select")).to_be_disabled()  # none saved yet

        _choose(page, "intent-status-filter", "review")
        _choose(page, "intent-kind-filter", "payment")
        page.get_by_test_id("saved-filter-save").click()
        page.get_by_test_id("saved-filter-name").fill("held payments")
        page.get_by_test_id("saved-filter-confirm").click()
        expect(page.get_by_test_id("saved-filter-notice")).to_have_text("Saved filter “held payments”.")
        expect(page.get_by_test_id("saved-filter-select")).to_have_text("held payments")

        page.get_by_role("button", name="Clear", exact=True).click()
        expect(page.get_by_test_id("intent-status-filter")).to_have_text("any status")
        expect(page.get_by_test_id("saved-filter-select")).to_have_text("Saved filters")

        _choose(page, "saved-filter-select", "held payments")
        expect(page.get_by_test_id("intent-status-filter")).to_have_text("review")
        expect(page.get_by_test_id("intent-kind-filter")).to_have_text("payment")
        page.screenshot(path=str(screenshots / "support_saved_filter.png"), full_page=True)

        # Each room keeps its own list.
        page.get_by_role("link", name="Review queue", exact=True).click()
        page.wait_for_url(re.compile(r"/reviews/?$"))
        expect(page.get_by_test_id("saved-filter-select")).to_be_disabled()
    finally:
        context.close()

    # Another operator of the same tenant and mode sees only their own filters.
    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["admin"])
        page.goto(ui_server.url + "/intents")
        _choose(page, "intent-status-filter", "failed")
        page.get_by_test_id("saved-filter-save").click()
        page.get_by_test_id("saved-filter-name").fill("admin view")
        page.get_by_test_id("saved-filter-confirm").click()
        expect(page.get_by_test_id("saved-filter-notice")).to_have_text("Saved filter “admin view”.")
        page.get_by_test_id("saved-filter-select").click()
        expect(page.get_by_role("option")).to_have_count(1)
        expect(page.get_by_role("option", name="admin view", exact=True)).to_have_count(1)
        page.keyboard.press("Escape")
    finally:
        context.close()

    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["support"])
        page.goto(ui_server.url + "/intents")
        _choose(page, "saved-filter-select", "held payments")
        page.get_by_test_id("saved-filter-delete").click()
        expect(page.get_by_test_id("saved-filter-notice")).to_have_text("Deleted saved filter “held payments”.")
        expect(page.get_by_test_id("saved-filter-select")).to_be_disabled()
    finally:
        context.close()
