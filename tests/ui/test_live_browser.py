"""The room updates without reload: events made through the API reach the event timeline and the
accounts room of the same tenant and mode in a real browser, and never another tenant's."""

from __future__ import annotations

import json
import re
import secrets

import httpx
from playwright.sync_api import expect

from tests.ui.conftest import Tenant, UiServer, sign_in


def _client(ui_server: UiServer, key: str) -> httpx.Client:
    return httpx.Client(base_url=ui_server.url + "/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)


def _post(client: httpx.Client, path: str, body: dict) -> dict:
    response = client.post(path, json={**body, "idempotency_key": secrets.token_hex(12)})
    assert response.status_code == 201, response.text
    return response.json()


def test_new_events_and_balances_arrive_without_reload(browser, ui_server: UiServer, ui_tenant: Tenant, screenshots):
    other = json.loads(ui_server.zentra("admin", "create-tenant", f"UI-Other-{secrets.token_hex(3)}", "--json"))
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        sign_in(page, ui_server, ui_tenant.operators["support"])
        page.goto(ui_server.url + "/events")
        page.wait_for_url(re.compile(r"/events/?$"))
        page.get_by_test_id("live-count").wait_for()
        with _client(ui_server, ui_tenant.sandbox_key) as api, _client(ui_server, other["sandbox_api_key"]) as foreign:
            foreign_account = _post(foreign, "/accounts", {"customer": "Foreign live", "currency": "USD", "account_type": "operating"})["id"]
            account = _post(api, "/accounts", {"customer": f"Live {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
            expect(page.get_by_test_id("event-row").filter(has_text=account).first).to_contain_text("account.created")
            expect(page.get_by_test_id("event-row").filter(has_text=foreign_account)).to_have_count(0)
            page.screenshot(path=str(screenshots / "live_events.png"), full_page=True)

            page.goto(ui_server.url + f"/accounts/{account}")
            expect(page.get_by_test_id("balance-posted")).to_have_text("0.00 USD")
            source = _post(api, "/accounts", {"customer": "Live funding", "currency": "USD", "account_type": "funding", "allow_negative": True})["id"]
            _post(api, "/ledger-entries", {"debit": source, "credit": account, "amount_minor": 4200})
            expect(page.get_by_test_id("balance-posted")).to_have_text("42.00 USD")
    finally:
        context.close()
