"""My Account: who I am here, my security settings, and my language.

The entry of the area: the profile (name, login that never changes, the organization's
email), a menu of the security screens with their current state, and the language.
Each security action lives on its own screen:

- ``portal.screens.security_password:PasswordScreen``: change the password.
- ``portal.screens.twofactor:TwoFactorScreen``: 2FA on/off, recovery codes.
- ``portal.screens.twofactor_setup:TwoFactorSetupScreen``: enrolment with a QR code;
  ``TwoFactorRequiredScreen`` is its mandatory form for the login gate.
- ``portal.screens.ssh_keys:SshKeysScreen``: add, list and remove SSH keys.
- ``portal.screens.sessions:SessionsScreen``: active sessions, close the others.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Label, OptionList, RadioSet, Static
from textual.widgets.option_list import Option

from portal.i18n import LANGUAGES, _, ngettext
from portal.screens.base import PortalScreen
from portal.screens.data_rights import DataRightsScreen
from portal.screens.security_password import PasswordScreen
from portal.screens.sessions import SessionsScreen
from portal.screens.ssh_keys import SshKeysScreen
from portal.screens.twofactor import TwoFactorScreen
from portal.services import account
from portal.services.account import SecuritySummary
from portal.widgets.toggles import RadioButton


def _profile_line(label: str, value: str) -> str:
    """One line of the profile, "Nom : Alice Martin": the value is escaped, shown as text."""
    return _("{label}: {value}", label=label, value=escape(value))


class AccountScreen(PortalScreen):
    """Name, login (never changes), the organization's email, security, language."""

    CSS_PATH = "../styles/account.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "open('password')", "Password", id="account.password"),
        Binding("t", "open('twofactor')", "Two-factor", id="account.twofactor"),
        Binding("k", "open('keys')", "SSH keys", id="account.keys"),
        Binding("s", "open('sessions')", "Sessions", id="account.sessions"),
        Binding("d", "open('data')", "My data", id="account.data"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._summary: SecuritySummary | None = None
        self._sessions = 0
        """Live sessions of the member in every server process (0: not read yet)."""
        """The last security state read; compose draws from it."""

    def screen_title(self) -> str:
        return _("My account")

    def compose_body(self) -> ComposeResult:
        member = self.portal.member
        with VerticalScroll(id="account", classes="page"):
            yield Static(_("Profile"), classes="heading")
            yield Static(
                "\n".join(
                    [
                        _profile_line(_("Name"), member.full_name),
                        _profile_line(_("Login"), member.login)
                        + f"  [dim]({_('never changes')})[/dim]",
                        _profile_line(_("Organization"), member.organization_name),
                        _profile_line(_("Organization email"), member.org_email),
                    ]
                ),
                id="profile",
            )
            yield Static(_("Security"), classes="heading")
            yield OptionList(*self._options(), id="security-menu")
            yield Label(_("Language"), classes="heading")
            with RadioSet(id="language"):
                for code, name in LANGUAGES.items():
                    yield RadioButton(name, value=code == member.language, id=f"lang-{code}")

    def _options(self) -> list[Option]:
        summary = self._summary
        if summary is None:
            twofactor_state = keys_state = ""
        else:
            tf = summary.twofactor
            twofactor_state = (
                ngettext(
                    "on · {n} recovery code left",
                    "on · {n} recovery codes left",
                    tf.recovery_codes_left,
                )
                if tf.enabled
                else _("off")
            )
            keys_state = ngettext("{n} key", "{n} keys", summary.ssh_keys)
        sessions_state = ngettext("{n} open", "{n} open", self._sessions) if self._sessions else ""
        rows = [
            ("password", "p", _("Change password"), ""),
            ("twofactor", "t", _("Two-factor authentication"), twofactor_state),
            ("keys", "k", _("SSH keys"), keys_state),
            ("sessions", "s", _("Active sessions"), sessions_state),
            ("data", "d", _("My data: export, deletion"), ""),
        ]
        return [
            Option(f"[b]{key}[/b]  {label}" + (f"  [dim]({state})[/dim]" if state else ""), id=oid)
            for oid, key, label, state in rows
        ]

    def on_screen_resume(self) -> None:
        """Shown first, or back from a security screen: refresh the states."""
        self.load_summary()

    @work(exclusive=True, group="account-summary")
    async def load_summary(self) -> None:
        """Read the security state in a worker and show it next to each action."""
        portal = self.portal
        self._summary = await portal.call(account.security_summary, portal.member)
        live = await portal.call(portal.services.sessions.list_for, portal.member.id)
        self._sessions = len(live) or 1  # this one, even before it is listed
        menu = self.query_one("#security-menu", OptionList)
        for option in self._options():
            assert option.id is not None
            menu.replace_option_prompt(option.id, option.prompt)

    @on(OptionList.OptionSelected, "#security-menu")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.action_open(event.option.id)

    def action_open(self, what: str) -> None:
        """Open one of the security screens."""
        self.app.push_screen(_make(what))

    @on(RadioSet.Changed, "#language")
    async def change_language(self, event: RadioSet.Changed) -> None:
        """Apply the chosen language at once and keep it for next time."""
        pressed = event.pressed.id or ""
        code = pressed.removeprefix("lang-")
        if code in LANGUAGES and code != self.portal.member.language:
            await self.portal.set_language(code)
            self.notify(_("Language changed."))


def _make(what: str) -> Screen[None]:
    """The security screen for one of the account page's entries."""
    if what == "password":
        return PasswordScreen()
    if what == "twofactor":
        return TwoFactorScreen()
    if what == "keys":
        return SshKeysScreen()
    if what == "data":
        return DataRightsScreen()
    return SessionsScreen()
