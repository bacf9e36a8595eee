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
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # not exported by textual.widgets

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


class PortalFooter(Footer):
    """Textual's footer, with each binding's description translated when drawn.

    Binding descriptions are class-level English strings; translating them here keeps
    one place responsible, and a language change re-composes the footer.

    Its keys are mounted once, when the screen's bindings are first known, and updated
    in place after that. Textual's footer re-composes itself (removes every key, mounts
    new ones, styles each twice) after the next refresh on every change of bindings,
    and a screen's start changes them three times (focus arriving, the screen resumed):
    measured as a quarter of the CPU an app needs to draw its home screen, paid on the
    event loop every session shares. Textual's own way stays for what Portal does not
    use (binding groups, the command palette key).

    What it takes from Textual: ``FooterKey`` (``textual.widgets._footer``, not exported)
    built as ``Footer.compose`` builds it, its public attributes (``key``,
    ``key_display``, ``description``, ``action``) and ``compact`` reactive.
    ``tests/pilot/test_footer.py`` fails if a Textual upgrade changes them.
    """

    def __init__(self, *children: Widget, **kwargs: Any) -> None:
        super().__init__(*children, **kwargs)
        self._ready = False
        """The screen told its bindings once: keys can be shown."""
        self._shown: list[ShownKey] | None = []
        """The keys mounted now, in order (None: Textual's own compose drew them)."""
        self._keys: list[FooterKey] = []
        """Their widgets, in the same order (a key being removed is no longer here)."""

    # -- what to show ------------------------------------------------------------------

    def wanted_keys(self) -> list[ShownKey] | None:
        """The keys the screen's bindings call for, in the order ``Footer`` shows them.

        None when Textual's own layout is needed (a binding group, the palette key).
        """
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            return None
        first_of_action: dict[str, tuple[Binding, bool, str]] = {}
        for _namespace, binding, enabled, tooltip in self.screen.active_bindings.values():
            if not binding.show:
                continue
            if binding.group is not None:
                return None
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

    def _make_key(self, shown: ShownKey) -> FooterKey:
        compact = self.compact
        key = FooterKey(
            shown.key,
            shown.key_display,
            shown.description,
            shown.action,
            disabled=not shown.enabled,
            tooltip=shown.tooltip,
            classes="-compact" if compact else "",
        )
        # The footer's own value from the start, as ``data_bind`` would set it, without
        # the watcher's two restyles (FooterKey starts compact, Footer does not).
        key.set_reactive(FooterKey.compact, compact)
        return key

    # -- composing and updating --------------------------------------------------------

    def compose(self) -> ComposeResult:
        if not self._ready:
            return  # as Textual's: nothing until the screen's bindings are known
        wanted = self.wanted_keys()
        self._shown = wanted
        self._keys = []
        if wanted is None:
            for widget in super().compose():
                if isinstance(widget, FooterKey) and widget.description:
                    widget.description = describe(widget.description)
                yield widget
            return
        self.styles.grid_size_columns = len(wanted)
        self._keys = [self._make_key(shown) for shown in wanted]
        yield from self._keys

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Show the screen's current keys: update the keys shown, mount or remove some."""
        if not self._ready:
            self._ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        wanted = self.wanted_keys()
        if wanted is None or self._shown is None:
            super().bindings_changed(screen)  # Textual's own: re-compose after a refresh
            return
        if wanted != self._shown:
            self._update_keys(wanted)

    def _update_keys(self, wanted: list[ShownKey]) -> None:
        shown = self._shown or []
        keys = self._keys
        new_keys: list[FooterKey] = []
        for index, entry in enumerate(wanted):
            if index >= len(keys):
                new_keys.append(self._make_key(entry))
                continue
            if entry == shown[index]:
                continue
            key = keys[index]
            if entry.enabled != shown[index].enabled:
                # Enabled or not is set when a key is built: build that one again.
                keys[index] = self._make_key(entry)
                self.mount(keys[index], after=key)
                key.remove()
                continue
            key.key = entry.key
            key.key_display = entry.key_display
            key.description = entry.description
            key.action = entry.action
            key.tooltip = entry.tooltip or None
            key.refresh(layout=True)
        if new_keys:
            self.mount_all(new_keys, after=keys[-1] if keys else None)
        if len(keys) > len(wanted):
            self.remove_children(keys[len(wanted) :])
        self._keys = keys[: len(wanted)] + new_keys
        if self.styles.grid_size_columns != len(wanted):
            self.styles.grid_size_columns = len(wanted)
        self._shown = wanted

    def watch_compact(self, compact: bool) -> None:
        """Keys follow the footer's compact style (``Footer`` data-binds them)."""
        for key in self.query(FooterKey):
            key.compact = compact
