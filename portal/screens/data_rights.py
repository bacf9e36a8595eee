"""My data (GDPR), from My Account: export all my data, ask for my account's deletion.

The export is a JSON file in my outbox (the message gives its name and the ``sftp``
command). Deletion is asked here and confirmed by a manager; until then it can be
withdrawn.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.services import data_rights
from portal.services.data_rights import DeletionRequest
from portal.widgets.dialogs import AskDialog, ConfirmDialog


class DataRightsScreen(PortalScreen):
    """Export my data; ask for (or withdraw) my account's deletion."""

    CSS_PATH = "../styles/reports.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "export", "Export my data", id="data_rights.export"),
        Binding("x", "deletion", "Delete my account", id="data_rights.deletion"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.request: DeletionRequest | None = None

    def screen_title(self) -> str:
        return _("My data")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="data-rights", classes="page"):
            yield Static(
                _(
                    "You may receive all the data we hold about you (profile, contact "
                    "details, benefits, orders, e-cards without their numbers, documents, "
                    "logins) as a JSON file in your outbox, and ask for your account's "
                    "deletion. Orders and invoices are kept, without your name, for the "
                    "period the law requires."
                ),
                classes="hint",
            )
            yield OptionList(*self._options(), id="data-rights-menu")
            yield Static("", id="data-rights-message")

    def _options(self) -> list[Option]:
        deletion = (
            _("Withdraw my deletion request")
            if self.request is not None
            else _("Ask for my account's deletion")
        )
        return [
            Option(f"[b]e[/b]  {_('Export my data')}", id="export"),
            Option(f"[b]x[/b]  {deletion}", id="deletion"),
        ]

    def on_mount(self) -> None:
        self.query_one("#data-rights-menu", OptionList).focus()
        self.load()

    @work(exclusive=True, group="data-rights")
    async def load(self) -> None:
        """Read whether a deletion request waits."""
        self.request = await self.portal.call(data_rights.my_request, self.portal.member)
        menu = self.query_one("#data-rights-menu", OptionList)
        for option in self._options():
            assert option.id is not None
            menu.replace_option_prompt(option.id, option.prompt)
        if self.request is not None:
            self._say(
                _(
                    "You asked for your account's deletion on {date}: a manager will handle it.",
                    date=self.request.requested_at[:10],
                )
            )

    def _say(self, text: str) -> None:
        self.query_one("#data-rights-message", Static).update(Content(text))

    @on(OptionList.OptionSelected, "#data-rights-menu")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == "export":
            self.action_export()
        elif event.option.id == "deletion":
            self.action_deletion()

    @work(exclusive=True, group="data-rights-action")
    async def action_export(self) -> None:
        """Write my data as JSON to my outbox."""
        portal = self.portal
        result = await portal.call(
            data_rights.export_my_data, portal.services.settings, portal.member
        )
        self._say(
            _(
                "Your data is in outbox/{name}. Fetch it with: {command}",
                name=result.name,
                command=result.sftp_command,
            )
        )

    def action_deletion(self) -> None:
        """Ask for my account's deletion (confirmed, reason optional), or withdraw it."""
        if self.request is not None:
            self.withdraw()
            return
        question = _(
            "Ask for your account's deletion? Once a manager confirms it, you can no longer "
            "log in and your personal data is erased."
        )

        def confirmed(answer: bool | None) -> None:
            if answer:
                self.app.push_screen(
                    AskDialog(_("Why are you leaving? (optional)"), max_length=300), reason_given
                )

        def reason_given(reason: str | None) -> None:
            if reason is not None:
                self.ask(reason)

        self.app.push_screen(ConfirmDialog(question, _("Ask for deletion")), confirmed)

    @work(exclusive=True, group="data-rights-action")
    async def ask(self, reason: str) -> None:
        """Record the request."""
        await self.portal.call(data_rights.request_deletion, self.portal.member, reason)
        self.load()

    @work(exclusive=True, group="data-rights-action")
    async def withdraw(self) -> None:
        """Withdraw my waiting request."""
        await self.portal.call(data_rights.cancel_request, self.portal.member)
        self._say(_("Your deletion request is withdrawn."))
        self.request = None
        self.load()
