"""What the style tests share: every node's styles, and a walk over the menu's screens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from textual.pilot import Pilot
from textual.screen import Screen

from portal.app import PortalApp


def node_styles(screen: Screen[Any]) -> dict[object, object]:
    """Every node's rules (and its component classes'), as the stylesheet set them, with
    its pseudo-classes and the four style flags the stylesheet sets on it."""
    styles: dict[object, object] = {}
    for node in screen.walk_children(with_self=True):
        components = {
            name: node.get_component_styles(name).base.get_rules()
            for name in sorted(node.COMPONENT_CLASSES)
        }
        flags = (
            node._has_hover_style,
            node._has_focus_within,
            node._has_order_style,
            node._has_odd_or_even,
        )
        styles[node] = (
            node.styles.base.get_rules(),
            components,
            sorted(node.pseudo_classes),
            flags,
        )
    return styles


async def each_menu_screen(app: PortalApp, pilot: Pilot[Any]) -> AsyncIterator[Screen[Any]]:
    """The home screen, then each screen of the member's menu, each shown once its
    workers are done (and closed again after the caller looked at it)."""
    from portal.screens.sections import sections_for

    await pilot.pause()
    for section in [None, *sections_for(app.member)]:
        if section is not None:
            app.call_later(app.push_screen, section.make_screen())
            await app.workers.wait_for_complete()
            await pilot.pause()
        yield app.screen
        if section is not None:
            app.pop_screen()
            await pilot.pause()
