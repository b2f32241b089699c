"""The frame holds at a 1280 px laptop and a 768 px tablet (issue 6): in every room the top bar's
Sign out is wholly on screen and the document never scrolls sideways (wide tables scroll inside
their panels instead), and at 1280 px the operations room's live intent table shows all its
columns, State included, beside the selected intent, even with an intent held for review whose
path carries a side badge.
"""

from __future__ import annotations

import json
import secrets

import httpx
import pytest
from playwright.sync_api import expect

from tests.ui.conftest import Tenant, UiServer, _add_operators, sign_in

WIDTHS = ((1280, 800), (768, 1024))
# Every room an admin sees, with the heading its top bar shows.
ROOMS = (
    ("/", "Operations room"),
    ("/intents", "Intents"),
    ("/reviews", "Review queue"),
    ("/webhooks", "Webhooks"),
    ("/finance", "Finance"),
    ("/reconciliation", "Reconciliation"),
    ("/evidence", "Evidence"),
    ("/accounts", "Accounts"),
    ("/policy", "Policy"),
    ("/screening", "Screening"),
    ("/events", "Events"),
)
REVIEW_AMOUNT = 1_500_000  # over the default policy's review threshold (1,000,000 minor units)

# Where the page's content reaches past the window: the document's sideways scroll, and Sign out's box.
MEASURE = """() => {
  const box = document.querySelector('[data-testid="sign-out"]').getBoundingClientRect();
  return {scroll_width: document.scrollingElement.scrollWidth, inner_width: innerWidth, inner_height: innerHeight,
          sign_out: {left: box.left, right: box.right, top: box.top, bottom: box.bottom}};
}"""
# The live intent table's State header against the table's own scroll viewport and the window.
STATE_HEADER = """(th) => {
  const cell = th.getBoundingClientRect();
  const port = th.closest('.rt-ScrollAreaViewport') || th.closest('table').parentElement;
  const view = port.getBoundingClientRect();
  return {left: cell.left, right: cell.right, view_left: view.left, view_right: view.right,
          scroll_width: port.scrollWidth, client_width: port.clientWidth, inner_width: innerWidth};
}"""


def _post(client: httpx.Client, path: str, body: dict, status: int = 201) -> dict:
    response = client.post(path, json={**body, "idempotency_key": secrets.token_hex(12)})
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def room(ui_server: UiServer) -> dict:
    """A tenant of its own: a funded customer, a merchant, a sandbox provider on the `*` route, two
    payments that go all the way and one that waits for review."""
    out = json.loads(ui_server.zentra("admin", "create-tenant", f"UI-Layout-{secrets.token_hex(3)}", "--json"))
    tenant = Tenant(out["tenant_id"], out["sandbox_api_key"], out["live_api_key"], {"admin": (out["operator_email"], out["operator_password"]), **_add_operators(ui_server.database, out["tenant_id"])})
    with httpx.Client(base_url=ui_server.url + "/v1", headers={"Authorization": f"Bearer {tenant.sandbox_key}"}, timeout=60) as api:
        funding = _post(api, "/accounts", {"customer": "Funding", "currency": "USD", "account_type": "funding", "allow_negative": True})["id"]
        customer = _post(api, "/accounts", {"customer": f"Customer {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
        merchant = _post(api, "/accounts", {"customer": f"Merchant {secrets.token_hex(3)}", "currency": "USD", "account_type": "operating"})["id"]
        _post(api, "/ledger-entries", {"debit": funding, "credit": customer, "amount_minor": 10_000_000, "description": "funding"})
        provider = _post(api, "/providers", {"name": "Sandbox Layout", "kind": "sandbox", "behaviour": {"latency_ms": 0}})["id"]
        _post(api, "/routes", {"corridor": "*", "providers": [provider]}, status=200)
        intents = []
        for amount in (1_200, 98_765, REVIEW_AMOUNT):
            body = {"intent_id": f"intent_layout_{secrets.token_hex(6)}", "kind": "payment", "amount_minor": amount, "currency": "USD", "source": customer, "destination": merchant}
            intents.append(_post(api, "/runtime/intents", body)["intent_id"])
    return {"tenant": tenant, "intents": intents, "review": intents[-1]}


def _assert_fits(page, where: str) -> None:
    """Sign out wholly inside the window, and no sideways scroll of the document."""
    seen = page.evaluate(MEASURE)
    box = seen["sign_out"]
    assert 0 <= box["left"] and box["right"] <= seen["inner_width"], f"{where}: Sign out runs off the window: {seen}"
    assert 0 <= box["top"] and box["bottom"] <= seen["inner_height"], f"{where}: Sign out is off the window: {seen}"
    assert seen["scroll_width"] <= seen["inner_width"], f"{where}: the page scrolls sideways: {seen}"


def _open(page, ui_server: UiServer, path: str, heading: str) -> None:
    """Go to a room and wait until its rows are read (no "Loading…" left)."""
    page.goto(ui_server.url + path)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_test_id("sign-out")).to_be_visible()
    expect(page.get_by_text("Loading…", exact=True)).to_have_count(0)


@pytest.mark.parametrize(("width", "height"), WIDTHS, ids=[f"{w}px" for w, _ in WIDTHS])
def test_every_room_fits_the_window(browser, ui_server: UiServer, room: dict, screenshots, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, ui_server, room["tenant"].operators["admin"])  # lands in the operations room
        rows = page.get_by_test_id("home-intent-row")
        for intent_id in room["intents"]:
            expect(rows.filter(has_text=intent_id)).to_have_count(1)
        expect(rows.filter(has_text=room["review"]).get_by_test_id("intent-path")).to_contain_text("side: review")
        _assert_fits(page, f"/ at {width}px")

        rows.filter(has_text=room["review"]).click()  # the selected intent's panel, with its long ids
        expect(page.get_by_test_id("home-selected-id")).to_have_text(room["review"])
        expect(page.get_by_test_id("home-handoff-event").first).to_be_visible()
        _assert_fits(page, f"/ with an intent selected at {width}px")
        if width >= 1280:
            header = page.get_by_test_id("home-intents").get_by_role("columnheader", name="State", exact=True)
            expect(header).to_be_visible()
            cell = header.evaluate(STATE_HEADER)
            assert cell["scroll_width"] <= cell["client_width"], f"the live intent table scrolls sideways at {width}px: {cell}"
            assert cell["view_left"] <= cell["left"] and cell["right"] <= cell["view_right"] <= cell["inner_width"], f"State is cut off at {width}px: {cell}"
        page.screenshot(path=str(screenshots / f"layout_operations_room_{width}.png"), full_page=True)

        for path, heading in ROOMS[1:]:
            _open(page, ui_server, path, heading)
            _assert_fits(page, f"{path} at {width}px")
    finally:
        context.close()
