"""The operations room's frame: rooms on the left, the global search and the operator on top, the
page's title with the tenant and mode it shows under them, the page in the middle.

Every room is usable from 768 px wide: below 1024 px the rooms become an icon rail, the top bar's
groups wrap onto further lines instead of running past the edge, and wide tables scroll inside
their panels (the CSS for all of it is in assets/zentra.css).

A room the operator's role may not use is not shown at all (and its page refuses them on the
server).
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
    ("Screening", "/screening", "scan-search", SessionState.permissions.contains("screening.view")),
    ("Sandbox", "/sandbox", "flask-conical", SessionState.permissions.contains("sandbox.view")),
)


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
            class_name="zt-wide-only",
        ),
        align="center",
        spacing="3",
        class_name="zt-brand",
    )


def _room(name: str, href: str, icon: str, permitted) -> rx.Component:
    if permitted is not None:
        return rx.cond(permitted, _room(name, href, icon, None), rx.fragment())
    active = (rx.State.router.url.path == href) if href == "/" else rx.State.router.url.path.startswith(href)
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=16, flex_shrink="0"),
            rx.text(name, size="2", weight="medium", class_name="zt-wide-only"),
            align="center",
            spacing="3",
            class_name=rx.cond(active, "zt-nav zt-nav-active", "zt-nav"),
        ),
        href=href,
        underline="none",
        color="inherit",
        width="100%",
        title=name,  # the icon rail's only words for the room
        aria_label=name,
    )


def sidebar() -> rx.Component:
    """The rooms: names and icons, or only icons (with the name as their tooltip) on the rail."""
    return rx.vstack(
        _brand(),
        rx.text("Rooms", size="1", color_scheme="gray", class_name="zt-section zt-wide-only"),
        rx.vstack(*[_room(*room) for room in ROOMS], spacing="1", width="100%"),
        rx.spacer(),
        rx.vstack(
            rx.text("Amounts are integer minor units, rendered per ISO 4217 exponent.", size="1", color_scheme="gray"),
            padding="8px",
            width="100%",
            class_name="zt-wide-only",
        ),
        class_name="zt-sidebar",
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
        rx.text(SessionState.tenant_name, size="2", weight="medium", white_space="nowrap", data_testid="tenant-name"),
        rx.text(SessionState.tenant_id, size="1", color_scheme="gray", font_family=MONO, white_space="nowrap", data_testid="tenant-id"),
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


def sign_out_button() -> rx.Component:
    return rx.button(rx.icon("log-out", size=14), "Sign out", size="1", variant="ghost", color_scheme="gray", on_click=SessionState.sign_out, white_space="nowrap", data_testid="sign-out")


def topbar(title, crumbs: rx.Component | None = None) -> rx.Component:
    """Two rows, each wrapping rather than overflowing: the tools and who is signed in (search
    and the live count at the left, the operator and Sign out at the right), then the page's
    title with the tenant and mode its figures belong to."""
    tools = rx.hstack(rx.cond(SessionState.signed_in, global_search()), live_badge(), spacing="3", align="center", wrap="wrap")
    operator = rx.hstack(operator_badge(), sign_out_button(), spacing="4", align="center", wrap="wrap", justify="end", class_name="zt-topbar-end")
    heading = rx.vstack(
        crumbs if crumbs is not None else rx.fragment(),
        rx.heading(title, size="5", weight="medium", style={"letter_spacing": "-0.01em"}),
        spacing="1",
        align="start",
        min_width="0",
    )
    context = rx.hstack(tenant_switch(), mode_switch(), spacing="4", align="center", wrap="wrap", justify="end", class_name="zt-topbar-end")
    return rx.box(
        rx.box(tools, operator, class_name="zt-topbar-row"),
        rx.box(heading, context, class_name="zt-topbar-row zt-topbar-title"),
        class_name="zt-topbar",
        width="100%",
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
                rx.vstack(*content, width="100%", spacing="5", class_name="zt-content"),
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
