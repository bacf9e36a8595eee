"""The small modal dialogs every screen shares, typed by their result.

``YesNoDialog`` asks a yes/no question (``ModalScreen[bool]``); ``ConfirmDialog`` is the
same dialog for a destructive step (a red "yes", "Cancel" for no); ``AskDialog`` asks for
one line of text (``ModalScreen[str | None]``). They build on ``PromptModalScreen``: what
is typed in them is drawn at once (see ``portal.widgets.pacing``). No screen is imported
here, so any screen may open them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Static

from portal.i18n import _
from portal.widgets.footer import PortalFooter
from portal.widgets.pacing import PromptModalScreen

_DIALOGS_CSS = "../styles/dialogs.tcss"


def yes_key() -> str:
    """The key that answers "yes" in the session's language: ``o`` (oui), ``y`` (yes).

    The first letter of the translated "Yes", so every language gets the key its word
    starts with; ``n`` answers "no" in French and English alike.
    """
    first = _("Yes")[:1].lower()
    return first if first.isalpha() and first.isascii() and first != "n" else "y"


class YesNoDialog(PromptModalScreen[bool]):
    """A yes/no question (``o``/``n`` in French, ``y``/``n`` in English, ``escape`` is no).

    Dismissed with True for yes. ``y`` answers yes in every language (a silent alias in
    French: muscle memory and scripts keep working); the footer and the buttons show the
    language's own key.

    Args:
        question: The question, already translated (shown as plain text, never markup).
        confirm: Label of the "yes" button, already translated.
        cancel: Label of the "no" button, already translated ("No" when not given).
        destructive: Show the "yes" button in the error colour (deleting, closing...).
    """

    CSS_PATH = _DIALOGS_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(
        self, question: str, confirm: str, *, cancel: str | None = None, destructive: bool = False
    ) -> None:
        super().__init__()
        self._yes_key = yes_key()
        if self._yes_key != "y":
            # The language's key, shown first in the footer; "y" stays bound, without a
            # description: neither the footer nor the help screen lists it.
            local = Binding(self._yes_key, "answer(True)", "Yes", id="dialog.yes_local")
            keys = self._bindings.key_to_bindings
            keys["y"] = [replace(b, description="", show=False) for b in keys.get("y", [])]
            self._bindings.key_to_bindings = {self._yes_key: [local], **keys}
        self._question = question
        self._confirm = confirm
        self._cancel = cancel
        self._destructive = destructive

    def compose(self) -> ComposeResult:
        cancel = self._cancel if self._cancel is not None else _("No")
        with Vertical(classes="dialog"):
            yield Static(Content(self._question), id="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"{self._confirm} ({self._yes_key})",
                    id="dialog-yes",
                    variant="error" if self._destructive else "primary",
                    compact=True,
                )
                yield Button(f"{cancel} (n)", id="dialog-no", compact=True)
        yield PortalFooter()

    def on_mount(self) -> None:
        # "No" has the focus: a stray Enter never confirms.
        self.query_one("#dialog-no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        """Close with the answer."""
        self.dismiss(answer)

    @on(Button.Pressed, "#dialog-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#dialog-no")
    def _no(self) -> None:
        self.dismiss(False)


class ConfirmDialog(YesNoDialog):
    """A yes/no question before a destructive step: a red "yes", and "Cancel" for no.

    The same dialog as ``YesNoDialog`` with those two choices made; a class of its own
    so that the screens (and tests) can tell which kind of question is on screen.
    """

    def __init__(self, question: str, confirm: str) -> None:
        super().__init__(question, confirm, cancel=_("Cancel"), destructive=True)


class AskDialog(PromptModalScreen[str | None]):
    """Asks for one line of text; ``enter`` submits it, ``escape`` gives None."""

    CSS_PATH = _DIALOGS_CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.ask_cancel"),
    ]

    def __init__(
        self,
        question: str,
        *,
        placeholder: str = "",
        value: str = "",
        password: bool = False,
        max_length: int = 60,
    ) -> None:
        super().__init__()
        self._question = question
        self._placeholder = placeholder
        self._value = value
        self._password = password
        self._max_length = max_length

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self._question), id="dialog-question")
            yield Input(
                self._value,
                placeholder=self._placeholder,
                password=self._password,
                max_length=self._max_length,
                id="dialog-input",
            )
            yield Static(_("Enter to confirm, Escape to cancel."), classes="hint")
        yield PortalFooter()

    def on_mount(self) -> None:
        self.query_one("#dialog-input", Input).focus()

    @on(Input.Submitted, "#dialog-input")
    def _submit(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)
