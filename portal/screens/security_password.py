"""Change my password: current password, new one twice, a strength meter while typing.

After a change, the member's other sessions are closed (this one stays open) and the
closing is audited. A refusal says why, in the member's language, and changes nothing.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from portal.i18n import Translator, _, current, get_translator, ngettext
from portal.screens.base import PortalScreen
from portal.services import account
from portal.services.password_policy import (
    COMPOSITION_ADVICE,
    MAX_LENGTH,
    MIN_LENGTH,
    check_password_policy,
    strength,
)
from portal.widgets.strength import StrengthMeter


def _evaluate(
    password: str, login: str, name: str, organization: str, translator: Translator
) -> tuple[int, list[str]]:
    """Score and problems of a candidate (runs in a thread: zxcvbn is pure Python)."""
    problems = check_password_policy(
        password, login=login, name=name, organization=organization, translator=translator
    )
    return strength(password, user_inputs=[login, name, organization]), problems


class PasswordScreen(PortalScreen):
    """Current password, new password with its strength, confirmation."""

    CSS_PATH = "../styles/account.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Change password", id="password.save"),
        Binding("ctrl+o", "toggle_visible", "Show/hide", id="password.toggle"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._busy = False

    def screen_title(self) -> str:
        return _("Change password")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="password-page", classes="page"):
            yield Static(
                _(
                    "At least {n} characters, any you like (spaces and accents too). Not your "
                    "login, your name or your organization's name, nor a common password.",
                    n=MIN_LENGTH,
                ),
                id="password-rules",
            )
            yield Static(_(COMPOSITION_ADVICE), id="password-advice", classes="advice")
            with Horizontal(classes="form-row"):
                yield Label(_("Current password"), classes="field")
                yield Input(password=True, id="current", compact=True, max_length=1024)
            with Horizontal(classes="form-row"):
                yield Label(_("New password"), classes="field")
                yield Input(password=True, id="new", compact=True, max_length=MAX_LENGTH + 1)
            with Horizontal(classes="form-row"):
                yield Label("", classes="field")
                yield StrengthMeter(id="strength")
            yield Static("", id="new-problems")
            with Horizontal(classes="form-row"):
                yield Label(_("Confirm"), classes="field")
                yield Input(password=True, id="confirm", compact=True, max_length=MAX_LENGTH + 1)
            yield Static("", id="password-message")
            with Horizontal(classes="form-row"):
                yield Button(
                    _("Change password") + " (ctrl+s)",
                    id="password-save",
                    compact=True,
                    variant="primary",
                )
            yield Static(_("Your other sessions will be closed."), classes="advice")

    def on_mount(self) -> None:
        self.query_one("#current", Input).focus()

    # -- typing ------------------------------------------------------------------------

    @on(Input.Changed, "#new")
    def _new_changed(self, event: Input.Changed) -> None:
        self.evaluate(event.value)

    @work(exclusive=True, group="password-strength")
    async def evaluate(self, password: str) -> None:
        """Update the meter and the live problems for what is typed."""
        meter = self.query_one("#strength", StrengthMeter)
        problems_view = self.query_one("#new-problems", Static)
        if not password:
            meter.score = None
            problems_view.update("")
            return
        member = self.portal.member
        score, problems = await asyncio.to_thread(
            _evaluate,
            password,
            member.login,
            member.full_name,
            member.organization_name,
            current(),
        )
        meter.score = score
        problems_view.update("\n".join(f"• {p}" for p in problems))

    @on(Input.Submitted, "#current")
    def _next_from_current(self) -> None:
        self.query_one("#new", Input).focus()

    @on(Input.Submitted, "#new")
    def _next_from_new(self) -> None:
        self.query_one("#confirm", Input).focus()

    @on(Input.Submitted, "#confirm")
    @on(Button.Pressed, "#password-save")
    def _submit(self) -> None:
        self.action_save()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Leaving while the change is written would skip closing the other sessions.
        return not (action == "back" and self._busy)

    def action_toggle_visible(self) -> None:
        """Show or hide what is typed in the three fields."""
        for field in self.query(Input):
            field.password = not field.password

    # -- saving ------------------------------------------------------------------------

    def _say(self, text: str, *, error: bool = True) -> None:
        self.clear_field_error()
        message = self.query_one("#password-message", Static)
        message.set_class(error, "error")
        message.update(text)

    def _field_error(self, field: str, text: str) -> None:
        message = self.query_one("#password-message", Static)
        self.show_field_error(self.query_one(field, Input), text, line=message)

    def action_save(self) -> None:
        """Check the form, then change the password in a worker."""
        if self._busy:
            return
        current_pw = self.query_one("#current", Input).value
        new = self.query_one("#new", Input).value
        confirm = self.query_one("#confirm", Input).value
        if not current_pw:
            self._field_error("#current", _("Type your current password."))
            return
        if new != confirm:
            self._field_error("#confirm", _("The two new passwords are different."))
            return
        self._busy = True
        self._say(_("Checking…"), error=False)
        self.save(current_pw, new)

    @work(exclusive=True, group="password-save")
    async def save(self, current_pw: str, new: str) -> None:
        """Change the password (argon2 in a worker), then close the other sessions."""
        try:
            await self._save(current_pw, new)
        finally:
            self._busy = False

    async def _save(self, current_pw: str, new: str) -> None:
        portal = self.portal
        member = portal.member
        result = await portal.call(account.change_password, member, current_pw, new)
        if not result.ok:
            field = "#current" if result.wrong_current else "#new"
            if result.wrong_current:
                self.query_one("#current", Input).value = ""
            self._field_error(field, "\n".join(result.problems))
            return
        reason = get_translator(member.language).gettext(
            "Your password was changed from another session: please log in again."
        )
        closed = await portal.call(
            portal.services.sessions.close_member_sessions,
            member.id,
            except_session=portal.session.session_id,
            reason=reason,
        )
        await portal.call(account.record_sessions_closed, member, closed, cause="password_changed")
        text = _("Password changed.")
        if closed:
            text += " " + ngettext(
                "{n} other session was closed.", "{n} other sessions were closed.", closed
            )
        self.notify(text)
        if self.is_current:
            self.dismiss()
