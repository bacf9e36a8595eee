"""My e-tickets & e-cards ("Mes e-billets & e-cartes"): active and archived items.

Each row: the item, its masked number, value (or number of people), expiry, and the
remaining balance last given by the issuer. ``enter`` opens one (barcode, QR code, PIN,
balance, send by email, archive); ``a`` switches between the active and archived lists.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from portal.i18n import _, money, ngettext
from portal.screens.base import PortalScreen
from portal.screens.ecard_detail import ECardDetailScreen
from portal.services import ecards as ecards_service
from portal.services.ecards import ECard
from portal.widgets.table import AMOUNT, DataTable


def value_text(card: ECard) -> str:
    """An e-card's value, or an e-ticket's number of people."""
    if card.kind == "ecard":
        return money(card.value_cents)
    return ngettext("{n} person", "{n} people", card.people)


def expiry_text(card: ECard) -> str:
    """The last valid day, or 'expired'."""
    if ecards_service.is_expired(card):
        return _("expired")
    if not card.expires_on:
        return "—"
    day = card.expires_on
    return f"{day[8:10]}/{day[5:7]}/{day[0:4]}"


def balance_text(card: ECard) -> str:
    """The balance last given by the issuer ('—' when unknown)."""
    if card.balance_known == 1 and card.balance_cents is not None:
        return money(card.balance_cents)
    return "—"


class ECardsScreen(PortalScreen):
    """The member's e-cards and e-tickets; ``enter`` opens one, ``a`` shows the archive."""

    CSS_PATH = "../styles/ecards.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Details", id="ecards.open", show=True),
        Binding("a", "toggle_archive", "Active / archived", id="ecards.archive"),
        Binding("r", "reload", "Refresh", id="ecards.reload"),
    ]

    class Loaded(Message):
        """The list and how many items are still being issued."""

        def __init__(self, cards: list[ECard], pending: int) -> None:
            super().__init__()
            self.cards = cards
            self.pending = pending

    def __init__(self) -> None:
        super().__init__()
        self.archived = False
        """Whether the archived list is shown."""
        self.cards: list[ECard] = []

    def screen_title(self) -> str:
        return _("My e-tickets & e-cards")

    def compose_body(self) -> ComposeResult:
        yield Static("", id="ecards-heading", classes="heading")
        table = DataTable(id="ecards-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="ecards-status", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#ecards-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.load()

    @work(exclusive=True, group="ecards")
    async def load(self) -> None:
        """Read the list shown."""
        member = self.portal.member
        cards = await self.portal.call(ecards_service.list_cards, member, archived=self.archived)
        pending = await self.portal.call(ecards_service.pending_count, member)
        self.post_message(self.Loaded(cards, pending))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.cards = message.cards
        heading = _("Archived items") if self.archived else _("Active items")
        self.query_one("#ecards-heading", Static).update(Content(heading))
        table = self.query_one("#ecards-table", DataTable)
        table.clear(columns=True)
        table.add_column(_("Item"), width=14, key="title", flex=True)
        table.add_column(_("Number"), width=16, key="number")
        table.add_column(_("Value"), width=11, key="value", kind=AMOUNT)
        table.add_column(_("Expires"), width=10, key="expires")
        table.add_column(_("Balance"), width=10, key="balance", kind=AMOUNT)
        for card in message.cards:
            table.add_row(
                card.title,
                card.number_masked,
                value_text(card),
                expiry_text(card),
                balance_text(card),
                key=str(card.id),
            )
        notes: list[str] = []
        if not message.cards:
            notes.append(
                _("No archived item.")
                if self.archived
                else _("No e-card or e-ticket yet: they appear here once an order is issued.")
            )
        if message.pending:
            notes.append(
                ngettext(
                    "{n} item of your orders is being issued.",
                    "{n} items of your orders are being issued.",
                    message.pending,
                )
            )
        notes.append(
            _("Press a for the active items.")
            if self.archived
            else _("Press a for the archived items.")
        )
        self.query_one("#ecards-status", Static).update(Content(" ".join(notes)))

    def action_open(self) -> None:
        """Open the item under the cursor."""
        table = self.query_one("#ecards-table", DataTable)
        if not self.cards or table.cursor_row < 0 or table.cursor_row >= len(self.cards):
            return
        card = self.cards[table.cursor_row]
        self.app.push_screen(ECardDetailScreen(card.id, kind=card.kind))

    @on(DataTable.RowSelected, "#ecards-table")
    def _selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_toggle_archive(self) -> None:
        """Switch between the active and archived lists."""
        self.archived = not self.archived
        self.load()

    def action_reload(self) -> None:
        """Read the list again."""
        self.load()
