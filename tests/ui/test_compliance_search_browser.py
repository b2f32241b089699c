"""Global search in a real browser: compliance pastes an intent's id into the header's search and
lands on its drawer (times in the browser's own time zone, the id one click from the clipboard),
follows it to the evidence room, exports its packet and sees it verified (and `zentra verify`
agrees offline); the idempotency key the intent was created with lands on the same drawer; a key
used on two endpoints lists both objects; an unknown id says nothing has it.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess

import httpx
import pytest
from playwright.sync_api import expect

from tests.ui.conftest import ROOT, Tenant, UiServer, _add_operators, sign_in

ZONE = "America/New_York"
NEW_YORK_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} E[SD]T$")


def _post(api: httpx.Client, path: str, body: dict, key: str | None = None) -> dict:
    response = api.post(path, json={**body, "idempotency_key": key or secrets.token_hex(12)})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module")
def searched(ui_server: UiServer) -> dict:
    """A tenant of its own with an intent created under a known idempotency key, and an account
    and a posting created under one shared key."""
    out = json.loads(ui_server.zentra("admin", "create-tenant", f"UI-Search-{secrets.token_hex(3)}", "--json"))
    tenant = Tenant(out["tenant_id"], out["sandbox_api_key"], out["live_api_key"], {"admin": (out["operator_email"], out["operator_password"]), **_add_operators(ui_server.database, out["tenant_id"])})
    with httpx.Client(base_url=ui_server.url + "/v1", headers={"Authorization": f"Bearer {tenant.sandbox_key}"}, timeout=60) as api:
        funding = _post(api, "/accounts", {"customer": "Funding", "currency": "USD", "account_type": "funding", "allow_negative": True})["id"]
        customer = _post(api, "/accounts", {"customer": f"Customer {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
        merchant = _post(api, "/accounts", {"customer": f"Merchant {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
        _post(api, "/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 500_000, "description": "funding"})
        key = f"order-{secrets.token_hex(6)}"
        body = {"intent_id": f"intent_ui_search_{secrets.token_hex(5)}", "kind": "payment", "amount_minor": 2_500, "currency": "USD", "source": customer, "destination": merchant}
        intent = _post(api, "/runtime/intents", body, key=key)["intent_id"]
        shared = f"batch-{secrets.token_hex(6)}"
        account = _post(api, "/accounts", {"customer": f"Shared {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"}, key=shared)["id"]
        posting = _post(api, "/ledger-entries", {"debit": funding, "credit": account, "amount_minor": 1_000, "description": "shared key"}, key=shared)["posting_id"]
    return {"tenant": tenant, "intent": intent, "key": key, "shared": shared, "account": account, "posting": posting}


def _search(page, text: str) -> None:
    box = page.get_by_test_id("global-search")
    box.fill(text)
    box.press("Enter")


def test_compliance_finds_an_intent_by_id_and_verifies_its_packet(browser, ui_server: UiServer, searched: dict, screenshots, tmp_path):
    tenant: Tenant = searched["tenant"]
    intent = searched["intent"]
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True, timezone_id=ZONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=ui_server.url)
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["compliance"])
        expect(page.get_by_test_id("operator-role")).to_have_text("compliance")

        # The intent's id: straight to its drawer.
        _search(page, intent)
        page.wait_for_url(re.compile(r"/intents\?id=" + re.escape(intent) + "$"))
        drawer = page.get_by_test_id("intent-drawer")
        expect(drawer.get_by_test_id("drawer-intent-id")).to_have_text(intent)

        # Times in the browser's zone, labelled with its abbreviation; the recorded ISO time in the tooltip.
        created = drawer.get_by_test_id("drawer-created")
        expect(created).to_contain_text(re.compile(r"E[SD]T"))
        assert NEW_YORK_TIME.search(created.inner_text().strip()), created.inner_text()
        expect(created.locator("[title]")).to_have_attribute("title", re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"))

        # Its id is one click from the clipboard.
        drawer.get_by_test_id("drawer-intent-id").locator("xpath=..").get_by_test_id("copy-id").click()
        expect(page.get_by_text("Copied", exact=True)).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == intent
        page.screenshot(path=str(screenshots / "compliance_search_drawer.png"), full_page=True)

        # On to the evidence room: export the packet and see it verified.
        drawer.get_by_test_id("evidence-link").click()
        page.wait_for_url(re.compile(r"/evidence\?id=" + re.escape(intent) + "$"))
        expect(page.get_by_test_id("export-id")).to_have_value(intent)
        with page.expect_download() as download:
            page.get_by_test_id("export-packet").click()
        expect(page.get_by_test_id("export-verdict")).to_contain_text("packet verified")
        page.screenshot(path=str(screenshots / "compliance_search_evidence.png"), full_page=True)
        path = tmp_path / "intent-packet.json"
        download.value.save_as(path)
        assert json.loads(path.read_text())["packet"]["subject"]["id"] == intent
        public_key = httpx.get(ui_server.url + "/v1/evidence/public-key").json()["public_key"]
        verified = subprocess.run([str(ROOT / ".venv/bin/zentra"), "verify", str(path), "--public-key", public_key], capture_output=True, text=True, env=ui_server.env, timeout=60)
        assert verified.returncode == 0, verified.stdout + verified.stderr

        # The idempotency key it was created with lands on the same drawer.
        _search(page, searched["key"])
        page.wait_for_url(re.compile(r"/intents\?id=" + re.escape(intent) + "$"))
        expect(page.get_by_test_id("drawer-intent-id")).to_have_text(intent)

        # A key used on two endpoints: both objects, as links.
        _search(page, searched["shared"])
        hits = page.get_by_test_id("search-hit")
        expect(hits).to_have_count(2)
        expect(hits.filter(has_text=searched["account"])).to_have_attribute("href", f"/accounts/{searched['account']}")
        expect(hits.filter(has_text=searched["posting"])).to_contain_text("idempotency key on")
        page.screenshot(path=str(screenshots / "compliance_search_several.png"), full_page=True)
        hits.filter(has_text=searched["account"]).click()
        page.wait_for_url(re.compile(r"/accounts/" + re.escape(searched["account"]) + "$"))
        expect(page.get_by_test_id("account-id")).to_have_text(searched["account"])
        expect(page.get_by_test_id("search-results")).to_have_count(0)

        # An id nothing in this tenant and mode has.
        _search(page, f"intent_nowhere_{secrets.token_hex(4)}")
        expect(page.get_by_test_id("search-nothing")).to_have_text("Nothing in this tenant and mode has that id")
    finally:
        context.close()
