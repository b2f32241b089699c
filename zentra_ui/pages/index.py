"""`/`: straight to the accounts room when signed in, else to sign in."""

from __future__ import annotations

import reflex as rx

from state.session import SessionState

ROUTE = "/"
ON_LOAD = SessionState.route_index
TITLE = "Zentra"


def page() -> rx.Component:
    return rx.center(rx.spinner(size="3"), height="100vh")
