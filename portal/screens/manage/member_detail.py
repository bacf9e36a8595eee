"""One member as a manager sees them, and the actions on their account.

Identity, status, role, groups, family data, benefits, orders and last logins; every
action (deactivate, reactivate, reset 2FA, unlock, change role, groups) is confirmed
first, then done by ``services.member_admin``, which checks again that the manager may.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from portal.i18n import N_, _, current, money
from portal.screens.base import PortalScreen
from portal.screens.manage.listing import say
from portal.services import credentials, directory, family, member_admin
from portal.services.credentials import Credential
from portal.services.directory import DirectoryRow, MemberDetail
from portal.services.errors import PortalError
from portal.services.family import FamilyData
from portal.widgets.dialogs import AskDialog, YesNoDialog
from portal.widgets.format import status_text, when_text

STATUS_LABELS = {
    "active": N_("active"),
    "invited": N_("invited"),
    "deactivated": N_("deactivated"),
    "pending": N_("pending"),
    "locked": N_("locked"),
}
PROOF_LABELS = {
    "situation": N_("Family situation"),
    "children": N_("Children"),
    "quotient_familial": N_("Quotient familial"),
}
ROLE_LABELS = {"member": N_("member"), "manager": N_("manager"), "admin": N_("admin")}


def credential_label(document: Credential) -> str:
    """A document's type, translated (the member's own label for ``other``)."""
    label = credentials.type_label(document)
    return label if document.type == "other" else _(label)


def status_label(row: DirectoryRow) -> str:
    """A member's status, translated ("locked" while the gate holds a lock)."""
    if row.locked_until and row.status == "active":
        return _("locked")
    return _(STATUS_LABELS.get(row.status, row.status))


def role_label(role: str) -> str:
    """A role, translated."""
    return _(ROLE_LABELS.get(role, role))


def family_text(data: FamilyData) -> str:
    """The family data on one line, saying which fields a document proves."""
    situation = data.situation
    return _(
        "Family: {situation} · children born: {children} · quotient familial: {qf}{proven}",
        situation=_(family.SITUATIONS[situation]) if situation in family.SITUATIONS else "—",
        children=", ".join(str(y) for y in data.children_birth_years) or "—",
        qf=str(data.quotient_familial) if data.quotient_familial is not None else "—",
        proven=_(
            " (proven by a document: {fields})",
            fields=", ".join(_(PROOF_LABELS.get(f, f)) for f in sorted(data.proven_by)),
        )
        if data.proven_by
        else "",
    )


