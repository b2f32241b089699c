"""The operations room's frame: rooms on the left, the global search, tenant and mode on top, the
page in the middle.

Accounts and Evidence are rooms today. The others are listed as upcoming (not links, not fake
pages) so the shape of the product is visible from the first screen. A room the operator's role
may not use is not shown at all (and its page refuses them on the server).
"""

from __future__ import annotations

import reflex as rx

from state.live import LiveState
from state.session import SessionState
from zentra_ui.components.search import global_search
from zentra_ui.components.ui import MONO

ROOMS = (
    ("Operations room", "/", "radar", None),
    ("Accounts", "/accounts", "wallet", None),
    ("Events", "/events", "activity", None),
    ("Intents", "/intents", "route", SessionState.can_view_intents),
    ("Review queue", "/reviews", "user-check", SessionState.can_decide_reviews),
    ("Webhooks", "/webhooks", "radio-tower", SessionState.can_view_webhooks),
    ("Finance", "/finance", "scale", SessionState.permissions.contains("finance.view")),
    ("Reconciliation", "/reconciliation", "git-compare-arrows", SessionState.permissions.contains("reconciliation.view")),
    ("Evidence", "/evidence", "shield-check", SessionState.can_view_audit),
    ("Policy", "/policy", "scroll-text", SessionState.permissions.contains("policy.view")),
    ("Sandbox", None, "flask-conical", None),
)

SIDEBAR_WIDTH = "232px"


def _brand() -> rx.Component:
    return rx.hstack(
        rx.box(
            rx.box(class_name="zt-mark-core"),
            class_name="zt-mark",
        ),
        rx.vstack(
            rx.text("Zentra", weight="bold", size="3", style={"letter_spacing": "0.02em"}),
            rx.text("operations room", size="1", color_scheme="gray", font_family=MONO),
            spacing="0",
        ),
        align="center",
        spacing="3",
        padding="4px 8px 20px 8px",
    )


def _room(name: str, href: str | None, icon: str, permitted) -> rx.Component:
    if permitted is not None:
        return rx.cond(permitted, _room(name, href, icon, None), rx.fragment())
    if href is None:
        return rx.hstack(
            rx.icon(icon, size=16),
            rx.text(name, size="2"),
            rx.spacer(),
            rx.text("soon", size="1", font_family=MONO, class_name="zt-soon"),
            class_name="zt-nav zt-nav-off",
            align="center",
            spacing="3",
            aria_disabled="true",
            title=f"{name}: upcoming",
        )
    active = (rx.State.router.url.path == href) if href == "/" else rx.State.router.url.path.startswith(href)
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=16),
            rx.text(name, size="2", weight="medium"),
            align="center",
            spacing="3",
            class_name=rx.cond(active, "zt-nav zt-nav-active", "zt-nav"),
        ),
        href=href,
        underline="none",
        color="inherit",
        width="100%",
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        _brand(),
        rx.text("Rooms", size="1", color_scheme="gray", class_name="zt-section"),
        rx.vstack(*[_room(*room) for room in ROOMS], spacing="1", width="100%"),
        rx.spacer(),
        rx.vstack(
            rx.text("Amounts are integer minor units, rendered per ISO 4217 exponent.", size="1", color_scheme="gray"),
            padding="8px",
            width="100%",
        ),
        class_name="zt-sidebar",
        width=SIDEBAR_WIDTH,
        min_width=SIDEBAR_WIDTH,
        height="100vh",
        position="sticky",
        top="0",
        padding="20px 12px",
        spacing="1",
    )


def mode_badge() -> rx.Component:
    return rx.badge(
        rx.box(class_name="zt-dot"),
        SessionState.mode,
        color_scheme=rx.cond(SessionState.is_sandbox, "amber", "grass"),
        variant="surface",
        radius="full",
        font_family=MONO,
        data_testid="mode-badge",
    )


