"""The screen shown instead of the app while the client's window is below 80×24.

Every screen is laid out for at least 80×24; below that, dialogs and forms would be cut
and a member could type into a field they cannot see. ``SessionApp`` pushes this screen
on top of whatever the member was doing when the window shrinks below the minimum, and
pops it when the window is large enough again, so they are back exactly where they were
(same screen, same focus, same text typed).

It is a plain ``Screen`` rather than a ``PortalScreen``: the guest entry shows it too,
and it must have no "back" key (Escape would pop it while the window is still too small).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static

from portal.i18n import _

MIN_WIDTH = 80
"""The narrowest window every screen is laid out for."""
MIN_HEIGHT = 24
"""The lowest window every screen is laid out for."""


def is_too_small(width: int, height: int) -> bool:
    """Whether a window of ``width``×``height`` cells is below the minimum."""
    return width < MIN_WIDTH or height < MIN_HEIGHT


class TooSmallScreen(Screen[None]):
    """ "Terminal too small: W×H, at least 80×24 needed", centred, nothing else."""

    CSS_PATH = "../styles/too_small.tcss"

    def __init__(self, width: int, height: int) -> None:
        super().__init__(id="too-small")
        self._window_size = (width, height)

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(self._message(), id="too-small-message")
            yield Static(_("Enlarge the window to continue."), id="too-small-hint")

    def _message(self) -> str:
        width, height = self._window_size
        return _(
            "Terminal too small: {width}×{height}, at least {min_width}×{min_height} needed",
            width=width,
            height=height,
            min_width=MIN_WIDTH,
            min_height=MIN_HEIGHT,
        )

    def show_size(self, width: int, height: int) -> None:
        """Say the window's new size (it is still too small)."""
        self._window_size = (width, height)
        if self.is_mounted:
            self.query_one("#too-small-message", Static).update(self._message())

    def on_screen_resume(self) -> None:
        """Uncovered by a screen above it: go away if the window grew meanwhile."""
        if not is_too_small(*self.app.size):
            self.app.call_later(self._leave)

    def _leave(self) -> None:
        if self.app.screen is self:
            self.app.pop_screen()
