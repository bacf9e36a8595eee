"""Two-factor authentication in My Account: its state, turn on, new recovery codes, turn off.

Turning on happens in ``TwoFactorSetupScreen`` (QR code); turning off in
``TwoFactorDisableScreen`` (password and a code). New recovery codes replace the old
ones after a confirmation and are shown once. Turning on and new codes first ask the
member to confirm it is them (``ReauthDialog``: password, or a code when 2FA is on).
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from portal.i18n import _, current, ngettext
from portal.screens.base import PortalScreen
from portal.screens.twofactor_codes import RecoveryCodesScreen
from portal.screens.twofactor_disable import TwoFactorDisableScreen
from portal.screens.twofactor_setup import TwoFactorSetupScreen
from portal.services import reauth, twofactor
from portal.services.reauth import Proof, ReauthError
from portal.services.twofactor import TwoFactorError, TwoFactorStatus
from portal.widgets.dialogs import ConfirmDialog
from portal.widgets.reauth import ask_reauth


def format_timestamp_date(stamp: str | None) -> str:
    """A stored UTC timestamp (``2026-01-31T10:00:00.000Z``) as a date in the session's locale."""
    if not stamp:
        return ""
    try:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return current().date(moment)


class TwoFactorScreen(PortalScreen):
    """Whether 2FA is on, and the actions that apply."""

    CSS_PATH = "../styles/account.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "activate", "Activate", id="twofactor.activate"),
        Binding("r", "regenerate", "New recovery codes", id="twofactor.regenerate"),
        Binding("d", "deactivate", "Deactivate", id="twofactor.deactivate"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._status: TwoFactorStatus | None = None
        """The last state read; compose draws from it."""

    def screen_title(self) -> str:
        return _("Two-factor authentication")

    def compose_body(self) -> ComposeResult:
        status = self._status
        with VerticalScroll(id="twofactor-page", classes="page"):
            yield Static(
                _(
                    "When it is on, logging in asks, after your password or SSH key, for a "
                    "6-digit code from an authenticator app on your phone (Google "
                    "Authenticator, Microsoft Authenticator, Authy, LastPass…)."
                ),
                classes="explain",
            )
            yield Static(self._state_text(status), id="twofactor-state")
            if (
                status is not None
                and not status.enabled
                and twofactor.is_required(self.portal.member)
            ):
                yield Static(
                    _(
                        "Your role requires it: you will be asked to activate it at "
                        "your next login."
                    ),
                    classes="warning",
                )
            yield OptionList(*self._options(status), id="twofactor-actions")

    def _state_text(self, status: TwoFactorStatus | None) -> str:
        if status is None:
            return ""
        if not status.enabled:
            return _("Two-factor authentication is off.")
        text = _(
            "Two-factor authentication is on since {date}.",
            date=format_timestamp_date(status.enabled_at),
        )
        return (
            text
            + "\n"
            + ngettext(
                "{n} recovery code left.", "{n} recovery codes left.", status.recovery_codes_left
            )
        )

    def _options(self, status: TwoFactorStatus | None) -> list[Option]:
        if status is None:
            return []
        if not status.enabled:
            return [Option(f"[b]a[/b]  {_('Activate')}", id="activate")]
        return [
            Option(f"[b]r[/b]  {_('New recovery codes')}", id="regenerate"),
            Option(f"[b]d[/b]  {_('Deactivate')}", id="deactivate"),
        ]

    def on_screen_resume(self) -> None:
        """Shown first, or back from enrolment or deactivation: read the state again."""
        self.load()

    @work(exclusive=True, group="twofactor-status")
    async def load(self) -> None:
        """Read the 2FA state in a worker and redraw."""
        self._status = await self.portal.call(twofactor.status, self.portal.member.id)
        await self.recompose()
        self.refresh_bindings()
        self.query_one("#twofactor-actions", OptionList).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        status = self._status
        if action == "activate":
            return status is not None and not status.enabled
        if action in ("regenerate", "deactivate"):
            return status is not None and status.enabled
        return True

    @on(OptionList.OptionSelected, "#twofactor-actions")
    async def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            await self.run_action(event.option.id)

    # -- actions -----------------------------------------------------------------------

    def action_activate(self) -> None:
        """Ask the password, then open the enrolment (QR code)."""
        ask_reauth(
            self,
            reauth.ENABLE_TWOFACTOR,
            _("To turn on two-factor authentication, confirm it is you."),
            lambda proof: self.app.push_screen(TwoFactorSetupScreen(proof=proof)),
        )

    def action_deactivate(self) -> None:
        """Ask for the password and a code, then turn 2FA off."""
        self.app.push_screen(TwoFactorDisableScreen())

    def action_regenerate(self) -> None:
        """Replace the recovery codes, after a confirmation."""
        self.app.push_screen(
            ConfirmDialog(
                _("Make 10 new recovery codes? The current ones will stop working."), _("New codes")
            ),
            self._regenerate_confirmed,
        )

    def _regenerate_confirmed(self, answer: bool | None) -> None:
        if answer:
            ask_reauth(
                self,
                reauth.REGENERATE_CODES,
                _("To make new recovery codes, confirm it is you."),
                self.regenerate,
            )

    @work(exclusive=True, group="twofactor-regenerate")
    async def regenerate(self, proof: Proof) -> None:
        """Make new codes in a worker and show them once."""
        portal = self.portal
        try:
            codes = await portal.call(
                twofactor.regenerate_recovery_codes,
                portal.services.secrets,
                portal.member.id,
                proof=proof,
            )
        except ReauthError as error:
            self.notify(error.text(), severity="error")
            return
        except TwoFactorError:
            self.notify(_("Two-factor authentication is off."), severity="error")
            self.load()
            return
        self.app.push_screen(RecoveryCodesScreen(codes))
