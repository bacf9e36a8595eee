"""The frame every member screen shares: a title bar, the body, the footer with keys."""

from __future__ import annotations

from typing import ClassVar, cast

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Static

from portal.i18n import _
from portal.screens.context import MemberPortal
from portal.widgets.footer import PortalFooter
from portal.widgets.pacing import PromptFrames


class TitleBar(Horizontal):
    """One line: the screen's title on the left, who is logged in on the right."""

    def __init__(self, title: str, who: str) -> None:
        super().__init__(id="title-bar")
        self._title = title
        self._who = who

    def compose(self) -> ComposeResult:
        yield Static(self._title, id="title-bar-title")
        yield Static(self._who, id="title-bar-who")


class FramedScreen(PromptFrames[None]):
    """The frame shared by member and guest screens: title bar, body, footer with keys.

    Subclasses implement ``screen_title``, ``who`` and ``compose_body``; text is built in
    compose so that a language change (which re-composes) redraws it translated.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="screen.back"),
    ]

    def screen_title(self) -> str:
        """The title shown in the title bar (translated)."""
        return _("Portal")

    def who(self) -> str:
        """Who is connected, shown at the right of the title bar."""
        return ""

    def compose(self) -> ComposeResult:
        yield TitleBar(self.screen_title(), self.who())
        yield from self.compose_body()
        yield from self.compose_below()
        yield PortalFooter()

    def compose_body(self) -> ComposeResult:
        """The screen's own content."""
        yield from ()

    def compose_below(self) -> ComposeResult:
        """Widgets between the body and the footer (a message line, for instance)."""
        yield from ()

    def action_back(self) -> None:
        """Return to the previous screen (never past the first one)."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()


class PortalScreen(FramedScreen):
    """Base of member screens: ``escape`` goes back, the footer lists every key."""

    @property
    def portal(self) -> MemberPortal:
        """The session's app, typed by what screens may use of it (see ``context``)."""
        return cast(MemberPortal, self.app)

    def who(self) -> str:
        member = self.portal.member
        return f"{member.full_name} · {member.organization_name}"
