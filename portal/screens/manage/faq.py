"""The help editor: questions and answers in French and English.

A platform admin edits the platform's questions (every member reads them) and sees every
organization's additions, each row naming its organization; a manager adds, changes and
removes their own organization's questions, which only its members read. Each entry is
typed in four steps (question and answer, French then English).
"""

from __future__ import annotations

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
from portal.services import help as help_service
from portal.services.errors import PortalError
from portal.services.help import HelpEntry
from portal.widgets.dialogs import AskDialog, ConfirmDialog
from portal.widgets.table import DataTable


class FaqEditorScreen(PortalScreen):
    """The table of entries the actor edits, and the keys to change them."""

    CSS_PATH = "../../styles/admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create", "New question", id="faq_editor.create"),
        Binding("e", "edit", "Edit", id="faq_editor.edit"),
        Binding("delete,x", "delete", "Delete", key_display="Del", id="faq_editor.delete"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[HelpEntry] = []

    def screen_title(self) -> str:
        return _("Help for members")

    def compose_body(self) -> ComposeResult:
        admin = self.portal.member.role == "admin"
        with Vertical(id="faq-editor", classes="page"):
            yield Static(
                _("You edit the platform's questions; organizations add their own.")
                if admin
                else _("Your organization's questions, shown to its members after the platform's."),
                id="faq-editor-help",
            )
            yield DataTable(id="faq-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="faq-message")

    def on_mount(self) -> None:
        table = self.query_one("#faq-table", DataTable)
        table.add_column(_("Question"), key="question")
        table.add_column(_("Organization"), key="organization")
        table.focus()
        self.reload()

    @work(exclusive=True, group="faq-editor")
    async def reload(self) -> None:
        """Read the entries again."""
        self.entries = await self.portal.call(help_service.editable_entries, self.portal.member)
        language = self.portal.member.language
        table = self.query_one("#faq-table", DataTable)
        row = table.cursor_row
        table.clear()
        for entry in self.entries:
            table.add_row(
                entry.question(language),
                entry.organization_name or _("Platform (every organization)"),
                key=str(entry.id),
            )
        if self.entries:
            table.move_cursor(row=min(row, len(self.entries) - 1))

    def _selected(self) -> HelpEntry | None:
        table = self.query_one("#faq-table", DataTable)
        if not self.entries or table.cursor_row < 0:
            return None
        return self.entries[min(table.cursor_row, len(self.entries) - 1)]

    def _say(self, message: str, *, error: bool = False) -> None:
        widget = self.query_one("#faq-message", Static)
        widget.update(Content(message))
        widget.set_classes("error" if error else "success")

    def _ask_texts(self, start: tuple[str, str, str, str], done: Callable[..., None]) -> None:
        """Four questions in a row; ``done(qfr, afr, qen, aen)`` once all are typed."""
        prompts = (
            (_("Question in French:"), 200),
            (_("Answer in French:"), 2000),
            (_("Question in English:"), 200),
            (_("Answer in English:"), 2000),
        )
        typed: list[str] = []

        def ask(index: int) -> None:
            question, length = prompts[index]

            def answered(value: str | None) -> None:
                if value is None:
                    return
                typed.append(value)
                if index + 1 < len(prompts):
                    ask(index + 1)
                else:
                    done(*typed)

            self.app.push_screen(
                AskDialog(question, value=start[index], max_length=length), answered
            )

        ask(0)

    @work(group="faq-change")
    async def change(self, fn: Callable[..., Any], *args: Any, done: str, **kwargs: Any) -> None:
        """Run one change, then read the entries again."""
        try:
            await self.portal.call(fn, self.portal.member, *args, **kwargs)
        except PortalError as error:
            self._say(error.text(), error=True)
            return
        except PermissionError:
            self._say(_("You may not change this question."), error=True)
            return
        self._say(done)
        self.reload()

    def action_create(self) -> None:
        """A new question: the platform's for an admin, the organization's for a manager."""
        member = self.portal.member
        organization_id = None if member.role == "admin" else member.organization_id

        def done(qfr: str, afr: str, qen: str, aen: str) -> None:
            self.change(
                help_service.add_entry,
                organization_id=organization_id,
                question_fr=qfr,
                answer_fr=afr,
                question_en=qen,
                answer_en=aen,
                done=_("Question added."),
            )

        self._ask_texts(("", "", "", ""), done)

    def action_edit(self) -> None:
        """Change the selected question's texts."""
        entry = self._selected()
        if entry is None:
            return

        def done(qfr: str, afr: str, qen: str, aen: str) -> None:
            self.change(
                help_service.update_entry,
                entry.id,
                question_fr=qfr,
                answer_fr=afr,
                question_en=qen,
                answer_en=aen,
                done=_("Saved."),
            )

        self._ask_texts(
            (entry.question_fr, entry.answer_fr, entry.question_en, entry.answer_en), done
        )

    def action_delete(self) -> None:
        """Delete the selected question, after a confirmation."""
        entry = self._selected()
        if entry is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(help_service.delete_entry, entry.id, done=_("Question deleted."))

        self.app.push_screen(
            ConfirmDialog(_("Delete this question for every member who sees it?"), _("Delete")),
            answered,
        )
