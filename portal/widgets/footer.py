"""A footer whose key descriptions follow the session's language.

Portal's own bindings carry English msgids; Textual's widgets carry their own English
descriptions (``esc Dismiss menu`` in a dropdown's footer, the keys of an input or a
table in the help screen). ``describe`` translates both: Textual's texts go through
``TEXTUAL_DESCRIPTIONS``, which maps each to a msgid of ours, so that a Textual text
that is also one of our msgids with another meaning ("Home": the first row of a
table, not the home screen) gets its own French.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.cells import cell_len
from rich.style import Style as RichStyle
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.screen import Screen

from portal.i18n import N_, _

TEXTUAL_DESCRIPTIONS: dict[str, str] = {
    # Screens and the app
    "Focus Next": N_("Next field"),
    "Focus Previous": N_("Previous field"),
    "Quit": N_("Log out"),
    # Select and its dropdown
    "Show menu": N_("Open the list"),
    "Dismiss menu": N_("Close the list"),
    # Lists (OptionList, SelectionList, the dropdown)
    "Up": N_("Previous item"),
    "Down": N_("Next item"),
    "First": N_("First item"),
    "Last": N_("Last item"),
    "Select": N_("Choose"),
    "Toggle option": N_("Tick or untick"),
    "Scroll Left": N_("Scroll left"),
    "Scroll Right": N_("Scroll right"),
    "Scroll Up": N_("Scroll up"),
    "Scroll Down": N_("Scroll down"),
    "Scroll Home": N_("Scroll to the top"),
    "Scroll End": N_("Scroll to the bottom"),
    "Page Up": N_("Scroll a page up"),
    "Page Down": N_("Scroll a page down"),
    "Page Left": N_("Scroll a page left"),
    "Page Right": N_("Scroll a page right"),
    # Tables
    "Cursor up": N_("Row above"),
    "Cursor down": N_("Row below"),
    "Cursor left": N_("Column to the left"),
    "Cursor right": N_("Column to the right"),
    "Page up": N_("Page of rows above"),
    "Page down": N_("Page of rows below"),
    "Top": N_("First row"),
    "Bottom": N_("Last row"),
    "Home": N_("First column"),
    "End": N_("Last column"),
    # Check boxes, radio buttons, buttons
    "Toggle": N_("Tick or untick"),
    "Next option": N_("Next choice"),
    "Previous option": N_("Previous choice"),
    "Press button": N_("Press the button"),
    # Inputs
    "Submit": N_("Confirm the field"),
    "Move cursor left": N_("Cursor left"),
    "Move cursor right or accept the completion suggestion": N_("Cursor right"),
    "Move cursor left a word": N_("Word to the left"),
    "Move cursor right a word": N_("Word to the right"),
    "Move cursor left and select": N_("Select to the left"),
    "Move cursor right and select": N_("Select to the right"),
    "Move cursor left a word and select": N_("Select a word to the left"),
    "Move cursor right a word and select": N_("Select a word to the right"),
    "Go to start": N_("Start of the field"),
    "Go to end": N_("End of the field"),
    "Select line start": N_("Select to the start"),
    "Select line end": N_("Select to the end"),
    "Select all": N_("Select everything"),
    "Delete character left": N_("Delete the character before"),
    "Delete character right": N_("Delete the character after"),
    "Delete left to start of word": N_("Delete the word before"),
    "Delete right to start of word": N_("Delete the word after"),
    "Delete all to the left": N_("Delete up to the start"),
    "Delete all to the right": N_("Delete up to the end"),
    "Copy selected text": N_("Copy the selection"),
    "Cut selected text": N_("Cut the selection"),
    "Paste text from the clipboard": N_("Paste"),
}
"""Textual's own binding descriptions (Textual 8), each mapped to one of our msgids.

