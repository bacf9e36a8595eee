"""Justificatifs (management): review the documents members attached, oldest first.

A manager sees the pending documents of their own organization (an admin: every one),
with their count in the title. ``o`` copies the highlighted document's file into the
manager's own outbox (to open it from their computer with sftp), ``v`` validates it with
the values it proves (family situation, children's birth years, quotient familial,
entered or computed from the tax notice), ``r`` refuses it with a reason. The member is
emailed either way.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Label, Select, Static

from portal.i18n import N_, _, ngettext
from portal.screens.base import PortalScreen, TitleBar
from portal.screens.credentials import size_text, type_text
from portal.services import credentials, family, files
from portal.services.credentials import Credential, ProvenValues
from portal.services.errors import PortalError
from portal.services.family import FamilyData, FamilyError
from portal.services.text import ascii_digits
from portal.widgets.dialogs import AskDialog
from portal.widgets.footer import PortalFooter
from portal.widgets.pacing import PromptModalScreen
from portal.widgets.table import DataTable

_CSS = "../../styles/credentials.tcss"


class ValidateDialog(PromptModalScreen[ProvenValues | None]):
    """Ask for the values a document proves, then validate (Escape: cancel)."""

    CSS_PATH = _CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="manage_credentials.validate_cancel"),
        Binding("ctrl+s", "confirm", "Validate", id="manage_credentials.validate_confirm"),
    ]

    def __init__(self, credential: Credential, current: FamilyData) -> None:
        super().__init__()
        self.credential = credential
        self.current = current
        self.proves = credentials.PROVES[credential.type]

    def compose(self) -> ComposeResult:
        doc = self.credential
        with Vertical(classes="credentials-dialog"):
            yield Static(
                Content(
                    _(
                        "Validate “{document}” of {name}",
                        document=type_text(doc),
                        name=doc.member_name,
                    )
                ),
                classes="heading",
            )
            if not self.proves:
                yield Static(_("This document proves no value used by the subsidy rules."))
            if "situation" in self.proves:
                yield Label(_("Family situation"))
                yield Select(
                    [(_(label), key) for key, label in family.SITUATIONS.items()],
                    value=self.current.situation or Select.BLANK,
                    prompt=_("Choose"),
                    id="situation",
                    compact=True,
                )
            if "children" in self.proves:
                yield Label(_("Children's birth years (such as 2015, 2018)"))
                yield Input(
                    ", ".join(str(y) for y in self.current.children_birth_years),
                    id="children",
                    max_length=120,
                    compact=True,
                )
            if "quotient_familial" in self.proves:
                yield Label(_("Quotient familial in euros, or leave empty and fill both below"))
                yield Input(id="qf", max_length=7, compact=True)
                yield Label(_("Revenu fiscal de référence (euros)"))
                yield Input(id="rfr", max_length=9, compact=True)
                yield Label(_("Number of parts (such as 2.5)"))
                yield Input(id="parts", max_length=5, compact=True)
            yield Static("", id="validate-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    f"{_('Validate')} (ctrl+s)", id="validate", variant="success", compact=True
                )
                yield Button(f"{_('Cancel')} (Esc)", id="cancel", compact=True)
        yield PortalFooter()

    def on_mount(self) -> None:
        inputs = self.query(Input)
        if inputs:
            inputs.first().focus()
        else:
            self.query_one("#validate", Button).focus()

    def _number(self, widget_id: str) -> int | None:
        text = self.query_one(f"#{widget_id}", Input).value.strip().replace(" ", "")
        if not text:
            return None
        if not ascii_digits(text):
            raise FamilyError(N_("Type whole euros, in digits."))
        return int(text)

    def values(self) -> ProvenValues:
        """What was typed, read into values (a FamilyError for what cannot be read)."""
        situation = None
        children = None
        qf = rfr = None
        parts = None
        if "situation" in self.proves:
            chosen = self.query_one("#situation", Select).value
            situation = chosen if isinstance(chosen, str) else None
        if "children" in self.proves:
            children = family.parse_birth_years(self.query_one("#children", Input).value)
        if "quotient_familial" in self.proves:
            qf = self._number("qf")
            rfr = self._number("rfr")
            parts = self.query_one("#parts", Input).value.strip() or None
            if qf is None and rfr is not None and parts is not None:
                qf = family.quotient_from_tax_notice(rfr, parts)
        return ProvenValues(
            situation=situation,
            children_birth_years=children,
            quotient_familial=qf,
            rfr_euros=rfr,
            parts=parts,
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#validate")
    def action_confirm(self) -> None:
        """Validate with the values typed (refused here when they cannot be read)."""
        try:
            values = self.values()
        except PortalError as error:
            self.query_one("#validate-error", Static).update(Content(error.text()))
            return
        self.dismiss(values)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without validating."""
        self.dismiss(None)


