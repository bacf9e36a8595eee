"""What the management list screens share: a table filled from a worker, a status line.

A ``ManageListScreen`` names its table and message widgets, reads its rows in ``fetch``
and turns each into cells in ``cells``; ``reload`` fills the table (keeping the cursor's
row), ``selected`` is the highlighted item, ``say`` writes the status line, and ``change``
runs one service call as the member then reads the rows again. ``confirm`` and ``ask``
push a dialog and act only on a yes or a typed value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from textual import work
from textual.content import Content
from textual.widgets import Static

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.services.errors import PortalError
from portal.widgets.dialogs import AskDialog, YesNoDialog
from portal.widgets.table import TEXT, ColumnKind, DataTable

T = TypeVar("T")


def say(widget: Static, message: str, *, error: bool = False) -> None:
    """Show ``message`` in a status line, styled as an error or a success."""
    widget.update(Content(message))
    widget.set_classes("error" if error else "success")


class ManageListScreen(PortalScreen, Generic[T]):
    """A table of items read from a service, a status line, and changes that reload it.

    Subclasses set ``TABLE_ID`` and ``MESSAGE_ID`` (without ``#``), ``DENIED`` (said when
    a change raises ``PermissionError``), and implement ``fetch``, ``cells`` and ``key``.
    ``READ_DENIED`` (when set) is said when reading raises ``PermissionError``; ``EMPTY``
    (when set) is said when there is no row; ``KEEP_CURSOR`` keeps the cursor's row. The
    texts are msgids marked with ``N_``, translated when shown.
    """

    TABLE_ID = ""
    MESSAGE_ID = ""
    DENIED = ""
    READ_DENIED: str | None = None
    EMPTY: str | None = None
    KEEP_CURSOR = True

    def __init__(self) -> None:
        super().__init__()
        self.items: list[T] = []

    async def fetch(self) -> list[T]:
        """The items to show, read from the services."""
        raise NotImplementedError

    def cells(self, item: T) -> Sequence[Any]:
        """The table cells of one item."""
        raise NotImplementedError

    def key(self, item: T) -> str:
        """The table row key of one item."""
        raise NotImplementedError

    def empty_text(self) -> str | None:
        """What the status line says when there is no row (``EMPTY`` by default)."""
        return None if self.EMPTY is None else _(self.EMPTY)

    @property
    def table(self) -> DataTable:
        return self.query_one(f"#{self.TABLE_ID}", DataTable)

    def add_columns(
        self, *columns: tuple[str, str] | tuple[str, str, ColumnKind], flex: tuple[str, ...] = ()
    ) -> DataTable:
        """Add ``(label, key)`` or ``(label, key, kind)`` columns to the table and focus it.

        ``flex`` names the columns that take the table's spare width (default: the
        widest text column); ``kind`` is ``AMOUNT`` for right-aligned figures.
        """
        table = self.table
        for label, key, *kind in columns:
            table.add_column(label, key=key, kind=kind[0] if kind else TEXT, flex=key in flex)
        table.focus()
        return table

    @work(exclusive=True, group="manage-list-reload")
    async def reload(self) -> None:
        """Read the items again and fill the table."""
        try:
            self.items = await self.fetch()
        except PermissionError:
            if self.READ_DENIED is None:
                raise
            self.say(_(self.READ_DENIED), error=True)
            return
        table = self.table
        row = table.cursor_row
        table.clear()
        for item in self.items:
            table.add_row(*self.cells(item), key=self.key(item))
        if self.KEEP_CURSOR and self.items and row is not None:
            table.move_cursor(row=min(row, len(self.items) - 1))
        empty = self.empty_text()
        if not self.items and empty is not None:
            self.say(empty)

    def selected(self) -> T | None:
        """The highlighted item, or None."""
        row = self.table.cursor_row
        if not self.items or row is None or row < 0:
            return None
        return self.items[min(row, len(self.items) - 1)]

    def say(self, message: str, *, error: bool = False) -> None:
        say(self.query_one(f"#{self.MESSAGE_ID}", Static), message, error=error)

    @work(group="manage-list-change")
    async def change(self, fn: Callable[..., Any], *args: Any, done: str, **kwargs: Any) -> None:
        """Run one change as the member, then read the items again."""
        try:
            await self.portal.call(fn, self.portal.member, *args, **kwargs)
        except PortalError as error:
            self.say(error.text(), error=True)
            return
        except PermissionError:
            self.say(_(self.DENIED), error=True)
            return
        self.say(done)
        self.reload()

    def confirm(
        self,
        dialog: YesNoDialog,
        fn: Callable[..., Any],
        *args: Any,
        done: str,
        **kwargs: Any,
    ) -> None:
        """Push a yes/no ``dialog``; on yes, ``change(fn, *args, done=done, **kwargs)``."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.change(fn, *args, done=done, **kwargs)

        self.app.push_screen(dialog, answered)

    def ask(
        self,
        dialog: AskDialog,
        then: Callable[[str], object],
        *,
        blank: bool = True,
    ) -> None:
        """Push an ``AskDialog``; ``then(value)`` when something (not only spaces, when
        ``blank`` is false) was typed."""

        def answered(value: str | None) -> None:
            if value and (blank or value.strip()):
                then(value)

        self.app.push_screen(dialog, answered)
