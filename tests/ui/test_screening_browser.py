"""The screening room in a real browser: compliance sees the current screening list with its size
and the customers with their KYC status, filters by status, and sees a KYC change made through the
API arrive without a reload; a viewer has no screening room (not in the navigation, and the page
sends them home)."""

from __future__ import annotations

import json
import re
import secrets

import httpx
import pytest
from playwright.sync_api import expect

from tests.ui.conftest import HOME, Tenant, UiServer, _add_operators, sign_in

LIST_CSV = "name,aliases,country,reference\nIvan Petrova,,RU,RU-0042\nVolkov Shipping Limited,Volkov Maritime,CY,CY-0100\n"
CUSTOMERS = {"Customer A": "verified", "Customer B": "pending", "Customer C": "rejected"}


def _session(ui_server: UiServer, login: tuple[str, str], tenant_id: str) -> httpx.Client:
    """An API client acting as the operator (loading a list needs a person with screening.manage)."""
    signed = httpx.post(ui_server.url + "/v1/operator-sessions", json={"email": login[0], "password": login[1], "tenant_id": tenant_id}, timeout=30)
    assert signed.status_code == 201, signed.text
    return httpx.Client(base_url=ui_server.url + "/v1", headers={"Authorization": f"Bearer {signed.json()['token']}"}, timeout=60)


def _post(api: httpx.Client, path: str, body: dict, status: int) -> dict:
    response = api.post(path, json={**body, "idempotency_key": secrets.token_hex(12)})
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def screened(ui_server: UiServer) -> dict:
    """A tenant of its own with one list loaded and three registered customers."""
    out = json.loads(ui_server.zentra("admin", "create-tenant", f"UI-Screening-{secrets.token_hex(3)}", "--json"))
    tenant = Tenant(out["tenant_id"], out["sandbox_api_key"], out["live_api_key"], {"admin": (out["operator_email"], out["operator_password"]), **_add_operators(ui_server.database, out["tenant_id"])})
    with _session(ui_server, tenant.operators["compliance"], tenant.tenant_id) as api:
        _post(api, "/screening/lists", {"name": "Sanctions", "source": "ui test fixture", "csv": LIST_CSV}, 201)
        ids = {name: _post(api, "/customers", {"customer": name, "name": f"{name} Ltd", "kyc_status": status}, 200)["id"] for name, status in CUSTOMERS.items()}
    return {"tenant": tenant, "customers": ids}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def test_compliance_sees_lists_and_kyc_and_a_kyc_change_arrives_live(page, ui_server: UiServer, screened: dict, screenshots):
    tenant: Tenant = screened["tenant"]
    sign_in(page, ui_server, tenant.operators["compliance"])
    page.get_by_role("link", name="Screening").click()
    page.wait_for_url(re.compile(r"/screening$"))

    lists = page.get_by_test_id("screening-list-row")
    expect(lists).to_have_count(1)
    expect(lists.get_by_test_id("screening-list-name")).to_have_text("Sanctions")
    expect(lists.get_by_test_id("screening-list-entries")).to_have_text("2")
    rows = page.get_by_test_id("customer-row")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("customers-total")).to_have_text("3 customers")

    page.get_by_test_id("kyc-filter").click()
    page.get_by_role("option", name="rejected").click()
    expect(rows).to_have_count(1)
    expect(rows.get_by_test_id("customer-ref")).to_have_text("Customer C")

    # Another person rejects Customer B through the API: the filtered table takes it in without a reload.
    with _session(ui_server, tenant.operators["admin"], tenant.tenant_id) as api:
        _post(api, f"/customers/{screened['customers']['Customer B']}/kyc", {"kyc_status": "rejected"}, 200)
    expect(rows).to_have_count(2, timeout=20_000)
    expect(rows.get_by_test_id("customer-kyc")).to_have_text(["rejected", "rejected"])
    page.screenshot(path=str(screenshots / "screening-compliance.png"), full_page=True)


def test_a_viewer_has_no_screening_room(page, ui_server: UiServer, screened: dict):
    sign_in(page, ui_server, screened["tenant"].operators["viewer"])
    expect(page.get_by_role("link", name="Accounts")).to_be_visible()
    expect(page.get_by_role("link", name="Screening")).to_have_count(0)
    page.goto(ui_server.url + "/screening")
    page.wait_for_url(HOME)
    expect(page.get_by_test_id("customer-row")).to_have_count(0)
