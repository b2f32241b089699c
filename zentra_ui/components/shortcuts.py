"""Keyboard shortcuts of a room: a window `keydown` listener that sends the room's state only its
own keys, and none while the operator types (an input, a text area, a select, anything editable),
holds a modifier, or has a dialog or menu open (the dialog's own keys apply there). Plus the
small legend that lists them.

It works like Reflex's `rx.window_event_listener` (one `useEffect` on `window`) with that filter
in front of the event, in the browser, so typing never costs a round trip to the server.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import reflex as rx
from reflex.components.base.fragment import Fragment
from reflex.components.component import field
from reflex.event import EventHandler, key_event
from reflex.vars.base import Var
from reflex_base.components.memoize_helpers import get_memoized_event_triggers

from zentra_ui.components.ui import label

# Whether a keydown is the operator typing or talking to an open dialog, menu or select.
_BUSY = """(e) => {
  if (e.defaultPrevented || e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return true;
  const t = e.target;
  if (t && t.nodeType === 1) {
    if (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)) return true;
    if (t.closest('[role="listbox"], [role="menu"], [role="combobox"], [role="option"]')) return true;
  }
  return !!document.querySelector('[role="dialog"][data-state="open"], [role="alertdialog"][data-state="open"], [role="listbox"], [role="menu"]');
}"""


class ShortcutListener(Fragment):
    """`on_key_down` fires only for `keys`, and never while the operator is busy typing. (Not a
    subclass of `WindowEventListener`: Reflex adds every parent class's hooks, and that one would
    listen unfiltered too.)"""

    keys: list[str] = field(default_factory=list, is_javascript_property=False)
    on_key_down: EventHandler[key_event] = field(doc="A key of `keys` pressed while the operator is not typing: its name and modifiers.")

    @classmethod
    def create(cls, *children, **props) -> ShortcutListener:
        component = super().create(*children, **props)
        memoized = get_memoized_event_triggers(component)  # as rx.window_event_listener does
        if memoized:
            component.event_triggers = {**component.event_triggers, **memoized}
        return component

    def _exclude_props(self) -> list[str]:
        return [*super()._exclude_props(), *self.event_triggers.keys()]

    def add_imports(self) -> dict:
        return {"react": ["useEffect"]}

    def add_hooks(self) -> list:
        trigger = self.event_triggers.get("on_key_down")
        if trigger is None:
            return []
        keys = json.dumps(list(self.keys))
        return [
            Var(
                f"""
useEffect(() => {{
    if (typeof window === 'undefined') return;
    const fn = {Var.create(trigger)};
    const busy = {_BUSY};
    const keys = {keys};
    const onKey = (e) => {{
        if (!keys.includes(e.key) || busy(e)) return;
        if (e.key.startsWith('Arrow')) e.preventDefault();
        fn(e);
    }};
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
}}, []);
"""
            )
        ]


def shortcut_listener(keys: Sequence[str], on_key) -> rx.Component:
    """Send `on_key(key)` for each of `keys` pressed while the operator is not typing."""
    return ShortcutListener.create(keys=list(keys), on_key_down=on_key)


def shortcut_legend(items: Sequence[tuple[Sequence[str], str]], test_id: str) -> rx.Component:
    """`items`: (keys, what they do) pairs, shown as key caps and a few words each."""
    parts = []
    for keys, words in items:
        caps = [rx.el.kbd(k, class_name="zt-kbd") for k in keys]
        parts.append(rx.hstack(*caps, rx.text(words, size="1", color_scheme="gray"), spacing="1", align="center"))
    return rx.hstack(label("Keys"), *parts, spacing="4", align="center", wrap="wrap", data_testid=test_id)
