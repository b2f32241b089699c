"""The webhooks room in a real browser: an endpoint whose receiver fails once shows both
attempts, the signature inspector shows what was signed, and recover's dry run counts before it
can run; a viewer does not see the room."""

from __future__ import annotations

import re
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from playwright.sync_api import expect

from tests.ui.conftest import HOME, Tenant, UiServer, sign_in


class FailsOnce(BaseHTTPRequestHandler):
    """Answers the first delivery with 500, every later one with 200."""

    seen = 0

    def do_POST(self):  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("content-length", 0)))
        FailsOnce.seen += 1
        self.send_response(500 if FailsOnce.seen == 1 else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FailsOnce)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    server.shutdown()


def test_support_reads_attempts_inspects_a_signature_and_dry_runs_recover(browser, ui_server: UiServer, ui_tenant: Tenant, receiver, screenshots):
    with httpx.Client(base_url=ui_server.url + "/v1", headers={"Authorization": f"Bearer {ui_tenant.sandbox_key}"}, timeout=60) as api:
        endpoint = api.post("/webhook-endpoints", json={"url": receiver, "event_types": ["account.*"], "idempotency_key": secrets.token_hex(8)}).json()["id"]
        api.post("/accounts", json={"customer": "Webhook room", "currency": "USD", "account_type": "operating", "idempotency_key": secrets.token_hex(8)})
        deadline = time.monotonic() + 60
        while FailsOnce.seen < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert FailsOnce.seen >= 2, "the dispatcher did not retry the failed delivery"
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        sign_in(page, ui_server, ui_tenant.operators["support"])
        page.get_by_role("link", name="Webhooks").click()
        page.wait_for_url(re.compile(r"/webhooks/?$"))
        page.get_by_test_id("endpoint-row").filter(has_text=endpoint).get_by_test_id("endpoint-link").click()
        page.wait_for_url(re.compile(re.escape(f"/webhooks/{endpoint}") + "/?$"))
        rows = page.get_by_test_id("attempt-row")
        expect(rows).to_have_count(2)
        expect(rows.filter(has_text="failed")).to_contain_text("http")
        expect(rows.filter(has_text="succeeded")).to_have_count(1)
        expect(page.get_by_test_id("health-success")).to_have_text("50.0%")

        rows.first.get_by_test_id("inspect").click()
        expect(page.get_by_test_id("inspector-content")).to_contain_text("account.created")
        expect(page.get_by_test_id("inspector-keys")).not_to_be_empty()

        page.get_by_test_id("recover-dry-run").click()
        expect(page.get_by_test_id("recover-preview")).to_contain_text("0 would be sent; 1 already acknowledged")
        expect(page.get_by_test_id("recover-run")).to_be_disabled()
        page.screenshot(path=str(screenshots / "support_webhooks.png"), full_page=True)
    finally:
        context.close()

    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, ui_server, ui_tenant.operators["viewer"])
        expect(page.get_by_role("link", name="Webhooks")).to_have_count(0)
        page.goto(ui_server.url + f"/webhooks/{endpoint}")
        page.wait_for_url(HOME)
    finally:
        context.close()