``tests/pilot/test_keys.py`` fails when a widget Portal uses gains a description that
is not listed here (after a Textual upgrade, say)."""


def describe(description: str) -> str:
    """A binding's description in the session's language (ours or one of Textual's)."""
    return _(TEXTUAL_DESCRIPTIONS.get(description, description))


@dataclass(frozen=True)
class ShownKey:
    """One key of the footer, as drawn: what ``FooterKey`` is built from."""

    key: str
    key_display: str
    description: str
    """Translated (see ``describe``)."""
    action: str
    enabled: bool
    tooltip: str


class PortalFooter(Widget, can_focus=False):
    """The screen's keys on one line, each description translated when drawn.

    Binding descriptions are class-level English strings; translating them here keeps
    one place responsible, and a language change re-composes the screen.

    It shows the keys Textual's ``Footer`` shows (the first binding of each action, in
    the screen's order) and draws them as its ``FooterKey`` widgets do, but as one
    widget: a screen's start mounted, styled and laid out one widget per key (measured:
    4.2 ms of a 28 ms start for the home screen's four keys, paid on the event loop
    every session shares), and Textual's footer re-composed all of them on each change
    of bindings. Here a change of keys repaints one line. A click on a key presses it
    (a key greyed out rings the bell), the key under the mouse is highlighted and its
    tooltip shown. Binding groups and the command palette's key, which Portal does not
    use, are shown as plain keys.

    ``tests/pilot/test_footer.py`` compares what it shows with Textual's own footer.
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "portal-footer--key",
        "portal-footer--description",
        "portal-footer--hover",
    }
    DEFAULT_CSS = """
    PortalFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: clip;
        color: $footer-foreground;
        background: $footer-background;
        .portal-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .portal-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        .portal-footer--hover {
            background: $block-hover-background;
        }
    }
    """

    compact = reactive(False)
    """Less space: no padding around a key, one space between two keys (as ``Footer``)."""

    def __init__(self, *, id: str | None = None, compact: bool = False) -> None:
        super().__init__(id=id)
        self.set_reactive(PortalFooter.compact, compact)
        self._shown: list[ShownKey] = []
        """The keys drawn, in order."""
        self._hover: int | None = None
        """The key under the mouse (its index), if any."""

    @property
    def shown(self) -> list[ShownKey]:
        """The keys shown, in order (none until the screen's bindings are known)."""
        return list(self._shown)

    def spans(self) -> list[tuple[ShownKey, int, int]]:
        """Each key with its first column and the column after its last."""
        return [(key, start, end) for key, _key, _text, start, end in self._parts()]

    def _parts(self) -> list[tuple[ShownKey, str, str, int, int]]:
        """Each key as drawn: its key's text, its description's, its first column and
        the column after its last (as ``FooterKey`` pads them, compact or not)."""
        compact = self.compact
        parts: list[tuple[ShownKey, str, str, int, int]] = []
        end = 0
        for shown in self._shown:
            start = end + 1 if compact and parts else end  # Footer's margin, when compact
            if not shown.description:
                key_text, text = shown.key_display, ""
            elif compact:
                key_text, text = shown.key_display, f" {shown.description}"
            else:
                key_text, text = f" {shown.key_display} ", f"{shown.description} "
            end = start + cell_len(key_text) + cell_len(text)
            parts.append((shown, key_text, text, start, end))
        return parts

    # -- what to show ------------------------------------------------------------------

    def wanted_keys(self) -> list[ShownKey]:
        """The keys the screen's bindings call for, in the order ``Footer`` shows them."""
        first_of_action: dict[str, tuple[Binding, bool, str]] = {}
        for _namespace, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                first_of_action.setdefault(binding.action, (binding, enabled, tooltip))
        return [
            ShownKey(
                key=binding.key,
                key_display=self.app.get_key_display(binding),
                description=describe(binding.description) if binding.description else "",
                action=binding.action,
                enabled=enabled,
                tooltip=tooltip,
            )
            for binding, enabled, tooltip in first_of_action.values()
        ]

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Show the screen's current keys (repaints the line when they changed)."""
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        wanted = self.wanted_keys()
        if wanted != self._shown:
            self._shown = wanted
            self._hover = None
            self.tooltip = None
            self.refresh()

    # -- drawing -----------------------------------------------------------------------

    def render(self) -> Text:
        key_style = self.get_component_rich_style("portal-footer--key")
        description_style = self.get_component_rich_style("portal-footer--description")
        hover_style = self.get_component_rich_style("portal-footer--hover")
        line = Text(no_wrap=True, overflow="crop", end="")
        for index, (shown, key_text, text, start, end) in enumerate(self._parts()):
            line.append(" " * (start - line.cell_len))
            line.append(key_text, key_style)
            if text:
                line.append(text, description_style)
            if index == self._hover:
                # Under the mouse: the whole key on the hover background (the parts'
                # own backgrounds are transparent over it, as in a hovered FooterKey).
                line.stylize(RichStyle(bgcolor=hover_style.bgcolor), start, end)
            if not shown.enabled:
                line.stylize_before(RichStyle(dim=True), start, end)  # FooterKey.-disabled
        line.stylize_before(self.rich_style)
        return line

    def _key_at(self, x: int) -> int | None:
        for index, (_shown, _key, _text, start, end) in enumerate(self._parts()):
            if start <= x < end:
                return index
        return None

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._key_at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            shown = self._shown[index] if index is not None else None
            self.tooltip = (shown.tooltip or None) if shown is not None else None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        """A click on a key presses it, as on Textual's footer."""
        index = self._key_at(event.x)
        if index is None:
            return
        shown = self._shown[index]
        if shown.enabled:
            self.app.simulate_key(shown.key)
        else:
            self.app.bell()
