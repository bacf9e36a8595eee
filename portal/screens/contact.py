"""Contact details & preferences: communication email, postal address, newsletter, language.

The screen holds no rule: it shows a ``ContactView`` from ``portal.services.contact``
and sends each action there. A refused input leaves the fields as typed, with a
sentence in the member's language; nothing is written. A new communication email is
asked only after the member confirmed it is them (``ReauthDialog``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.message import Message
from textual.widgets import Button, Input, Label, RadioSet, Static

from portal.i18n import LANGUAGES, _
from portal.screens.base import PortalScreen
from portal.services import contact, reauth
from portal.services.contact import ContactError, ContactView
from portal.services.reauth import Proof, ReauthError
from portal.widgets.reauth import ask_reauth
from portal.widgets.toggles import Checkbox, RadioButton

log = logging.getLogger(__name__)


class ContactScreen(PortalScreen):
    """Where my email goes, my postal address, the newsletter and my language."""

    CSS_PATH = "../styles/contact.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save_address", "Save address", id="contact.save_address"),
        Binding("ctrl+r", "resend_code", "Resend code", id="contact.resend_code"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._view: ContactView | None = None
        """The last state read from the service; compose draws from it."""

    def screen_title(self) -> str:
        return _("Contact details & preferences")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer "Resend code" only while an address waits for its code."""
        if action == "resend_code":
            return self._view is not None and self._view.pending_email is not None
        return True

    # -- drawing -----------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        view = self._view
        details = view.details if view else None
        with VerticalScroll(id="contact", classes="page"):
            yield Static(_("Communication email"), classes="heading")
            with Horizontal(classes="row"):
                yield Label(_("Messages go to"), classes="field")
                yield Static(self._recipient_text(view), id="recipient")
            with Horizontal(classes="row"):
                yield Label(_("New address"), classes="field")
                yield Input(
                    placeholder=_("name@example.fr"), id="new-email", compact=True, max_length=254
                )
                yield Button(_("Send code"), id="send-code", compact=True)
            with Horizontal(classes="row", id="code-row"):
                yield Label(_("Code received"), classes="field")
                yield Input(
                    placeholder="123456", id="code", compact=True, max_length=7, restrict=r"[0-9 ]*"
                )
                yield Button(_("Verify"), id="verify", compact=True)
                yield Button(_("Resend"), id="resend", compact=True)
                yield Button(_("Cancel"), id="cancel-code", compact=True)
            yield Static(self._pending_text(view), id="pending")
            with Horizontal(classes="row", id="use-org-row"):
                yield Label("", classes="field")
                yield Button(_("Use my organization email again"), id="use-org", compact=True)

            yield Static(_("Postal address"), classes="heading")
            with Horizontal(classes="row"):
                yield Label(_("Street"), classes="field")
                yield Input(
                    details.street if details else "",
                    id="street",
                    compact=True,
                    max_length=contact.MAX_LINE,
                )
            with Horizontal(classes="row"):
                yield Label(_("Additional line"), classes="field")
                yield Input(
                    details.street2 if details else "",
                    id="street2",
                    compact=True,
                    max_length=contact.MAX_LINE,
                    placeholder=_("building, floor... (optional)"),
                )
            with Horizontal(classes="row"):
                yield Label(_("Postal code"), classes="field")
                yield Input(
                    details.postal_code if details else "",
                    id="postal-code",
                    compact=True,
                    max_length=5,
                    restrict=r"[0-9]*",
                )
                yield Label(_("City"), id="city-label")
                yield Input(
                    details.city if details else "",
                    id="city",
                    compact=True,
                    max_length=contact.MAX_CITY,
                )
            with Horizontal(classes="row"):
                yield Label("", classes="field")
                yield Button(_("Save address"), id="save-address", compact=True)

            yield Static(_("Preferences"), classes="heading")
            yield Checkbox(
                _("Receive the newsletter of my CSE by email"),
                value=bool(details and details.newsletter),
                id="newsletter",
                compact=True,
            )
            yield Checkbox(
                _("Show the portal without colours (monochrome)"),
                value=self.portal.monochrome,
                id="monochrome",
                compact=True,
            )
            with Horizontal(classes="row"):
                yield Label(_("Language"), classes="field")
                with RadioSet(id="language", compact=True):
                    for code, name in LANGUAGES.items():
                        yield RadioButton(
                            name, value=code == self.portal.member.language, id=f"lang-{code}"
                        )
            yield Static("", id="message")
        self.call_after_refresh(self._show_state)

    def _recipient_text(self, view: ContactView | None) -> str:
        if view is None:
            return "…"
        email = f"[b]{escape(view.recipient)}[/b]"
        if view.details.comm_email:
            return _("{email} · verified", email=email)
        return _("{email} · organization email", email=email)

    def _pending_text(self, view: ContactView | None) -> str:
        if view is None or view.pending_email is None:
            return _("A code will be sent to the new address to check it.")
        email = f"[b]{escape(view.pending_email)}[/b]"
        if view.pending_expired:
            return _("The code sent to {email} is no longer valid: ask for a new one.", email=email)
        return _(
            "Code sent to {email} (valid {minutes} min).",
            email=email,
            minutes=int(contact.CODE_TTL.total_seconds() // 60),
        )

    def _show_state(self) -> None:
        """Show or hide the parts that depend on the state (after compose or a change)."""
        view = self._view
        pending = view is not None and view.pending_email is not None
        self.query_one("#code-row").display = pending
        self.query_one("#use-org-row").display = bool(view and view.details.comm_email)
        self.refresh_bindings()

    def _show(self, view: ContactView) -> None:
        """Draw a new state in place (typed text in other fields is kept)."""
        self._view = view
        self.query_one("#recipient", Static).update(self._recipient_text(view))
        self.query_one("#pending", Static).update(self._pending_text(view))
        self._show_state()

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#message", Static)
        message.update(escape(text))
        message.set_class(error, "error")
        message.set_class(not error, "success")

    # -- service calls ---------------------------------------------------------------

    class Outcome(Message):
        """A service call finished: the new state, or the sentence that refused it."""

        def __init__(self, action: str, view: ContactView | None, text: str) -> None:
            super().__init__()
            self.action = action
            """Which call (``load``, ``send``, ``verify``, ``address``...)."""
            self.view = view
            """The new state; None when the call was refused or failed."""
            self.text = text
            """What to tell the member (translated)."""

    def on_mount(self) -> None:
        self._call("load", contact.get_contact, done="")

    @work(group="contact")
    async def _call(
        self, action: str, fn: Callable[..., ContactView], *args: Any, done: str, **kwargs: Any
    ) -> None:
        """Run one service call in a database worker thread and post its outcome."""
        member = self.portal.member
        if action != "load":
            kwargs["ip"] = self.portal.session.ip
        try:
            view = await self.portal.call(fn, member, *args, **kwargs)
        except (ContactError, ReauthError) as error:
            self.post_message(self.Outcome(action, None, error.text()))
            return
        except Exception:  # shown to the member; the detail goes to the log
            log.exception("contact %s failed for member %s", action, member.id)
            self.post_message(
                self.Outcome(
                    action, None, _("Something went wrong; nothing was changed. Please try again.")
                )
            )
            return
        self.post_message(self.Outcome(action, view, done))

    @on(Outcome)
    def _outcome(self, event: Outcome) -> None:
        """Draw the outcome of a call, then move the focus where the member goes next."""
        view = event.view
        if view is None and event.action == "verify":
            self.query_one("#code", Input).value = ""
        field = self._field_for(event.action) if view is None and event.text else None
        if field is not None:
            self._say("")
            self.show_field_error(field, event.text)
        elif event.text:
            self._say(event.text, error=view is None)
        if view is None:
            return
        self.clear_field_error()
        self._show(view)
        details = view.details
        if event.action in ("load", "address"):
            for name, value in (
                ("street", details.street),
                ("street2", details.street2),
                ("postal-code", details.postal_code),
                ("city", details.city),
            ):
                self.query_one(f"#{name}", Input).value = value
        if event.action == "load":
            self.query_one("#newsletter", Checkbox).value = details.newsletter
        focus = {
            "load": "#code" if view.pending_email else "#new-email",
            "send": "#code",
            "resend": "#code",
            "verify": "#new-email",
            "cancel": "#new-email",
            "use-org": "#new-email",
        }.get(event.action)
        if event.action == "send":
            self.query_one("#new-email", Input).value = ""
        if event.action == "verify":
            self.query_one("#code", Input).value = ""
        if focus:
            self.query_one(focus, Input).focus()

    def _field_for(self, action: str) -> Input | None:
        """The field a refused ``action`` is about (the focus goes there with the reason)."""
        if action == "address":
            for name in ("#street", "#postal-code", "#city"):
                if not self.query_one(name, Input).value.strip():
                    return self.query_one(name, Input)
            try:
                contact.validate_postal_code(self.query_one("#postal-code", Input).value)
            except ContactError:
                return self.query_one("#postal-code", Input)
            return self.query_one("#street", Input)  # a line too long, or a bad character
        selector = {"send": "#new-email", "verify": "#code"}.get(action)
        return self.query_one(selector, Input) if selector else None

    # -- communication email -----------------------------------------------------------

    @on(Button.Pressed, "#send-code")
    @on(Input.Submitted, "#new-email")
    def send_code(self) -> None:
        """Check the address typed, ask the member to confirm it is them, send a code."""
        self._check_then_send(self.query_one("#new-email", Input).value)

    @work(group="contact")
    async def _check_then_send(self, raw_email: str) -> None:
        """A mistyped address is said before the re-authentication is asked."""
        try:
            await self.portal.call(contact.check_new_email, self.portal.member, raw_email)
        except ContactError as error:
            self.post_message(self.Outcome("send", None, error.text()))
            return
        ask_reauth(
            self,
            reauth.CHANGE_EMAIL,
            _("To change where your messages go, confirm it is you."),
            lambda proof: self._send_with(raw_email, proof),
        )

    def _send_with(self, raw_email: str, proof: Proof) -> None:
        self._call(
            "send",
            contact.request_email_verification,
            raw_email,
            box=self.portal.services.secrets,
            proof=proof,
            done=_("Code sent. Check your mailbox."),
        )

    @on(Button.Pressed, "#verify")
    @on(Input.Submitted, "#code")
    def verify(self) -> None:
        """Check the code typed."""
        self._call(
            "verify",
            contact.verify_email,
            self.query_one("#code", Input).value,
            done=_("Address verified: your messages now go there."),
        )

    @on(Button.Pressed, "#resend")
    def action_resend_code(self) -> None:
        """Send a new code to the address waiting for one."""
        self._call("resend", contact.resend_code, done=_("A new code was sent."))

    @on(Button.Pressed, "#cancel-code")
    def cancel_code(self) -> None:
        """Forget the address waiting for its code."""
        self._call("cancel", contact.cancel_verification, done=_("Verification cancelled."))

    @on(Button.Pressed, "#use-org")
    def use_org(self) -> None:
        """Send messages to the organization email again."""
        self._call(
            "use-org",
            contact.use_organization_email,
            done=_("Your messages go to your organization email again."),
        )

    # -- address and preferences -------------------------------------------------------

    @on(Button.Pressed, "#save-address")
    @on(Input.Submitted, "#street, #street2, #postal-code, #city")
    def action_save_address(self) -> None:
        """Save the postal address as typed."""
        values = {
            name.replace("-", "_"): self.query_one(f"#{name}", Input).value
            for name in ("street", "street2", "postal-code", "city")
        }
        self._call("address", contact.save_address, **values, done=_("Address saved."))

    @on(Checkbox.Changed, "#newsletter")
    def newsletter(self, event: Checkbox.Changed) -> None:
        """Subscribe or unsubscribe at once."""
        if self._view is None or event.value == self._view.details.newsletter:
            return
        done = (
            _("You will receive the newsletter.")
            if event.value
            else _("You will no longer receive the newsletter.")
        )
        self._call("newsletter", contact.set_newsletter, event.value, done=done)

    @on(Checkbox.Changed, "#monochrome")
    async def monochrome(self, event: Checkbox.Changed) -> None:
        """Draw without colours (or with them again) at once, and keep it for next time."""
        if event.value != self.portal.monochrome:
            await self.portal.set_monochrome_preference(event.value)
            self.notify(
                _("The portal is now shown without colours.")
                if event.value
                else _("The portal is shown in colour again.")
            )

    @on(RadioSet.Changed, "#language")
    async def change_language(self, event: RadioSet.Changed) -> None:
        """Apply the chosen language at once and keep it for next time."""
        code = (event.pressed.id or "").removeprefix("lang-")
        if code in LANGUAGES and code != self.portal.member.language:
            await self.portal.set_language(code)
            self.notify(_("Language changed."))
