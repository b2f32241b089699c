"""`/signin`: an operator's email and password open a signed, expiring session."""

from __future__ import annotations

import reflex as rx

from state.session import SessionState
from zentra_ui.components.ui import MONO

ROUTE = "/signin"
ON_LOAD = SessionState.check_signin_page
TITLE = "Sign in · Zentra"


def page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.hstack(
                rx.box(rx.box(class_name="zt-mark-core"), class_name="zt-mark"),
                rx.vstack(
                    rx.text("Zentra", weight="bold", size="4"),
                    rx.text("operations room", size="1", color_scheme="gray", font_family=MONO),
                    spacing="0",
                ),
                align="center",
                spacing="3",
            ),
            rx.box(
                rx.form(
                    rx.vstack(
                        rx.heading("Sign in", size="5", weight="medium"),
                        rx.text(
                            "Operators sign in with their email. Your role decides which rooms and actions you see; the server checks it again on every action.",
                            size="2",
                            color_scheme="gray",
                        ),
                        rx.input(name="email", type="email", placeholder="you@company.com", auto_complete="username", required=True, size="3", width="100%", data_testid="email"),
                        rx.input(name="password", type="password", placeholder="Password", auto_complete="current-password", required=True, size="3", width="100%", data_testid="password"),
                        rx.cond(
                            SessionState.signin_error != "",
                            rx.callout(SessionState.signin_error, icon="triangle-alert", color_scheme="tomato", size="1", width="100%", data_testid="signin-error"),
                        ),
                        rx.button("Sign in", type="submit", size="3", width="100%", data_testid="sign-in"),
                        spacing="4",
                        width="100%",
                    ),
                    on_submit=SessionState.sign_in,
                    reset_on_submit=True,
                    width="100%",
                ),
                class_name="zt-panel",
                padding="28px",
                width="100%",
            ),
            rx.text("Integrators use API keys against /v1; see /v1/docs.", size="1", color_scheme="gray"),
            spacing="5",
            width="400px",
            max_width="calc(100vw - 32px)",
            align="start",
        ),
        min_height="100vh",
        class_name="zt-signin",
    )
