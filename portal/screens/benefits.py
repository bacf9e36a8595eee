"""My benefits ("Mes avantages"): subsidies and vouchers, what is left, until when.

Each allocation shows its remaining amount and end date; the panel below explains the
highlighted one (its rule, the categories it pays for, that it is lost if unused).
``o`` lists the offers it applies to, ``h`` its history (every credit and debit).
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from portal.i18n import N_, _, money
from portal.screens.base import PortalScreen
from portal.screens.offer import OfferScreen
from portal.services import benefits as benefits_service
from portal.services import catalog, subsidies
from portal.services.benefits import KIND_LABELS, BenefitSummary, LedgerEntry
from portal.services.urssaf import LISTED_EVENTS
from portal.widgets.footer import PortalFooter
from portal.widgets.format import when_text
from portal.widgets.pacing import PromptModalScreen
from portal.widgets.table import AMOUNT, DataTable

ENTRY_LABELS = {
    "grant": N_("Credit"),
    "debit": N_("Spending"),
    "refund": N_("Refund"),
    "lapse": N_("Lapse"),
}
"""How each kind of ledger row is named in a benefit's history."""


class OffersDialog(PromptModalScreen[int | None]):
    """Offers a benefit pays for; ``enter`` opens one, ``escape`` closes."""

    CSS_PATH = "../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="benefits.offers_close"),
    ]

    def __init__(self, title: str, offers: list[Any]) -> None:
        super().__init__()
        self._title = title
        self._offers = offers

    def compose(self) -> ComposeResult:
        with Vertical(classes="wallet-dialog"):
            yield Static(Content(self._title), classes="subheading")
            if self._offers:
                yield OptionList(
                    *(
                        Option(Content(f"{o.title} · {o.partner_name}"), id=str(o.id))
                        for o in self._offers
                    ),
                    id="offers-list",
                )
            else:
                yield Static(_("No offer of the shop qualifies at the moment."))
        yield PortalFooter()

    @on(OptionList.OptionSelected, "#offers-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_close(self) -> None:
        """Close without choosing."""
        self.dismiss(None)


class BenefitsScreen(PortalScreen):
    """The member's allocations with their balances."""

    CSS_PATH = "../styles/wallet.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "offers", "Eligible offers", id="benefits.offers"),
        Binding("h", "history", "History", id="benefits.history"),
    ]

    class Loaded(Message):
        """The member's benefits."""

        def __init__(self, benefits: list[BenefitSummary]) -> None:
            super().__init__()
            self.benefits = benefits

    class Shown(Message):
        """Text for the panel (history, or a note)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        self.benefits: list[BenefitSummary] = []

    def screen_title(self) -> str:
        return _("My benefits")

    def compose_body(self) -> ComposeResult:
        table: DataTable = DataTable(id="benefits-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="benefits-detail", classes="wallet-panel")
        yield Static(
            _(
                "Unused allocations lapse at the end of their period: what is left is "
                "lost. Subsidies apply by themselves at checkout."
            ),
            id="benefits-note",
            classes="hint",
        )

    def on_mount(self) -> None:
        self.query_one("#benefits-table", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.load()

    @work(exclusive=True, group="benefits")
    async def load(self) -> None:
        """Read the member's benefits."""
        benefits = await self.portal.call(benefits_service.list_benefits, self.portal.member)
        self.post_message(self.Loaded(benefits))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.benefits = message.benefits
        table = self.query_one("#benefits-table", DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        table.add_column(_("Benefit"), width=14, key="label", flex=True)
        table.add_column(_("Kind"), width=16, key="kind")
        table.add_column(_("Left"), width=10, key="left", kind=AMOUNT)
        table.add_column(_("Until"), width=12, key="until")
        t = self.portal.translator()
        for b in self.benefits:
            until = _("lapsed") if b.lapsed else t.date(b.valid_until, "short")
            left = money(b.remaining_cents)
            table.add_row(
                b.label,
                _(KIND_LABELS.get(b.kind, b.kind)),
                left,
                until,
                key=str(b.allocation_id),
            )
        if self.benefits:
            table.move_cursor(row=min(keep, len(self.benefits) - 1))
        else:
            self._panel(_("You have no subsidy or voucher at the moment."))

    def _panel(self, text: str) -> None:
        """Show text in the panel below the table. Its size is fixed by the layout, so a
        new text is repainted without a layout pass (measured: a key moving the
        highlight cost 8 ms of CPU with one, for every session on the loop)."""
        self.query_one("#benefits-detail", Static).update(Content(text), layout=False)

    def _current(self) -> BenefitSummary | None:
        table = self.query_one("#benefits-table", DataTable)
        if not self.benefits or table.cursor_row >= len(self.benefits):
            return None
        return self.benefits[table.cursor_row]

    @on(DataTable.RowHighlighted, "#benefits-table")
    def _highlighted(self) -> None:
        benefit = self._current()
        if benefit is not None:
            self._panel(self._describe(benefit))

    def _describe(self, b: BenefitSummary) -> str:
        t = self.portal.translator()
        lines = [f"{b.label} · {_(KIND_LABELS.get(b.kind, b.kind))}"]
        if b.rule is not None:
            text = subsidies.describe_rule(b.rule, t, b.quotient_familial)
            if b.rule.brackets and b.quotient_familial is not None:
                text += " " + _("(your quotient familial: {qf})", qf=b.quotient_familial)
            lines.append(text)
        if b.categories:
            names = ", ".join(_(catalog.CATEGORIES.get(c, c)) for c in b.categories)
            lines.append(_("Applies to: {categories}", categories=names))
        else:
            lines.append(_("Pays for any offer of the shop, and delivery."))
        if b.event:
            lines.append(_("Given for: {event}", event=_(LISTED_EVENTS.get(b.event, b.event))))
        if b.lapsed:
            lines.append(
                _(
                    "Ended on {date}: {amount} of {total} were not used and are lost.",
                    date=t.date(b.valid_until, "long"),
                    amount=money(b.remaining_cents),
                    total=money(b.amount_cents),
                )
                if b.remaining_cents
                else _("Ended on {date}.", date=t.date(b.valid_until, "long"))
            )
        else:
            lines.append(
                _(
                    "{amount} left of {total}, until {date}. Unused, it will be lost.",
                    amount=money(b.remaining_cents),
                    total=money(b.amount_cents),
                    date=t.date(b.valid_until, "long"),
                )
            )
        if b.categories:
            lines.append(_("Press o to see all eligible offers."))
        return "\n".join(lines)

    # -- actions -------------------------------------------------------------------------

    def action_history(self) -> None:
        """Show every credit and debit of the highlighted benefit."""
        benefit = self._current()
        if benefit is not None:
            self.show_history(benefit)

    @work(exclusive=True, group="benefits-panel")
    async def show_history(self, benefit: BenefitSummary) -> None:
        """Read the ledger of one benefit and show it in the panel."""
        entries: list[LedgerEntry] = await self.portal.call(
            benefits_service.benefit_history, self.portal.member, benefit.allocation_id
        )
        lines = [_("History of {label}", label=benefit.label)]
        for e in entries:
            text = f"{when_text(e.at)}  {_(ENTRY_LABELS[e.entry])}  {money(e.amount_cents)}"
            if e.order_id:
                text += "  " + _("order {number}", number=f"CMD-{e.order_id:07d}")
            lines.append(text)
        self.post_message(self.Shown("\n".join(lines)))

    @on(Shown)
    def _shown(self, message: Shown) -> None:
        self._panel(message.text)

    def action_offers(self) -> None:
        """List the offers the highlighted benefit pays for."""
        benefit = self._current()
        if benefit is None:
            return
        if not benefit.categories:
            self.post_message(self.Shown(_("This voucher pays for any offer of the shop.")))
            return
        self.show_offers(benefit)

    @work(exclusive=True, group="benefits-panel")
    async def show_offers(self, benefit: BenefitSummary) -> None:
        """Read the eligible offers and show them in a dialog."""
        offers = await self.portal.call(catalog.eligible_offers, self.portal.member, benefit)
        title = _("Offers for {label}", label=benefit.label)
        self.app.push_screen(OffersDialog(title, offers), self._open_offer)

    def _open_offer(self, offer_id: int | None) -> None:
        if offer_id:
            self.open_offer(offer_id)

    @work(exclusive=True, group="benefits-panel")
    async def open_offer(self, offer_id: int) -> None:
        """Open the shop's sheet of an offer."""
        sheet = await self.portal.call(catalog.get_offer_sheet, self.portal.member, offer_id)
        if sheet is not None:
            self.app.push_screen(OfferScreen(sheet))
