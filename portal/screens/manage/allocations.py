"""Allocations (managers): the organization's programs, and their yearly renewal.

The list shows the organization's programs (what was given, to whom — everyone, groups
or listed members —, to how many members, until when). ``n`` opens the allocation form
(``allocation_form``), ``u`` the subsidy rules (``rule_form``); ``r`` renews the
previous year's continuing programs under next year's name, after showing the members
whose gift vouchers would become liable (URSSAF). Every allocation and rule is audited.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from portal.i18n import N_, _, money
from portal.screens.base import PortalScreen
from portal.screens.manage.allocation_form import AllocationFormScreen, warning_lines
from portal.screens.manage.rule_form import RuleFormScreen
from portal.services import allocations, renewal
from portal.services.allocations import Program
from portal.services.benefits import KIND_LABELS
from portal.services.clock import today_paris
from portal.services.errors import UserError
from portal.services.renewal import RenewalPreview
from portal.widgets.dialogs import AskDialog, YesNoDialog
from portal.widgets.table import AMOUNT, DataTable

AUDIENCES: dict[str, str] = {
    "all": N_("Everyone"),
    "group": N_("Groups"),
    "member": N_("Listed"),
}
"""Who a program is for (message ids)."""


class ManageAllocationsScreen(PortalScreen):
    """The organization's programs; ``n`` allocates, ``r`` renews a year."""

    CSS_PATH = "../../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new", "Allocate", id="allocations.new"),
        Binding("r", "renew", "Renew", id="allocations.renew"),
        Binding("u", "rules", "Rules", id="allocations.rules"),
    ]

    class Loaded(Message):
        """The organization's programs."""

        def __init__(self, programs: list[Program], note: str = "", error: bool = False) -> None:
            super().__init__()
            self.programs = programs
            self.note = note
            self.error = error

    class RenewalPreviewed(Message):
        """What a renewal would do, to confirm."""

        def __init__(self, preview: RenewalPreview) -> None:
            super().__init__()
            self.preview = preview

    def __init__(self) -> None:
        super().__init__()
        self.programs: list[Program] = []

    def screen_title(self) -> str:
        return _("Allocations")

    def compose_body(self) -> ComposeResult:
        table = DataTable(id="programs-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="programs-message")

    def on_mount(self) -> None:
        self.query_one("#programs-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.load()

    @work(exclusive=True, group="programs")
    async def load(self, note: str = "", error: bool = False) -> None:
        """Read the organization's programs."""
        programs = await self.portal.call(allocations.list_programs, self.portal.member)
        self.post_message(self.Loaded(programs, note, error))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.programs = message.programs
        table = self.query_one("#programs-table", DataTable)
        table.clear(columns=True)
        table.add_column(_("Allocation"), width=12, key="label", flex=True)
        table.add_column(_("Kind"), width=16, key="kind")
        table.add_column(_("For"), width=8, key="for")
        table.add_column(_("Amount"), width=10, key="amount", kind=AMOUNT)
        table.add_column(_("Members"), width=7, key="members", kind=AMOUNT)
        table.add_column(_("Until"), width=10, key="until")
        t = self.portal.translator()
        for p in self.programs:
            table.add_row(
                p.label,
                _(KIND_LABELS.get(p.kind, p.kind)),
                _(AUDIENCES.get(p.target, p.target)),
                money(p.amount_cents),
                p.members,
                t.date(p.valid_until, "short"),
                key=str(p.id),
            )
        box = self.query_one("#programs-message", Static)
        text = message.note or (
            _("Nothing allocated yet. Press n to allocate.") if not self.programs else ""
        )
        box.update(Content(text))
        box.set_class(message.error, "error")

    def action_new(self) -> None:
        """Open the allocation form."""
        self.app.push_screen(AllocationFormScreen())

    def action_rules(self) -> None:
        """Open the subsidy rules."""
        self.app.push_screen(RuleFormScreen())

    def action_renew(self) -> None:
        """Ask the year, confirm, and renew the previous year's continuing programs."""
        year = today_paris().year + 1

        def asked(text: str | None) -> None:
            if text is None:
                return
            if not text.strip().isdigit() or not 2000 <= int(text) <= 2100:
                self.load(_("The year is not valid."), True)
                return
            self.run_renewal_preview(int(text))

        self.app.push_screen(
            AskDialog(_("Renew the allocations for which year?"), value=str(year), max_length=4),
            asked,
        )

    @work(exclusive=True, group="programs-action")
    async def run_renewal_preview(self, year: int) -> None:
        """Say what the renewal would credit and who would become liable (URSSAF)."""
        try:
            preview = await self.portal.call(
                renewal.preview_renewal,
                year,
                settings=self.portal.services.settings,
                actor=self.portal.member,
            )
        except UserError as error:
            self.load(error.text(self.portal.translator()), True)
            return
        self.post_message(self.RenewalPreviewed(preview))

    @on(RenewalPreviewed)
    def _renewal_previewed(self, message: RenewalPreviewed) -> None:
        preview = message.preview
        lines = [
            _(
                "Create {year}'s programs, under {year}'s names, for the {n} program(s) of "
                "{previous} that continue ({members} member allocation(s))? What is left of "
                "{previous} lapses at its end.",
                year=preview.year,
                previous=preview.year - 1,
                n=len(preview.plans),
                members=preview.allocations,
            )
        ]
        if preview.warnings:
            lines += warning_lines(preview.warnings, preview.year, self.portal.translator())

        def confirmed(answer: bool | None) -> None:
            if answer:
                self.run_renew(preview.year, bool(preview.warnings))

        self.app.push_screen(YesNoDialog("\n".join(lines), _("Renew")), confirmed)

    @work(exclusive=True, group="programs-action")
    async def run_renew(self, year: int, acknowledge: bool = False) -> None:
        """Renew through the service and report."""
        try:
            result = await self.portal.call(
                renewal.renew,
                year,
                actor=self.portal.member,
                settings=self.portal.services.settings,
                acknowledge_urssaf=acknowledge,
            )
        except UserError as error:
            self.load(error.text(self.portal.translator()), True)
            return
        self.load(
            _(
                "Renewed for {year}: {programs} program(s), {allocations} member allocation(s).",
                year=year,
                programs=result.programs,
                allocations=result.allocations,
            )
        )