class ManageCredentialsScreen(PortalScreen):
    """Pending documents of the manager's organization, oldest first."""

    CSS_PATH = _CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "fetch", "To my outbox", id="manage_credentials.fetch"),
        Binding("v", "validate", "Validate", id="manage_credentials.validate"),
        Binding("r", "refuse", "Refuse", id="manage_credentials.refuse"),
        Binding("f5", "reload", "Refresh", id="manage_credentials.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._pending: list[Credential] = []

    def screen_title(self) -> str:
        if not self._pending:
            return _("Credentials to review")
        return _("Credentials to review ({n})", n=len(self._pending))

    def compose_body(self) -> ComposeResult:
        with Vertical(id="manage-credentials", classes="page"):
            yield Static("", id="pending-count", classes="heading")
            yield DataTable(id="pending", cursor_type="row", zebra_stripes=True)
            yield Static("", id="pending-detail")
            yield Static("", id="manage-credentials-status")

    def on_mount(self) -> None:
        table = self.query_one("#pending", DataTable)
        table.add_column(_("Date"), key="date")
        table.add_column(_("Member"), key="member")
        table.add_column(_("Document"), key="type")
        table.add_column(_("File"), key="file")
        table.focus()
        self.reload()

    @work(exclusive=True, group="manage-credentials")
    async def reload(self) -> None:
        """Read the pending documents again."""
        self._pending = await self.portal.call(credentials.list_pending, self.portal.member)
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#pending", DataTable)
        table.clear()
        for doc in self._pending:
            cells = [
                doc.updated_at[:10],
                doc.member_name[:22],
                type_text(doc)[:26],
                doc.original_name[:20],
            ]
            table.add_row(*cells, key=str(doc.id))
        count = len(self._pending)
        self.query_one(TitleBar).set_title(self.screen_title())
        self.query_one("#pending-count", Static).update(
            _("No document is waiting.")
            if not count
            else ngettext(
                "{n} document waiting for a decision", "{n} documents waiting for a decision", count
            )
        )
        self._show_detail()

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#manage-credentials-status", Static)
        status.update(Content(text))
        status.set_class(error, "error")

    def _selected(self) -> Credential | None:
        table = self.query_one("#pending", DataTable)
        row = table.cursor_row
        if not self._pending or row is None or not 0 <= row < len(self._pending):
            return None
        return self._pending[row]

    @on(DataTable.RowHighlighted, "#pending")
    def _show_detail(self) -> None:
        doc = self._selected()
        detail = self.query_one("#pending-detail", Static)
        if doc is None:
            detail.update("")
            return
        lines = [
            f"{doc.member_name} ({doc.member_login}) · {type_text(doc)}",
            _(
                "{file} · {size} · sent on {date}",
                file=doc.original_name,
                size=size_text(doc.size),
                date=doc.updated_at[:10],
            ),
        ]
        if doc.note:
            lines.append(_("Note: {note}", note=doc.note))
        detail.update(Content("\n".join(lines)))

    def action_reload(self) -> None:
        """Refresh the list."""
        self.reload()

    def action_fetch(self) -> None:
        """Copy the highlighted document's file into my outbox."""
        doc = self._selected()
        if doc is not None:
            self.fetch(doc)

    @work(exclusive=True, group="manage-credentials-act")
    async def fetch(self, doc: Credential) -> None:
        """Ask the service for the copy, and say where it is."""
        settings = self.portal.services.settings
        try:
            name = await self.portal.call(
                credentials.fetch_to_outbox, settings, self.portal.member, doc.id
            )
        except PortalError as error:
            self._status(error.text(), error=True)
            return
        self._status(
            _(
                "{file} is in your outbox: {command}, then get outbox/{file}",
                file=name,
                command=files.sftp_command(settings, self.portal.member.login),
            )
        )

    def action_validate(self) -> None:
        """Validate the highlighted document (asking for the values it proves)."""
        doc = self._selected()
        if doc is not None:
            self.open_validation(doc)

    @work(exclusive=True, group="manage-credentials-act")
    async def open_validation(self, doc: Credential) -> None:
        """Read the member's current values, then ask for the proven ones."""
        try:
            current = await self.portal.call(family.get_family, self.portal.member, doc.member_id)
        except PortalError as error:
            self._status(error.text(), error=True)
            return

        def answered(values: ProvenValues | None) -> None:
            if values is not None:
                self.decide(doc, values, None)

        self.app.push_screen(ValidateDialog(doc, current), answered)

    def action_refuse(self) -> None:
        """Refuse the highlighted document with a reason."""
        doc = self._selected()
        if doc is None:
            return

        def answered(reason: str | None) -> None:
            if reason is not None and reason.strip():
                self.decide(doc, None, reason)
            elif reason is not None:
                self._status(_("Please give a reason: the member will read it."), error=True)

        question = _(
            "Why is “{document}” of {name} refused? (sent to the member)",
            document=type_text(doc),
            name=doc.member_name,
        )
        self.app.push_screen(AskDialog(question, max_length=500), answered)

    @work(exclusive=True, group="manage-credentials-decide")
    async def decide(
        self, doc: Credential, values: ProvenValues | None, reason: str | None
    ) -> None:
        """Validate (values) or refuse (a reason), then refresh the list."""
        try:
            if values is not None:
                await self.portal.call(credentials.validate, self.portal.member, doc.id, values)
                message = _("The document of {name} was validated.", name=doc.member_name)
            else:
                await self.portal.call(credentials.refuse, self.portal.member, doc.id, reason or "")
                message = _("The document of {name} was refused.", name=doc.member_name)
        except PortalError as error:
            self._status(error.text(), error=True)
            return
        self._pending = await self.portal.call(credentials.list_pending, self.portal.member)
        self._fill()
        self._status(message)
