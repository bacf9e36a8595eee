"""The frame of guest screens, and compact forms that fit 80x24.

A form row is a label and a one-line input side by side. ``enter`` in a field moves to the
next one; in the last field (class ``submit``) it sends the form, so a guest never needs
the mouse. Errors show in ``#message`` in the guest's language.
"""

from __future__ import annotations

from typing import ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from portal.i18n import _
from portal.screens.base import FramedScreen
from portal.screens.context import GuestPortal
from portal.services.gate import GateError, WeakPassword


def form_row(label: str, field: Widget) -> Horizontal:
    """A label and its input on one line."""
    return Horizontal(Label(label, classes="form-label"), field, classes="form-row")


class GuestScreen(FramedScreen):
    """Base of guest screens: a title bar, the body, a message line and the footer."""

    ERROR_FIELD: ClassVar[str | None] = None
    """The field this screen's errors are about: the focus goes there with the sentence
    (``FramedScreen.show_field_error``), which goes once the field is edited."""
    FLOW: ClassVar[str] = ""
    """The flow whose failure counter a wrong key or code spends (``GuestApp.FAILURE_LIMITS``:
    ``signup``, ``activation`` or ``reset``); screens that count failures set it."""

    @property
    def guest(self) -> GuestPortal:
        """The session's guest app, typed by what screens may use of it (see ``context``)."""
        return cast(GuestPortal, self.app)

    def screen_title(self) -> str:
        return _("Guest entry")

    def who(self) -> str:
        return _("Not signed in")

    def compose_below(self) -> ComposeResult:
        yield Static("", id="message")

    # -- messages --------------------------------------------------------------------------

    def say(self, text: str, *, error: bool = False) -> None:
        """Show one sentence (or a few lines) under the form."""
        message = self.query_one("#message", Static)
        if error and text and self.ERROR_FIELD is not None:
            message.remove_class("success")
            self.show_field_error(self.query_one(self.ERROR_FIELD), text, line=message)
            return
        self.clear_field_error()
        message.update(text)
        message.set_class(error, "error")
        message.set_class(not error and bool(text), "success")

    def show_error(self, error: GateError) -> None:
        """Show a service's refusal in the guest's language."""
        text = error.text()
        if isinstance(error, WeakPassword) and error.problems:
            text = "\n".join([text, *error.problems])
        self.say(text, error=True)

    def failed(self, error: GateError) -> bool:
        """Show a wrong key or code and count it in this screen's flow; True when the
        session is ending."""
        self.show_error(error)
        return self.guest.note_failure(self.FLOW)

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
