"""Reflex config for the Zentra operations room (Reflex 0.10.1).

One port for everything: `reflex run --env prod` (or `--env preview` while developing, which hot
reloads) serves the built frontend, the Reflex event socket (/_event) and the HTTP API (/v1, the
FastAPI app passed to `rx.App(api_transformer=...)`) on http://localhost:3000.
Plain `reflex run` (dev) is two ports: Vite on 3000 (no proxy: /v1 there returns the SPA HTML)
and the backend, with /v1, on 8000.
backend_port is deliberately not set: in prod/preview it follows frontend_port; in dev it defaults
to 8000 (setting it to 3000 makes dev bind the backend on 3000 and push Vite to 3001).
"""

import os

import reflex as rx

config = rx.Config(
    app_name="zentra_ui",
    telemetry_enabled=False,
    frontend_port=3000,
    show_built_with_reflex=False,
    # Explicit, to silence 0.10's implicit-Radix deprecation and the default-sitemap warning.
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(appearance="dark", accent_color="teal", gray_color="slate", radius="small", scaling="100%", has_background=True))],
    disable_plugins=[rx.plugins.SitemapPlugin],
    # ZENTRA_REDIS_URL moves Reflex's state manager to Redis (what lets several workers share clients).
    redis_url=os.environ.get("ZENTRA_REDIS_URL") or None,
)