class MemberDetailScreen(PortalScreen):
    """The member's picture; keys for each action."""

    CSS_PATH = "../../styles/manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "deactivate", "Deactivate", id="member.deactivate"),
        Binding("a", "reactivate", "Reactivate", id="member.reactivate"),
        Binding("t", "reset_twofactor", "Reset 2FA", id="member.reset_2fa"),
        Binding("u", "unlock", "Unlock", id="member.unlock"),
        Binding("r", "role", "Change role", id="member.role"),
        Binding("plus", "add_group", "Add to group", key_display="+", id="member.group_add"),
        Binding(
            "minus", "remove_group", "Remove from group", key_display="-", id="member.group_remove"
        ),
        Binding("s", "situation", "Family situation", id="member.situation"),
        Binding("c", "children", "Children", id="member.children"),
        Binding("q", "quotient", "Quotient familial", id="member.quotient"),
    ]

    def __init__(self, member_id: int) -> None:
        super().__init__()
        self.member_id = member_id
        self.detail: MemberDetail | None = None

    def screen_title(self) -> str:
        return _("Member")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="member-detail", classes="page"):
            yield Static("", id="member-identity")
            yield Static("", id="member-groups")
            yield Static("", id="member-family")
            yield Static("", id="member-benefits")
            yield Static("", id="member-orders")
            yield Static("", id="member-documents")
            yield Static("", id="member-logins")
        yield Static("", id="member-message")

    def on_mount(self) -> None:
        self.query_one("#member-detail").focus()
        self.reload()

    @work(exclusive=True, group="member-detail")
    async def reload(self) -> None:
        """Read the member's detail again."""
        try:
            detail: MemberDetail = await self.portal.call(
                directory.member_detail, self.portal.member, self.member_id
            )
        except PermissionError:
            self.query_one("#member-identity", Static).update(_("You may not see this member."))
            return
        self.detail = detail
        self._show(detail)

    def _show(self, detail: MemberDetail) -> None:
        row = detail.row
        lines = [
            f"{row.full_name} · {row.login}",
            _(
                "{email} · {organization} · role: {role} · status: {status} · 2FA: {twofactor}",
                email=row.org_email,
                organization=row.organization_name,
                role=role_label(row.role),
                status=status_label(row),
                twofactor=_("on") if detail.twofactor_enabled else _("off"),
            ),
        ]
        self.query_one("#member-identity", Static).update(Content("\n".join(lines)))
        groups = ", ".join(g.name for g in detail.groups) or _("none")
        self.query_one("#member-groups", Static).update(
            Content(_("Groups: {groups}", groups=groups))
        )
        self.query_one("#member-family", Static).update(Content(family_text(detail.family)))
        self._section(
            "member-benefits",
            _("Benefits:"),
            [
                _(
                    "  {label}: {remaining} of {amount}, until {until}",
                    label=b.label,
                    remaining=money(b.remaining_cents),
                    amount=money(b.amount_cents),
                    until=current().date(b.valid_until, "short"),
                )
                for b in detail.benefits
            ],
            _("  no benefit"),
        )
        self._section(
            "member-orders",
            _("Latest orders:"),
            [
                f"  {o.number} · {when_text(o.created_at)} · {money(o.total_cents)}"
                f" · {status_text(o.status)}"
                for o in detail.orders
            ],
            _("  no order"),
        )
        self._section(
            "member-documents",
            _("Documents:"),
            [
                f"  {when_text(d.created_at)} · {credential_label(d)} · {_(credentials.STATUSES[d.status])}"
                for d in detail.documents
            ],
            _("  no document"),
        )
        self._section(
            "member-logins",
            _("Last logins:"),
            [
                f"  {when_text(entry.at)} · {entry.ip or '?'} · {entry.method}"
                for entry in detail.last_logins
            ],
            _("  never"),
        )

    def _section(self, widget_id: str, heading: str, lines: list[str], empty: str) -> None:
        """Show ``heading`` then ``lines`` (or ``empty`` when there is none) in a Static."""
        text = "\n".join([heading, *(lines or [empty])])
        self.query_one(f"#{widget_id}", Static).update(Content(text))

    # -- actions ---------------------------------------------------------------------

    def _confirm(self, question: str, confirm: str, run: Callable[[], object]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                run()

        self.app.push_screen(YesNoDialog(question, confirm), answered)

    def _target_name(self) -> str:
        return self.detail.row.full_name if self.detail else ""

    def action_deactivate(self) -> None:
        """Deactivate the account (ends its sessions), after a confirmation."""
        self._confirm(
            _(
                "Deactivate the account of {name}? They can no longer log in, and their "
                "open sessions end now.",
                name=self._target_name(),
            ),
            _("Deactivate"),
            lambda: self.act(
                member_admin.deactivate_member,
                _("The account is deactivated."),
                sessions=self.portal.services.sessions,
            ),
        )

    def action_reactivate(self) -> None:
        """Let a deactivated account log in again, after a confirmation."""
        self._confirm(
            _("Reactivate the account of {name}?", name=self._target_name()),
            _("Reactivate"),
            lambda: self.act(member_admin.reactivate_member, _("The account is active again.")),
        )

    def action_reset_twofactor(self) -> None:
        """Turn the member's 2FA off (lost phone), after a confirmation."""
        self._confirm(
            _(
                "Reset the two-factor authentication of {name}? They log in with their "
                "password only, and set it up again when it is required.",
                name=self._target_name(),
            ),
            _("Reset"),
            lambda: self.act(
                member_admin.reset_twofactor, _("Two-factor authentication is reset.")
            ),
        )

    def action_unlock(self) -> None:
        """Lift the lock after too many failed logins, after a confirmation."""
        self._confirm(
            _("Unlock the account of {name}?", name=self._target_name()),
            _("Unlock"),
            lambda: self.act(member_admin.unlock_member, _("The account is unlocked.")),
        )

    def action_role(self) -> None:
        """Make a member a manager, or a manager a member, after a confirmation."""
        if self.detail is None:
            return
        new_role = "member" if self.detail.row.role == "manager" else "manager"
        self._confirm(
            _(
                "Make {name} a {role} of the organization? Their open sessions end so that "
                "the new role applies.",
                name=self._target_name(),
                role=role_label(new_role),
            ),
            _("Change role"),
            lambda: self.act(
                member_admin.change_role,
                _("The role is changed."),
                new_role,
                sessions=self.portal.services.sessions,
            ),
        )

    def _ask_group(self, question: str, then: Callable[[int], object]) -> None:
        def answered(name: str | None) -> None:
            if not name or not name.strip():
                return
            self.pick_group(name.strip(), then)

        self.app.push_screen(AskDialog(question, max_length=60), answered)

    @work(exclusive=True, group="member-pick-group")
    async def pick_group(self, name: str, then: Callable[[int], object]) -> None:
        """Find the group by name among the organization's, then act on it."""
        organization_id = self.detail.row.organization_id if self.detail else None
        groups = await self.portal.call(directory.list_groups, self.portal.member, organization_id)
        group = next((g for g in groups if g.name.casefold() == name.casefold()), None)
        if group is None:
            self._say(_("No group of this name: create it in Groups first."), error=True)
            return
        then(group.id)

    def action_add_group(self) -> None:
        """Put the member in a group (typed by name)."""
        self._ask_group(
            _("Add {name} to which group?", name=self._target_name()),
            lambda group_id: self.group_change(member_admin.add_to_group, group_id),
        )

    def action_remove_group(self) -> None:
        """Take the member out of a group (typed by name)."""
        self._ask_group(
            _("Remove {name} from which group?", name=self._target_name()),
            lambda group_id: self.group_change(member_admin.remove_from_group, group_id),
        )

    @work(group="member-group-change")
    async def group_change(self, fn: Callable[..., bool], group_id: int) -> None:
        """Add to or remove from a group, then show the detail again."""
        try:
            changed = await self.portal.call(fn, self.portal.member, group_id, self.member_id)
        except PermissionError:
            self._say(_("You may not manage this member."), error=True)
            return
        self._say(_("Groups updated.") if changed else _("Nothing to change."))
        self.reload()

    # -- family data (editable until a validated document proves a field) ---------------

    def action_situation(self) -> None:
        """Set the family situation: its number in the list, or empty for unknown."""
        choices = list(family.SITUATIONS)
        listing = " · ".join(
            f"{n} {_(family.SITUATIONS[code])}" for n, code in enumerate(choices, start=1)
        )

        def answered(value: str | None) -> None:
            if value is None:
                return
            value = value.strip()
            if not value:
                self.set_family(situation=None)
            elif value.isascii() and value.isdigit() and 1 <= int(value) <= len(choices):
                self.set_family(situation=choices[int(value) - 1])
            else:
                self._say(_("Type the number of a situation from the list."), error=True)

        self.app.push_screen(
            AskDialog(_("Family situation (number; empty: unknown): {listing}", listing=listing)),
            answered,
        )

    def action_children(self) -> None:
        """Set the children's birth years (``2015, 2018``)."""
        current = self.detail.family.children_birth_years if self.detail else ()

        def answered(value: str | None) -> None:
            if value is not None:
                self.set_family(children_text=value)

        self.app.push_screen(
            AskDialog(
                _("Children's birth years, separated by commas (empty: none):"),
                value=", ".join(str(y) for y in current),
            ),
            answered,
        )

    def action_quotient(self) -> None:
        """Set the quotient familial in euros (empty: unknown)."""
        current = self.detail.family.quotient_familial if self.detail else None

        def answered(value: str | None) -> None:
            if value is None:
                return
            value = value.strip()
            if value and not (value.isascii() and value.isdigit()):
                self._say(_("The quotient familial is a whole number of euros."), error=True)
                return
            self.set_family(quotient_familial=int(value) if value else None)

        self.app.push_screen(
            AskDialog(
                _("Quotient familial in euros (empty: unknown):"),
                value="" if current is None else str(current),
            ),
            answered,
        )

    @work(group="member-family")
    async def set_family(self, *, children_text: str | None = None, **fields: Any) -> None:
        """Write the family fields given (a proven field is refused by the service)."""
        try:
            if children_text is not None:
                fields["children_birth_years"] = family.parse_birth_years(children_text)
            await self.portal.call(family.set_family, self.portal.member, self.member_id, **fields)
        except PortalError as error:
            self._say(error.text(), error=True)
            return
        except PermissionError:
            self._say(_("You may not manage this member."), error=True)
            return
        self._say(_("Family data saved."))
        self.reload()

    def _say(self, text: str, *, error: bool = False) -> None:
        say(self.query_one("#member-message", Static), text, error=error)

    @work(group="member-action")
    async def act(self, fn: Callable[..., Any], done: str, *args: Any, **kwargs: Any) -> None:
        """Run one action, then show the detail as it now stands."""
        try:
            await self.portal.call(fn, self.portal.member, self.member_id, *args, **kwargs)
        except PortalError as error:
            self._say(error.text(), error=True)
            return
        except PermissionError:
            self._say(_("You may not manage this member."), error=True)
            return
        self._say(done)
        self.reload()
