"""My Account: who I am here, and my language."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, RadioButton, RadioSet, Static

from portal.i18n import LANGUAGES, _
from portal.screens.base import PortalScreen


class AccountScreen(PortalScreen):
    """Name, login (never changes), the organization's email, language."""

    def screen_title(self) -> str:
        return _("My account")

    def compose_body(self) -> ComposeResult:
        member = self.portal.member
        with Vertical(id="account", classes="page"):
            yield Static(_("Profile"), classes="heading")
            yield Static(
                f"{_('Name')}: {member.full_name}\n"
                f"{_('Login')}: {member.login}  [dim]({_('never changes')})[/dim]\n"
                f"{_('Organization')}: {member.organization_name}\n"
                f"{_('Organization email')}: {member.org_email}",
                id="profile",
            )
            yield Label(_("Language"), classes="heading")
            with RadioSet(id="language"):
                for code, name in LANGUAGES.items():
                    yield RadioButton(name, value=code == member.language, id=f"lang-{code}")

    @on(RadioSet.Changed, "#language")
    async def change_language(self, event: RadioSet.Changed) -> None:
        """Apply the chosen language at once and keep it for next time."""
        pressed = event.pressed.id or ""
        code = pressed.removeprefix("lang-")
        if code in LANGUAGES and code != self.portal.member.language:
            await self.portal.set_language(code)
            self.notify(_("Language changed."))
