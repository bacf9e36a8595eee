"""SSH keys in My Account: list with SHA256 fingerprints, add by pasting, remove.

A registered key lets the member log in without the password (the 2FA code is still
asked when 2FA is on). Validation lives in ``portal.services.ssh_keys``; a refused key
is explained in the member's language and nothing is written. Adding and removing a key
first ask the member to confirm it is them (``ReauthDialog``); a pasted key is checked
before that question, so a typo does not cost a password.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.markup import escape
from textual.widgets import Button, Input, Label, Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.screens.twofactor import format_timestamp_date
from portal.services import reauth, ssh_keys
from portal.services.reauth import Proof, ReauthError
from portal.services.ssh_keys import SshKey, SshKeyError
from portal.widgets.dialogs import ConfirmDialog
from portal.widgets.reauth import ask_reauth
from portal.widgets.table import DataTable

_SHORT_TYPES = {
    "ssh-ed25519": "ed25519",
    "ssh-ed448": "ed448",
    "sk-ssh-ed25519@openssh.com": "ed25519-sk",
    "ecdsa-sha2-nistp256": "ecdsa256",
    "ecdsa-sha2-nistp384": "ecdsa384",
    "ecdsa-sha2-nistp521": "ecdsa521",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ecdsa-sk",
}


def short_type(key: SshKey) -> str:
    """``ed25519``, ``rsa4096``... short enough for the table."""
    if key.algorithm == "ssh-rsa":
        return f"rsa{key.bits or ''}"
    return _SHORT_TYPES.get(key.algorithm, key.algorithm)


class SshKeysScreen(PortalScreen):
    """My keys, and a form to add one."""

    CSS_PATH = "../styles/account.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "add", "Add key", id="ssh_keys.add"),
        Binding("a", "focus_add", "New key", id="ssh_keys.new"),
        Binding("d,delete", "remove", "Delete", id="ssh_keys.remove"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._keys: list[SshKey] = []
        """The keys shown, in table order."""
        self._busy = False

    def screen_title(self) -> str:
        return _("SSH keys")

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="keys-page", classes="page"):
            yield Static(
                _(
                    "Log in without typing your password: paste your public key, the content "
                    "of ~/.ssh/id_ed25519.pub (create one with: ssh-keygen -t ed25519)."
                ),
                classes="explain",
            )
            table: DataTable = DataTable(id="keys", cursor_type="row", zebra_stripes=True)
            table.add_column(_("Name"), key="label", width=12)
            table.add_column(_("Type"), key="type", width=9)
            table.add_column(_("Fingerprint (SHA256)"), key="fingerprint")
            yield table
            yield Static("", id="key-detail", classes="advice")
            yield Static(_("Add a key"), classes="heading")
            with Horizontal(classes="form-row"):
                yield Label(_("Public key"), classes="field")
                yield Input(
                    placeholder="ssh-ed25519 AAAA… me@laptop",
                    id="key-text",
                    compact=True,
                    max_length=16_384,
                )
            with Horizontal(classes="form-row"):
                yield Label(_("Name"), classes="field")
                yield Input(
                    placeholder=_("e.g. my laptop (optional)"),
                    id="key-label",
                    compact=True,
                    max_length=ssh_keys.MAX_LABEL,
                )
            yield Static("", id="key-message")
            with Horizontal(classes="form-row"):
                yield Button(
                    _("Add key") + " (ctrl+s)", id="key-add", compact=True, variant="primary"
                )

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="ssh-keys-load")
    async def load(self, focus_table: bool = True) -> None:
        """Read the member's keys in a worker and fill the table."""
        self._keys = await self.portal.call(ssh_keys.list_keys, self.portal.member)
        self._fill()
        if focus_table:
            target = "#keys" if self._keys else "#key-text"
            self.query_one(target).focus()

    def _fill(self) -> None:
        table = self.query_one("#keys", DataTable)
        table.clear()
        for key in self._keys:
            table.add_row(
                escape(key.label),
                short_type(key),
                key.fingerprint.removeprefix("SHA256:"),
                key=str(key.id),
            )
        table.display = bool(self._keys)
        if not self._keys:
            self.query_one("#key-detail", Static).update(_("No key yet."))
        self.refresh_bindings()

    def _selected_key(self) -> SshKey | None:
        table = self.query_one("#keys", DataTable)
        if not self._keys or table.cursor_row < 0 or table.cursor_row >= len(self._keys):
            return None
        return self._keys[table.cursor_row]

    @on(DataTable.RowHighlighted, "#keys")
    def _highlighted(self) -> None:
        key = self._selected_key()
        if key is None:
            return
        text = _(
            "{label}: added on {date}",
            label=escape(key.label),
            date=format_timestamp_date(key.created_at),
        )
        if key.last_used_at:
            text += " · " + _("last used on {date}", date=format_timestamp_date(key.last_used_at))
        self.query_one("#key-detail", Static).update(text)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "remove":
            return bool(self._keys)
        return not (action == "back" and self._busy)

    # -- adding ------------------------------------------------------------------------

    def action_focus_add(self) -> None:
        """Go to the form."""
        self.query_one("#key-text", Input).focus()

    @on(Input.Submitted, "#key-text")
    def _to_label(self) -> None:
        self.query_one("#key-label", Input).focus()

    @on(Input.Submitted, "#key-label")
    @on(Button.Pressed, "#key-add")
    def _submit(self) -> None:
        self.action_add()

    def _say(self, text: str, *, error: bool = True) -> None:
        message = self.query_one("#key-message", Static)
        message.set_class(error, "error")
        message.update(text)

    def action_add(self) -> None:
        """Check the pasted key, ask the member to confirm it is them, then register it."""
        text = self.query_one("#key-text", Input).value
        label = self.query_one("#key-label", Input).value
        if not self._busy:
            self._busy = True
            self.check_then_add(text, label)

    @work(exclusive=True, group="ssh-keys-check")
    async def check_then_add(self, text: str, label: str) -> None:
        """Validate the key in a worker; when it is valid, open the re-authentication."""
        try:
            await self.portal.call(ssh_keys.check_new_key, self.portal.member, text)
        except SshKeyError as error:
            self._refused(error.text())
            return
        finally:
            self._busy = False
        ask_reauth(
            self,
            reauth.ADD_SSH_KEY,
            _("To add this key, confirm it is you."),
            lambda proof: self.add(text, label, proof),
        )

    def _refused(self, text: str) -> None:
        message = self.query_one("#key-message", Static)
        self.show_field_error(self.query_one("#key-text", Input), text, line=message)

    @work(exclusive=True, group="ssh-keys-add")
    async def add(self, text: str, label: str, proof: Proof) -> None:
        """Store the key in a worker; say why when it is refused."""
        portal = self.portal
        try:
            key = await portal.call(
                ssh_keys.add_key,
                portal.member,
                text,
                label,
                box=portal.services.secrets,
                proof=proof,
            )
        except (SshKeyError, ReauthError) as error:
            self._refused(error.text())
            return
        self.query_one("#key-text", Input).value = ""
        self.query_one("#key-label", Input).value = ""
        self._say(_("Key added: {fingerprint}", fingerprint=key.fingerprint), error=False)
        self.notify(_("Key added."))
        self.load()

    # -- removing ----------------------------------------------------------------------

    def action_remove(self) -> None:
        """Remove the highlighted key, after a confirmation."""
        key = self._selected_key()
        if key is None:
            return
        question = _(
            "Remove the key “{label}” ({fingerprint})? It will no longer open your account.",
            label=key.label,
            fingerprint=key.fingerprint,
        )

        def confirmed(answer: bool | None) -> None:
            if answer:
                ask_reauth(
                    self,
                    reauth.REMOVE_SSH_KEY,
                    _("To remove this key, confirm it is you."),
                    lambda proof: self.remove_key(key.id, proof),
                )

        self.app.push_screen(ConfirmDialog(question, _("Delete")), confirmed)

    @work(exclusive=True, group="ssh-keys-remove")
    async def remove_key(self, key_id: int, proof: Proof) -> None:
        """Remove the key in a worker."""
        portal = self.portal
        try:
            removed = await portal.call(
                ssh_keys.remove_key,
                portal.member,
                key_id,
                box=portal.services.secrets,
                proof=proof,
            )
        except ReauthError as error:
            self.notify(error.text(), severity="error")
            return
        if removed:
            self.notify(_("Key removed."))
        else:
            self.notify(_("This key was already removed."), severity="warning")
        self.load()
