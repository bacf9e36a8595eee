"""A footer whose key descriptions follow the session's language.

Portal's own bindings carry English msgids; Textual's widgets carry their own English
descriptions (``esc Dismiss menu`` in a dropdown's footer, the keys of an input or a
table in the help screen). ``describe`` translates both: Textual's texts go through
``TEXTUAL_DESCRIPTIONS``, which maps each to a msgid of ours, so that a Textual text
that is also one of our msgids with another meaning ("Home": the first row of a
table, not the home screen) gets its own French.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

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


class PortalFooter(Footer):
    """Textual's footer, with each binding's description translated when drawn.

    Binding descriptions are class-level English strings; translating them here keeps
    one place responsible, and a language change re-composes the footer.
    """

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = describe(widget.description)
            yield widget
