"""The frame of guest screens, and compact forms that fit 80x24.

A form row is a label and a one-line input side by side. ``enter`` in a field moves to the
next one; in the last field (class ``submit``) it sends the form, so a guest never needs
the mouse. Errors show in ``#message`` in the guest's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from portal.i18n import _
from portal.screens.base import TitleBar
from portal.services.gate import GateError, WeakPassword
from portal.widgets.footer import PortalFooter

if TYPE_CHECKING:
    from portal.guest.app import GuestApp


def form_row(label: str, field: Widget) -> Horizontal:
    """A label and its input on one line."""
    return Horizontal(Label(label, classes="form-label"), field, classes="form-row")


class GuestScreen(Screen[None]):
    """Base of guest screens: a title bar, the body, a message line and the footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="guest.back"),
    ]

    @property
    def guest(self) -> GuestApp:
        """The session's guest app, typed."""
        return cast("GuestApp", self.app)

    def screen_title(self) -> str:
        """The title shown in the title bar (translated)."""
        return _("Guest entry")

    def compose(self) -> ComposeResult:
        yield TitleBar(self.screen_title(), _("Not signed in"))
        yield from self.compose_body()
        yield Static("", id="message")
        yield PortalFooter()

    def compose_body(self) -> ComposeResult:
        """The screen's own content."""
        yield from ()

    def action_back(self) -> None:
        """Back to the guest menu."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    # -- messages --------------------------------------------------------------------------

    def say(self, text: str, *, error: bool = False) -> None:
        """Show one sentence (or a few lines) under the form."""
        message = self.query_one("#message", Static)
        message.update(text)
        message.set_class(error, "error")
        message.set_class(not error and bool(text), "success")

    def show_error(self, error: GateError) -> None:
        """Show a service's refusal in the guest's language."""
        text = error.translated(_)
        if isinstance(error, WeakPassword) and error.problems:
            text = "\n".join([text, *error.problems])
        self.say(text, error=True)

    def failed(self, error: GateError) -> bool:
        """Show a wrong key or code and count it; True when the session is ending."""
        self.show_error(error)
        return self.guest.note_failure()

    # -- keyboard flow -----------------------------------------------------------------------

    @on(Input.Submitted)
    async def _next_field(self, event: Input.Submitted) -> None:
        if event.input.has_class("submit"):
            event.stop()
            await self.submit()
        else:
            self.focus_next()

    async def submit(self) -> None:
        """Send the form (the last field's ``enter``)."""
