"""The finance room in a real browser: finance opens it on a tenant of its own, sandbox payments made
through the API move the volume tile and chart without a reload, the volume chart's CSV holds
exactly the money that reached `ledgered`, and a viewer gets neither the link nor the page."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from backend.money.currencies import format_minor
from state.finance_figures import VOLUME_COLUMNS
from tests.ui.conftest import HOME, Tenant, UiServer, _add_operators, sign_in

FINANCE = re.compile(r"/finance/?$")
FIRST, LATER = 1_234, (2_500, 7_777)
REVIEWED = 1_500_000  # over the default review threshold: it waits in the backlog, never ledgered


class Accepts(BaseHTTPRequestHandler):
    """A webhook receiver that takes every delivery."""

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class Api:
    def __init__(self, base: str, key: str):
        self.client = httpx.Client(base_url=base + "/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)

    def post(self, path: str, body: dict, status: int = 201) -> dict:
        response = self.client.post(path, json={**body, "idempotency_key": secrets.token_hex(12)})
        assert response.status_code == status, response.text
        return response.json()

    def pay(self, rails: dict, amount: int) -> dict:
        body = {"intent_id": f"intent_fin_{secrets.token_hex(5)}", "kind": "payment", "amount_minor": amount, "currency": "USD", "source": rails["customer"], "destination": rails["merchant"], "scope": "workspace_scope"}
        return self.post("/runtime/intents", body)


@pytest.fixture(scope="module")
def books(ui_server: UiServer):
    """A tenant of its own (so the room's totals are exactly this test's) with a webhook endpoint
    that accepts everything, a funded customer, a merchant, a hold, an intent waiting for review
    and one ledgered payment."""
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Accepts)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    out = json.loads(ui_server.zentra("admin", "create-tenant", f"UI-Finance-{secrets.token_hex(3)}", "--json"))
    tenant = Tenant(out["tenant_id"], out["sandbox_api_key"], out["live_api_key"], {"admin": (out["operator_email"], out["operator_password"]), **_add_operators(ui_server.database, out["tenant_id"])})
    api = Api(ui_server.url, tenant.sandbox_key)
    api.post("/webhook-endpoints", {"url": f"http://127.0.0.1:{receiver.server_address[1]}/hooks", "event_types": ["intent.*", "ledger.*"]})
    funding = api.post("/accounts", {"customer": "Funding", "currency": "USD", "account_type": "funding", "allow_negative": True})["id"]
    rails = {
        "customer": api.post("/accounts", {"customer": f"Customer {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"],
        "merchant": api.post("/accounts", {"customer": f"Merchant {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"],
    }
    api.post("/ledger-entries", {"debit": funding, "credit": rails["customer"], "amount_minor": 10_000_000, "description": "funding"})
    api.post("/holds", {"account": rails["customer"], "amount_minor": 4_200, "ttl_seconds": 1800, "reason": "card authorization", "source_request": "req_ui_finance_hold"})
    assert api.pay(rails, REVIEWED)["status"] == "review"
    assert api.pay(rails, FIRST)["status"] == "ledgered"
    yield {"tenant": tenant, "api": api, "rails": rails}
    api.client.close()
    receiver.shutdown()


def _context(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    context.set_default_timeout(30_000)
    return context


def test_finance_watches_volume_move_live_and_exports_what_the_chart_shows(browser, ui_server: UiServer, books: dict, screenshots: Path):
    tenant: Tenant = books["tenant"]
    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["finance"])
        page.get_by_role("link", name="Finance").click()
        page.wait_for_url(FINANCE)
        usd = page.locator('[data-testid="volume-tile"][data-currency="USD"]')
        expect(usd).to_have_attribute("data-amount-minor", str(FIRST))
        expect(usd.get_by_test_id("volume-tile-amount")).to_have_text(format_minor(FIRST, "USD"))
        chart = page.get_by_test_id("volume-chart")
        expect(chart).to_be_visible()
        expect(chart.locator(".main-svg").first).to_be_visible()  # plotly drew it
        expect(chart).to_have_attribute("data-currency", "USD")
        expect(page.get_by_test_id("tile-open-reviews")).to_have_text("1")
        expect(page.get_by_test_id("backlog-chart")).to_be_visible()
        expect(page.get_by_test_id("holds-chart")).to_be_visible()
        rows_before = int(chart.get_attribute("data-rows"))
        expect(page.get_by_test_id("tile-webhook-success")).to_have_text(re.compile(r"^\d+\.\d%$"))  # deliveries arrive live too
        expect(page.get_by_test_id("success-chart")).to_be_visible()
        expect(page.get_by_test_id("latency-chart")).to_be_visible()

        # Traffic while the page stays open: no reload (the marker set in this document survives).
        page.evaluate("window.__financeMarker = 'same document'")
        for amount in LATER:
            assert books["api"].pay(books["rails"], amount)["status"] == "ledgered"
        total = FIRST + sum(LATER)
        expect(usd).to_have_attribute("data-amount-minor", str(total))
        expect(usd.get_by_test_id("volume-tile-amount")).to_have_text(format_minor(total, "USD"))
        assert page.evaluate("window.__financeMarker") == "same document"
        assert int(chart.get_attribute("data-rows")) >= rows_before

        # Export CSV: the chart's rows, header first, the ledgered amounts summing to what was paid.
        with page.expect_download() as download:
            page.get_by_test_id("volume-export").click()
        assert download.value.suggested_filename.endswith(".csv") and "volume-USD" in download.value.suggested_filename
        text = Path(download.value.path()).read_text()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert text.splitlines()[0].split(",") == VOLUME_COLUMNS
        assert rows and {r["currency"] for r in rows} == {"USD"}
        assert len(rows) == int(chart.get_attribute("data-rows"))
        assert sum(int(r["amount_minor"]) for r in rows if r["state"] == "ledgered") == total
        assert sum(int(r["amount_minor"]) for r in rows if r["state"] == "accepted") == total + REVIEWED

        # Another window reads again and still holds the same money (it all happened just now).
        page.get_by_test_id("window-1h").click()
        expect(page.get_by_test_id("window-1h")).to_have_attribute("data-state", "on")
        expect(usd).to_have_attribute("data-amount-minor", str(total))
        page.screenshot(path=str(screenshots / "finance_room.png"), full_page=True)
    finally:
        context.close()


def test_a_viewer_has_no_finance_room(browser, ui_server: UiServer, books: dict):
    tenant: Tenant = books["tenant"]
    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, ui_server, tenant.operators["viewer"])
        expect(page.get_by_role("link", name="Intents", exact=True)).to_have_count(1)  # the nav has rendered
        expect(page.get_by_role("link", name="Finance")).to_have_count(0)
        page.goto(ui_server.url + "/finance")
        page.wait_for_url(HOME)
    finally:
        context.close()
