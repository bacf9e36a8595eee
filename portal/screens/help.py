"""The help screen: every key of the screen underneath, and the keys that work everywhere.

Opened by F1 or ``?`` (an app binding that is not a priority, so ``?`` typed in a field
stays a character). The list is read from the bindings active on the screen underneath
when help opens, so it is always that screen's truth: its own keys, the keys of the
widget with the focus (a list, a table, a field), then the app's. Descriptions are
translated like the footer's (``portal.widgets.footer.describe``), Textual's included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Static

from portal.i18n import _
from portal.widgets.footer import PortalFooter, describe
from portal.widgets.pacing import PromptModalScreen


@dataclass(frozen=True)
class KeyGroup:
    """A heading and its ``(keys, description)`` rows, descriptions translated."""

    heading: str
    rows: tuple[tuple[str, str], ...]


def keys_of(screen: Screen[Any], app: App[Any]) -> list[KeyGroup]:
    """The keys active on ``screen`` now, grouped: the screen, the app, the focused widget.

    Keys sharing one description are listed on one row ("F1 ?: help"; "1-9: go to"
    once, when the screen shows one key for the nine); bindings without a description, disabled ones
    and ``super+`` keys (no terminal sends them) are left out.
    """
    groups: dict[str, dict[str, list[tuple[str, bool]]]] = {"screen": {}, "app": {}, "focus": {}}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or not active.enabled or key.startswith("super+"):
            continue
        if active.node is app:
            where = "app"
        elif active.node is screen:
            where = "screen"
        else:
            where = "focus"
        keys = groups[where].setdefault(describe(binding.description), [])
        shown = (app.get_key_display(binding), binding.show)
        if shown not in keys:
            keys.append(shown)
    headings = {
        "screen": _("This screen"),
        "app": _("Everywhere"),
        "focus": _("The field or list with the focus"),
    }
    return [
        KeyGroup(headings[where], tuple((_keys_text(keys), text) for text, keys in rows.items()))
        for where, rows in groups.items()
        if rows
    ]


def _keys_text(keys: list[tuple[str, bool]]) -> str:
    """The keys of one row: all of a few; of many, those the footer shows ("1-9")."""
    every = [display for display, _show in keys]
    shown = [display for display, show in keys if show]
    return " ".join(every if len(every) <= 3 or not shown else shown)


class HelpScreen(PromptModalScreen[None]):
    """The keys of the screen underneath; ``escape``, ``enter``, F1 or ``?`` closes it."""

    CSS_PATH = "../styles/help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,f1,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, title: str, groups: list[KeyGroup]) -> None:
        super().__init__()
        self._title = title
        self._groups = groups

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            yield Static(Content(_("Keys: {screen}", screen=self._title)), id="help-title")
            with VerticalScroll(id="help-keys"):
                for group in self._groups:
                    yield Static(Content(group.heading), classes="help-heading")
                    for keys, text in group.rows:
                        yield Static(Content(f"{keys:>14}  {text}"), classes="help-row")
        yield PortalFooter()

    def on_mount(self) -> None:
        self.query_one("#help-keys").focus()

    def action_close(self) -> None:
        """Back to the screen underneath."""
        self.dismiss(None)
