"""Help for members ("Aide"): the frequently asked questions, searched as you type.

The member reads the platform's questions and their organization's own, in their
language, and how to reach their CSE (support hours and contact from the organization's
settings). Typing in the search field narrows the list at each key.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Input, Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.services import help as help_service
from portal.services.help import HelpPage


class HelpFaqScreen(PortalScreen):
    """Search field, questions and answers, support hours."""

    CSS_PATH = "../styles/admin.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+f", "focus_search", "Search", id="faq.search"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page: HelpPage | None = None

    def screen_title(self) -> str:
        return _("Help")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="faq", classes="page"):
            yield Input(
                placeholder=_("Search the questions (payment, delivery, e-card...)"),
                id="faq-search",
                max_length=help_service.SEARCH_MAX,
            )
            yield Static("", id="faq-support")
            yield VerticalScroll(id="faq-entries")

    def on_mount(self) -> None:
        self.query_one("#faq-search", Input).focus()
        self.search("")

    def action_focus_search(self) -> None:
        """Back to the search field."""
        self.query_one("#faq-search", Input).focus()

    @on(Input.Changed, "#faq-search")
    def typed(self, event: Input.Changed) -> None:
        """Search again at each key."""
        self.search(event.value)

    @work(exclusive=True, group="faq")
    async def search(self, query: str) -> None:
        """Read the matching questions and show them."""
        page: HelpPage = await self.portal.call(help_service.help_page, self.portal.member, query)
        self.page = page
        language = self.portal.member.language
        hours = page.support_hours or _("not given yet")
        contact = page.support_contact or _("your CSE")
        self.query_one("#faq-support", Static).update(
            Content(_("Support: {hours}. Contact: {contact}.", hours=hours, contact=contact))
        )
        box = self.query_one("#faq-entries", VerticalScroll)
        await box.remove_children()
        widgets: list[Static] = []
        for entry in page.entries:
            widgets.append(Static(Content(entry.question(language)), classes="faq-question"))
            widgets.append(Static(Content(entry.answer(language)), classes="faq-answer"))
        if not widgets:
            widgets.append(Static(_("No question matches your search."), classes="faq-empty"))
        await box.mount_all(widgets)
