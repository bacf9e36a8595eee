"""Small dialogs shared by the My Account screens."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from portal.i18n import _
from portal.screens.pacing import PromptModalScreen
from portal.widgets.footer import PortalFooter


class ConfirmDialog(PromptModalScreen[bool]):
    """Asks a yes/no question; dismissed with True for yes.

    Args:
        question: The question, already translated.
        confirm: Label of the "yes" button, already translated.
    """

    CSS_PATH = "../styles/account.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, confirm: str) -> None:
        super().__init__()
        self._question = question
        self._confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self._question, id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    f"{self._confirm} (y)", id="confirm-yes", variant="error", compact=True
                )
                yield Button(f"{_('Cancel')} (n)", id="confirm-no", compact=True)
        yield PortalFooter()

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    def action_answer(self, answer: bool) -> None:
        """Close the dialog with the answer."""
        self.dismiss(answer)

    @on(Button.Pressed, "#confirm-yes")
    def yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def no(self) -> None:
        self.dismiss(False)
