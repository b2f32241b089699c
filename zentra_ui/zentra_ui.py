"""The Zentra operations room: one ASGI app serving the UI, the Reflex event socket and `/v1`.

`/v1`, `/v1/...` and `/sandbox/...` (HTTP and WebSocket) go to the FastAPI app from
`backend.api.app`; every other path goes to Reflex. Routing by prefix instead of mounting FastAPI under Reflex keeps unknown API
paths answering the API's JSON 404 rather than falling through to the single-page app's HTML.
"""

from __future__ import annotations

import reflex as rx

from zentra_ui.pages import (
    account,
    accounts,
    events,
    evidence,
    finance,
    home,
    intents,
    policy,
    reconciliation,
    reviews,
    sandbox,
    screening,
    signin,
    webhook,
    webhooks,
)


def to_api(path: str) -> bool:
    """`/v1` and below is the HTTP API; below `/sandbox/` are the sandbox participants it mounts
    (providers, receivers, faults: real HTTP parties the router calls). `/sandbox` itself is the
    sandbox room, and so is `/sandbox/`, where the static server redirects it."""
    return path == "/v1" or path.startswith("/v1/") or (path.startswith("/sandbox/") and path != "/sandbox/")


def api_under_v1(reflex_app):
    """ASGI -> ASGI: API paths (`to_api`) to the HTTP API, the rest (and lifespan) to Reflex."""
    from backend.api.app import create_api
    from backend.runtime import current

    api = create_api(current())

    async def app(scope, receive, send):
        if scope["type"] in ("http", "websocket") and to_api(scope.get("path", "")):
            await api(scope, receive, send)
            return
        await reflex_app(scope, receive, send)

    return app


async def upkeep() -> None:
    """Expire due pending postings and holds, purge old idempotency keys: until shutdown."""
    from backend.maintenance import run_forever
    from backend.runtime import current

    await run_forever(current())


app = rx.App(
    api_transformer=api_under_v1,
    stylesheets=["/zentra.css"],
    style={"font_family": "'Inter', 'Segoe UI', system-ui, -apple-system, 'Helvetica Neue', Arial, sans-serif"},
)
app.register_lifespan_task(upkeep)


async def live_push(app: rx.App) -> None:
    """Push each event of the stream to this worker's sessions of its tenant and mode."""
    from zentra_ui.live_push import push_forever

    await push_forever(app)


app.register_lifespan_task(live_push)

for module in (home, signin, accounts, account, evidence, events, webhooks, webhook, policy, intents, reviews, finance, reconciliation, sandbox, screening):
    app.add_page(module.page, route=module.ROUTE, title=module.TITLE, on_load=module.ON_LOAD)
