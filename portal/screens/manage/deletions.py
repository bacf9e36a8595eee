"""Deletion requests (GDPR) waiting for a manager: confirm (anonymise) or refuse.

Confirming is irreversible: a destructive dialog asks first. The account is then
anonymised by ``services.data_rights.confirm_deletion``; the list is read again.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.services import data_rights
from portal.services.data_rights import DeletionRequest
from portal.widgets.dialogs import AskDialog, ConfirmDialog
from portal.widgets.table import DataTable


class DeletionsScreen(PortalScreen):
    """The requests of the organization (every organization's for admins)."""

    CSS_PATH = "../../styles/reports.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "confirm", "Delete the account", id="deletions.confirm"),
        Binding("r", "refuse", "Refuse", id="deletions.refuse"),
        Binding("f5", "reload", "Refresh", id="deletions.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[DeletionRequest] = []

    def screen_title(self) -> str:
        return _("Deletion requests")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="deletions", classes="page"):
            yield Static(_("Members who asked for their account's deletion."), id="deletions-scope")
            yield DataTable(id="deletions-table", cursor_type="row")
            yield Static("", id="deletions-empty")
            yield Static("", id="deletions-message")

    def on_mount(self) -> None:
        table = self.query_one("#deletions-table", DataTable)
        table.add_columns(_("Asked on"), _("Login"), _("Name"), _("Reason"))
        table.focus()
        self.reload()

    @work(exclusive=True, group="deletions")
    async def reload(self) -> None:
        """Read the waiting requests."""
        self.requests = await self.portal.call(data_rights.pending_requests, self.portal.member)
        table = self.query_one("#deletions-table", DataTable)
        table.clear()
        for r in self.requests:
            table.add_row(r.requested_at[:10], r.login, r.full_name, r.reason, key=str(r.id))
        self.query_one("#deletions-empty", Static).update(
            "" if self.requests else _("No request is waiting.")
        )

    def _current(self) -> DeletionRequest | None:
        table = self.query_one("#deletions-table", DataTable)
        if not self.requests or table.cursor_row < 0 or table.cursor_row >= len(self.requests):
            return None
        return self.requests[table.cursor_row]

    def action_reload(self) -> None:
        """Read the list again."""
        self.reload()

    def action_confirm(self) -> None:
        """Anonymise the highlighted member's account, once confirmed."""
        request = self._current()
        if request is None:
            return
        question = _(
            "Delete the account of {name} ({login})? Their personal data is erased for good; "
            "orders and invoices are kept under a pseudonym.",
            name=request.full_name,
            login=request.login,
        )

        def confirmed(answer: bool | None) -> None:
            if answer:
                self.delete(request.id)

        self.app.push_screen(ConfirmDialog(question, _("Delete")), confirmed)

    @work(exclusive=True, group="deletions-action")
    async def delete(self, request_id: int) -> None:
        """Anonymise the account of a request."""
        portal = self.portal
        done = await portal.call(
            data_rights.confirm_deletion,
            portal.services.settings,
            portal.services.sessions,
            portal.member,
            request_id,
        )
        self.query_one("#deletions-message", Static).update(
            Content(_("The account is now {pseudonym}.", pseudonym=done.pseudonym))
        )
        self.reload()

    def action_refuse(self) -> None:
        """Refuse the highlighted request, with a reason."""
        request = self._current()
        if request is None:
            return

        def reason_given(reason: str | None) -> None:
            if reason is not None:
                self.refuse(request.id, reason)

        self.app.push_screen(
            AskDialog(_("Why is this request refused?"), max_length=300), reason_given
        )

    @work(exclusive=True, group="deletions-action")
    async def refuse(self, request_id: int, reason: str) -> None:
        """Refuse a request."""
        portal = self.portal
        await portal.call(data_rights.refuse_deletion, portal.member, request_id, reason)
        self.query_one("#deletions-message", Static).update(_("The request was refused."))
        self.reload()
