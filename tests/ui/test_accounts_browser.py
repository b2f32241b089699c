"""The accounts room end to end: data made through the HTTP API on the app's own port, read back
by an operator in a real browser, and kept inside its tenant and mode."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from tests.ui.conftest import HOME, Tenant, UiServer, sign_in

ACCOUNTS = re.compile(r"/accounts/?$")
SIGNIN = re.compile(r"/signin/?$")
COUNTDOWN = re.compile(r"^(\d+d )?(\d+h )?\d{1,2}m \d{2}s$")


class Api:
    def __init__(self, base: str, key: str):
        self.client = httpx.Client(base_url=base + "/v1", headers={"Authorization": f"Bearer {key}"}, timeout=60)

    def post(self, path: str, body: dict) -> dict:
        response = self.client.post(path, json={**body, "idempotency_key": secrets.token_hex(12)})
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture(scope="module")
def funded(ui_server: UiServer, ui_tenant: Tenant) -> dict:
    """A sandbox customer account holding 1,250.00 USD posted, 150.00 USD of it on hold."""
    api = Api(ui_server.url, ui_tenant.sandbox_key)
    customer = f"Northwind {secrets.token_hex(3)}"
    source = api.post("/accounts", {"customer": "Funding source", "currency": "USD", "account_type": "funding", "allow_negative": True})["id"]
    account = api.post("/accounts", {"customer": customer, "currency": "USD", "account_type": "operating"})["id"]
    posting = api.post("/ledger-entries", {"debit": source, "credit": account, "amount_minor": 125000, "description": "initial funding"})["posting_id"]
    hold = api.post("/holds", {"account": account, "amount_minor": 15000, "ttl_seconds": 1800, "reason": "card authorization", "source_request": "req_ui_auth_1"})["id"]
    return {"customer": customer, "account": account, "posting": posting, "hold": hold}


def _page(browser, ui_server: UiServer):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.set_default_timeout(30_000)
    return context, context.new_page()


def _search(page, text_: str) -> None:
    page.get_by_test_id("account-search").fill(text_)


def test_api_routes_stay_json_on_the_shared_port(ui_server: UiServer):
    with httpx.Client(base_url=ui_server.url, timeout=30) as client:
        unknown = client.get("/v1/no-such-thing")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
        assert client.get("/v1/accounts").json()["error"]["code"] == "unauthorized"
        assert client.get("/signin", follow_redirects=True).headers["content-type"].startswith("text/html")


def test_sandbox_operator_finds_the_account_and_its_money(browser, ui_server: UiServer, ui_tenant: Tenant, funded: dict):
    context, page = _page(browser, ui_server)
    try:
        page.goto(ui_server.url + "/")
        page.wait_for_url(SIGNIN)
        page.get_by_test_id("email").fill(ui_tenant.operators["support"][0])
        page.get_by_test_id("password").fill("not the password at all")
        page.get_by_test_id("sign-in").click()
        expect(page.get_by_test_id("signin-error")).to_contain_text("Wrong email or password")

        sign_in(page, ui_server, ui_tenant.operators["support"])
        page.get_by_role("link", name="Accounts", exact=True).click()
        page.wait_for_url(ACCOUNTS)
        expect(page.get_by_test_id("sandbox-banner")).to_be_visible()
        expect(page.get_by_test_id("mode-badge")).to_have_text("sandbox")
        expect(page.get_by_test_id("tenant-id")).to_have_text(ui_tenant.tenant_id)
        page.get_by_test_id("account-row").first.wait_for()
        page.screenshot(path="/tmp/ui_accounts.png", full_page=True)

        _search(page, funded["customer"].upper())
        rows = page.get_by_test_id("account-row")
        expect(rows).to_have_count(1)
        row = rows.first
        expect(row).to_contain_text(funded["account"])
        expect(row).to_contain_text("1,250.00 USD")  # posted
        expect(row.get_by_test_id("available")).to_have_text("1,100.00 USD")
        expect(page.get_by_test_id("accounts-range")).to_have_text("1–1 of 1")
        page.screenshot(path="/tmp/ui_accounts_search.png")

        row.get_by_test_id("account-link").click()
        page.wait_for_url(re.compile(re.escape(f"/accounts/{funded['account']}") + "/?$"))
        expect(page.get_by_test_id("balance-posted")).to_have_text("1,250.00 USD")
        expect(page.get_by_test_id("balance-available")).to_have_text("1,100.00 USD")
        expect(page.get_by_test_id("balance-pending")).to_have_text("-150.00 USD")
        expect(page.get_by_test_id("fact-customer")).to_have_text(funded["customer"])
        expect(page.get_by_test_id("posting-row").filter(has_text=funded["posting"])).to_contain_text("1,250.00 USD")
        page.screenshot(path="/tmp/ui_account.png", full_page=True)

        page.get_by_test_id("tab-holds").click()
        hold = page.get_by_test_id("hold-row").filter(has_text=funded["hold"])
        for text_ in ("150.00 USD", "card authorization", "req_ui_auth_1", "active"):
            expect(hold).to_contain_text(text_)
        countdown = hold.get_by_test_id("hold-countdown")
        expect(countdown).to_have_text(COUNTDOWN)
        first = countdown.inner_text().strip()
        assert COUNTDOWN.match(first), first
        page.wait_for_function("([el, before]) => el.textContent.trim() !== before", arg=[countdown.element_handle(), first], timeout=5_000)  # it ticks in the browser, no server round trip
        expect(hold.get_by_test_id("hold-from-now")).to_have_text(re.compile(r"^in \d+ minutes$"))
        page.screenshot(path="/tmp/ui_account_holds.png", full_page=True)

        page.get_by_test_id("tab-history").click()
        page.get_by_test_id("history-chart").locator(".main-svg").first.wait_for()
        expect(page.get_by_test_id("history-row")).to_have_count(2)  # the funding credit, the hold's pending debit
        page.screenshot(path="/tmp/ui_account_history.png", full_page=True)

        page.get_by_test_id("refresh").click()
        expect(page.get_by_test_id("balance-available")).to_have_text("1,100.00 USD")
    finally:
        context.close()


def test_live_mode_sees_nothing_of_sandbox_and_a_role_change_ends_the_session(browser, ui_server: UiServer, ui_tenant: Tenant, funded: dict):
    context, page = _page(browser, ui_server)
    try:
        sign_in(page, ui_server, ui_tenant.operators["finance"])
        page.goto(ui_server.url + "/accounts")
        expect(page.get_by_test_id("mode-badge")).to_have_text("sandbox")
        page.get_by_test_id("mode-live").click()
        page.wait_for_url(HOME)  # a switch starts again in the operations room
        expect(page.get_by_test_id("mode-badge")).to_have_text("live")
        expect(page.get_by_test_id("sandbox-banner")).to_have_count(0)
        page.get_by_role("link", name="Accounts", exact=True).click()
        page.wait_for_url(ACCOUNTS)
        _search(page, funded["customer"])
        expect(page.get_by_text("No account matches")).to_be_visible()
        expect(page.get_by_test_id("account-row")).to_have_count(0)
        expect(page.get_by_test_id("accounts-total")).to_have_text("0 accounts")

        page.goto(ui_server.url + f"/accounts/{funded['account']}")
        expect(page.get_by_test_id("not-found")).to_be_visible()
        expect(page.get_by_test_id("balance-posted")).to_have_count(0)
        assert "1,250.00" not in page.content() and funded["posting"] not in page.content()

        # Change the operator's role behind the session's back: its next event signs it out.
        engine = create_engine(ui_server.database.url, connect_args={"options": f"-csearch_path={ui_server.database.schema}"} if ui_server.database.schema else {})
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE operator_memberships SET role = 'viewer' WHERE tenant_id = :tenant AND operator_id = (SELECT id FROM operators WHERE email = :email)"),
                {"tenant": ui_tenant.tenant_id, "email": ui_tenant.operators["finance"][0]},
            )
        engine.dispose()
        page.goto(ui_server.url + "/accounts")
        page.wait_for_url(SIGNIN)
        expect(page.get_by_test_id("signin-error")).to_contain_text("session ended")
    finally:
        context.close()


def test_a_deep_link_survives_sign_in(browser, ui_server: UiServer, ui_tenant: Tenant, funded: dict):
    context, page = _page(browser, ui_server)
    try:
        page.goto(ui_server.url + f"/accounts/{funded['account']}")
        page.wait_for_url(SIGNIN)
        page.get_by_test_id("email").fill(ui_tenant.operators["viewer"][0])
        page.get_by_test_id("password").fill(ui_tenant.operators["viewer"][1])
        page.get_by_test_id("sign-in").click()
        page.wait_for_url(re.compile(re.escape(f"/accounts/{funded['account']}") + "/?$"))
        expect(page.get_by_test_id("balance-available")).to_have_text("1,100.00 USD")
        page.get_by_test_id("sign-out").click()
        page.wait_for_url(SIGNIN)
        page.goto(ui_server.url + "/accounts")
        page.wait_for_url(SIGNIN)
    finally:
        context.close()
