"""The allocation form (managers): give a subsidy or a voucher to members.

A kind, a name, an amount (or each member's own, from a ``login;amount`` file of the
manager's SFTP inbox), a year, the rule a subsidy follows or the URSSAF event a gift
voucher is for, and the members: listed ones, directory groups or everyone — groups and
everyone are followed, so members who join later receive it too (pro rata of the months
left, or whole). Before anything is written the manager confirms a summary: the name
with its year, the members whose gift vouchers of the year become liable to social
contributions and the amount liable, and a duplicate of less than a minute ago.
Opened from ``allocations``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Label, RadioSet, Select, Static
from textual.widgets.selection_list import Selection

from portal.i18n import N_, _, money
from portal.screens.base import PortalScreen
from portal.screens.manage.forms import form_row
from portal.services import allocations, authz, directory, programs, subsidies
from portal.services.allocations import AllocationPreview, AllocationRequest
from portal.services.benefits import KIND_LABELS
from portal.services.clock import today_paris
from portal.services.errors import UserError
from portal.services.files import FileError
from portal.services.orders import amount_line
from portal.services.urssaf import LISTED_EVENTS, REASONS
from portal.widgets.dialogs import YesNoDialog
from portal.widgets.selection import SelectionList
from portal.widgets.toggles import Checkbox, RadioButton


class AllocationFormScreen(PortalScreen):
    """Give a subsidy or a voucher to one member, a group, or everyone."""

    CSS_PATH = "../../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Allocate", id="allocation.submit", priority=True),
    ]

    class Ready(Message):
        """The rules and members to choose from."""

        def __init__(self, rules: list[Any], members: list[Any], groups: list[Any]) -> None:
            super().__init__()
            self.rules = rules
            self.members = members
            self.groups = groups

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
            yield form_row(
                _("Name"),
                Input(
                    placeholder=_("e.g. Chèque cadeau de Noël"),
                    id="allocation-label",
                    max_length=80,
                    compact=True,
                ),
            )
            yield form_row(
                _("Amount (€)"),
                Input(placeholder="50", id="allocation-amount", max_length=10, compact=True),
                Label(_("Year"), classes="field-label-short"),
                Input(str(today_paris().year), id="allocation-year", max_length=4, compact=True),
            )
            yield form_row(
                _("Rule"),
                Select[int]([], prompt=_("Subsidy rule"), id="allocation-rule", compact=True),
                id="allocation-rule-row",
            )
            yield form_row(
                _("Event"),
                Select[str](
                    [(_(label), code) for code, label in LISTED_EVENTS.items()],
                    prompt=_("URSSAF event (none)"),
                    id="allocation-event",
                    compact=True,
                ),
                id="allocation-event-row",
            )
            yield Checkbox(_("Renew it next year"), True, id="allocation-renews", compact=True)
            yield Checkbox(
                _("All members of the organization"), id="allocation-everyone", compact=True
            )
            yield Checkbox(
                _("Members who join later: pro rata of the months left (else the whole amount)"),
                True,
                id="allocation-prorata",
                compact=True,
            )
            yield Static(
                _(
                    "Given to everyone or to groups, it follows them: who joins later receives"
                    " it; who leaves keeps what was credited and receives nothing more."
                ),
                id="allocation-follow-note",
                classes="hint",
            )
            yield Label(_("Groups (space: choose)"), id="allocation-groups-label")
            yield SelectionList[int](id="allocation-groups", compact=True)
            yield Label(_("Members (space: choose)"), id="allocation-members-label")
            yield SelectionList[int](id="allocation-members", compact=True)
            yield form_row(
                _("Amounts file"),
                Input(
                    placeholder=_("optional: login;amount lines, a file of your inbox"),
                    id="allocation-file",
                    max_length=120,
                    compact=True,
                ),
            )
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
        rules = await self.portal.call(subsidies.list_rules, member)
        members = await self.portal.call(authz.organization_members, member)
        groups = await self.portal.call(directory.list_groups, member, member.organization_id)
        self.post_message(self.Ready([r for r in rules if r.active], members, groups))

    @on(Ready)
    def _ready(self, message: Ready) -> None:
        t = self.portal.translator()
        self.query_one("#allocation-rule", Select).set_options(
            (f"{r.label} · {subsidies.describe_rule(r, t)}"[:70], r.id) for r in message.rules
        )
        members = self.query_one("#allocation-members", SelectionList)
        for m in message.members:
            members.add_option(Selection(Content(f"{m.full_name} ({m.login})"), m.id))
        if members.option_count:
            members.highlighted = 0
        groups = self.query_one("#allocation-groups", SelectionList)
        for g in message.groups:
            groups.add_option(
                Selection(Content(_("{name} ({n} members)", name=g.name, n=g.member_count)), g.id)
            )
        groups.display = bool(message.groups)
        self.query_one("#allocation-groups-label").display = bool(message.groups)

    @on(RadioSet.Changed, "#allocation-kind")
    def _kind_changed(self) -> None:
        kind = self._kind()
        self.query_one("#allocation-rule-row").display = kind == "subsidy"
        self.query_one("#allocation-event-row").display = kind == "gift"

    @on(Checkbox.Changed, "#allocation-everyone")
    def _everyone_changed(self, event: Checkbox.Changed) -> None:
        self.query_one("#allocation-members").display = not event.value
        self.query_one("#allocation-members-label").display = not event.value
        has_groups = self.query_one("#allocation-groups", SelectionList).option_count > 0
        self.query_one("#allocation-groups").display = has_groups and not event.value
        self.query_one("#allocation-groups-label").display = has_groups and not event.value

    def _kind(self) -> str:
        pressed = self.query_one("#allocation-kind", RadioSet).pressed_button
        return (pressed.id or "kind-gift").removeprefix("kind-") if pressed else "gift"

    def _request(self) -> AllocationRequest:
        typed = self.query_one("#allocation-amount", Input).value
        from_file = bool(self.query_one("#allocation-file", Input).value.strip())
        amount = 0 if from_file and not typed.strip() else allocations.parse_euros(typed)
        year_text = self.query_one("#allocation-year", Input).value.strip()
        if not year_text.isdigit():
            raise UserError(N_("The year is not valid."))
        kind = self._kind()
        rule = self.query_one("#allocation-rule", Select).value
        event = self.query_one("#allocation-event", Select).value
        everyone = self.query_one("#allocation-everyone", Checkbox).value
        return AllocationRequest(
            kind=kind,
            label=self.query_one("#allocation-label", Input).value,
            amount_cents=amount,
            year=int(year_text),
            member_ids=tuple(self.query_one("#allocation-members", SelectionList).selected),
            everyone=everyone,
            group_ids=()
            if everyone
            else tuple(self.query_one("#allocation-groups", SelectionList).selected),
            late_joiners="prorata"
            if self.query_one("#allocation-prorata", Checkbox).value
            else "whole",
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
            self._say(error.text(self.portal.translator()), error=True)
            return
        self.run_preview(request)

    @work(exclusive=True, group="allocation")
    async def run_preview(self, request: AllocationRequest) -> None:
        """Read the amounts file if any (a dry run, errors by line), then check the
        request without writing anything."""
        t = self.portal.translator()
        name = self.query_one("#allocation-file", Input).value.strip()
        try:
            if name:
                checked = await self.portal.call(
                    programs.read_amounts,
                    self.portal.member,
                    self.portal.services.settings,
                    name,
                )
                if checked.errors:
                    lines = [_("Nothing allocated: {n} line(s) to correct.", n=len(checked.errors))]
                    lines += [
                        _("Line {line}: {error}", line=n, error=t.gettext(msg, **params))
                        for n, msg, params in checked.errors[:6]
                    ]
                    self.post_message(self.Said("\n".join(lines), True))
                    return
                request = replace(request, amounts=checked.amounts, member_ids=(), group_ids=())
            preview = await self.portal.call(
                allocations.preview_allocation,
                self.portal.member,
                request,
                settings=self.portal.services.settings,
            )
        except (UserError, FileError) as error:
            self.post_message(self.Said(error.text(t), True))
            return
        self.post_message(self.Previewed(preview))

    @on(Previewed)
    def _previewed(self, message: Previewed) -> None:
        preview = message.preview
        request = preview.request
        t = self.portal.translator()
        if request.amounts:
            first = _(
                "Allocate {label} to {n} member(s), each their amount of the file, {total} in all?",
                label=request.label,
                n=len(preview.member_ids),
                total=money(preview.total_cents),
            )
        else:
            first = _(
                "Allocate {amount} of {label} to {n} member(s), {total} in all?",
                amount=money(request.amount_cents),
                label=request.label,
                n=len(preview.member_ids),
                total=money(preview.total_cents),
            )
        lines = [first]
        if request.target != "member":
            lines.append(
                _("Members who join later receive it pro rata of the months left.")
                if request.late_joiners == "prorata"
                else _("Members who join later receive the whole amount.")
            )
        if preview.duplicate_of is not None:
            lines.append(
                _(
                    "You made this same allocation less than a minute ago: "
                    "confirm to make it a second time."
                )
            )
        if preview.warnings:
            lines += warning_lines(preview.warnings, request.year, t)

        def answered(answer: bool | None) -> None:
            if answer:
                self.run_allocate(request, bool(preview.warnings), preview.duplicate_of is not None)

        self.app.push_screen(YesNoDialog("\n".join(lines), _("Allocate")), answered)

    @work(exclusive=True, group="allocation")
    async def run_allocate(
        self, request: AllocationRequest, acknowledge: bool, duplicate: bool = False
    ) -> None:
        """Write the allocation (the manager acknowledged any URSSAF warning, and a
        duplicate of less than a minute ago)."""
        try:
            program = await self.portal.call(
                allocations.allocate,
                self.portal.member,
                request,
                settings=self.portal.services.settings,
                acknowledge_urssaf=acknowledge,
                confirm_duplicate=duplicate,
            )
        except UserError as error:
            self.post_message(self.Said(error.text(self.portal.translator()), True))
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


def warning_lines(warnings: Any, year: int, t: Any) -> list[str]:
    """The URSSAF part of a confirmation: the members concerned and the amount liable."""
    lines = [
        _(
            "URSSAF warning: gift vouchers above the exemption threshold of "
            "{threshold} for {year}:",
            year=year,
            threshold=money(warnings[0].threshold_cents),
        )
    ]
    for w in warnings[:5]:
        reason = _(REASONS[w.reason]) if w.reason in REASONS else ""
        lines.append(
            "  " + amount_line(w.name, w.added_liable_cents, t) + (f" ({reason})" if reason else "")
        )
    if len(warnings) > 5:
        lines.append("  …")
    lines.append(
        _(
            "Liable to social contributions: {amount} in all (the whole amount, not only"
            " the excess).",
            amount=money(sum(w.added_liable_cents for w in warnings)),
        )
    )
    return lines
