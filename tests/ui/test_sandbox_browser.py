"""The sandbox room in a real browser: support-grade admin starts sandbox traffic, runs
`consumer-outage` from the room, and a second window on the webhooks room watches the rehearsal's
endpoint build a backlog while its consumer is down and drain to nothing once it is back; the
room shows the verdict live. A viewer sees the room but no dial controls and no Run buttons."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
from playwright.sync_api import expect

from backend.sandbox.cast import CAST_FILE, load_cast
from tests.ui.conftest import UiServer, sign_in

SANDBOX = re.compile(r"/sandbox/?$")
RATE = 120  # intents a minute: a steady flow of deliveries to the outage endpoint
VERDICT_SECONDS = 150
DRAIN_SECONDS = 90


def _context(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(30_000)
    return context


def _outage_row(page):
    return page.get_by_test_id("endpoint-row").filter(has_text=re.compile(r"/sandbox/receivers/\S+/outage-"))


def _backlog(page) -> int | None:
    cell = _outage_row(page).get_by_test_id("endpoint-backlog")
    if cell.count() != 1:
        return None
    text = cell.inner_text().strip()
    return int(text) if text.isdigit() else None


def _watch(page, until, seconds: float) -> list[int]:
    """Backlog readings of the outage endpoint (every 0.2 s, as the live page shows them) until
    `until(readings)` holds or `seconds` pass."""
    readings: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until(readings):
        value = _backlog(page)
        if value is not None:
            readings.append(value)
        page.wait_for_timeout(200)
    return readings


def test_admin_rehearses_a_consumer_outage_and_watches_the_backlog_drain(browser, ui_server: UiServer, screenshots: Path):
    seeded = json.loads(ui_server.zentra("sandbox", "seed").strip().splitlines()[-1])
    cast = load_cast(Path(ui_server.env["ZENTRA_DATA_DIR"]) / CAST_FILE)
    api = httpx.Client(base_url=ui_server.url + "/v1", headers={"Authorization": f"Bearer {cast.sandbox_api_key}"}, timeout=30)
    context = _context(browser)
    room, hooks = context.new_page(), context.new_page()
    try:
        login = (seeded["operator_email"], seeded["operator_password"])
        for page in (room, hooks):  # each tab is a session of its own
            sign_in(page, ui_server, login)
        hooks.get_by_role("link", name="Webhooks").click()
        hooks.wait_for_url(re.compile(r"/webhooks/?$"))

        room.goto(ui_server.url + "/sandbox")
        room.wait_for_url(SANDBOX)
        room.get_by_test_id("traffic-rate").fill(str(RATE))
        room.get_by_test_id("traffic-apply").click()
        expect(room.get_by_test_id("traffic-rate-now")).to_have_text(str(RATE))
        room.get_by_test_id("traffic-start").click()
        expect(room.get_by_test_id("traffic-state")).to_have_text("running")
        expect(room.get_by_test_id("traffic-sent")).not_to_have_text("0", timeout=20_000)  # counted live

        room.locator('[data-testid="run-scenario"][data-scenario="consumer-outage"]').click()
        run = room.locator('[data-testid="run-row"][data-scenario="consumer-outage"]').first
        expect(run.get_by_test_id("run-status")).to_have_text(re.compile("queued|running|passed"))

        built = _watch(hooks, lambda seen: any(v >= 2 for v in seen), 60)
        assert any(v >= 2 for v in built), f"the outage endpoint never showed a backlog: {built}"
        hooks.screenshot(path=str(screenshots / "sandbox_outage_backlog.png"), full_page=True)

        expect(room.get_by_test_id("verdict-status")).to_have_text("passed", timeout=VERDICT_SECONDS * 1000)
        expect(room.get_by_test_id("verdict-check")).to_have_count(6)
        expect(room.get_by_test_id("verdict")).to_contain_text("delivered once the consumer is back")
        room.screenshot(path=str(screenshots / "sandbox_room_verdict.png"), full_page=True)

        room.get_by_test_id("traffic-pause").click()
        expect(room.get_by_test_id("traffic-state")).to_have_text("paused")
        drained = _watch(hooks, lambda seen: bool(seen) and seen[-1] == 0, DRAIN_SECONDS)
        assert drained and drained[-1] == 0, f"the backlog did not drain: last readings {drained[-10:]}"
        expect(_outage_row(hooks).get_by_test_id("endpoint-health")).to_have_text("healthy")
        hooks.screenshot(path=str(screenshots / "sandbox_outage_drained.png"), full_page=True)
    finally:
        for name, page in (("room", room), ("hooks", hooks)):  # what each window showed last, pass or fail
            page.screenshot(path=str(screenshots / f"sandbox_last_{name}.png"), full_page=True)
        api.post("/sandbox/traffic", json={"running": False, "idempotency_key": f"ui-sandbox-pause-{time.time_ns()}"})
        api.close()
        context.close()


def test_a_viewer_sees_the_sandbox_room_but_cannot_turn_or_run_anything(browser, ui_server: UiServer):
    ui_server.zentra("sandbox", "seed")
    viewer = load_cast(Path(ui_server.env["ZENTRA_DATA_DIR"]) / CAST_FILE).player("viewer")
    context = _context(browser)
    try:
        page = context.new_page()
        sign_in(page, ui_server, (viewer.email, viewer.password))
        page.get_by_role("link", name="Sandbox").click()
        page.wait_for_url(SANDBOX)
        expect(page.get_by_test_id("scenario-row")).to_have_count(9)
        expect(page.get_by_test_id("traffic-state")).to_have_text(re.compile("running|paused"))
        expect(page.get_by_text("Your role may look, not turn the dial.")).to_be_visible()
        expect(page.get_by_test_id("run-scenario")).to_have_count(0)
        expect(page.get_by_test_id("traffic-start")).to_have_count(0)
        expect(page.get_by_test_id("traffic-pause")).to_have_count(0)
    finally:
        context.close()
