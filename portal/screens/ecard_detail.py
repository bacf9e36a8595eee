"""One e-card or e-ticket: its barcode or QR code, number, PIN, balance, and what to do.

The code is drawn at the top so that it is whole on an 80x24 screen: a Code 128 barcode
(what a cashier's scanner reads) with the number under it, or, with ``c``, a QR code with
the number beside it. ``p`` shows the PIN (audited; offered only when the item has one),
``b`` asks the issuer for the balance (e-cards only), ``e`` sends the item as PDF by email, ``a`` archives or brings it back.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from portal.i18n import _, money, ngettext
from portal.screens.base import PortalScreen
from portal.services import ecards as ecards_service
from portal.services.ecards import ECard
from portal.services.errors import UserError
from portal.widgets.barcode import Barcode
from portal.widgets.dialogs import AskDialog
from portal.widgets.footer import PortalFooter
from portal.widgets.format import day_text, when_text
from portal.widgets.qrcode import QRCode


class ECardDetailScreen(PortalScreen):
    """An item's codes and facts; keys act on it."""

    CSS_PATH = "../styles/ecards.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Short descriptions and a compact footer: every key fits 80 columns (issue 3).
        Binding("c", "switch_code", "Code", id="ecard.code"),
        Binding("p", "pin", "PIN", id="ecard.pin"),
        Binding("b", "balance", "Balance", id="ecard.balance"),
        Binding("e", "send", "Email", id="ecard.send"),
        Binding("a", "archive", "Archive", id="ecard.archive"),
    ]

    class Loaded(Message):
        """The item and its number (in full, for its member's codes)."""

        def __init__(self, card: ECard, number: str, note: str = "") -> None:
            super().__init__()
            self.card = card
            self.number = number
            self.note = note

        def __repr__(self) -> str:
            return "Loaded(...)"

    class Said(Message):
        """A sentence for the message line (an error when ``error``)."""

        def __init__(self, text: str, error: bool = False) -> None:
            super().__init__()
            self.text = text
            self.error = error

    class PinShown(Message):
        """The PIN, at the member's request."""

        def __init__(self, pin: str) -> None:
            super().__init__()
            self.pin = pin

        def __repr__(self) -> str:
            return "PinShown(...)"

    class AskAddress(Message):
        """Ask where to send the item (``default``: the member's usual address)."""

        def __init__(self, default: str) -> None:
            super().__init__()
            self.default = default

    def __init__(self, card_id: int, *, kind: str = "ecard") -> None:
        super().__init__()
        self.card_id = card_id
        self.kind = kind
        """``ecard`` or ``eticket`` (the title says which, before the item is read)."""
        self.card: ECard | None = None
        self._number = ""
        self._pin: str | None = None
        self.qr = False
        """True when the QR code is shown instead of the barcode."""

    def screen_title(self) -> str:
        if self.kind == "eticket":
            return _("E-ticket")
        return _("E-card")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="ecard-page"):
            yield Static(_("Loading…"), id="ecard-heading", classes="heading")
            with Horizontal(id="ecard-code-row"):
                yield Container(id="ecard-code")
                yield Static("", id="ecard-side")
            yield Static("", id="ecard-number")
            yield Static("", id="ecard-facts")
            yield Static("", id="ecard-terms", classes="hint")
            yield Static("", id="ecard-message")

    def on_mount(self) -> None:
        self.query_one(PortalFooter).compact = True  # e-card keys + ^q + F1 in 80 columns
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer ``p`` only for an item with a PIN and ``b`` only for an e-card (hidden
        until the item is read, and on an e-ticket)."""
        if action == "pin":
            return self.card is not None and self.card.has_pin
        if action == "balance":
            return self.card is not None and self.card.kind == "ecard"
        return super().check_action(action, parameters)

    def __repr__(self) -> str:
        return f"ECardDetailScreen(card_id={self.card_id})"

    @work(exclusive=True, group="ecard")
    async def load(self, note: str = "") -> None:
        """Read the item and its number."""
        member = self.portal.member
        box = self.portal.services.secrets
        try:
            card = await self.portal.call(ecards_service.get_card, member, self.card_id)
            codes = await self.portal.call(ecards_service.codes, member, self.card_id, box)
        except UserError as error:
            self.post_message(self.Said(error.text(self.portal.translator()), True))
            return
        self.post_message(self.Loaded(card, codes.number, note))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        first = self.card is None
        self.card = message.card
        self._number = message.number
        if first:
            self.qr = False
            self._draw_code()
        self._draw()
        self.refresh_bindings()
        if message.note:
            self._say(message.note)

    @on(Said)
    def _said(self, message: Said) -> None:
        self._say(message.text, error=message.error)

    @on(PinShown)
    def _pin_shown(self, message: PinShown) -> None:
        self._pin = message.pin
        self._draw()

    # -- drawing -------------------------------------------------------------------------

    def _draw_code(self) -> None:
        box = self.query_one("#ecard-code", Container)
        box.remove_children()
        if not self._number:
            return
        if self.qr:
            box.mount(QRCode(self._number, id="ecard-qr"))
        else:
            box.mount(Barcode(self._number, id="ecard-barcode"))
        self.query_one("#ecard-side", Static).display = self.qr
        self.query_one("#ecard-number", Static).display = not self.qr

    def _draw(self) -> None:
        card = self.card
        if card is None:
            return
        state = ""
        if card.archived_at:
            state = " · " + _("archived")
        elif ecards_service.is_expired(card):
            state = " · " + _("expired")
        self.query_one("#ecard-heading", Static).update(
            Content(f"{card.title} · {card.number_masked}{state}")
        )
        spaced = " ".join(self._number[i : i + 4] for i in range(0, len(self._number), 4))
        self.query_one("#ecard-number", Static).update(Content(spaced))
        pin = self._pin_text(card)
        side = [_("Number:"), spaced]
        if pin:
            side += ["", pin]
        side += ["", self._value_text(card)]
        self.query_one("#ecard-side", Static).update(Content("\n".join(side)))
        facts = [self._value_text(card)]
        if pin:
            facts.append(pin)
        if card.expires_on:
            facts.append(_("Valid until {date}", date=day_text(card.expires_on)))
        if card.validity:
            facts.append(_("Validity: {text}", text=card.validity))
        if card.kind == "ecard":
            facts.append(self._balance_text(card))
        if card.usable_at:
            facts.append(
                _("Venue: {text}", text=card.usable_at)
                if card.kind == "eticket"
                else _("Where to use it: {text}", text=card.usable_at)
            )
        facts.append(_("Bought on {date}", date=when_text(card.purchased_at)))
        self.query_one("#ecard-facts", Static).update(Content("\n".join(facts)))
        terms = _("Terms: {text}", text=card.terms) if card.terms else ""
        self.query_one("#ecard-terms", Static).update(Content(terms))

    @staticmethod
    def _value_text(card: ECard) -> str:
        if card.kind == "ecard":
            return _("Value: {amount}", amount=money(card.value_cents))
        return ngettext("For {n} person", "For {n} people", card.people)

    def _pin_text(self, card: ECard) -> str:
        if not card.has_pin:
            return ""
        if self._pin is None:
            return _("PIN: •••• (press p to show it)")
        return _("PIN: {pin}", pin=self._pin)

    @staticmethod
    def _balance_text(card: ECard) -> str:
        if card.balance_known == 1 and card.balance_cents is not None:
            return _(
                "Balance: {amount} (on {date}; press b to ask again)",
                amount=money(card.balance_cents),
                date=when_text(card.balance_checked_at),
            )
        if card.balance_known == 0:
            message, params = ecards_service.balance_advice(card)
            return _(message, **params)
        return _("Balance: press b to ask the issuer.")

    def _say(self, text: str, *, error: bool = False) -> None:
        box = self.query_one("#ecard-message", Static)
        box.update(Content(text))
        box.set_class(error, "error")

    # -- actions -------------------------------------------------------------------------

    def action_switch_code(self) -> None:
        """Show the QR code instead of the barcode, or back."""
        self.qr = not self.qr
        self._draw_code()
        self._draw()

    @work(exclusive=True, group="ecard-action")
    async def action_pin(self) -> None:
        """Reveal the PIN (the service audits it)."""
        card = self.card
        if card is None:
            return
        if not card.has_pin:
            self.post_message(self.Said(_("This item has no PIN."), True))
            return
        try:
            pin = await self.portal.call(
                ecards_service.reveal_pin,
                self.portal.member,
                self.card_id,
                self.portal.services.secrets,
                ip=self.portal.session.ip,
            )
        except UserError as error:
            self.post_message(self.Said(error.text(self.portal.translator()), True))
            return
        self.post_message(self.PinShown(pin))

    @work(exclusive=True, group="ecard-action")
    async def action_balance(self) -> None:
        """Ask the issuer for the balance."""
        if self.card is None:
            return
        if self.card.kind != "ecard":
            self.post_message(self.Said(_("An e-ticket has no balance."), True))
            return
        self.post_message(self.Said(_("Asking the issuer…")))
        try:
            card = await self.portal.call(
                ecards_service.check_balance,
                self.portal.member,
                self.card_id,
                self.portal.services.issuer,
            )
        except UserError as error:
            self.post_message(self.Said(error.text(self.portal.translator()), True))
            return
        note = _("Balance updated.") if card.balance_known == 1 else _("The issuer cannot tell.")
        self.post_message(self.Loaded(card, self._number, note))

    @work(exclusive=True, group="ecard-action")
    async def action_send(self) -> None:
        """Ask for the address (the communication email by default), then send the PDF."""
        if self.card is None:
            return
        default = await self.portal.call(ecards_service.default_recipient, self.portal.member)
        self.post_message(self.AskAddress(default))

    @on(AskAddress)
    def _ask_address(self, message: AskAddress) -> None:
        if self.card is None:
            return
        question = _(
            "Send {title} as PDF to this address (change it to send it elsewhere):",
            title=self.card.title,
        )
        dialog = AskDialog(question, value=message.default, max_length=254)
        self.app.push_screen(dialog, self._address_answer)

    def _address_answer(self, answer: str | None) -> None:
        if answer is not None:
            self.run_send(answer)

    @work(exclusive=True, group="ecard-action")
    async def run_send(self, address: str) -> None:
        """Send the item's PDF to ``address`` (empty: the communication email)."""
        try:
            sent_to = await self.portal.call(
                ecards_service.send_by_email,
                self.portal.member,
                self.card_id,
                self.portal.services.secrets,
                settings=self.portal.services.settings,
                to=address,
            )
        except UserError as error:
            self.post_message(self.Said(error.text(self.portal.translator()), True))
            return
        self.post_message(self.Said(_("Sent to {email}, with the PDF.", email=sent_to)))

    @work(exclusive=True, group="ecard-action")
    async def action_archive(self) -> None:
        """Archive the item (used up), or bring an archived one back."""
        card = self.card
        if card is None:
            return
        archived = card.archived_at is None
        try:
            card = await self.portal.call(
                ecards_service.archive, self.portal.member, self.card_id, archived=archived
            )
        except UserError as error:
            self.post_message(self.Said(error.text(self.portal.translator()), True))
            return
        note = _("Archived.") if archived else _("Back in the active list.")
        self.post_message(self.Loaded(card, self._number, note))
