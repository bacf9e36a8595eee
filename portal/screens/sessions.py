"""Active sessions in My Account: where I am logged in, and closing the others.

The list comes from the session directory (``services.sessions``), which knows the
sessions of every server process; it is read and asked to close sessions from a
database worker, then the closing is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from portal.i18n import _, current, get_translator, ngettext
from portal.screens.base import PortalScreen
from portal.services import account
from portal.services.runtime import SessionInfo
from portal.widgets.dialogs import ConfirmDialog
from portal.widgets.table import DataTable


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "—"
    moment = dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
    return current().datetime(moment, "short")


class SessionsScreen(PortalScreen):
    """My live sessions, this one first."""

    CSS_PATH = "../styles/account.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "close_others", "Close the others", id="sessions.close_others"),
        Binding("r", "refresh_list", "Refresh", id="sessions.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._others: list[SessionInfo] = []
        self._closing_ids: set[str] = set()
        """Sessions this screen closed: they end a moment later, do not list them meanwhile."""

    def screen_title(self) -> str:
        return _("Active sessions")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="sessions-page", classes="page"):
            yield Static(
                _(
                    "Where you are logged in now. If you do not recognise a session, close the "
                    "others and change your password."
                ),
                classes="explain",
            )
            table: DataTable = DataTable(id="sessions", cursor_type="row")
            table.add_column(_("Session"), key="session")
            table.add_column(_("From"), key="ip")
            table.add_column(_("Since"), key="since")
            table.add_column(_("Last activity"), key="last")
            yield table
            yield Static("", id="sessions-summary")

    def on_mount(self) -> None:
        self.action_refresh_list()
        self.query_one("#sessions", DataTable).focus()

    def action_refresh_list(self) -> None:
        """Read the live sessions again."""
        self.load_sessions()

    @work(exclusive=True, group="sessions-list")
    async def load_sessions(self) -> None:
        """Read the member's sessions in every server process (in a database worker)."""
        portal = self.portal
        mine = portal.session.session_id
        sessions = await portal.call(portal.services.sessions.list_for, portal.member.id)
        own = next((s for s in sessions if s.session_id == mine), None)
        self._others = [
            s for s in sessions if s.session_id != mine and s.session_id not in self._closing_ids
        ]
        table = self.query_one("#sessions", DataTable)
        table.clear()
        table.add_row(
            _("This session"),
            portal.session.ip or "—",
            _when(own.started_at if own else None),
            _when(own.last_activity if own else None),
            key=mine,
        )
        for info in self._others:
            table.add_row(
                info.session_id[:8],
                info.ip or "—",
                _when(info.started_at),
                _when(info.last_activity),
                key=info.session_id,
            )
        self.query_one("#sessions-summary", Static).update(
            ngettext("{n} other session.", "{n} other sessions.", len(self._others))
            if self._others
            else _("No other session.")
        )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_others":
            return bool(self._others)
        return True

    def action_close_others(self) -> None:
        """Close every other session of mine, after a confirmation."""
        if not self._others:
            return
        question = ngettext(
            "Close {n} other session?", "Close {n} other sessions?", len(self._others)
        )

        def confirmed(answer: bool | None) -> None:
            if answer:
                self.close_others()

        self.app.push_screen(ConfirmDialog(question, _("Close")), confirmed)

    @work(exclusive=True, group="sessions-close")
    async def close_others(self) -> None:
        """End the other sessions (on the loop), then audit it in a worker."""
        portal = self.portal
        member = portal.member
        reason = get_translator(member.language).gettext(
            "This session was closed from another of your sessions."
        )
        self._closing_ids.update(s.session_id for s in self._others)
        closed = await portal.call(
            portal.services.sessions.close_member_sessions,
            member.id,
            except_session=portal.session.session_id,
            reason=reason,
        )
        await portal.call(account.record_sessions_closed, member, closed, cause="member_request")
        self.notify(ngettext("{n} session closed.", "{n} sessions closed.", closed))
        self.action_refresh_list()
