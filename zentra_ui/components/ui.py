"""Small building blocks shared by the rooms: mono text, status badges, tables, pagers, panels."""

from __future__ import annotations

import reflex as rx

MONO = "ui-monospace, SFMono-Regular, 'JetBrains Mono', Menlo, Consolas, 'Liberation Mono', monospace"

# Status words to a calm Radix color: green settles, amber waits, red refuses, gray is history.
STATUS_COLORS = (
    ("active", "grass"),
    ("posted", "grass"),
    ("captured", "grass"),
    ("pending", "amber"),
    ("released", "gray"),
    ("voided", "gray"),
    ("expired", "tomato"),
    ("reversed", "tomato"),
    ("frozen", "tomato"),
    ("closed", "gray"),
    ("succeeded", "grass"),
    ("delivered", "grass"),
    ("failed", "tomato"),
    ("disabled", "tomato"),
)


def mono(text, **props) -> rx.Component:
    props.setdefault("size", "2")
    return rx.text(text, font_family=MONO, style={"font_variant_numeric": "tabular-nums", "white_space": "nowrap"}, **props)


def amount(text, **props) -> rx.Component:
    """A formatted amount (a string from `format_minor`), right-aligned, tabular figures."""
    return mono(text, align="right", **props)


def status_badge(status) -> rx.Component:
    return rx.badge(
        status,
        color_scheme=rx.match(status, *STATUS_COLORS, "gray"),
        variant="soft",
        radius="small",
        font_family=MONO,
        size="1",
    )


def label(text: str) -> rx.Component:
    return rx.text(text, size="1", color_scheme="gray", weight="medium", style={"text_transform": "uppercase", "letter_spacing": "0.08em"})


def header_cell(text: str, align: str = "left") -> rx.Component:
    return rx.table.column_header_cell(label(text), style={"text_align": align}, white_space="nowrap")


def data_table(headers: list[tuple[str, str]], body: rx.Component, **props) -> rx.Component:
    """A quiet table: `headers` are (title, align) pairs; `body` renders the rows."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[header_cell(t, a) for t, a in headers])),
            rx.table.body(body),
            variant="ghost",
            size="1",
            width="100%",
        ),
        class_name="zt-table",
        width="100%",
        overflow_x="auto",
        **props,
    )


def pager(range_label, has_prev, has_next, on_prev, on_next, test_id: str) -> rx.Component:
    return rx.hstack(
        mono(range_label, size="1", color_scheme="gray", data_testid=f"{test_id}-range"),
        rx.spacer(),
        rx.button(rx.icon("chevron-left", size=14), "Prev", size="1", variant="soft", color_scheme="gray", disabled=~has_prev, on_click=on_prev, data_testid=f"{test_id}-prev"),
        rx.button("Next", rx.icon("chevron-right", size=14), size="1", variant="soft", color_scheme="gray", disabled=~has_next, on_click=on_next, data_testid=f"{test_id}-next"),
        align="center",
        width="100%",
        padding_top="10px",
        spacing="2",
    )


def panel(*children, **props) -> rx.Component:
    props.setdefault("padding", "16px")
    return rx.box(*children, class_name="zt-panel", width="100%", **props)


def empty(text, icon: str = "inbox") -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=20, color=rx.color("gray", 8)),
            rx.text(text, size="2", color_scheme="gray"),
            align="center",
            spacing="2",
        ),
        padding="36px 0",
        width="100%",
    )


def fact(name: str, value, mono_value: bool = True, test_id: str | None = None) -> rx.Component:
    extra = {"data_testid": test_id} if test_id else {}
    return rx.vstack(
        label(name),
        mono(value, **extra) if mono_value else rx.text(value, size="2", **extra),
        spacing="1",
        align="start",
        min_width="0",
    )
