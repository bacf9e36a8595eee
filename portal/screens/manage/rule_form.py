"""Subsidy rules (managers): the organization's rules, and a form to add one.

Opened from ``allocations`` (``u``); a new rule is audited.
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

from portal.i18n import N_, _
from portal.screens.base import PortalScreen
from portal.services import allocations, subsidies
from portal.services.errors import UserError
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
        rules = await self.portal.call(subsidies.list_rules, self.portal.member)
        self.post_message(self.Listed(rules, note, error))

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        t = self.portal.translator()
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
            spec = {
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
        except UserError as error:
            box = self.query_one("#rule-message", Static)
            box.update(Content(error.text(self.portal.translator())))
            box.set_class(True, "error")
            return
        self.run_create(spec)

    @work(exclusive=True, group="rule-create")
    async def run_create(self, spec: dict[str, Any]) -> None:
        """Create the rule through the service (audited), then list the rules again."""
        try:
            rule = await self.portal.call(subsidies.create_rule, self.portal.member, **spec)
        except UserError as error:
            self.load(error.text(self.portal.translator()), True)
            return
        self.load(_("Rule {label} created.", label=rule.label))
