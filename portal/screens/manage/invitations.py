"""Pending invitations: who was invited and has not activated yet; resend or revoke.

Resending emails a new code (the old ones stop working); revoking makes every code
useless and deactivates the never-used account. Both are confirmed first.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from portal.i18n import N_, _
from portal.screens.context import OpenSection
from portal.screens.manage.listing import ManageListScreen
from portal.services import directory, invitations, member_admin
from portal.services.directory import PendingInvitation
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


class InvitationsScreen(ManageListScreen[PendingInvitation]):
    """The table of pending invitations."""

    CSS_PATH = "../../styles/manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "resend", "Resend", id="invitations.resend"),
        Binding("r", "revoke", "Revoke", id="invitations.revoke"),
        Binding("i", "invite", "Invite a member", id="invitations.invite"),
    ]
    TABLE_ID = "invitations-table"
    MESSAGE_ID = "invitations-message"
    DENIED = N_("You may not manage this member.")
    EMPTY = N_("No invitation is waiting.")
    KEEP_CURSOR = False

    def screen_title(self) -> str:
        return _("Pending invitations")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="invitations", classes="page"):
            yield DataTable(id="invitations-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="invitations-message")

    def on_mount(self) -> None:
        columns = [(_("Name"), "name"), (_("Email"), "email"), (_("Sent"), "sent")]
        if self.portal.member.role == "admin":
            columns.append((_("Organization"), "organization"))
        self.add_columns(*columns, flex=("name", "email"))

    def on_screen_resume(self) -> None:
        """Read again each time the screen shows (first push included)."""
        self.reload()

    async def fetch(self) -> list[PendingInvitation]:
        return await self.portal.call(directory.pending_invitations, self.portal.member)

    def cells(self, item: PendingInvitation) -> list[Any]:
        cells: list[Any] = [
            f"{item.first_name} {item.last_name} ({item.login})",
            item.org_email,
            _sent(item),
        ]
        if self.portal.member.role == "admin":
            cells.append(item.organization_name)
        return cells

    def key(self, item: PendingInvitation) -> str:
        return str(item.member_id)

    def action_invite(self) -> None:
        """Open the invitation form."""
        self.post_message(OpenSection("invite"))

    def action_resend(self) -> None:
        """Email a new activation code, after a confirmation."""
        item = self.selected()
        if item is None:
            return
        self.confirm(
            YesNoDialog(
                _(
                    "Send a new activation code to {email}? The previous code stops working.",
                    email=item.org_email,
                ),
                _("Resend"),
            ),
            invitations.reinvite,
            item.member_id,
            settings=self.portal.services.settings,
            done=_("A new code was sent to {email}.", email=item.org_email),
        )

    def action_revoke(self) -> None:
        """Withdraw the invitation, after a confirmation."""
        item = self.selected()
        if item is None:
            return
        self.confirm(
            ConfirmDialog(
                _(
                    "Revoke the invitation of {name}? Its code stops working and the account "
                    "is deactivated.",
                    name=" ".join((item.first_name, item.last_name)),
                ),
                _("Revoke"),
            ),
            member_admin.revoke_invitation,
            item.member_id,
            done=_("The invitation is revoked."),
        )
