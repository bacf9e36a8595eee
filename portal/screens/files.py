"""Mes fichiers: the member's SFTP inbox and outbox, and the commands that reach them.

The inbox holds what the member uploaded (documents to attach, CSV imports), the outbox
what the platform left for them (invoices, e-card PDFs, exports), each file with its
size. The exact ``sftp`` and ``scp`` commands are shown with the real host and port;
``f5`` reads the folders again and ``d`` deletes the highlighted inbox file once
confirmed. The folders are read in a thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from portal.i18n import PARIS, _, current
from portal.screens.base import PortalScreen
from portal.services import files
from portal.services.errors import PortalError
from portal.services.files import FileEntry
from portal.widgets.dialogs import ConfirmDialog
from portal.widgets.table import AMOUNT, DataTable

__all__ = ["FilesScreen"]


class FilesScreen(PortalScreen):
    """The member's inbox and outbox, with the commands that fill and empty them."""

    CSS_PATH = "../styles/files.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "reload", "Refresh", id="files.reload"),
        Binding("d,delete", "delete_file", "Delete", id="files.delete"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.inbox: list[FileEntry] = []
        """The inbox's files as last read (the table's rows, in order)."""
        self.outbox: list[FileEntry] = []
        """The outbox's files as last read."""

    def screen_title(self) -> str:
        return _("My files")

    def compose_body(self) -> ComposeResult:
        settings = self.portal.services.settings
        login = self.portal.member.login
        with VerticalScroll(id="files-page", classes="page"):
            yield Static(
                Content(
                    _(
                        "Upload a document: {scp}\nOr connect with: {sftp}  (folders inbox/ and"
                        " outbox/)",
                        scp=files.scp_command(settings, login, "payslip.pdf"),
                        sftp=files.sftp_command(settings, login),
                    )
                ),
                id="files-commands",
            )
            yield Static(_("inbox/: your uploads"), classes="heading")
            inbox = DataTable(id="files-inbox", cursor_type="row")
            yield inbox
            yield Static(_("outbox/: invoices, e-cards and exports (read-only)"), classes="heading")
            outbox = DataTable(id="files-outbox", cursor_type="row")
            yield outbox
            yield Static("", id="files-status")

    def on_mount(self) -> None:
        self.reload()

    @work(exclusive=True, group="files-reload")
    async def reload(self) -> None:
        """Read both folders again (in a thread) and redraw the tables."""
        settings = self.portal.services.settings
        login = self.portal.member.login
        self.inbox = await asyncio.to_thread(files.list_inbox, settings, login)
        self.outbox = await asyncio.to_thread(files.list_outbox, settings, login)
        self._fill("#files-inbox", self.inbox, _("Your inbox is empty."))
        self._fill("#files-outbox", self.outbox, _("Your outbox is empty."))
        self.query_one("#files-inbox", DataTable).focus()

    def _fill(self, selector: str, entries: list[FileEntry], empty: str) -> None:
        t = current()
        table = self.query_one(selector, DataTable)
        table.clear(columns=True)
        table.add_column(_("File"), width=44, key="name", flex=True)
        table.add_column(_("Size"), width=10, key="size", kind=AMOUNT)
        table.add_column(_("Modified"), width=18, key="modified")
        for entry in entries:
            table.add_row(entry.name, files.format_size(t, entry.size), _when(entry.modified))
        if not entries:
            table.add_row(empty, "", "")

    def _say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#files-status", Static)
        status.update(Content(text))
        status.set_class(error, "error")

    def action_reload(self) -> None:
        """Read the folders again."""
        self.reload()

    def action_delete_file(self) -> None:
        """Ask, then delete the highlighted inbox file."""
        table = self.query_one("#files-inbox", DataTable)
        row = table.cursor_row
        if not self.inbox or row < 0 or row >= len(self.inbox):
            self._say(_("Choose a file of your inbox first."), error=True)
            return
        name = self.inbox[row].name

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(name)

        self.app.push_screen(
            ConfirmDialog(_("Delete {name} from your inbox?", name=name), _("Delete")), answered
        )

    @work(exclusive=True, group="files-delete")
    async def delete(self, name: str) -> None:
        """Delete one inbox file (in a thread), then read the folders again."""
        settings = self.portal.services.settings
        try:
            await asyncio.to_thread(
                files.remove_inbox_file, settings, self.portal.member.login, name
            )
        except PortalError as exc:
            self._say(exc.text(), error=True)
        else:
            self._say(_("{name} was deleted.", name=name))
        self.reload()


def _when(stamp: float) -> str:
    """A file's modification time, in Paris time, for the session's locale."""
    return current().datetime(dt.datetime.fromtimestamp(stamp, PARIS), "short")
