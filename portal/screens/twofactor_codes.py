"""Recovery codes, shown once: after 2FA is turned on, and after they are regenerated.

Only their digests are stored, so this is the one time the member can see them; the
screen says so and offers to copy them (OSC 52, through the SSH terminal).
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from portal.i18n import _
from portal.screens.base import PortalScreen


def codes_text(codes: list[str]) -> str:
    """The codes in two columns, numbered, as they are shown and copied."""
    half = (len(codes) + 1) // 2
    rows = []
    for i in range(half):
        left = f"{i + 1:>2}. {codes[i]}"
        right = f"{i + half + 1:>2}. {codes[i + half]}" if i + half < len(codes) else ""
        rows.append(f"{left}    {right}".rstrip())
    return "\n".join(rows)


class RecoveryCodesView(Vertical):
    """The codes and what to do with them."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(id="recovery-codes-view")
        self.codes = codes

    def compose(self) -> ComposeResult:
        yield Static(_("Your recovery codes"), classes="heading")
        yield Static(
            _(
                "Each code works once, instead of a code from your app, should you lose your "
                "phone. Write them down or store them somewhere safe: they will not be shown "
                "again."
            ),
            classes="explain",
        )
        yield Static(codes_text(self.codes), id="recovery-codes")
        yield Static(_("c: copy the codes · enter: I have saved them"), classes="advice")


class RecoveryCodesScreen(PortalScreen):
    """Shows fresh recovery codes once; leaving the screen forgets them."""

    CSS_PATH = "../styles/account.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_codes", "Copy", id="recovery.copy"),
        Binding("enter", "done", "I have saved them", id="recovery.done"),
    ]

    def __init__(self, codes: list[str]) -> None:
        super().__init__()
        self._codes = codes

    def screen_title(self) -> str:
        return _("Recovery codes")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(classes="page"):
            yield RecoveryCodesView(self._codes)

    def action_copy_codes(self) -> None:
        """Copy the codes to the member's clipboard (terminals that allow it)."""
        self.app.copy_to_clipboard(codes_text(self._codes))
        self.notify(_("Codes copied to the clipboard (if your terminal allows it)."))

    def action_done(self) -> None:
        """Leave: the codes are not kept anywhere in clear."""
        self._codes = []
        self.dismiss()

    def action_back(self) -> None:
        self.action_done()
