"""Subsidy rules (managers): the organization's rules, their quotient-familial grid, a
form to add one or to give one new terms from a date, and switching one off.

Opened from ``allocations`` (``u``). The rules table's highlighted rule shows its grid
(brackets and rates) in a second table; ``e`` puts its terms in the form to edit them
from a day on (today or later: what was consumed keeps its terms), ``o`` switches it off
or on. Every change is audited.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, RadioSet, Select, Static

from portal.i18n import N_, _, money
from portal.screens.base import PortalScreen
from portal.screens.manage.forms import form_row
from portal.services import allocations, subsidies
from portal.services.clock import today_paris
from portal.services.errors import UserError
from portal.services.subsidies import SubsidyRule
from portal.widgets.table import AMOUNT, DataTable
from portal.widgets.toggles import RadioButton


class RuleFormScreen(PortalScreen):
    """The organization's subsidy rules, and a form to add one.

    A rule covers one offer category: a percentage of the price (capped per item and per
    year) or a fixed amount per item (with a maximum count per year), optionally graded
    by quotient familial (``700:70, 1200:50`` means 70 % up to a QF of 700, then 50 %).
    """

    CSS_PATH = "../../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Create the rule", id="rule.submit", priority=True),
        Binding("e", "edit", "New terms", id="rule.edit"),
        Binding("o", "switch", "On/off", id="rule.switch"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rules: list[SubsidyRule] = []
        self.editing: SubsidyRule | None = None
        """The rule whose new terms the form holds (None: the form creates a rule)."""

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
            rules = DataTable(id="rules-table", cursor_type="row")
            yield rules
            yield Static(_("Quotient-familial grid"), classes="subheading")
            grid = DataTable(id="rule-grid", cursor_type="none")
            yield grid
            yield Static(_("New rule"), classes="subheading", id="rule-form-title")
            yield form_row(
                _("Name"),
                Input(placeholder=_("e.g. Cinéma"), id="rule-label", max_length=60, compact=True),
            )
            yield form_row(
                _("Category"),
                Select[str](
                    [(_(label), code) for code, label in CATEGORIES.items()],
                    prompt=_("Offer category"),
                    id="rule-category",
                    compact=True,
                ),
                Select[str](
                    [(_(label), code) for code, label in KINDS.items()],
                    prompt=_("Any kind"),
                    id="rule-kind",
                    compact=True,
                ),
            )
            with Horizontal(classes="form-row"):
                yield Label(_("Gives"), classes="field-label")
                with RadioSet(id="rule-mode"):
                    yield RadioButton(_("A percentage"), value=True, id="mode-percent")
                    yield RadioButton(_("A fixed amount per item"), id="mode-fixed")
            yield form_row(
                _("Value"),
                Input(placeholder=_("% or €"), id="rule-value", max_length=10, compact=True),
                Label(_("Cap per item (€)"), classes="field-label-short"),
                Input(placeholder=_("none"), id="rule-cap-item", max_length=10, compact=True),
            )
            yield form_row(
                _("Cap per year (€)"),
                Input(placeholder=_("none"), id="rule-cap-year", max_length=10, compact=True),
                Label(_("Items per year"), classes="field-label-short"),
                Input(placeholder=_("none"), id="rule-max-count", max_length=4, compact=True),
            )
            yield form_row(
                _("From (DD/MM/YYYY)"),
                Input(id="rule-from", max_length=10, compact=True),
                id="rule-from-row",
            )
            yield form_row(
                _("QF brackets"),
                Input(
                    placeholder=_("optional, e.g. 700:70, 1200:50"),
                    id="rule-brackets",
                    max_length=120,
                    compact=True,
                ),
            )
            yield Button(
                _("Create the rule (Ctrl+S)"), id="rule-submit", variant="primary", compact=True
            )
            yield Static("", id="rule-message")

    def on_mount(self) -> None:
        self.query_one("#rule-label", Input).focus()
        self.query_one("#rule-from-row").display = False
        self.load()

    @work(exclusive=True, group="rules")
    async def load(self, note: str = "", error: bool = False) -> None:
        """Read the organization's rules."""
        rules = await self.portal.call(subsidies.list_rules, self.portal.member)
        self.post_message(self.Listed(rules, note, error))

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        t = self.portal.translator()
        self.rules = message.rules
        table = self.query_one("#rules-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column(_("Rule"), width=24, key="rule", flex=True)
        table.add_column(_("Status"), width=10, key="status")
        table.add_column(_("Terms since"), width=11, key="since")
        table.add_column(_("Next change"), width=11, key="next")
        for r in self.rules:
            table.add_row(
                r.label,
                _("on") if r.active else _("off"),
                t.date(r.effective_from, "short") if r.effective_from else "—",
                t.date(r.next_change, "short") if r.next_change else "—",
                key=str(r.id),
            )
        if self.rules:
            table.move_cursor(row=min(max(keep, 0), len(self.rules) - 1))
        self._show_grid()
        lines = [
            "• "
            + _(
                "{name}: {description}",
                name=f"{r.label} ({_(self._category(r.category))})",
                description=subsidies.describe_rule(r, t, brackets=True),
            )
            for r in message.rules
        ]
        self.query_one("#rule-list", Static).update(
            Content("\n".join(lines) if lines else _("No subsidy rule yet."))
        )
        box = self.query_one("#rule-message", Static)
        box.update(Content(message.note))
        box.set_class(message.error, "error")

    def _highlighted(self) -> SubsidyRule | None:
        table = self.query_one("#rules-table", DataTable)
        if not self.rules or not 0 <= table.cursor_row < len(self.rules):
            return None
        return self.rules[table.cursor_row]

    @on(DataTable.RowHighlighted, "#rules-table")
    def _show_grid(self) -> None:
        """Draw the highlighted rule's quotient-familial grid."""
        grid = self.query_one("#rule-grid", DataTable)
        grid.clear(columns=True)
        rule = self._highlighted()
        grid.add_column(_("Quotient familial"), width=22, key="span", flex=True)
        grid.add_column(
            _("Rate") if rule is None or rule.mode == "percent" else _("Per item"),
            width=10,
            key="value",
            kind=AMOUNT,
        )
        if rule is None:
            return
        rows = subsidies.grid(rule)
        if not rows:
            grid.add_row(
                _("any (not graded)"), self._value(rule, rule.percent_bp, rule.fixed_cents)
            )
        for row in rows:
            if row.qf_max is None:
                span = _("from {low}", low=row.qf_min) if row.qf_min else _("any")
            elif row.qf_min is None:
                span = _("up to {high}", high=row.qf_max)
            else:
                span = _("{low} to {high}", low=row.qf_min, high=row.qf_max)
            grid.add_row(span, self._value(rule, row.percent_bp, row.fixed_cents))

    def _value(self, rule: SubsidyRule, percent_bp: int | None, fixed_cents: int | None) -> str:
        if rule.mode == "percent":
            return self.portal.translator().number((percent_bp or 0) / 100) + " %"
        return money(fixed_cents or 0)

    def action_edit(self) -> None:
        """Put the highlighted rule's terms in the form, to give it new ones from a day."""
        rule = self._highlighted()
        if rule is None:
            return
        self.editing = rule
        t = self.portal.translator()
        self.query_one("#rule-form-title", Static).update(
            Content(_("New terms for {label}", label=rule.label))
        )
        self.query_one("#rule-from-row").display = True
        self.query_one("#rule-from", Input).value = today_paris().strftime("%d/%m/%Y")
        self.query_one("#rule-label", Input).value = rule.label
        self.query_one("#rule-category", Select).value = rule.category
        self.query_one(
            "#mode-fixed" if rule.mode == "fixed" else "#mode-percent", RadioButton
        ).value = True
        value = rule.percent_bp / 100 if rule.mode == "percent" else rule.fixed_cents / 100
        self.query_one("#rule-value", Input).value = t.number(value)
        for selector, cents in (
            ("#rule-cap-item", rule.cap_per_item_cents),
            ("#rule-cap-year", rule.cap_per_year_cents),
        ):
            self.query_one(selector, Input).value = t.number(cents / 100) if cents else ""
        self.query_one("#rule-max-count", Input).value = str(rule.max_count or "")
        self.query_one("#rule-brackets", Input).value = ", ".join(
            f"{b.qf_max}:"
            + t.number(
                ((b.percent_bp or 0) / 100)
                if rule.mode == "percent"
                else (b.fixed_cents or 0) / 100
            )
            for b in rule.brackets
            if b.qf_max is not None
        )
        self.query_one("#rule-from", Input).focus()

    def action_switch(self) -> None:
        """Switch the highlighted rule off, or on again."""
        rule = self._highlighted()
        if rule is not None:
            self.run_switch(rule.id, not rule.active)

    @work(exclusive=True, group="rule-create")
    async def run_switch(self, rule_id: int, active: bool) -> None:
        """Switch through the service (audited), then list the rules again."""
        try:
            rule = await self.portal.call(
                subsidies.set_rule_active, self.portal.member, rule_id, active
            )
        except UserError as error:
            self.load(error.text(self.portal.translator()), True)
            return
        self.load(
            _("Rule {label} switched on.", label=rule.label)
            if rule.active
            else _("Rule {label} switched off: it no longer applies at checkout.", label=rule.label)
        )

    @staticmethod
    def _category(code: str) -> str:
        from portal.services.catalog import CATEGORIES

        return CATEGORIES.get(code, code)

    @on(Button.Pressed, "#rule-submit")
    def _pressed(self) -> None:
        self.action_submit()

    def _optional_euros(self, selector: str) -> int | None:
        text = self.query_one(selector, Input).value.strip()
        return allocations.parse_euros(text) if text else None

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
            spec: dict[str, Any] = {
                "label": self.query_one("#rule-label", Input).value,
                "category": category if isinstance(category, str) else "",
                "offer_kind": kind if isinstance(kind, str) else None,
                "mode": mode,
                "percent_bp": allocations.parse_percent(value) if mode == "percent" else 0,
                "fixed_cents": allocations.parse_euros(value) if mode == "fixed" else 0,
                "cap_per_item_cents": self._optional_euros("#rule-cap-item"),
                "cap_per_year_cents": self._optional_euros("#rule-cap-year"),
                "max_count": int(count_text) if count_text else None,
                "brackets": allocations.parse_brackets(
                    self.query_one("#rule-brackets", Input).value, mode
                ),
            }
            if self.editing is not None:
                spec["effective_from"] = allocations.parse_day(
                    self.query_one("#rule-from", Input).value
                )
        except UserError as error:
            box = self.query_one("#rule-message", Static)
            box.update(Content(error.text(self.portal.translator())))
            box.set_class(True, "error")
            return
        if self.editing is not None:
            self.run_edit(self.editing.id, spec)
        else:
            self.run_create(spec)

    @work(exclusive=True, group="rule-create")
    async def run_edit(self, rule_id: int, spec: dict[str, Any]) -> None:
        """Record the new terms from their day on (audited), then list the rules again."""
        terms = {k: v for k, v in spec.items() if k not in ("label", "category", "offer_kind")}
        try:
            rule = await self.portal.call(subsidies.edit_rule, self.portal.member, rule_id, **terms)
        except UserError as error:
            self.load(error.text(self.portal.translator()), True)
            return
        self.editing = None
        self.query_one("#rule-from-row").display = False
        self.query_one("#rule-form-title", Static).update(Content(_("New rule")))
        t = self.portal.translator()
        self.load(
            _(
                "New terms of {label} from {day}; what was consumed before keeps its terms.",
                label=rule.label,
                day=t.date(spec["effective_from"], "short"),
            )
        )

    @work(exclusive=True, group="rule-create")
    async def run_create(self, spec: dict[str, Any]) -> None:
        """Create the rule through the service (audited), then list the rules again."""
        try:
            rule = await self.portal.call(subsidies.create_rule, self.portal.member, **spec)
        except UserError as error:
            self.load(error.text(self.portal.translator()), True)
            return
        self.load(_("Rule {label} created.", label=rule.label))
