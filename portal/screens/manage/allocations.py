"""Allocations (managers): give subsidies and vouchers, and renew them each year.

The list shows the organization's programs (what was given, to how many members, until
when). ``n`` opens the form: a kind, a name, an amount, a year, the rule a subsidy
follows or the URSSAF event a gift voucher is for, and the members (one, a group, or
all). Before anything is written the manager confirms a summary, which warns when a
gift voucher would take a member past the URSSAF exemption threshold of the year.
``r`` renews the previous year's continuing programs; ``u`` lists the subsidy rules and
creates new ones. Every allocation and rule is audited.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import (
    Button,
    DataTable,
    Input,
    Label,
    RadioSet,
    Select,
    SelectionList,
    Static,
)
from textual.widgets.selection_list import Selection

from portal.i18n import N_, _, money
from portal.screens.base import PortalScreen
from portal.screens.order_detail import AskDialog, YesNoDialog
from portal.services import wallet
from portal.services.orders import amount_line
from portal.services.wallet import (
    KIND_LABELS,
    LISTED_EVENTS,
    AllocationPreview,
    AllocationRequest,
    Program,
    UserError,
    today_paris,
)
from portal.widgets.toggles import Checkbox, RadioButton


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

    def __init__(self) -> None:
        super().__init__()
        self.programs: list[Program] = []

    def screen_title(self) -> str:
        return _("Allocations")

    def compose_body(self) -> ComposeResult:
        table: DataTable[Any] = DataTable(
            id="programs-table", cursor_type="row", zebra_stripes=True
        )
        yield table
        yield Static("", id="programs-message")

    def on_mount(self) -> None:
        self.query_one("#programs-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.load()

    @work(exclusive=True, group="programs")
    async def load(self, note: str = "", error: bool = False) -> None:
        """Read the organization's programs."""
        programs = await self.portal.call(wallet.list_programs, self.portal.member)
        self.post_message(self.Loaded(programs, note, error))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.programs = message.programs
        table = self.query_one("#programs-table", DataTable)
        table.clear(columns=True)
        width = max(12, self.size.width - 56)
        table.add_column(_("Allocation"), width=width)
        table.add_column(_("Kind"), width=16)
        table.add_column(_("Amount"), width=10)
        table.add_column(_("Members"), width=7)
        table.add_column(_("Until"), width=10)
        t = self.portal.translator()
        for p in self.programs:
            table.add_row(
                Content(p.label[:width]),
                _(KIND_LABELS.get(p.kind, p.kind)),
                money(p.amount_cents),
                str(p.members),
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

        def confirmed(target: int, answer: bool | None) -> None:
            if answer:
                self.run_renew(target)

        def asked(text: str | None) -> None:
            if text is None:
                return
            if not text.strip().isdigit() or not 2000 <= int(text) <= 2100:
                self.load(_("The year is not valid."), True)
                return
            target = int(text)
            question = _(
                "Credit {year}'s amounts of every program of {previous} that "
                "continues? What is left of {previous} lapses at its end.",
                year=target,
                previous=target - 1,
            )
            self.app.push_screen(
                YesNoDialog(question, _("Renew")), lambda answer: confirmed(target, answer)
            )

        self.app.push_screen(
            AskDialog(_("Renew the allocations for which year?"), value=str(year), max_length=4),
            asked,
        )

    @work(exclusive=True, group="programs-action")
    async def run_renew(self, year: int) -> None:
        """Renew through the service and report."""
        try:
            result = await self.portal.call(wallet.renew, year, actor=self.portal.member)
        except UserError as error:
            self.load(error.translated(self.portal.translator()), True)
            return
        self.load(
            _(
                "Renewed for {year}: {programs} program(s), {allocations} member allocation(s).",
                year=year,
                programs=result.programs,
                allocations=result.allocations,
            )
        )


class AllocationFormScreen(PortalScreen):
    """Give a subsidy or a voucher to one member, a group, or everyone."""

    CSS_PATH = "../../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Allocate", id="allocation.submit", priority=True),
    ]

    class Ready(Message):
        """The rules and members to choose from."""

        def __init__(self, rules: list[Any], members: list[Any]) -> None:
            super().__init__()
            self.rules = rules
            self.members = members

    class Previewed(Message):
        """The checked request, to confirm."""

        def __init__(self, preview: AllocationPreview) -> None:
            super().__init__()
            self.preview = preview

    class Said(Message):
        """A note or a refusal, translated."""

        def __init__(self, text: str, error: bool = False) -> None:
            super().__init__()
            self.text = text
            self.error = error

    def screen_title(self) -> str:
        return _("New allocation")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="allocation-form", classes="wallet-page"):
            with Horizontal(classes="form-row"):
                yield Label(_("Kind"), classes="field-label")
                with RadioSet(id="allocation-kind"):
                    for kind, label in KIND_LABELS.items():
                        yield RadioButton(_(label), value=kind == "gift", id=f"kind-{kind}")
            with Horizontal(classes="form-row"):
                yield Label(_("Name"), classes="field-label")
                yield Input(
                    placeholder=_("e.g. Chèque cadeau de Noël"),
                    id="allocation-label",
                    max_length=80,
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Amount (€)"), classes="field-label")
                yield Input(placeholder="50", id="allocation-amount", max_length=10, compact=True)
                yield Label(_("Year"), classes="field-label-short")
                yield Input(
                    str(today_paris().year), id="allocation-year", max_length=4, compact=True
                )
            with Horizontal(classes="form-row", id="allocation-rule-row"):
                yield Label(_("Rule"), classes="field-label")
                yield Select[int]([], prompt=_("Subsidy rule"), id="allocation-rule", compact=True)
            with Horizontal(classes="form-row", id="allocation-event-row"):
                yield Label(_("Event"), classes="field-label")
                yield Select[str](
                    [(_(label), code) for code, label in LISTED_EVENTS.items()],
                    prompt=_("URSSAF event (none)"),
                    id="allocation-event",
                    compact=True,
                )
            yield Checkbox(_("Renew it next year"), True, id="allocation-renews", compact=True)
            yield Checkbox(
                _("All members of the organization"), id="allocation-everyone", compact=True
            )
            yield Label(_("Members (space: choose)"), id="allocation-members-label")
            yield SelectionList[int](id="allocation-members", compact=True)
            yield Button(
                _("Allocate (Ctrl+S)"), id="allocation-submit", variant="primary", compact=True
            )
            yield Static("", id="allocation-message")

    def on_mount(self) -> None:
        self.query_one("#allocation-kind", RadioSet).focus()
        self._kind_changed()
        self.load_choices()

    @work(exclusive=True, group="allocation-choices")
    async def load_choices(self) -> None:
        """Read the organization's rules and members."""
        member = self.portal.member
        rules = await self.portal.call(wallet.list_rules, member)
        members = await self.portal.call(wallet.organization_members, member)
        self.post_message(self.Ready(rules, members))

    @on(Ready)
    def _ready(self, message: Ready) -> None:
        t = self.portal.translator()
        self.query_one("#allocation-rule", Select).set_options(
            (f"{r.label} · {wallet.describe_rule(r, t)}"[:70], r.id) for r in message.rules
        )
        members = self.query_one("#allocation-members", SelectionList)
        for m in message.members:
            members.add_option(Selection(Content(f"{m.full_name} ({m.login})"), m.id))
        if members.option_count:
            members.highlighted = 0

    @on(RadioSet.Changed, "#allocation-kind")
    def _kind_changed(self) -> None:
        kind = self._kind()
        self.query_one("#allocation-rule-row").display = kind == "subsidy"
        self.query_one("#allocation-event-row").display = kind == "gift"

    @on(Checkbox.Changed, "#allocation-everyone")
    def _everyone_changed(self, event: Checkbox.Changed) -> None:
        self.query_one("#allocation-members").display = not event.value
        self.query_one("#allocation-members-label").display = not event.value

    def _kind(self) -> str:
        pressed = self.query_one("#allocation-kind", RadioSet).pressed_button
        return (pressed.id or "kind-gift").removeprefix("kind-") if pressed else "gift"

    def _request(self) -> AllocationRequest:
        amount = wallet.parse_euros(self.query_one("#allocation-amount", Input).value)
        year_text = self.query_one("#allocation-year", Input).value.strip()
        if not year_text.isdigit():
            raise UserError(N_("The year is not valid."))
        kind = self._kind()
        rule = self.query_one("#allocation-rule", Select).value
        event = self.query_one("#allocation-event", Select).value
        return AllocationRequest(
            kind=kind,
            label=self.query_one("#allocation-label", Input).value,
            amount_cents=amount,
            year=int(year_text),
            member_ids=tuple(self.query_one("#allocation-members", SelectionList).selected),
            everyone=self.query_one("#allocation-everyone", Checkbox).value,
            rule_id=rule if kind == "subsidy" and isinstance(rule, int) else None,
            event=event if kind == "gift" and isinstance(event, str) else None,
            renews=self.query_one("#allocation-renews", Checkbox).value,
        )

    @on(Button.Pressed, "#allocation-submit")
    def _pressed(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        """Check the form, then ask for confirmation."""
        try:
            request = self._request()
        except UserError as error:
            self._say(error.translated(self.portal.translator()), error=True)
            return
        self.run_preview(request)

    @work(exclusive=True, group="allocation")
    async def run_preview(self, request: AllocationRequest) -> None:
        """Check the request without writing anything."""
        try:
            preview = await self.portal.call(
                wallet.preview_allocation,
                self.portal.member,
                request,
                settings=self.portal.services.settings,
            )
        except UserError as error:
            self.post_message(self.Said(error.translated(self.portal.translator()), True))
            return
        self.post_message(self.Previewed(preview))

    @on(Previewed)
    def _previewed(self, message: Previewed) -> None:
        preview = message.preview
        request = preview.request
        lines = [
            _(
                "Allocate {amount} of {label} to {n} member(s), {total} in all?",
                amount=money(request.amount_cents),
                label=request.label,
                n=len(preview.member_ids),
                total=money(preview.total_cents),
            )
        ]
        if preview.warnings:
            lines.append(
                _(
                    "URSSAF warning: gift vouchers above the exemption threshold of "
                    "{threshold} for {year}:",
                    year=request.year,
                    threshold=money(preview.warnings[0].threshold_cents),
                )
            )
            t = self.portal.translator()
            for w in preview.warnings[:5]:
                lines.append("  " + amount_line(w.name, w.total_cents, t))
            if len(preview.warnings) > 5:
                lines.append("  …")
            lines.append(_("Above it, the vouchers bear social contributions."))

        def answered(answer: bool | None) -> None:
            if answer:
                self.run_allocate(request, bool(preview.warnings))

        self.app.push_screen(YesNoDialog("\n".join(lines), _("Allocate")), answered)

    @work(exclusive=True, group="allocation")
    async def run_allocate(self, request: AllocationRequest, acknowledge: bool) -> None:
        """Write the allocation (the manager acknowledged any URSSAF warning)."""
        try:
            program = await self.portal.call(
                wallet.allocate,
                self.portal.member,
                request,
                settings=self.portal.services.settings,
                acknowledge_urssaf=acknowledge,
            )
        except UserError as error:
            self.post_message(self.Said(error.translated(self.portal.translator()), True))
            return
        self.post_message(
            self.Said(
                _("{label} allocated to {n} member(s).", label=program.label, n=program.members)
            )
        )

    @on(Said)
    def _said(self, message: Said) -> None:
        self._say(message.text, error=message.error)

    def _say(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#allocation-message", Static)
        box.update(Content(text))
        box.set_class(error, "error")


class RuleFormScreen(PortalScreen):
    """The organization's subsidy rules, and a form to add one.

    A rule covers one offer category: a percentage of the price (capped per item and per
    year) or a fixed amount per item (with a maximum count per year), optionally graded
    by quotient familial (``700:70, 1200:50`` means 70 % up to a QF of 700, then 50 %).
    """

    CSS_PATH = "../../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Create the rule", id="rule.submit", priority=True),
    ]

    class Listed(Message):
        """The organization's rules, and a note."""

        def __init__(self, rules: list[Any], note: str = "", error: bool = False) -> None:
            super().__init__()
            self.rules = rules
            self.note = note
            self.error = error

    def screen_title(self) -> str:
        return _("Subsidy rules")

    def compose_body(self) -> ComposeResult:
        from portal.services.catalog import CATEGORIES, KINDS

        with VerticalScroll(id="rule-form", classes="wallet-page"):
            yield Static(_("Loading…"), id="rule-list")
            yield Static(_("New rule"), classes="subheading")
            with Horizontal(classes="form-row"):
                yield Label(_("Name"), classes="field-label")
                yield Input(
                    placeholder=_("e.g. Cinéma"), id="rule-label", max_length=60, compact=True
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Category"), classes="field-label")
                yield Select[str](
                    [(_(label), code) for code, label in CATEGORIES.items()],
                    prompt=_("Offer category"),
                    id="rule-category",
                    compact=True,
                )
                yield Select[str](
                    [(_(label), code) for code, label in KINDS.items()],
                    prompt=_("Any kind"),
                    id="rule-kind",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Gives"), classes="field-label")
                with RadioSet(id="rule-mode"):
                    yield RadioButton(_("A percentage"), value=True, id="mode-percent")
                    yield RadioButton(_("A fixed amount per item"), id="mode-fixed")
            with Horizontal(classes="form-row"):
                yield Label(_("Value"), classes="field-label")
                yield Input(placeholder=_("% or €"), id="rule-value", max_length=10, compact=True)
                yield Label(_("Cap per item (€)"), classes="field-label-short")
                yield Input(placeholder=_("none"), id="rule-cap-item", max_length=10, compact=True)
            with Horizontal(classes="form-row"):
                yield Label(_("Cap per year (€)"), classes="field-label")
                yield Input(placeholder=_("none"), id="rule-cap-year", max_length=10, compact=True)
                yield Label(_("Items per year"), classes="field-label-short")
                yield Input(placeholder=_("none"), id="rule-max-count", max_length=4, compact=True)
            with Horizontal(classes="form-row"):
                yield Label(_("QF brackets"), classes="field-label")
                yield Input(
                    placeholder=_("optional, e.g. 700:70, 1200:50"),
                    id="rule-brackets",
                    max_length=120,
                    compact=True,
                )
            yield Button(
                _("Create the rule (Ctrl+S)"), id="rule-submit", variant="primary", compact=True
            )
            yield Static("", id="rule-message")

    def on_mount(self) -> None:
        self.query_one("#rule-label", Input).focus()
        self.load()

    @work(exclusive=True, group="rules")
    async def load(self, note: str = "", error: bool = False) -> None:
        """Read the organization's rules."""
        rules = await self.portal.call(wallet.list_rules, self.portal.member)
        self.post_message(self.Listed(rules, note, error))

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        t = self.portal.translator()
        lines = [
            "• "
            + _(
                "{name}: {description}",
                name=f"{r.label} ({_(self._category(r.category))})",
                description=wallet.describe_rule(r, t, brackets=True),
            )
            for r in message.rules
        ]
        self.query_one("#rule-list", Static).update(
            Content("\n".join(lines) if lines else _("No subsidy rule yet."))
        )
        box = self.query_one("#rule-message", Static)
        box.update(Content(message.note))
        box.set_class(message.error, "error")

    @staticmethod
    def _category(code: str) -> str:
        from portal.services.catalog import CATEGORIES

        return CATEGORIES.get(code, code)

    @on(Button.Pressed, "#rule-submit")
    def _pressed(self) -> None:
        self.action_submit()

    def _optional_euros(self, selector: str) -> int | None:
        text = self.query_one(selector, Input).value.strip()
        return wallet.parse_euros(text) if text else None

    def action_submit(self) -> None:
        """Check the form and create the rule."""
        try:
            mode = "fixed" if self.query_one("#mode-fixed", RadioButton).value else "percent"
            value = self.query_one("#rule-value", Input).value
            category = self.query_one("#rule-category", Select).value
            kind = self.query_one("#rule-kind", Select).value
            count_text = self.query_one("#rule-max-count", Input).value.strip()
            if count_text and not count_text.isdigit():
                raise UserError(N_("Caps and counts must be positive."))
            spec = {
                "label": self.query_one("#rule-label", Input).value,
                "category": category if isinstance(category, str) else "",
                "offer_kind": kind if isinstance(kind, str) else None,
                "mode": mode,
                "percent_bp": wallet.parse_percent(value) if mode == "percent" else 0,
                "fixed_cents": wallet.parse_euros(value) if mode == "fixed" else 0,
                "cap_per_item_cents": self._optional_euros("#rule-cap-item"),
                "cap_per_year_cents": self._optional_euros("#rule-cap-year"),
                "max_count": int(count_text) if count_text else None,
                "brackets": wallet.parse_brackets(
                    self.query_one("#rule-brackets", Input).value, mode
                ),
            }
        except UserError as error:
            box = self.query_one("#rule-message", Static)
            box.update(Content(error.translated(self.portal.translator())))
            box.set_class(True, "error")
            return
        self.run_create(spec)

    @work(exclusive=True, group="rule-create")
    async def run_create(self, spec: dict[str, Any]) -> None:
        """Create the rule through the service (audited), then list the rules again."""
        try:
            rule = await self.portal.call(wallet.create_rule, self.portal.member, **spec)
        except UserError as error:
            self.load(error.translated(self.portal.translator()), True)
            return
        self.load(_("Rule {label} created.", label=rule.label))
