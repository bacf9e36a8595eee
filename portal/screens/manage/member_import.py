"""CSV import of members from the manager's SFTP inbox: dry run, then import with progress.

The screen lists the CSV files of the manager's inbox (with the ``sftp`` command to put
one there). Choosing a file runs the dry run (``member_import.plan``): counts, groups that
will be created, and every refusal by line and column. ``i`` imports after a
confirmation: one worker call per batch (each its own transaction on a database thread),
so the event loop updates the progress bar and serves other sessions between batches.
The columns are documented in ``portal.services.member_import``.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.services import files, member_import
from portal.services.errors import PortalError
from portal.services.member_import import ImportPlan, ImportSummary
from portal.widgets.dialogs import YesNoDialog
from portal.widgets.table import AMOUNT, DataTable

COLUMNS_HELP = (
    "login; first_name; last_name; email; groups; family_situation; children_birth_years; "
    "quotient_familial"
)


class MemberImportScreen(PortalScreen):
    """Choose a CSV file of the inbox, read its dry run, import it."""

    CSS_PATH = "../../styles/admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "start_import", "Import", id="import.start"),
        Binding("f5", "reload", "Refresh", id="import.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.plan: ImportPlan | None = None
        self.summary: ImportSummary | None = None
        self.running = False

    def screen_title(self) -> str:
        return _("Import members (CSV)")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="import", classes="page"):
            yield Static("", id="import-help")
            yield OptionList(id="import-files")
            yield Static("", id="import-plan")
            yield ProgressBar(id="import-progress", show_eta=False)
            yield DataTable(id="import-issues", cursor_type="row", zebra_stripes=True)
            yield Static("", id="import-message")

    def on_mount(self) -> None:
        settings = self.portal.services.settings
        self.query_one("#import-help", Static).update(
            Content(
                _(
                    "Put a CSV file in your inbox ({command}), then choose it. Columns: "
                    "{columns} (groups separated by |).",
                    command=files.sftp_command(settings, self.portal.member.login),
                    columns=COLUMNS_HELP,
                )
            )
        )
        table = self.query_one("#import-issues", DataTable)
        table.add_column(_("Line"), key="line", kind=AMOUNT)
        table.add_column(_("Column"), key="column")
        table.add_column(_("Problem"), key="problem", flex=True)
        self.query_one("#import-progress", ProgressBar).display = False
        table.display = False
        self.query_one("#import-files", OptionList).focus()
        self.reload()

    def action_reload(self) -> None:
        """List the inbox again."""
        self.reload()

    @work(exclusive=True, group="import-files")
    async def reload(self) -> None:
        """Read the inbox's CSV files."""
        entries = await self.portal.call(
            member_import.inbox_files, self.portal.member, settings=self.portal.services.settings
        )
        menu = self.query_one("#import-files", OptionList)
        menu.clear_options()
        if not entries:
            menu.add_option(Option(_("No CSV file in your inbox."), id="", disabled=True))
        for entry in entries:
            menu.add_option(Option(Content(entry.name), id=entry.name))

    def _say(self, message: str, *, error: bool = False) -> None:
        widget = self.query_one("#import-message", Static)
        widget.update(Content(message))
        widget.set_classes("error" if error else "success")

    @on(OptionList.OptionSelected, "#import-files")
    def choose(self, event: OptionList.OptionSelected) -> None:
        """Run the dry run of the chosen file."""
        if event.option.id and not self.running:
            self.dry_run(event.option.id)

    @work(exclusive=True, group="import-plan")
    async def dry_run(self, name: str) -> None:
        """Check every row of the file; nothing is written."""
        self._say(_("Checking {file}…", file=name))
        try:
            plan: ImportPlan = await self.portal.call(
                member_import.plan_inbox_file,
                self.portal.member,
                name,
                settings=self.portal.services.settings,
            )
        except PortalError as error:
            self.plan = None
            self.query_one("#import-plan", Static).update("")
            self.query_one("#import-issues", DataTable).display = False
            self._say(error.text(), error=True)
            return
        self.plan = plan
        self.summary = None
        self._show_plan(plan)

    def _show_plan(self, plan: ImportPlan) -> None:
        lines = [
            _(
                "{file}: {total} lines. To create: {create}, to update: {update}, "
                "unchanged: {unchanged}, refused: {rejected}.",
                file=plan.file_name,
                total=plan.total,
                create=plan.count("create"),
                update=plan.count("update"),
                unchanged=plan.count("unchanged"),
                rejected=plan.rejected_lines,
            )
        ]
        if plan.new_groups:
            lines.append(_("Groups to create: {groups}", groups=", ".join(plan.new_groups)))
        lines.append(
            _("Press i to import the rows without a problem.")
            if plan.rows
            else _("Nothing to import.")
        )
        self.query_one("#import-plan", Static).update(Content("\n".join(lines)))
        self._show_issues(plan.issues)
        self._say("")

    def _show_issues(self, issues: tuple[member_import.ImportIssue, ...]) -> None:
        table = self.query_one("#import-issues", DataTable)
        table.clear()
        for issue in issues:
            table.add_row(issue.line, issue.column or "—", issue.text())
        table.display = bool(issues)

    def action_start_import(self) -> None:
        """Import the checked rows, after a confirmation."""
        plan = self.plan
        if plan is None or self.running:
            return
        if not plan.rows:
            self._say(_("Nothing to import."), error=True)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_import(plan)

        self.app.push_screen(
            YesNoDialog(
                _(
                    "Import {n} rows? New members receive an invitation by email.",
                    n=len(plan.rows),
                ),
                _("Import"),
            ),
            answered,
        )

    @work(exclusive=True, group="import-run")
    async def run_import(self, plan: ImportPlan) -> None:
        """One batch per worker call; the progress bar moves between batches."""
        self.running = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=len(plan.rows), progress=0)
        results = []
        done = 0
        try:
            for batch in member_import.batches(plan.rows):
                result = await self.portal.call(
                    member_import.apply_batch,
                    self.portal.member,
                    batch,
                    organization_id=plan.organization_id,
                    settings=self.portal.services.settings,
                )
                results.append(result)
                done += len(batch)
                bar.update(progress=done)
                self._say(_("Imported {done} of {total} rows…", done=done, total=len(plan.rows)))
        except PortalError as error:
            self._say(error.text(), error=True)
            return
        except PermissionError:
            self._say(_("You may no longer import members."), error=True)
            return
        finally:
            self.running = False
        summary = member_import.summarize(plan, results)
        self.summary = summary
        self.plan = None
        self.query_one("#import-plan", Static).update("")
        self._show_issues(summary.issues)
        self._say(
            _(
                "Import done. Created: {created}, updated: {updated}, unchanged: {unchanged}, "
                "rejected: {rejected}.",
                created=summary.created,
                updated=summary.updated,
                unchanged=summary.unchanged,
                rejected=summary.rejected,
            )
        )
