"""Retake the README's screenshots from a running Zentra (`zentra demo`, or any instance with the
demo tenant): the operations room, the review queue, finance, and an intent's evidence packet
exported and verified, saved as PNGs in assets/screenshots/.

    .venv/bin/python scripts/screenshots.py --url http://localhost:3000 --data-dir .zentra

The operator login comes from `zentra sandbox seed` run against the server's data dir (and the
rest of its ZENTRA_* settings, taken from this environment), so nothing secret is kept anywhere;
it gives the demo's admin a new password, as `zentra demo` does on every start. Each shot waits
for its room's real content (rows, drawn charts, the verdict), never for a fixed time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from pathlib import Path

from playwright.sync_api import Locator, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
VIEWPORT = {"width": 1280, "height": 800}
MARGIN = 32  # px below the last element a tall shot shows (a panel's padding and border)
HOME = re.compile(r"^https?://[^/]+/?$")
EVIDENCED = re.compile(r"^evidenced$")
SEALED = "ready"  # the row's evidence badge once its packet is sealed (no other cell says it)
TIMEOUT_MS = 60_000  # a cold production build answers its first events slowly
# Plotly has drawn every chart the finance room shows (a chart without rows is not rendered).
CHARTS_DRAWN = "() => { const c = [...document.querySelectorAll('.zt-chart')]; return c.length > 0 && c.every(e => e.querySelector('.main-svg')); }"
TOP_AND_NEXT_FRAME = "() => { window.scrollTo(0, 0); return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))); }"


def operator_login(data_dir: Path) -> tuple[str, str]:
    """The demo admin's email and a fresh password, from `zentra sandbox seed` (its last line of
    output is the JSON)."""
    env = {**os.environ, "ZENTRA_DATA_DIR": str(data_dir)}
    done = subprocess.run([str(ROOT / ".venv/bin/zentra"), "sandbox", "seed"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"zentra sandbox seed failed ({done.returncode}):\n{done.stderr}")
    seeded = json.loads(done.stdout.strip().splitlines()[-1])
    return seeded["operator_email"], seeded["operator_password"]


def sign_in(page: Page, url: str, login: tuple[str, str]) -> None:
    """Through /signin, as an operator would; sign-in lands in the operations room."""
    page.goto(url + "/signin")
    page.get_by_test_id("email").fill(login[0])
    page.get_by_test_id("password").fill(login[1])
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(HOME)


def shoot(page: Page, name: str, through: Locator | None = None, unless: Locator | None = None) -> Path:
    """Save the page from its top (a click may have scrolled it) once it has painted its last
    update: the viewport, or down through `through` where the room's story runs below it (still
    the viewport's width, so every shot is as wide as the browser window). `unless` is a passing
    state (a refresh under way) that must be gone at the moment of the shot."""
    page.evaluate(TOP_AND_NEXT_FRAME)
    height = VIEWPORT["height"]
    if through is not None:
        box = through.bounding_box()
        page_height = page.evaluate("document.documentElement.scrollHeight")
        height = min(max(height, int(box["y"] + box["height"]) + MARGIN), page_height)
    if unless is not None:
        expect(unless).to_have_count(0)
    path = OUT / name
    page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height})
    return path


def operations_room(page: Page) -> tuple[Path, str]:
    """The room with an evidenced, sealed intent selected (its money, policy, evidence and event
    handoff), down through the intent table and the selection; answers the shot and the id."""
    expect(page.get_by_test_id("stage-api").get_by_test_id("stage-word")).not_to_have_text("")
    evidenced = page.get_by_test_id("home-intent-row").filter(has=page.get_by_test_id("intent-status").filter(has_text=EVIDENCED)).filter(has_text=SEALED).first
    evidenced.click()
    intent_id = page.get_by_test_id("home-selected-id").inner_text().strip()
    expect(page.get_by_test_id("home-selected-amount")).not_to_have_text("")
    page.get_by_test_id("home-handoff-event").first.wait_for()
    table_and_selection = page.get_by_test_id("home-selected").locator("..")
    return shoot(page, "operations-room.png", through=table_and_selection), intent_id


def review_queue(page: Page, url: str) -> Path:
    page.goto(url + "/reviews")
    page.get_by_test_id("review-row").first.wait_for()
    return shoot(page, "review-queue.png")


def finance(page: Page, url: str) -> Path:
    """The last hour (the demo's traffic is minutes old, so a day's axis would squeeze it to
    one edge), every chart drawn and no refresh pending; the whole page."""
    page.goto(url + "/finance")
    page.get_by_test_id("window-1h").click()
    expect(page.get_by_test_id("window-1h")).to_have_attribute("data-state", "on")
    page.get_by_test_id("volume-tile").first.wait_for()
    page.get_by_test_id("volume-chart").wait_for()
    page.wait_for_function(CHARTS_DRAWN)
    return shoot(page, "finance.png", through=page.locator("body"), unless=page.get_by_text("updating", exact=True))


def evidence(page: Page, url: str, intent_id: str) -> Path:
    """The intent's packet exported from the evidence room and shown verified."""
    page.goto(f"{url}/evidence?id={intent_id}")
    expect(page.get_by_test_id("export-id")).to_have_value(intent_id)
    page.get_by_test_id("audit-row").first.wait_for()
    with page.expect_download():
        page.get_by_test_id("export-packet").click()
    expect(page.get_by_test_id("export-verdict")).to_contain_text("packet verified")
    return shoot(page, "evidence.png")


def take(url: str, login: tuple[str, str]) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
            context.set_default_timeout(TIMEOUT_MS)
            expect.set_options(timeout=TIMEOUT_MS)
            page = context.new_page()
            sign_in(page, url, login)
            room, intent_id = operations_room(page)
            return [room, review_queue(page, url), finance(page, url), evidence(page, url, intent_id)]
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:3000", help="the running Zentra (default: %(default)s)")
    parser.add_argument("--data-dir", default=os.environ.get("ZENTRA_DATA_DIR", ".zentra"), help="its data dir (default: ZENTRA_DATA_DIR or ./.zentra)")
    args = parser.parse_args()
    for path in take(args.url.rstrip("/"), operator_login(Path(args.data_dir).resolve())):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