def tenant_switch() -> rx.Component:
    """The tenant's name, and a switch when the operator belongs to several tenants."""
    name = rx.vstack(
        rx.text(SessionState.tenant_name, size="2", weight="medium", data_testid="tenant-name"),
        rx.text(SessionState.tenant_id, size="1", color_scheme="gray", font_family=MONO, data_testid="tenant-id"),
        spacing="0",
        align="end",
    )
    chooser = rx.select.root(
        rx.select.trigger(variant="ghost", data_testid="tenant-switch", aria_label="Switch tenant"),
        rx.select.content(rx.foreach(SessionState.memberships, lambda m: rx.select.item(m["tenant_name"], value=m["tenant_id"]))),
        value=SessionState.tenant_id,
        on_change=SessionState.switch_tenant,
        size="1",
    )
    return rx.hstack(name, rx.cond(SessionState.memberships.length() > 1, chooser, rx.fragment()), align="center", spacing="2")


def mode_switch() -> rx.Component:
    """Sandbox or live for the same tenant: a new session, so every page reloads in the new mode."""
    return rx.hstack(
        mode_badge(),
        rx.segmented_control.root(
            rx.segmented_control.item("sandbox", value="sandbox", data_testid="mode-sandbox"),
            rx.segmented_control.item("live", value="live", data_testid="mode-live"),
            value=SessionState.mode,
            on_change=SessionState.switch_mode,
            size="1",
            aria_label="Switch mode",
        ),
        align="center",
        spacing="2",
    )


def live_badge() -> rx.Component:
    """How many events this session has been pushed since it connected (the room is live)."""
    return rx.tooltip(
        rx.badge(rx.icon("radio", size=12), LiveState.live_events.to_string(), color_scheme="grass", variant="soft", radius="full", font_family=MONO, data_testid="live-events"),
        content="Events pushed live to this session",
    )


def operator_badge() -> rx.Component:
    return rx.vstack(
        rx.text(SessionState.operator_name, size="2", weight="medium", white_space="nowrap", data_testid="operator-name"),
        rx.badge(SessionState.role, variant="soft", color_scheme="gray", radius="full", font_family=MONO, data_testid="operator-role"),
        spacing="1",
        align="end",
    )


def topbar(title, crumbs: rx.Component | None = None) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            crumbs if crumbs is not None else rx.fragment(),
            rx.heading(title, size="5", weight="medium", style={"letter_spacing": "-0.01em", "white_space": "nowrap"}),
            spacing="1",
            align="start",
        ),
        rx.spacer(),
        rx.hstack(
            rx.cond(SessionState.signed_in, global_search()),
            live_badge(),
            tenant_switch(),
            mode_switch(),
            operator_badge(),
            rx.button(rx.icon("log-out", size=14), "Sign out", size="1", variant="ghost", color_scheme="gray", on_click=SessionState.sign_out, data_testid="sign-out"),
            spacing="4",
            align="center",
        ),
        align="end",
        width="100%",
        padding="20px 32px 16px 32px",
        class_name="zt-topbar",
    )


def sandbox_banner() -> rx.Component:
    return rx.cond(
        SessionState.is_sandbox,
        rx.hstack(
            rx.icon("flask-conical", size=14),
            rx.text(
                "Sandbox. Test money only: nothing here moves real funds, and nothing is visible from live keys.",
                size="1",
            ),
            class_name="zt-sandbox",
            align="center",
            spacing="2",
            width="100%",
            data_testid="sandbox-banner",
        ),
    )


def shell(title, *content: rx.Component, intro: str = "", crumbs: rx.Component | None = None) -> rx.Component:
    """A signed-in page: `intro` is the gray line under the title saying what the room shows.
    Until the session is known nothing but the frame renders."""
    if intro:
        content = (rx.text(intro, size="2", color_scheme="gray"), *content)
    return rx.hstack(
        sidebar(),
        rx.vstack(
            sandbox_banner(),
            topbar(title, crumbs),
            rx.cond(
                SessionState.signed_in,
                rx.vstack(*content, width="100%", spacing="5", padding="4px 32px 48px 32px"),
                rx.center(rx.spinner(size="3"), width="100%", padding="80px 0"),
            ),
            width="100%",
            min_width="0",
            spacing="0",
            align="start",
        ),
        spacing="0",
        width="100%",
        min_height="100vh",
        align="start",
    )
