"""The home screen: a greeting, the menu of sections and what the highlighted one does.

One line per section keeps every entry visible at 80x24; management sections are
grouped under their own heading for managers; digits open a section directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.style import Style
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from portal.i18n import _
from portal.screens.base import PortalScreen
from portal.screens.sections import Section, sections_for

MANAGEMENT_ROLES = ("manager", "admin")


_OPTION_LINES: LRUCache[tuple[Any, ...], list[Strip]] = LRUCache(1024)
"""The menu's options rendered, for every session of the process: the same entries in the
same language and theme look the same in every session's menu (``Strip`` is immutable).
Keyed by what the rendering reads: the prompt, its place (the strips carry it for the
mouse), whether a rule follows it and the rule's style, the option's style (normal,
highlighted, greyed, under the mouse: theme colours included), its padding, the width,
and the theme (markup may name the theme's colours)."""


class SectionMenu(OptionList):
    """The menu; it owns Enter so keys typed ahead (End, then Enter) apply in order.

    Every session shares one event loop, so each keystroke's render cost is paid by all:
    moving the highlight repaints the two lines that changed, not the whole list, and
    calls ``explain`` at once with the new option's id (rather than through the bubbling
    ``OptionHighlighted`` message), so that the help text is part of the same frame.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select", "Open", id="home.open"),
    ]

    highlighted: reactive[int | None] = reactive(None, repaint=False)

    def __init__(
        self, *options: Option | None, explain: Callable[[str | None], None], id: str
    ) -> None:
        super().__init__(*options, id=id)
        self._explain = explain

    def _get_option_render(self, option: Option, style: Style) -> list[Strip]:
        """Textual's rendering of one option, made once per process (see ``_OPTION_LINES``);
        the first session's menu renders its entries, the next ones reuse them."""
        prompt = option.prompt
        if not isinstance(prompt, str) or self.text_selection is not None:
            return super()._get_option_render(option, style)
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width - self._get_left_gutter_width()
        rule = self.get_visual_style("option-list--separator") if option._divider else None
        key = (
            type(self.app),
            self.app.theme,
            prompt,
            self._option_to_index[option],
            rule,
            style,
            padding,
            width,
        )
        strips = _OPTION_LINES.get(key)
        if strips is None:
            strips = _OPTION_LINES[key] = super()._get_option_render(option, style)
        return strips

    def _watch_highlighted(self, old: int | None, new: int | None) -> None:
        # Runs before OptionList.watch_highlighted (Textual calls private watchers first).
        self._repaint_option(old)
        self._repaint_option(new)
        if new is not None and self.is_mounted and not self.options[new].disabled:
            self._explain(self.options[new].id)

    def _repaint_option(self, index: int | None) -> None:
        """Mark the lines of one option dirty (content coordinates)."""
        if index is None or not self.is_mounted:
            return
        line = self._index_to_line.get(index)
        if line is None:
            self.refresh()
            return
        width = self.scrollable_content_region.width
        self.refresh(Region(0, line - self.scroll_offset.y, width, self._heights[index]))


class HomeScreen(PortalScreen):
    """Where a member lands after logging in."""

    CSS_PATH = "../styles/home.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "open_number(1)", "Go to", key_display="1-9", id="home.open_1"),
        *[
            Binding(str(n), f"open_number({n})", "Go to", id=f"home.open_{n}", show=False)
            for n in range(2, 10)
        ],
        Binding("ctrl+q", "app.logout", "Log out", id="home.logout"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Home has nothing to go back to: hide "Back" from its footer."""
        return action != "back"

    def screen_title(self) -> str:
        return _("Home")

    def _member_sections(self) -> list[Section]:
        return [s for s in sections_for(self.portal.member) if "member" in s.roles]

    def _management_sections(self) -> list[Section]:
        return [s for s in sections_for(self.portal.member) if "member" not in s.roles]

    def ordered_sections(self) -> list[Section]:
        """Sections in menu order: the member space first, then management."""
        return self._member_sections() + self._management_sections()

    def compose_body(self) -> ComposeResult:
        member = self.portal.member
        with Vertical(id="home"):
            # The greeting (bold) and the organization: one widget of two lines (one
            # widget fewer to mount, style and draw at every session start: 0.7 ms).
            yield Static(
                Content.assemble(
                    (_("Hello {name}!", name=member.first_name), "bold"),
                    "\n",
                    _(
                        "Welcome to the member space of {organization}.",
                        organization=member.organization_name,
                    ),
                ),
                id="welcome",
            )
            with Horizontal(id="home-body"):
                options: list[Option | None] = []
                number = 0
                for group, sections in (
                    (None, self._member_sections()),
                    (_("Management"), self._management_sections()),
                ):
                    if not sections:
                        continue
                    if group is not None:
                        options.append(None)
                        options.append(Option(f"[b]{group}[/b]", id="group", disabled=True))
                    for section in sections:
                        number += 1
                        key = f"{number} " if number < 10 else "  "
                        options.append(Option(f"{key}{_(section.label)}", id=section.id))
                options.append(None)
                options.append(Option(f"  {_('Log out')}", id="logout"))
                yield SectionMenu(*options, explain=self.explain, id="menu")
                # The frame is drawn by the container, which a new help text leaves as
                # it is: only the text's lines are repainted (measured: 1.3 ms a key).
                with Vertical(id="menu-help-frame"):
                    yield Static("", id="menu-help")

    def on_mount(self) -> None:
        menu = self.query_one("#menu", OptionList)
        menu.focus()
        menu.highlighted = 0
        self.explain(menu.get_option_at_index(0).id)  # already 0: no watcher ran

    def explain(self, option_id: str | None) -> None:
        """Show what the highlighted section is for."""
        help_text = _("End this session")
        for section in self.ordered_sections():
            if section.id == option_id:
                help_text = _(section.help)
        # The panel's size is fixed by the layout: repaint it without a full re-layout,
        # which measured as 40% of a keystroke's cost with many sessions.
        self.query_one("#menu-help", Static).update(help_text, layout=False)

    @on(OptionList.OptionSelected, "#menu")
    def open_selected(self, event: OptionList.OptionSelected) -> None:
        """Open the chosen section (or log out)."""
        self._open(event.option.id)

    def action_open_number(self, number: int) -> None:
        """Open the n-th section (keys 1 to 9)."""
        sections = self.ordered_sections()
        if 1 <= number <= len(sections):
            self._open(sections[number - 1].id)

    def _open(self, option_id: str | None) -> None:
        if option_id == "logout":
            self.portal.action_logout()
            return
        for section in self.ordered_sections():
            if section.id == option_id:
                self.app.push_screen(section.make_screen())
                return
