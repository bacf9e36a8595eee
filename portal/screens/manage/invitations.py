"""Pending invitations: who was invited and has not activated yet; resend or revoke.

Resending emails a new code (the old ones stop working); revoking makes every code
useless and deactivates the never-used account. Both are confirmed first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.screens.context import OpenSection
from portal.services import directory, invitations, member_admin
from portal.services.directory import PendingInvitation
from portal.services.errors import PortalError
from portal.widgets.dialogs import ConfirmDialog, YesNoDialog
from portal.widgets.format import when_text
from portal.widgets.table import DataTable


def _sent(item: PendingInvitation) -> str:
    """When the code was sent, or why no code works any more."""
    if not item.sent_at:
        return _("no valid code")
    if item.expires_at is not None and item.expires_at < time.time():
        return _("expired: resend")
    return when_text(item.sent_at)


class InvitationsScreen(PortalScreen):
    """The table of pending invitations."""

    CSS_PATH = "../../styles/manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "resend", "Resend", id="invitations.resend"),
        Binding("r", "revoke", "Revoke", id="invitations.revoke"),
        Binding("i", "invite", "Invite a member", id="invitations.invite"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[PendingInvitation] = []

    def screen_title(self) -> str:
        return _("Pending invitations")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="invitations", classes="page"):
            yield DataTable(id="invitations-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="invitations-message")

    def on_mount(self) -> None:
        table = self.query_one("#invitations-table", DataTable)
        table.add_column(_("Name"), key="name")
        table.add_column(_("Email"), key="email")
        table.add_column(_("Sent"), key="sent")
        if self.portal.member.role == "admin":
            table.add_column(_("Organization"), key="organization")
        table.focus()

    def on_screen_resume(self) -> None:
        """Read again each time the screen shows (first push included)."""
        self.reload()

    @work(exclusive=True, group="invitations")
    async def reload(self) -> None:
        """Read the pending invitations again."""
        self.pending = await self.portal.call(directory.pending_invitations, self.portal.member)
        table = self.query_one("#invitations-table", DataTable)
        table.clear()
        admin = self.portal.member.role == "admin"
        for item in self.pending:
            cells: list[Any] = [
                f"{item.first_name} {item.last_name} ({item.login})",
                item.org_email,
                _sent(item),
            ]
            if admin:
                cells.append(item.organization_name)
            table.add_row(*cells, key=str(item.member_id))
        if not self.pending:
            self._say(_("No invitation is waiting."))

    def _selected(self) -> PendingInvitation | None:
        row = self.query_one("#invitations-table", DataTable).cursor_row
        if not self.pending or row is None or not 0 <= row < len(self.pending):
            return None
        return self.pending[row]

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#invitations-message", Static)
        message.update(Content(text))
        message.set_classes("error" if error else "success")

    def action_invite(self) -> None:
        """Open the invitation form."""
        self.post_message(OpenSection("invite"))

    def action_resend(self) -> None:
        """Email a new activation code, after a confirmation."""
        item = self._selected()
        if item is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(
                    invitations.reinvite,
                    item.member_id,
                    settings=self.portal.services.settings,
                    done=_("A new code was sent to {email}.", email=item.org_email),
                )

        self.app.push_screen(
            YesNoDialog(
                _(
                    "Send a new activation code to {email}? The previous code stops working.",
                    email=item.org_email,
                ),
                _("Resend"),
            ),
            answered,
        )

    def action_revoke(self) -> None:
        """Withdraw the invitation, after a confirmation."""
        item = self._selected()
        if item is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(
                    member_admin.revoke_invitation,
                    item.member_id,
                    done=_("The invitation is revoked."),
                )

        self.app.push_screen(
            ConfirmDialog(
                _(
                    "Revoke the invitation of {name}? Its code stops working and the account "
                    "is deactivated.",
                    name=" ".join((item.first_name, item.last_name)),
                ),
                _("Revoke"),
            ),
            answered,
        )

    @work(group="invitations-change")
    async def change(self, fn: Callable[..., Any], *args: Any, done: str, **kwargs: Any) -> None:
        """Run one change, then show the list again."""
        try:
            await self.portal.call(fn, self.portal.member, *args, **kwargs)
        except PortalError as error:
            self._say(error.text(), error=True)
            return
        except PermissionError:
            self._say(_("You may not manage this member."), error=True)
            return
        self._say(done)
        self.reload()
