"""The Zentra operations room: one ASGI app serving the UI, the Reflex event socket and `/v1`.

`/v1` and `/v1/...` (HTTP and WebSocket) go to the FastAPI app from `backend.api.app`; every other
path goes to Reflex. Routing by prefix instead of mounting FastAPI under Reflex keeps unknown API
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
    signin,
    webhook,
    webhooks,
)

# The HTTP API, and the sandbox providers it mounts (real HTTP participants the router calls).
API_PREFIXES = ("/v1", "/sandbox")


def api_under_v1(reflex_app):
    """ASGI -> ASGI: `/v1` and `/sandbox` paths to the HTTP API, the rest (and lifespan) to Reflex."""
    from backend.api.app import create_api
    from backend.runtime import current

    api = create_api(current())

    async def app(scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            path = scope.get("path", "")
            if any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES):
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

for module in (home, signin, accounts, account, evidence, events, webhooks, webhook, policy, intents, reviews, finance, reconciliation):
    app.add_page(module.page, route=module.ROUTE, title=module.TITLE, on_load=module.ON_LOAD)
