"""Small building blocks shared by the rooms: mono text, ids with their copy button, times with
their recorded ISO form, status badges, tables, pagers, panels, toolbars' controls and the
one-line callouts that say what went through or was refused."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import reflex as rx

from state.paging import OffsetPages
from zentra_ui.components import plain

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
    """Monospace, tabular figures, one line (`zt-mono`), drawn as a plain element (see
    `components.plain`): live tables render their ids and times several times a second in
    every open page."""
    props.setdefault("size", "2")
    return plain.text(text, **{**props, "class_name": f"zt-mono {props.get('class_name', '')}".strip()})


def copy_button(value, what: str = "id") -> rx.Component:
    """A small button that puts `value` on the clipboard (in the browser: no server round trip)
    and says so; the click does not reach the row or link around it. Its glyph is drawn by CSS
    (`zt-copy-glyph`): a Lucide icon is an SVG built in script, and building the copy icons of
    a live table's rows took a sixth of a page's main-thread time on each push."""
    return plain.icon_button(
        rx.el.span(class_name="zt-copy-glyph", aria_hidden="true"),
        on_click=[rx.set_clipboard(value).stop_propagation, rx.toast("Copied", duration=1500)],
        aria_label=f"Copy {what}",
        title=f"Copy {what}",
        class_name="zt-copy",
        data_testid="copy-id",
    )


def id_chip(value, *, href=None, on_click=None, test_id: str | None = None, size: str = "1", link_title=None, **text_props) -> rx.Component:
    """An id as the rooms show it: monospace, a link when `href` (or `on_click`) is given, and a
    copy button beside it. `test_id` stays on the id's own text (or link), where tests read it;
    an empty id shows nothing to copy."""
    extra = {"data_testid": test_id} if test_id else {}
    if href is not None or on_click is not None:
        target = {"href": href} if href is not None else {"on_click": on_click, "cursor": "pointer"}
        if link_title is not None:
            target["title"] = link_title
        text = rx.link(mono(value, size=size, **text_props), color_scheme="teal", underline="hover", **target, **extra)
    else:
        text = mono(value, size=size, **text_props, **extra)
    button = copy_button(value)
    if isinstance(value, rx.Var):
        button = rx.cond(value != "", button)
    return plain.row_flex(text, button, gap="1", class_name="zt-id", min_width="0")


def when_text(text, iso, **props) -> rx.Component:
    """A time as shown in the operator's time zone, with the ISO time it was recorded at as its
    tooltip."""
    props.setdefault("size", "1")
    props.setdefault("color_scheme", "gray")
    return mono(text, title=iso, **props)


def amount(text, **props) -> rx.Component:
    """A formatted amount (a string from `format_minor`), right-aligned, tabular figures."""
    return mono(text, align="right", **props)


def status_badge(status, colors: tuple[tuple[str, str], ...] = STATUS_COLORS, **props) -> rx.Component:
    """A status word in the colour `colors` gives it (gray for any other word)."""
    return plain.badge(status, color_scheme=rx.match(status, *colors, "gray"), radius="small", class_name="zt-mono", **props)


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


def table_or_empty(rows: rx.Var, table: rx.Component, loaded: rx.Var, nothing, icon: str = "inbox") -> rx.Component:
    """`table` while there are `rows`; else "Loading…" until the first read, then `nothing`."""
    return rx.cond(rows.length() > 0, table, rx.cond(loaded, empty(nothing, icon=icon), empty("Loading…", icon="loader")))


def paged_panel(
    state: type[OffsetPages],
    table: rx.Component,
    nothing,
    test_id: str,
    above: tuple[rx.Component, ...] = (),
    icon: str = "inbox",
    **props,
) -> rx.Component:
    """A panel with the page of an `OffsetPages` state: `above` it (a toolbar, filters), then
    `table` of its rows or why there are none, then its pager."""
    return panel(
        *above,
        table_or_empty(state.rows, table, state.loaded, nothing, icon),
        pager(state.range_label, state.has_prev, state.has_next, state.prev_page, state.next_page, test_id),
        **props,
    )


def table_or_note(headers: list[tuple[str, str]], rows: rx.Var, render: Callable, note: str, size: str = "1") -> rx.Component:
    """A small table of `rows` inside a larger view, or one gray line saying there are none."""
    return rx.cond(rows.length() > 0, data_table(headers, rx.foreach(rows, render)), rx.text(note, size=size, color_scheme="gray"))


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


def titled_panel(title: str, *body: rx.Component, hint: str = "") -> rx.Component:
    """A panel for one task or one list: its label, a gray line on what it does or shows, then
    its controls or its table."""
    intro = [rx.text(hint, size="2", color_scheme="gray")] if hint else []
    return panel(rx.vstack(label(title), *intro, *body, spacing="3", width="100%"))


def search_box(value, on_change, placeholder: str, width: str, test_id: str) -> rx.Component:
    return rx.input(
        rx.input.slot(rx.icon("search", size=14)),
        value=value,
        on_change=on_change,
        placeholder=placeholder,
        size="2",
        width=width,
        font_family=MONO,
        data_testid=test_id,
    )


def choice_select(value, choices: Sequence[str], on_change, test_id: str, aria: str, words: Callable[[str], str] = str, width: str = "170px", placeholder: str = "") -> rx.Component:
    """A select over fixed `choices` (the values sent), each shown as `words(choice)`."""
    extra = {"placeholder": placeholder} if placeholder else {}
    return rx.select.root(
        rx.select.trigger(data_testid=test_id, aria_label=aria, min_width=width, font_family=MONO, **extra),
        rx.select.content(*[rx.select.item(words(c), value=c) for c in choices]),
        value=value,
        on_change=on_change,
        size="2",
    )


def count_text(count: rx.Var[int], noun: str, test_id: str, exact: rx.Var[bool] | None = None) -> rx.Component:
    """`12 accounts`: a count for a toolbar, quiet and tabular; `10,000+ intents` when `exact`
    says the count is a lower bound."""
    shown = count.to_string() if exact is None else count.to_string() + rx.cond(exact, "", "+")
    return rx.text(shown + f" {noun}", size="1", color_scheme="gray", font_family=MONO, data_testid=test_id)


def refresh_icon(on_click, title: str = "Refresh", test_id: str | None = None) -> rx.Component:
    extra = {"data_testid": test_id} if test_id else {}
    return rx.icon_button(rx.icon("refresh-cw", size=14), size="1", variant="soft", color_scheme="gray", on_click=on_click, title=title, **extra)


def as_of(refreshed_at: rx.Var[str]) -> rx.Component:
    """When the rows on screen were read (nothing before the first read)."""
    return rx.cond(refreshed_at != "", mono("as of " + refreshed_at, size="1", color_scheme="gray"))


def notice_callout(text: rx.Var[str], test_id: str, **props) -> rx.Component:
    """What just went through, in green; nothing while `text` is empty."""
    return rx.cond(text != "", rx.callout(text, icon="check", color_scheme="grass", size="1", data_testid=test_id, **props))


def error_callout(text: rx.Var[str], test_id: str | None = None, **props) -> rx.Component:
    """What was refused or is wrong, in red; nothing while `text` is empty."""
    if test_id:
        props["data_testid"] = test_id
    return rx.cond(text != "", rx.callout(text, icon="triangle-alert", color_scheme="tomato", size="1", **props))


def dialog_actions(confirm: rx.Component) -> rx.Component:
    """A dialog's footer: Cancel (closes it without acting) and the confirming button, at the right."""
    return rx.hstack(rx.dialog.close(rx.button("Cancel", type="button", variant="soft", color_scheme="gray")), confirm, justify="end", spacing="2", width="100%")
