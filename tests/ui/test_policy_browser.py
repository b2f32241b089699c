"""The policy room in a real browser: an admin sees the built-in version 0, gets a malformed
document's refusal inline with its place, publishes version 1 and sees it; a viewer reads the
policy but has no editor."""

from __future__ import annotations

import json
import re

import httpx
from playwright.sync_api import expect

from tests.ui.conftest import Tenant, UiServer, sign_in

POLICY = re.compile(r"/policy/?$")


def test_an_admin_publishes_a_version_and_a_viewer_only_reads_it(browser, ui_server: UiServer, ui_tenant: Tenant, screenshots):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        sign_in(page, ui_server, ui_tenant.operators["admin"])
        page.get_by_role("link", name="Policy").click()
        page.wait_for_url(POLICY)
        expect(page.get_by_test_id("policy-version")).to_have_text("Version 0")
        expect(page.get_by_test_id("limit-row")).to_contain_text("1,000,000,000 minor units")
        expect(page.get_by_test_id("policy-publish")).to_have_text("Publish version 1")
        expect(page.get_by_test_id("policy-draft")).to_have_value(re.compile(r'"review_threshold"'))

        page.get_by_test_id("policy-draft").fill(json.dumps({"review_threshold": {"USD": 0}}))
        page.get_by_test_id("policy-publish").click()
        expect(page.get_by_test_id("policy-error")).to_contain_text("rules.review_threshold.USD")

        page.get_by_test_id("policy-draft").fill(json.dumps({"review_threshold": {"USD": 50_000}, "blocked_counterparties": ["Evil Corp"], "corridors": ["US-GB"]}))
        page.get_by_test_id("policy-note").fill("lower the review bar")
        page.get_by_test_id("policy-publish").click()
        expect(page.get_by_test_id("policy-notice")).to_have_text("Published version 1.")
        expect(page.get_by_test_id("policy-error")).to_have_count(0)
        expect(page.get_by_test_id("policy-version")).to_have_text("Version 1")
        expect(page.get_by_test_id("threshold-row").first).to_contain_text("500.00 USD")
        expect(page.get_by_test_id("blocked-item")).to_have_text("Evil Corp")
        expect(page.get_by_test_id("version-row")).to_have_count(1)
        expect(page.get_by_test_id("policy-publish")).to_have_text("Publish version 2")
        page.screenshot(path=str(screenshots / "admin_policy.png"), full_page=True)
    finally:
        context.close()

    current = httpx.get(ui_server.url + "/v1/policy", headers={"Authorization": f"Bearer {ui_tenant.sandbox_key}"}).json()
    assert (current["version"], current["note"], current["rules"]["corridors"]) == (1, "lower the review bar", ["US-GB"])

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        sign_in(page, ui_server, ui_tenant.operators["viewer"])
        page.get_by_role("link", name="Policy").click()
        page.wait_for_url(POLICY)
        expect(page.get_by_test_id("policy-version")).to_have_text("Version 1")
        expect(page.get_by_test_id("corridor-item")).to_have_text("US-GB")
        expect(page.get_by_test_id("policy-draft")).to_have_count(0)
        expect(page.get_by_test_id("policy-publish")).to_have_count(0)
    finally:
        context.close()
