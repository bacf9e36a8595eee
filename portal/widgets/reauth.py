"""The re-authentication dialog asked before a sensitive change of one's own account.

``ReauthDialog(purpose, reason)`` asks for the member's password, or for a current code
from their authenticator app when 2FA is on, checks it with ``services.reauth.verify``
in a database worker, and is dismissed with the ``Proof`` to hand to the service (None
when the member cancels). A wrong answer is said in a sentence, the field is emptied and
keeps the focus, and nothing changes. Usage from a screen::

    self.app.push_screen(ReauthDialog(reauth.ADD_SSH_KEY, _("To add this key, …")), then)

It imports no screen (any screen may open it) and reaches the app through the small
protocol below.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol, TypeVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, Static

from portal.i18n import _
from portal.services import reauth
from portal.services.reauth import Proof, ReauthError
from portal.services.runtime import Services
from portal.widgets.footer import PortalFooter
from portal.widgets.pacing import PromptModalScreen

T = TypeVar("T")


class _Session(Protocol):
    @property
    def ip(self) -> str | None: ...


class _Portal(Protocol):
    """What the dialog needs from the member app (``PortalApp`` has it)."""

    @property
    def services(self) -> Services: ...

    @property
    def session(self) -> _Session: ...

    @property
    def member(self) -> Any:  # portal.data.members.Member (widgets do not import data)
        ...

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T: ...


class ReauthDialog(PromptModalScreen[Proof | None]):
    """Password (or TOTP code when 2FA is on) before a sensitive action.

    Args:
        purpose: The action the proof is for (``reauth.ADD_SSH_KEY``...).
        reason: What is about to happen, already translated (plain text, never markup).
    """

    CSS_PATH = ["../styles/dialogs.tcss", "../styles/reauth.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="reauth.cancel"),
    ]

    def __init__(self, purpose: str, reason: str) -> None:
        super().__init__()
        self.purpose = purpose
        self._reason = reason
        self._needs_code: bool | None = None
        """None until read: True asks a TOTP code, False the password."""
        self._busy = False

    @property
    def portal(self) -> _Portal:
        """The member app."""
        return cast(_Portal, self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="reauth"):
            yield Static(Content(self._reason), id="reauth-reason")
            if self._needs_code is None:
                yield Static("…", id="reauth-loading")
            elif self._needs_code:
                yield Static(_("The 6-digit code your app shows:"))
                yield Input(
                    placeholder="123456",
                    id="reauth-code",
                    compact=True,
                    max_length=7,
                    restrict=r"[0-9 ]*",
                )
            else:
                yield Static(_("Your password:"))
                yield Input(password=True, id="reauth-password", compact=True, max_length=1024)
            yield Static("", id="reauth-message")
            yield Static(_("Enter to confirm, Escape to cancel."), classes="hint")
        yield PortalFooter()

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="reauth-load")
    async def load(self) -> None:
        """Ask whether 2FA is on, then show the right field."""
        self._needs_code = await self.portal.call(reauth.needs_code, self.portal.member.id)
        await self.recompose()
        self._field().focus()

    def _field(self) -> Input:
        return self.query_one("#reauth-code" if self._needs_code else "#reauth-password", Input)

    @on(Input.Submitted, "#reauth-code, #reauth-password")
    def _submitted(self, event: Input.Submitted) -> None:
        if not self._busy:
            self._busy = True
            self.check(event.value)

    @work(exclusive=True, group="reauth-check")
    async def check(self, answer: str) -> None:
        """Verify the answer in a worker; dismiss with the proof, or say why not."""
        portal = self.portal
        field = "code" if self._needs_code else "password"
        try:
            proof = await portal.call(
                reauth.verify,
                portal.services.secrets,
                portal.member,
                self.purpose,
                ip=portal.session.ip,
                **{field: answer},
            )
        except ReauthError as error:
            message = self.query_one("#reauth-message", Static)
            message.add_class("error")
            message.update(Content(error.text()))
            entry = self._field()
            entry.value = ""
            entry.focus()
            return
        finally:
            self._busy = False
        self.dismiss(proof)

    def action_cancel(self) -> None:
        """Close without a proof: nothing happens."""
        self.dismiss(None)


def ask_reauth(screen: Any, purpose: str, reason: str, then: Callable[[Proof], object]) -> None:
    """Open the dialog over ``screen``; call ``then(proof)`` once the member confirmed.

    Nothing is called when the member cancels.
    """

    def done(proof: Proof | None) -> None:
        if proof is not None:
            then(proof)

    screen.app.push_screen(ReauthDialog(purpose, reason), done)
