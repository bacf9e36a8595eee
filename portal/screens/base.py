"""The frame every member screen shares: a title bar, the body, the footer with keys.

It also holds what every form needs the same way: ``show_field_error`` puts the focus
on the field in error and its sentence on a line just above the footer, which no
scrolling hides at 80×24, and the sentence goes as soon as the field is edited into a
valid value. ``wants_confirm_before_logout`` lets a screen (a payment) ask before
Ctrl+Q leaves.
"""

from __future__ import annotations

from typing import ClassVar, cast

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Select, Static

from portal.i18n import _
from portal.screens.context import MemberPortal
from portal.widgets.footer import PortalFooter
from portal.widgets.pacing import PromptFrames
from portal.widgets.toggles import Checkbox


class TitleBar(Widget):
    """One line: the screen's title on the left (bold), who is logged in on the right.

    One widget drawing both (every screen has one; two ``Static`` in a ``Horizontal``
    cost a session start about 1 ms more). Both are text, never markup. A title too
    long for the line is cut with "…"; who is logged in always shows whole.
    """

    def __init__(self, title: str, who: str) -> None:
        super().__init__(id="title-bar")
        self._title = title
        self._who = who

    @property
    def title_text(self) -> str:
        """The title shown."""
        return self._title

    def set_title(self, title: str) -> None:
        """Show another title (a count in it changed, say)."""
        if title != self._title:
            self._title = title
            self.refresh()

    def render(self) -> Content:
        who = Content(f" {self._who} ")
        room = max(0, self.size.width - who.cell_length)
        title = Content(f" {self._title} ")
        if title.cell_length > room:
            title = Content(f" {self._title}").truncate(max(0, room - 1), ellipsis=True) + " "
        return title.stylize("bold").extend_right(room - title.cell_length) + who


class FramedScreen(PromptFrames[None]):
    """The frame shared by member and guest screens: title bar, body, footer with keys.

    Subclasses implement ``screen_title``, ``who`` and ``compose_body``; text is built in
    compose so that a language change (which re-composes) redraws it translated.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="screen.back"),
    ]

    def screen_title(self) -> str:
        """The title shown in the title bar (translated)."""
        return _("Portal")

    def who(self) -> str:
        """Who is connected, shown at the right of the title bar."""
        return ""

    _field_in_error: Widget | None = None
    """The field whose error ``#field-error`` shows (None: no error shown)."""
    _value_in_error: object = None
    """That field's value when the error was shown (an edit is a change from it)."""
    _error_line: Static | None = None
    """Where that error is written (``#field-error`` or the screen's own line)."""

    _css_at_compose: frozenset[object] | None = None
    """The stylesheet's sources when the screen was composed (see ``_on_screen_resume``)."""
    _resumed = False
    """The screen was shown once."""

    def compose(self) -> ComposeResult:
        self._css_at_compose = frozenset(self.app.stylesheet.source)
        yield TitleBar(self.screen_title(), self.who())
        yield from self.compose_body()
        yield from self.compose_below()
        yield Static("", id="field-error", classes="field-error error")
        yield PortalFooter()

    def compose_body(self) -> ComposeResult:
        """The screen's own content."""
        yield from ()

    def compose_below(self) -> ComposeResult:
        """Widgets between the body and the footer (a message line, for instance)."""
        yield from ()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual restyles the whole screen each time it is shown, the first time too,
        # right after its widgets were styled as they mounted: about 3 ms, a tenth of
        # what an app needs to draw its home screen (tests/bench/bench_appstart.py),
        # paid on the event loop every session shares. That first time nothing can
        # have changed when the only CSS added since the compose is widgets' scoped
        # DEFAULT_CSS (added as each class first mounts, so it applies to that widget
        # and below, all styled after it was added); any other change (a theme, a
        # file) restyles the app itself. Runs before ``Screen``'s own handler (Textual
        # calls each class's, the subclass's first). tests/pilot/test_first_frame.py
        # checks that a restyle would change nothing on every screen of the menu.
        if self._resumed:
            return
        self._resumed = True
        before = self._css_at_compose
        if before is None:
            return
        sources = self.app.stylesheet.source
        if all(sources[location].scope for location in sources.keys() - before):
            event.refresh_styles = False

    # -- errors in forms ---------------------------------------------------------------

    def show_field_error(self, field: Widget, message: str, *, line: Static | None = None) -> None:
        """Show ``message`` (translated) about ``field``: focus it, and say why.

        The sentence goes on the line right above the footer (``#field-error``), visible
        whatever the screen's scroll, or on the screen's own message ``line`` right by
        the field when it has one; the field is scrolled into view, focused and marked
        (class ``-field-error``, drawn without colour too). Editing the field into a
        valid value, or ticking the box, removes both (see ``clear_field_error``).
        """
        self.clear_field_error()
        target = line if line is not None else self.query_one("#field-error", Static)
        target.update(Content(message))
        target.add_class("-shown", "error")
        self._error_line = target
        self._field_in_error = field
        self._value_in_error = getattr(field, "value", None)
        field.add_class("-field-error")
        field.focus(scroll_visible=False)
        field.scroll_visible(animate=False, immediate=True)
        if line is not None:
            line.scroll_visible(animate=False, immediate=True)

    def clear_field_error(self) -> None:
        """Remove the error shown by ``show_field_error`` (nothing when there is none)."""
        field, self._field_in_error = self._field_in_error, None
        line, self._error_line = self._error_line, None
        if field is not None:
            field.remove_class("-field-error")
        if line is not None and line.is_attached:
            line.update("")
            line.remove_class("-shown")

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        # A change of the value (not the echo of a value the screen set before showing
        # the error, such as a wrong code cleared) into one its validators accept.
        if (
            event.input is self._field_in_error
            and event.value != self._value_in_error
            and (event.validation_result is None or event.validation_result.is_valid)
        ):
            self.clear_field_error()

    @on(Checkbox.Changed)
    @on(Select.Changed)
    def _choice_changed(self, event: Checkbox.Changed | Select.Changed) -> None:
        if event.control is self._field_in_error:
            self.clear_field_error()

    # -- leaving -------------------------------------------------------------------------

    def wants_confirm_before_logout(self) -> bool:
        """True when Ctrl+Q must ask before leaving (a payment under way on this screen)."""
        return False

    def action_back(self) -> None:
        """Return to the previous screen (never past the first one)."""
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()


class PortalScreen(FramedScreen):
    """Base of member screens: ``escape`` goes back, the footer lists every key."""

    @property
    def portal(self) -> MemberPortal:
        """The session's app, typed by what screens may use of it (see ``context``)."""
        return cast(MemberPortal, self.app)

    def who(self) -> str:
        member = self.portal.member
        return f"{member.full_name} · {member.organization_name}"
