"""Turn two-factor authentication on: scan a QR code, confirm with a first code.

The QR code (drawn with half blocks by ``portal.widgets.qrcode.QRCode``) holds the
``otpauth://`` URI with the issuer "Portal CSE" and the login; the secret is also shown
as text for manual entry. 2FA turns on only once a first code from the app is right;
the 10 recovery codes are then shown, once, on the same screen.

``TwoFactorRequiredScreen`` is the mandatory form, for the login gate (managers and
admins without 2FA at login)::

    from portal.screens.twofactor_setup import TwoFactorRequiredScreen
    app.push_screen(TwoFactorRequiredScreen(), callback)

It has no "back": the member activates 2FA or logs out (ctrl+q). It dismisses itself
(result None, ``callback`` is called) once 2FA is on and the recovery codes were seen,
or at once if 2FA is already on. It asks no re-authentication: the member typed their
password at the gate a moment ago, and ``twofactor.begin_enrollment`` accepts no proof
only for a member whose role requires 2FA and who has none. From My Account, the
enrolment opens with the ``Proof`` the ``ReauthDialog`` gave.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.screens.twofactor_codes import RecoveryCodesView, codes_text
from portal.services import twofactor
from portal.services.reauth import Proof, ReauthError
from portal.services.twofactor import Enrollment, TwoFactorError
from portal.widgets.qrcode import QRCode


class TwoFactorSetupScreen(PortalScreen):
    """Enrolment: QR code and key, then a first code, then the recovery codes.

    Args:
        proof: The re-authentication for ``reauth.ENABLE_TWOFACTOR`` (None only for the
            mandatory form, right after the login).
        mandatory: No way back (the login gate requires 2FA for this member).
    """

    CSS_PATH = "../styles/account.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_codes", "Copy", id="twofactor_setup.copy"),
        Binding("enter", "done", "I have saved them", id="twofactor_setup.done"),
    ]

    def __init__(self, *, proof: Proof | None = None, mandatory: bool = False) -> None:
        super().__init__()
        self.mandatory = mandatory
        self._proof = proof
        self._enrollment: Enrollment | None = None
        """The pending secret, kept only while this screen shows it."""
        self._codes: list[str] | None = None
        """The recovery codes, kept only while this screen shows them."""
        self._busy = False

    def screen_title(self) -> str:
        return _("Activate two-factor authentication")

    def compose_body(self) -> ComposeResult:
        if self._codes is not None:
            with VerticalScroll(classes="page"):
                yield Static(
                    _("Two-factor authentication is on."), classes="success", id="setup-done"
                )
                yield RecoveryCodesView(self._codes)
            return
        enrollment = self._enrollment
        if enrollment is None:
            yield Static(_("Preparing…"), id="setup-loading", classes="page")
            return
        with Horizontal(id="setup"):
            yield QRCode(enrollment.uri, id="qr")
            with VerticalScroll(id="setup-side"):
                if self.mandatory:
                    yield Static(
                        _("Required for your role: activate it to continue."),
                        classes="warning step",
                    )
                yield Static(
                    _(
                        "1. Scan this QR code with an authenticator app: Google "
                        "Authenticator, Microsoft Authenticator, Authy, LastPass…"
                    ),
                    classes="step",
                )
                yield Static(_("2. Or type this key in the app:"))
                yield Static(enrollment.grouped_secret(), id="secret")
                yield Static(
                    _(
                        "Account: {login} · {issuer} · time-based, 6 digits",
                        login=self.portal.member.login,
                        issuer=twofactor.ISSUER,
                    ),
                    classes="advice step",
                )
                yield Static(_("3. Type the 6-digit code the app shows:"))
                yield Input(
                    placeholder="123456",
                    id="totp-code",
                    compact=True,
                    max_length=7,
                    restrict=r"[0-9 ]*",
                )
                yield Static("", id="setup-message")

    def on_mount(self) -> None:
        self.start()

    @work(exclusive=True, group="twofactor-setup")
    async def start(self) -> None:
        """Create the pending secret in a worker, then draw the QR code."""
        portal = self.portal
        try:
            self._enrollment = await portal.call(
                twofactor.begin_enrollment,
                portal.services.secrets,
                portal.member.id,
                proof=self._proof,
            )
        except ReauthError as error:
            self.notify(error.text(), severity="error")
            self.dismiss()
            return
        except TwoFactorError:
            self.notify(_("Two-factor authentication is already on."))
            self.dismiss()
            return
        await self.recompose()
        self.refresh_bindings()
        self.query_one("#totp-code", Input).focus()

    # -- confirming --------------------------------------------------------------------

    @on(Input.Submitted, "#totp-code")
    def _submitted(self, event: Input.Submitted) -> None:
        code = "".join(event.value.split())
        if len(code) != 6:
            self._say(_("Type the 6 digits the app shows."))
            return
        if not self._busy:
            self._busy = True
            self.confirm(code)

    def _say(self, text: str) -> None:
        message = self.query_one("#setup-message", Static)
        self.show_field_error(self.query_one("#totp-code", Input), text, line=message)

    @work(exclusive=True, group="twofactor-confirm")
    async def confirm(self, code: str) -> None:
        """Check the first code; on success show the recovery codes."""
        portal = self.portal
        try:
            codes = await portal.call(
                twofactor.confirm_enrollment, portal.services.secrets, portal.member.id, code
            )
        finally:
            self._busy = False
        if codes is None:
            self.query_one("#totp-code", Input).value = ""
            self._say(
                _(
                    "This code is not valid. Type the code your app shows now; check "
                    "your phone's clock."
                )
            )
            return
        self._enrollment = None
        self._codes = codes
        await self.recompose()
        self.refresh_bindings()
        self.notify(_("Two-factor authentication is on."))

    # -- recovery codes ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy_codes", "done"):
            return self._codes is not None
        if action == "back":
            return self._codes is not None or not (self.mandatory or self._busy)
        return True

    def action_copy_codes(self) -> None:
        """Copy the recovery codes to the clipboard (terminals that allow it)."""
        if self._codes:
            self.app.copy_to_clipboard(codes_text(self._codes))
            self.notify(_("Codes copied to the clipboard (if your terminal allows it)."))

    def action_done(self) -> None:
        """The member saved the codes: forget them and leave."""
        self._codes = []
        self.dismiss()

    def action_back(self) -> None:
        if self._codes is not None:
            self.action_done()
        elif not self.mandatory:
            self.dismiss()


class TwoFactorRequiredScreen(TwoFactorSetupScreen):
    """The enrolment that the login gate opens when a manager or admin has no 2FA yet.

    No back key; ctrl+q still logs out. Dismissed (result None) once 2FA is on.
    """

    def __init__(self) -> None:
        super().__init__(mandatory=True)

    def screen_title(self) -> str:
        return _("Two-factor authentication required")
