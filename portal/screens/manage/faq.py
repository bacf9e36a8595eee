"""The help editor: questions and answers in French and English.

A platform admin edits the platform's questions (every member reads them) and sees every
organization's additions, each row naming its organization; a manager adds, changes and
removes their own organization's questions, which only its members read. Each entry is
typed in four steps (question and answer, French then English).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from portal.i18n import N_, _
from portal.screens.manage.listing import ManageListScreen
from portal.services import help as help_service
from portal.services.help import HelpEntry
from portal.widgets.dialogs import AskDialog, ConfirmDialog
from portal.widgets.table import DataTable


class FaqEditorScreen(ManageListScreen[HelpEntry]):
    """The table of entries the actor edits, and the keys to change them."""

    CSS_PATH = "../../styles/admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "create", "New question", id="faq_editor.create"),
        Binding("e", "edit", "Edit", id="faq_editor.edit"),
        Binding("delete,x", "delete", "Delete", key_display="Del", id="faq_editor.delete"),
    ]
    TABLE_ID = "faq-table"
    MESSAGE_ID = "faq-message"
    DENIED = N_("You may not change this question.")

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
        self.add_columns((_("Question"), "question"), (_("Organization"), "organization"))
        self.reload()

    async def fetch(self) -> list[HelpEntry]:
        return await self.portal.call(help_service.editable_entries, self.portal.member)

    def cells(self, item: HelpEntry) -> list[Any]:
        return [
            item.question(self.portal.member.language),
            item.organization_name or _("Platform (every organization)"),
        ]

    def key(self, item: HelpEntry) -> str:
        return str(item.id)

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
        entry = self.selected()
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
        entry = self.selected()
        if entry is None:
            return
        self.confirm(
            ConfirmDialog(_("Delete this question for every member who sees it?"), _("Delete")),
            help_service.delete_entry,
            entry.id,
            done=_("Question deleted."),
        )
