"""Mes justificatifs: the member's credential documents, attached from their SFTP inbox.

The list shows each document's type, file and status (en attente, validé, refusé with
the manager's reason); the highlighted one's details are shown below it. Until a manager
validates a document, ``r`` replaces its file (picked from the inbox again) and ``d``
deletes it; ``a`` opens the attach form (a file of the inbox, its type, a note). When the
inbox is empty, the screens show the exact ``sftp``/``scp`` commands that fill it.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from portal.config import Settings
from portal.i18n import _, ngettext
from portal.screens.base import PortalScreen
from portal.services import credentials, family, files
from portal.services.credentials import Credential
from portal.services.errors import PortalError
from portal.services.family import FamilyData
from portal.services.files import FileEntry
from portal.widgets.dialogs import ConfirmDialog
from portal.widgets.footer import PortalFooter
from portal.widgets.pacing import PromptModalScreen
from portal.widgets.table import DataTable

_CSS = "../styles/credentials.tcss"


def type_text(credential: Credential) -> str:
    """The document's type in the session's language (the member's label for ``other``)."""
    if credential.type == "other":
        return credential.label
    return _(credentials.TYPES[credential.type])


def size_text(size: int) -> str:
    """A file size for people (ko/Mo in French)."""
    if size < 1024 * 1024:
        return _("{n} KB", n=max(1, round(size / 1024)))
    return _("{n} MB", n=round(size / (1024 * 1024), 1))


def empty_inbox_hint(settings: Settings, login: str) -> str:
    """How to fill the inbox: the real sftp and scp commands."""
    return _(
        "Your inbox is empty. Upload the document from your computer with\n"
        "  {scp}\nor connect with {sftp} and put it in inbox/.",
        scp=files.scp_command(settings, login),
        sftp=files.sftp_command(settings, login),
    )


def family_summary(data: FamilyData) -> str:
    """One line: what the subsidy rules know of the member's family."""
    unknown = _("not known")
    situation = _(family.SITUATIONS[data.situation]) if data.situation else unknown
    years = data.children_birth_years
    children = (
        ngettext(
            "{n} child ({years})",
            "{n} children ({years})",
            len(years),
            years=", ".join(str(y) for y in years),
        )
        if years
        else _("no child known")
    )
    qf = str(data.quotient_familial) if data.quotient_familial is not None else unknown
    return _(
        "Your profile: {situation} · {children} · quotient familial: {qf}",
        situation=situation,
        children=children,
        qf=qf,
    )


class InboxPicker(Vertical):
    """The inbox's files to pick one from, or the commands that upload one."""

    def compose(self) -> ComposeResult:
        yield OptionList(id="inbox-files")
        yield Static("", id="inbox-hint")

    def show(self, entries: list[FileEntry], hint: str) -> None:
        """Fill the list (or show ``hint`` when there is no file)."""
        options = self.query_one("#inbox-files", OptionList)
        options.clear_options()
        options.add_options(
            [Option(Content(f"{e.name}  ({size_text(e.size)})"), id=e.name) for e in entries]
        )
        options.display = bool(entries)
        if entries:
            options.highlighted = 0
        self.query_one("#inbox-hint", Static).update(Content("" if entries else hint))

    @property
    def chosen(self) -> str | None:
        """The highlighted file's name."""
        options = self.query_one("#inbox-files", OptionList)
        if options.highlighted is None or not options.option_count:
            return None
        return options.get_option_at_index(options.highlighted).id


class _InboxMixin:
    """Reads the member's inbox off the event loop."""

    async def _inbox(self, screen: PortalScreen) -> list[FileEntry]:
        settings = screen.portal.services.settings
        return await asyncio.to_thread(files.list_inbox, settings, screen.portal.member.login)


class AttachScreen(_InboxMixin, PortalScreen):
    """Attach a file of the inbox: pick it, choose its type, add a note."""

    CSS_PATH = _CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "attach", "Attach", id="credentials.attach_confirm"),
        Binding("f5", "reload", "Refresh", id="credentials.attach_reload"),
    ]

    def screen_title(self) -> str:
        return _("Attach a document")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="credential-attach", classes="page"):
            yield Static(_("1. A file of your inbox"), classes="heading")
            yield InboxPicker(id="picker")
            yield Static(_("2. What it is"), classes="heading")
            yield Select(
                [(_(label), key) for key, label in credentials.TYPES.items()],
                prompt=_("Type of document"),
                id="credential-type",
                compact=True,
            )
            yield Label(_("Name of the document (for another document)"))
            yield Input(id="credential-label", max_length=100, compact=True)
            yield Label(_("Note for the managers (optional)"))
            yield Input(id="credential-note", max_length=500, compact=True)
            yield Static("", id="attach-status")

    def on_mount(self) -> None:
        self.reload()

    @work(exclusive=True, group="credentials-inbox")
    async def reload(self) -> None:
        """Read the inbox again."""
        entries = await self._inbox(self)
        hint = empty_inbox_hint(self.portal.services.settings, self.portal.member.login)
        self.query_one(InboxPicker).show(entries, hint)
        if entries:
            self.query_one("#inbox-files", OptionList).focus()

    def action_reload(self) -> None:
        """Refresh the inbox's list."""
        self.reload()

    @on(Select.Changed, "#credential-type")
    def _type_changed(self, event: Select.Changed) -> None:
        self.query_one("#credential-label", Input).disabled = event.value != "other"

    @on(Input.Submitted)
    def action_attach(self) -> None:
        """Attach the chosen file with its type and note."""
        self.attach()

    @work(exclusive=True, group="credentials-attach")
    async def attach(self) -> None:
        """Send the form to the service; back to the list when it is done."""
        status = self.query_one("#attach-status", Static)
        name = self.query_one(InboxPicker).chosen
        kind = self.query_one("#credential-type", Select).value
        if name is None:
            status.update(_("Choose a file of your inbox first."))
            status.set_class(True, "error")
            return
        if not isinstance(kind, str):
            status.update(_("Choose the type of the document."))
            status.set_class(True, "error")
            return
        try:
            await self.portal.call(
                credentials.attach,
                self.portal.services.settings,
                self.portal.member,
                file_name=name,
                document_type=kind,
                label=self.query_one("#credential-label", Input).value,
                note=self.query_one("#credential-note", Input).value,
            )
        except PortalError as error:
            status.update(Content(error.text()))
            status.set_class(True, "error")
            return
        self.dismiss_to_list(name)

    def dismiss_to_list(self, name: str) -> None:
        """Back to the list, which says what was attached."""
        self.app.pop_screen()
        screen = self.app.screen
        if isinstance(screen, CredentialsScreen):
            screen.attached(name)


