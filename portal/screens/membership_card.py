"""Ma carte membre: the member's card with its QR code, for a partner to scan.

The QR code holds the address of the partner page (``public_url/v/<signed token>``); the
address is also shown as text. Beside it: first name, organization, last valid day, and
how many times the card was checked and when last (``r`` reads them again).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from portal.i18n import _, ngettext
from portal.screens.base import PortalScreen
from portal.services import membership
from portal.services.membership import MembershipCard, MembershipError
from portal.widgets.qrcode import QRCode


class MembershipCardScreen(PortalScreen):
    """The member's own card (there is no way to show another member's)."""

    CSS_PATH = "../styles/membership.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh_card", "Refresh", id="membership.refresh"),
    ]

    class Loaded(Message):
        """The card, read for the logged-in member."""

        def __init__(self, card: MembershipCard) -> None:
            super().__init__()
            self.card = card

    class Refused(Message):
        """The member has no card (the account is not active)."""

        def __init__(self, error: MembershipError) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.card: MembershipCard | None = None
        """The card shown (None until read)."""
        self.refusal: MembershipError | None = None
        """Why there is no card to show (None while there is one, or before reading)."""

    def screen_title(self) -> str:
        return _("My membership card")

    def compose_body(self) -> ComposeResult:
        card = self.card
        if self.refusal is not None:
            yield Static(self.refusal.text(), id="card-refused", classes="card-page")
            return
        if card is None:
            yield Static(_("Preparing…"), id="card-loading", classes="card-page")
            return
        t = self.portal.translator()
        with Horizontal(id="card"):
            yield QRCode(card.url, id="card-qr")
            with VerticalScroll(id="card-side"):
                yield Static(_("Membership card"), classes="card-heading")
                yield Static(Content(card.first_name), id="card-first-name", classes="card-name")
                yield Static(Content(card.organization), id="card-organization")
                yield Static(
                    _("Valid until {date}", date=t.date(card.valid_until, "long")),
                    id="card-valid-until",
                )
                yield Static(self._checks_text(card), id="card-checks", classes="card-muted")
                yield Static(
                    _("A partner scans the code, or opens:"), classes="card-muted card-step"
                )
                yield Static(Content(card.url), id="card-url")

    def _checks_text(self, card: MembershipCard) -> str:
        if card.verified_count == 0 or card.last_verified_at is None:
            return _("Not checked yet.")
        when = self.portal.translator().datetime(card.last_verified_at, "short")
        return ngettext(
            "Checked {n} time, last on {when}.",
            "Checked {n} times, last on {when}.",
            card.verified_count,
            when=when,
        )

    def on_screen_resume(self) -> None:
        self.load()

    def action_refresh_card(self) -> None:
        """Read the card and its verification count again."""
        self.load()

    @work(exclusive=True, group="membership-card")
    async def load(self) -> None:
        """Read the card of the logged-in member."""
        services = self.portal.services
        try:
            card = await self.portal.call(
                membership.get_card,
                self.portal.member,
                secrets=services.secrets,
                settings=services.settings,
            )
        except MembershipError as error:
            self.post_message(self.Refused(error))
            return
        self.post_message(self.Loaded(card))

    @on(Loaded)
    async def _loaded(self, message: Loaded) -> None:
        self.card, self.refusal = message.card, None
        await self._redraw()

    @on(Refused)
    async def _refused(self, message: Refused) -> None:
        self.card, self.refusal = None, message.error
        await self._redraw()

    async def _redraw(self) -> None:
        await self.recompose()
        # The new footer lists the keys once something holds the focus.
        for side in self.query("#card-side"):
            side.focus()
        self.refresh_bindings()
