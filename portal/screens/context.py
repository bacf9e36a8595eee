"""What a screen may rely on from the app that hosts it, and the navigation it may ask for.

Screens reach their app through ``PortalScreen.portal`` / ``GuestScreen.guest``, typed by
the protocols below rather than by ``PortalApp``/``GuestApp`` themselves: the apps import
the screens (to open them), so the screens importing the apps back would close an import
circle. This module imports no screen and no app; ``PortalApp`` and ``GuestApp`` satisfy
these protocols (``tests/unit/test_architecture.py`` checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from textual.message import Message

from portal.data.members import Member
from portal.i18n import Translator
from portal.services.runtime import Services

T = TypeVar("T")


class SessionInfo(Protocol):
    """Where a session comes from (member or guest)."""

    @property
    def ip(self) -> str | None:
        """The client's address (None in tests)."""

    @property
    def session_id(self) -> str:
        """The session's id, as listed in ``services.sessions``."""


@runtime_checkable
class MemberPortal(Protocol):
    """The member app as its screens see it (``portal.app.PortalApp`` satisfies it)."""

    @property
    def services(self) -> Services:
        """The process's shared services."""

    @property
    def session(self) -> SessionInfo:
        """This SSH session."""

    @property
    def member(self) -> Member:
        """The logged-in member."""

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service function (``fn(db, ...)``) in a database worker thread."""

    def translator(self) -> Translator:
        """The session's translator (for money and dates)."""

    async def set_language(self, language: str) -> None:
        """Store the member's language and redraw every screen in it."""

    @property
    def monochrome(self) -> bool:
        """The member's own preference for no colours."""

    async def set_monochrome_preference(self, monochrome: bool) -> None:
        """Store the member's choice of no colours and redraw without (or with) them."""

    def action_logout(self) -> None:
        """End the session."""


@runtime_checkable
class GuestPortal(Protocol):
    """The guest app as its screens see it (``portal.guest.app.GuestApp`` satisfies it)."""

    @property
    def services(self) -> Services:
        """The process's shared services."""

    @property
    def session(self) -> SessionInfo:
        """This SSH session."""

    @property
    def language(self) -> str:
        """The guest's language."""

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a service function (``fn(db, ...)``) in a database worker thread."""

    def now(self) -> float:
        """The current Unix time (from the app's injectable clock)."""

    def note_failure(self, flow: str) -> bool:
        """Count a wrong key or code of one flow; True when the session is ending."""

    def action_leave(self) -> None:
        """End the session."""


class OpenSection(Message):
    """Ask the app to show a section of the home menu (``portal.screens.sections``).

    A screen posts it to reach a section without importing that section's screen (which
    may itself open this one: the basket's "back to the shop" is the shop's "basket"
    reversed). The app goes back to the section's screen when it is right below the
    current one, and opens a new one otherwise; a section the member may not use is
    ignored.
    """

    def __init__(self, section_id: str) -> None:
        super().__init__()
        self.section_id = section_id
        """The ``Section.id`` to show (``"shop"``, ``"basket"``...)."""