class PickFileDialog(_InboxMixin, PromptModalScreen[str | None]):
    """Pick the inbox file that replaces a document's file."""

    CSS_PATH = _CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="credentials.pick_cancel"),
        Binding("f5", "reload", "Refresh", id="credentials.pick_reload"),
    ]

    def __init__(self, screen: PortalScreen, credential: Credential) -> None:
        super().__init__()
        self._screen = screen
        self._credential = credential

    def compose(self) -> ComposeResult:
        with Vertical(classes="credentials-dialog"):
            yield Static(
                Content(
                    _(
                        "Replace the file of “{document}” by a file of your inbox:",
                        document=type_text(self._credential),
                    )
                ),
                classes="heading",
            )
            yield InboxPicker(id="picker")
            yield Static(_("Enter to replace, Escape to cancel."), classes="hint")
        yield PortalFooter()

    def on_mount(self) -> None:
        self.reload()

    @work(exclusive=True, group="credentials-pick")
    async def reload(self) -> None:
        """Read the inbox again."""
        entries = await self._inbox(self._screen)
        portal = self._screen.portal
        self.query_one(InboxPicker).show(
            entries, empty_inbox_hint(portal.services.settings, portal.member.login)
        )
        self.query_one("#inbox-files", OptionList).focus()

    def action_reload(self) -> None:
        """Refresh the inbox's list."""
        self.reload()

    @on(OptionList.OptionSelected, "#inbox-files")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Close without replacing."""
        self.dismiss(None)


class CredentialsScreen(PortalScreen):
    """The member's documents and what became of them."""

    CSS_PATH = _CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "attach", "Attach", id="credentials.attach"),
        Binding("r", "replace", "Replace", id="credentials.replace"),
        Binding("d", "delete", "Delete", id="credentials.delete"),
        Binding("f5", "reload", "Refresh", id="credentials.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._documents: list[Credential] = []

    def screen_title(self) -> str:
        return _("My credentials")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="credentials", classes="page"):
            yield Static(
                _(
                    "Documents proving a change in your situation (family, marriage, tax"
                    " notice...). You can replace or delete one until it is validated."
                ),
                id="credentials-intro",
            )
            yield Static("", id="family-summary")
            yield DataTable(id="documents", cursor_type="row", zebra_stripes=True)
            yield Static("", id="document-detail")
            yield Static("", id="credentials-status")

    def on_mount(self) -> None:
        table = self.query_one("#documents", DataTable)
        table.add_column(_("Date"), key="date")
        table.add_column(_("Document"), key="type")
        table.add_column(_("File"), key="file")
        table.add_column(_("Status"), key="status")
        table.focus()
        self.reload()

    @work(exclusive=True, group="credentials")
    async def reload(self) -> None:
        """Read the documents again."""
        me = self.portal.member
        self._documents = await self.portal.call(credentials.list_mine, me)
        data = await self.portal.call(family.get_family, me, me.id)
        self._fill()
        self.query_one("#family-summary", Static).update(Content(family_summary(data)))

    def _fill(self) -> None:
        table = self.query_one("#documents", DataTable)
        table.clear()
        for doc in self._documents:
            cells = [
                doc.created_at[:10],
                type_text(doc)[:30],
                doc.original_name[:24],
                _(credentials.STATUSES[doc.status]),
            ]
            table.add_row(*cells, key=str(doc.id))
        if not self._documents:
            self._status(_("No document yet: press a to attach one."))
        self._show_detail()

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#credentials-status", Static)
        status.update(Content(text))
        status.set_class(error, "error")

    def _selected(self) -> Credential | None:
        table = self.query_one("#documents", DataTable)
        row = table.cursor_row
        if not self._documents or row is None or not 0 <= row < len(self._documents):
            return None
        return self._documents[row]

    @on(DataTable.RowHighlighted, "#documents")
    def _show_detail(self) -> None:
        doc = self._selected()
        detail = self.query_one("#document-detail", Static)
        if doc is None:
            detail.update("")
            return
        lines = [
            _(
                "{document} · {file} · {size}",
                document=type_text(doc),
                file=doc.original_name,
                size=size_text(doc.size),
            )
        ]
        if doc.note:
            lines.append(_("Your note: {note}", note=doc.note))
        if doc.status == "refused":
            lines.append(_("Refused: {reason}", reason=doc.reason or ""))
        elif doc.status == "validated":
            lines.append(_("Validated: it can no longer be changed."))
        else:
            lines.append(_("Waiting for a manager's decision."))
        detail.update(Content("\n".join(lines)))

    def action_reload(self) -> None:
        """Refresh the list."""
        self.reload()

    def action_attach(self) -> None:
        """Open the attach form."""
        self.app.push_screen(AttachScreen())

    def attached(self, name: str) -> None:
        """Called when the attach form is done."""
        self._status(_("{file} was attached: it waits for a manager's decision.", file=name))
        self.reload()

    def _unlocked(self) -> Credential | None:
        doc = self._selected()
        if doc is not None and doc.status == "validated":
            self._status(_(credentials.LOCKED), error=True)
            return None
        return doc

    def action_replace(self) -> None:
        """Replace the highlighted document's file by a file of the inbox."""
        doc = self._unlocked()
        if doc is None:
            return

        def picked(name: str | None) -> None:
            if name:
                self.replace(doc, name)

        self.app.push_screen(PickFileDialog(self, doc), picked)

    @work(exclusive=True, group="credentials-change")
    async def replace(self, doc: Credential, name: str) -> None:
        """Send the replacement to the service."""
        try:
            await self.portal.call(
                credentials.replace,
                self.portal.services.settings,
                self.portal.member,
                doc.id,
                file_name=name,
            )
        except PortalError as error:
            self._status(error.text(), error=True)
            return
        self._status(_("The file was replaced by {file}.", file=name))
        self.reload()

    def action_delete(self) -> None:
        """Delete the highlighted document (after a confirmation)."""
        doc = self._unlocked()
        if doc is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(doc)

        question = _(
            "Delete “{document}” ({file}) and its file?",
            document=type_text(doc),
            file=doc.original_name,
        )
        self.app.push_screen(ConfirmDialog(question, _("Delete")), answered)

    @work(exclusive=True, group="credentials-change")
    async def delete(self, doc: Credential) -> None:
        """Send the deletion to the service."""
        try:
            await self.portal.call(
                credentials.delete, self.portal.services.settings, self.portal.member, doc.id
            )
        except PortalError as error:
            self._status(error.text(), error=True)
            return
        self._status(_("The document was deleted."))
        self.reload()
