"""A footer whose key descriptions follow the session's language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from portal.i18n import _


class PortalFooter(Footer):
    """Textual's footer, with each binding's description translated when drawn.

    Binding descriptions are class-level English strings; translating them here keeps
    one place responsible, and a language change re-composes the footer.
    """

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget
