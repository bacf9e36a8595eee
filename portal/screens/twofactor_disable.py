"""Turn two-factor authentication off: it takes the password and a code (or a recovery code)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.services import twofactor
from portal.services.reauth import ReauthError


class TwoFactorDisableScreen(PortalScreen):
    """Password and code, then 2FA is off; a wrong one changes nothing."""

    CSS_PATH = "../styles/account.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Deactivate", id="twofactor_disable.save"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._busy = False

    def screen_title(self) -> str:
        return _("Deactivate two-factor authentication")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="disable-page", classes="page"):
            yield Static(
                _(
                    "Without it, your password alone opens your account. To turn it off, type "
                    "your password and a code from your app (or a recovery code)."
                ),
                classes="explain",
            )
            if twofactor.is_required(self.portal.member):
                yield Static(
                    _(
                        "Your role requires it: you will be asked to activate it at "
                        "your next login."
                    ),
                    classes="warning",
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Password"), classes="field")
                yield Input(password=True, id="disable-password", compact=True, max_length=1024)
            with Horizontal(classes="form-row"):
                yield Label(_("Code"), classes="field")
                yield Input(
                    placeholder=_("123456 or a recovery code"),
                    id="disable-code",
                    compact=True,
                    max_length=20,
                )
            yield Static("", id="disable-message")
            with Horizontal(classes="form-row"):
                yield Button(
                    _("Deactivate") + " (ctrl+s)", id="disable-save", compact=True, variant="error"
                )

    def on_mount(self) -> None:
        self.query_one("#disable-password", Input).focus()

    @on(Input.Submitted, "#disable-password")
    def _next(self) -> None:
        self.query_one("#disable-code", Input).focus()

    @on(Input.Submitted, "#disable-code")
    @on(Button.Pressed, "#disable-save")
    def _submit(self) -> None:
        self.action_save()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "back" and self._busy)

    def _say(self, text: str) -> None:
        message = self.query_one("#disable-message", Static)
        message.add_class("error")
        message.update(text)

    def action_save(self) -> None:
        """Check that both fields are filled, then turn 2FA off in a worker."""
        password = self.query_one("#disable-password", Input).value
        code = self.query_one("#disable-code", Input).value.strip()
        if not password or not code:
            empty = "#disable-password" if not password else "#disable-code"
            self.show_field_error(
                self.query_one(empty, Input),
                _("Type your password and a code."),
                line=self.query_one("#disable-message", Static),
            )
            return
        if not self._busy:
            self._busy = True
            self.save(password, code)

    @work(exclusive=True, group="twofactor-disable")
    async def save(self, password: str, code: str) -> None:
        """Turn 2FA off (argon2 and the code check run in a worker)."""
        portal = self.portal
        locked = ""
        try:
            done = await portal.call(
                twofactor.disable,
                portal.services.secrets,
                portal.member,
                password,
                code,
                ip=portal.session.ip,
            )
        except ReauthError as error:  # too many wrong answers lately
            done, locked = False, error.text()
        finally:
            self._busy = False
        if not done:
            self.query_one("#disable-password", Input).value = ""
            self.query_one("#disable-code", Input).value = ""
            self.show_field_error(
                self.query_one("#disable-password", Input),
                locked or _("The password or the code is wrong. Nothing was changed."),
                line=self.query_one("#disable-message", Static),
            )
            return
        self.notify(_("Two-factor authentication is off."))
        if self.is_current:
            self.dismiss()
