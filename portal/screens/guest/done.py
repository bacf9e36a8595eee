"""The end of a guest flow: one message, then back to the guest menu."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Static

from portal.i18n import _
from portal.screens.guest.base import GuestScreen


class GuestDoneScreen(GuestScreen):
    """Says what happened; Enter or Escape returns to the menu (the flow cannot be resumed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "menu", "Back to the menu", id="guest.done"),
        Binding("escape", "menu", "Back to the menu", id="guest.done_escape", show=False),
    ]

    def __init__(self, title: str, text: str, **params: object) -> None:
        """``title`` and ``text`` are message ids (``N_``), translated when drawn."""
        super().__init__()
        self._title = title
        self._text = text
        self._params = {k: escape(v) if isinstance(v, str) else v for k, v in params.items()}

    def screen_title(self) -> str:
        return _(self._title)

    def compose_body(self) -> ComposeResult:
        with Vertical(id="guest-done", classes="guest-page"):
            yield Static(_(self._title), classes="heading")
            yield Static(_(self._text, **self._params), id="done-text", classes="success")
            yield Static(_("Press Enter to go back to the menu."), classes="guest-help")

    def action_menu(self) -> None:
        """Back to the guest menu, dropping the finished flow's screens."""
        while len(self.app.screen_stack) > 2:
            self.app.pop_screen()
