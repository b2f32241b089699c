"""Radix Themes' look without its components: plain elements carrying its class names.

Live tables re-render every shown row on each push (several times a second in every open page).
A Radix Themes component runs its prop extraction and wrappers on every render, and a style prop
becomes CSS that emotion serialises on every render; for the same markup a plain element is a
fraction of that. With the `/events` rows drawn this way, a page's main thread went from 58-68%
busy to 22-27% during the live UI bench (3 browsers, 200 events/s), its script time from 30-35%
to 6%. The class names (`rt-Text`, `rt-r-size-1`, `rt-Badge`, `rt-TableCell`, ...) and the
`data-accent-color` attribute are Radix Themes 3's public styling hooks: what its components
render for the same props, so the look is unchanged.

Layout props (`max_width`, `text_align`, ...) become an inline `style` rather than emotion CSS.
"""

from __future__ import annotations

import reflex as rx

# Props that become the inline style.
STYLE_PROPS = {"background", "max_width", "min_width", "width", "overflow", "text_overflow", "white_space", "line_height", "letter_spacing", "text_align", "cursor", "padding"}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _classes(*names) -> str | rx.Var:
    """Class names joined with spaces; any of them may be a Var (e.g. an `rx.cond`)."""
    joined: str | rx.Var = ""
    for name in names:
        if name is None or (isinstance(name, str) and not name):
            continue
        joined = name if isinstance(joined, str) and not joined else joined + " " + name
    return joined


def _prefixed(prefix: str, value) -> str | rx.Var | None:
    """A Radix class for a prop's value (`rt-r-size-` + "1"); the value may be a Var."""
    if value is None:
        return None
    return prefix + value if isinstance(value, rx.Var) else f"{prefix}{value}"


def _attrs(props: dict, color_scheme=None) -> dict:
    """`props` as a plain element takes them: layout props and `style` folded into an inline
    style, the colour as Radix Themes' `data-accent-color`."""
    style = {_camel(k): props.pop(k) for k in list(props) if k in STYLE_PROPS}
    style.update({_camel(k): v for k, v in (props.pop("style", None) or {}).items()})
    if style:
        props["custom_attrs"] = {**props.get("custom_attrs", {}), "style": style}
    if color_scheme is not None:
        props["data_accent_color"] = color_scheme
    return props


def text(value, *, size: str = "2", color_scheme=None, weight: str | None = None, align: str | None = None, class_name: str = "", **props) -> rx.Component:
    """A paragraph as `rx.text` draws it (`size`, `color_scheme`, `weight`, `align`)."""
    classes = _classes("rt-Text", _prefixed("rt-r-size-", size), _prefixed("rt-r-weight-", weight), _prefixed("rt-r-ta-", align), class_name)
    return rx.el.p(value, class_name=classes, **_attrs(props, color_scheme))


def badge(*children, color_scheme, size: str = "1", variant: str = "soft", radius: str | None = None, class_name: str = "", **props) -> rx.Component:
    """A badge as `rx.badge` draws it."""
    if radius is not None:
        props["data_radius"] = radius
    classes = _classes("rt-reset", "rt-Badge", _prefixed("rt-r-size-", size), _prefixed("rt-variant-", variant), class_name)
    return rx.el.span(*children, class_name=classes, **_attrs(props, color_scheme))


def icon_button(*children, color_scheme: str = "gray", size: str = "1", variant: str = "ghost", class_name: str = "", **props) -> rx.Component:
    """A button as `rx.icon_button` draws it (with its padding for size 1)."""
    props.setdefault("padding", "6px")
    classes = _classes("rt-reset", "rt-BaseButton", f"rt-r-size-{size}", f"rt-variant-{variant}", "rt-IconButton", class_name)
    return rx.el.button(*children, type="button", class_name=classes, **_attrs(props, color_scheme))


def row_flex(*children, gap: str = "1", class_name: str = "", **props) -> rx.Component:
    """Children side by side, centred on one line, as `rx.hstack(align="center")` draws them."""
    classes = _classes("rt-Flex", "rt-r-fd-row", "rt-r-ai-center", f"rt-r-gap-{gap}", "rx-Stack", class_name)
    return rx.el.div(*children, class_name=classes, **_attrs(props))


def table_row(*cells, class_name: str = "", **props) -> rx.Component:
    """A row as `rx.table.row` draws it."""
    return rx.el.tr(*cells, class_name=_classes("rt-TableRow", class_name), **_attrs(props))


def table_cell(*children, class_name: str = "", **props) -> rx.Component:
    """A cell as `rx.table.cell` draws it."""
    return rx.el.td(*children, class_name=_classes("rt-TableCell", class_name), **_attrs(props))
