"""Organization settings: identification key, 2FA for members, support, URSSAF threshold.

A manager sees and changes their own organization's; an admin any organization's (``o``
moves to the next one; the heading names it). Each change is confirmed, then audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from portal.i18n import _, money
from portal.screens.base import PortalScreen
from portal.services import guest_listing, organization
from portal.services.errors import PortalError
from portal.services.organization import OrganizationView
from portal.widgets.dialogs import AskDialog, ConfirmDialog, YesNoDialog


class OrganizationSettingsScreen(PortalScreen):
    """What the organization shows and requires."""

    CSS_PATH = "../../styles/manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "regenerate_key", "New key", id="org.key"),
        Binding("t", "toggle_twofactor", "2FA for members", id="org.twofactor"),
        Binding("h", "support_hours", "Support hours", id="org.hours"),
        Binding("c", "support_contact", "Support contact", id="org.contact"),
        Binding("u", "urssaf", "URSSAF threshold", id="org.urssaf"),
        Binding("g", "toggle_guest_listing", "Guest list", id="org.guest_listing"),
        Binding("o", "next_organization", "Next organization", id="org.next"),
    ]

    def __init__(self, organization_id: int | None = None) -> None:
        super().__init__()
        self.organization_id = organization_id
        self.view: OrganizationView | None = None

    def screen_title(self) -> str:
        return _("Organization settings")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only admins move between organizations."""
        if action == "next_organization":
            return self.portal.member.role == "admin"
        return True

    def compose_body(self) -> ComposeResult:
        with Vertical(id="org-settings", classes="page"):
            yield Static("", id="org-name", classes="heading")
            yield Static("", id="org-key")
            yield Static("", id="org-twofactor")
            yield Static("", id="org-support")
            yield Static("", id="org-urssaf")
            yield Static("", id="org-guest-listing")
            yield Static("", id="org-message")

    def on_mount(self) -> None:
        self.reload()

    @work(exclusive=True, group="org-settings")
    async def reload(self) -> None:
        """Read the settings again."""
        try:
            view: OrganizationView = await self.portal.call(
                organization.show,
                self.portal.member,
                settings=self.portal.services.settings,
                organization_id=self.organization_id,
            )
        except PermissionError:
            self._say(_("You may not see the settings of this organization."), error=True)
            return
        self.view = view
        self.organization_id = view.organization.id
        s = view.settings
        self.query_one("#org-name", Static).update(Content(view.organization.name))
        self.query_one("#org-key", Static).update(
            Content(
                _(
                    "Identification key (new members type it to sign up): {key}",
                    key=view.organization.identification_key or _("none"),
                )
            )
        )
        self.query_one("#org-twofactor", Static).update(
            _("Two-factor authentication required for members: {value}", value=_("yes"))
            if s.require_twofactor
            else _("Two-factor authentication required for members: {value}", value=_("no"))
        )
        self.query_one("#org-support", Static).update(
            Content(
                _(
                    "Support hours: {hours}\nSupport contact: {contact}",
                    hours=s.support_hours or "—",
                    contact=s.support_contact or "—",
                )
            )
        )
        threshold = view.urssaf_threshold_cents
        self.query_one("#org-urssaf", Static).update(
            _(
                "URSSAF gift-voucher threshold {year}: {amount} ({source})",
                year=view.year,
                amount=money(threshold) if threshold is not None else "—",
                source=_("set by the organization") if view.urssaf_own else _("platform figure"),
            )
        )

        self.query_one("#org-guest-listing", Static).update(
            _(
                "Offer the organization in the list « 0 » of the guest entry: {value}",
                value=_("yes") if view.organization.guest_listed else _("no"),
            )
        )

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#org-message", Static)
        message.update(Content(text))
        message.set_classes("error" if error else "success")

    @work(group="org-change")
    async def change(self, fn: Callable[..., Any], *args: Any, done: str) -> None:
        """Run one change on the shown organization, then show it again."""
        try:
            await self.portal.call(
                fn, self.portal.member, *args, organization_id=self.organization_id
            )
        except PortalError as error:
            self._say(error.text(), error=True)
            return
        except PermissionError:
            self._say(_("You may not change the settings of this organization."), error=True)
            return
        self._say(done)
        self.reload()

    def action_regenerate_key(self) -> None:
        """A new identification key, after a confirmation (the old one stops working)."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(organization.regenerate_key, done=_("A new key is in place."))

        self.app.push_screen(
            ConfirmDialog(
                _(
                    "Replace the identification key? The current key stops working at once: "
                    "give the new one to the people who are about to sign up."
                ),
                _("New key"),
            ),
            answered,
        )

    def action_toggle_twofactor(self) -> None:
        """Require 2FA of members, or stop requiring it, after a confirmation."""
        if self.view is None:
            return
        required = not self.view.settings.require_twofactor
        question = (
            _("Require two-factor authentication of every member, from their next login?")
            if required
            else _("Stop requiring two-factor authentication of members?")
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(organization.set_require_twofactor, required, done=_("Saved."))

        self.app.push_screen(YesNoDialog(question, _("Confirm")), answered)

    def _ask_support(self, hours: bool) -> None:
        if self.view is None:
            return
        s = self.view.settings

        def answered(value: str | None) -> None:
            if value is None:
                return
            new_hours, new_contact = (
                (value, s.support_contact) if hours else (s.support_hours, value)
            )
            self.change(organization.set_support, new_hours, new_contact, done=_("Saved."))

        question = (
            _("Support hours shown to members (e.g. Monday to Friday, 9:00-12:30):")
            if hours
            else _("Support contact shown to members (email or phone):")
        )
        self.app.push_screen(
            AskDialog(
                question, value=s.support_hours if hours else s.support_contact, max_length=200
            ),
            answered,
        )

    def action_support_hours(self) -> None:
        """Edit the support hours."""
        self._ask_support(True)

    def action_support_contact(self) -> None:
        """Edit the support contact."""
        self._ask_support(False)

    def action_urssaf(self) -> None:
        """Set the organization's own threshold for the year (empty: the platform's)."""
        if self.view is None:
            return
        view = self.view

        def answered(value: str | None) -> None:
            if value is None:
                return
            try:
                cents = organization.parse_threshold(value)
            except PortalError as error:
                self._say(error.text(), error=True)
                return
            self.change(organization.set_urssaf_threshold, view.year, cents, done=_("Saved."))

        current = view.urssaf_threshold_cents if view.urssaf_own else None
        self.app.push_screen(
            AskDialog(
                _(
                    "Gift-voucher threshold of {year} in euros (empty: the platform's figure):",
                    year=view.year,
                ),
                value=f"{current / 100:g}" if current is not None else "",
                max_length=12,
            ),
            answered,
        )

    def action_toggle_guest_listing(self) -> None:
        """Name the organization in the guest entry's list (key « 0 »), or stop naming it."""
        if self.view is None:
            return
        listed = not self.view.organization.guest_listed
        question = (
            _(
                "Offer the organization in the list « 0 » of the guest entry? Anyone who "
                "connects as a guest will see its name."
            )
            if listed
            else _("Stop offering the organization in the list « 0 » of the guest entry?")
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(guest_listing.set_guest_listing, listed, done=_("Saved."))

        self.app.push_screen(YesNoDialog(question, _("Confirm")), answered)

    def action_next_organization(self) -> None:
        """An admin moves to the next organization."""
        self.next_organization()

    @work(exclusive=True, group="org-next")
    async def next_organization(self) -> None:
        """Show the organization after the current one (by name)."""
        organizations = await self.portal.call(organization.list_organizations, self.portal.member)
        if not organizations:
            return
        ids = [o.id for o in organizations]
        index = ids.index(self.organization_id) if self.organization_id in ids else -1
        self.organization_id = ids[(index + 1) % len(ids)]
        self._say("")
        self.reload()
