"""Sign-up requests ("Demandes d'inscription"): a manager validates or refuses them.

A manager sees the requests to join their own organization; an admin sees every
organization's. Validating creates the account (active, with the password the applicant
chose); refusing needs a reason, which the applicant receives by email.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.markup import escape
from textual.widgets import Button, Input, Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.services import signup
from portal.services.gate import GateError
from portal.services.signup import SignupRequest
from portal.widgets.footer import PortalFooter
from portal.widgets.pacing import PromptModalScreen
from portal.widgets.table import DataTable


class ValidateDialog(PromptModalScreen[bool]):
    """Confirm the validation of one request."""

    CSS_PATH = "../../styles/signups.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Validate", id="signups.confirm_yes"),
        Binding("n,escape", "answer(False)", "Cancel", id="signups.confirm_no"),
    ]

    def __init__(self, request: SignupRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        request = self.request
        with Vertical(classes="signups-dialog"):
            yield Static(
                _("Validate the request of {name}?", name=escape(request.full_name)),
                classes="heading",
            )
            yield Static(
                _(
                    'The account "{login}" is created at once in {organization}, and '
                    "{email} is told by email.",
                    login=escape(request.login),
                    organization=escape(request.organization_name),
                    email=escape(request.email),
                )
            )
            with Horizontal(classes="signups-buttons"):
                yield Button(f"{_('Validate')} (y)", id="yes", variant="success", compact=True)
                yield Button(f"{_('Cancel')} (n)", id="no", compact=True)
        yield PortalFooter()

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, answer: bool) -> None:
        """Close with the answer."""
        self.dismiss(answer)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class RefuseDialog(PromptModalScreen[str | None]):
    """Ask the reason of a refusal (required: the applicant reads it)."""

    CSS_PATH = "../../styles/signups.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="signups.refuse_cancel"),
    ]

    def __init__(self, request: SignupRequest) -> None:
        super().__init__()
        self.request = request

    def compose(self) -> ComposeResult:
        with Vertical(classes="signups-dialog"):
            yield Static(
                _("Refuse the request of {name}", name=escape(self.request.full_name)),
                classes="heading",
            )
            yield Static(_("Reason (sent to the applicant by email):"))
            yield Input(id="reason", max_length=500)
            yield Static("", id="refuse-error", classes="error")
            with Horizontal(classes="signups-buttons"):
                yield Button(_("Refuse"), id="refuse", variant="error", compact=True)
                yield Button(f"{_('Cancel')} (Esc)", id="cancel", compact=True)
        yield PortalFooter()

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    @on(Button.Pressed, "#refuse")
    def confirm(self) -> None:
        """Refuse with the typed reason (one is required)."""
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#refuse-error", Static).update(
                _("Please give a reason: the applicant will read it.")
            )
            return
        self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close without refusing."""
        self.dismiss(None)


class SignupsScreen(PortalScreen):
    """The pending requests of the manager's organization (all of them for an admin)."""

    CSS_PATH = "../../styles/signups.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("v", "validate", "Validate", id="signups.validate"),
        Binding("r", "refuse", "Refuse", id="signups.refuse"),
        Binding("f5", "reload", "Refresh", id="signups.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._requests: list[SignupRequest] = []

    def screen_title(self) -> str:
        return _("Sign-up requests")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="signups", classes="page"):
            yield Static(_("Requests waiting for a decision"), classes="heading")
            yield DataTable(id="requests", cursor_type="row", zebra_stripes=True)
            yield Static("", id="request-detail")
            yield Static("", id="signups-status")

    def on_mount(self) -> None:
        table = self.query_one("#requests", DataTable)
        table.add_column(_("Date"), key="date")
        table.add_column(_("Name"), key="name")
        table.add_column(_("Login"), key="login")
        if self.portal.member.role == "admin":
            table.add_column(_("Organization"), key="organization")
        table.add_column(_("Key"), key="key")
        table.focus()
        self.reload()

    @work(exclusive=True, group="signups")
    async def reload(self) -> None:
        """Read the pending requests again."""
        self._requests = await self.portal.call(signup.list_pending, self.portal.member)
        self._fill()

    def _fill(self) -> None:
        table = self.query_one("#requests", DataTable)
        table.clear()
        admin = self.portal.member.role == "admin"
        for request in self._requests:
            cells = [request.created_at[:10], request.full_name, request.login]
            if admin:
                cells.append(request.organization_name)
            cells.append(_("checked") if request.key_verified else _("none (0)"))
            # The table shows strings as text, not markup: names and logins as typed.
            table.add_row(*cells, key=str(request.id))
        status = self.query_one("#signups-status", Static)
        status.update(_("No request is waiting.") if not self._requests else "")
        self._show_detail()

    def _selected(self) -> SignupRequest | None:
        table = self.query_one("#requests", DataTable)
        if not self._requests or table.cursor_row is None:
            return None
        row = table.cursor_row
        return self._requests[row] if 0 <= row < len(self._requests) else None

    @on(DataTable.RowHighlighted, "#requests")
    def _show_detail(self) -> None:
        request = self._selected()
        detail = self.query_one("#request-detail", Static)
        if request is None:
            detail.update("")
            return
        key = (
            _("The identification key was checked.")
            if request.key_verified
            else _(
                "No identification key: check that this person belongs to {organization}.",
                organization=request.organization_name,
            )
        )
        # Content, not markup: what the applicant typed is shown as the text it is.
        detail.update(
            Content.assemble(
                f"{request.full_name} · {request.email} · {request.login}\n", (key, "dim")
            )
        )

    def action_reload(self) -> None:
        """Refresh the list."""
        self.reload()

    def action_validate(self) -> None:
        """Validate the highlighted request (after a confirmation)."""
        request = self._selected()
        if request is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.decide(request, None)

        self.app.push_screen(ValidateDialog(request), answered)

    def action_refuse(self) -> None:
        """Refuse the highlighted request with a reason."""
        request = self._selected()
        if request is None:
            return

        def answered(reason: str | None) -> None:
            if reason:
                self.decide(request, reason)

        self.app.push_screen(RefuseDialog(request), answered)

    @work(exclusive=True, group="signups-decide")
    async def decide(self, request: SignupRequest, reason: str | None) -> None:
        """Validate (no reason) or refuse (a reason), then refresh the list."""
        status = self.query_one("#signups-status", Static)
        try:
            if reason is None:
                created = await self.portal.call(
                    signup.approve,
                    self.portal.member,
                    request.id,
                    settings=self.portal.services.settings,
                )
                message = _(
                    '{name} can now sign in as "{login}".',
                    name=escape(request.full_name),
                    login=escape(created.login),  # a taken login got a free variant
                )
            else:
                await self.portal.call(signup.refuse, self.portal.member, request.id, reason)
                message = _(
                    "The request of {name} was refused; they were told why.",
                    name=escape(request.full_name),
                )
        except GateError as error:
            status.update(escape(error.text()))
            status.set_class(True, "error")
            self.reload()
            return
        status.set_class(False, "error")
        self.notify(message)
        self._requests = await self.portal.call(signup.list_pending, self.portal.member)
        self._fill()
        status.update(message)
