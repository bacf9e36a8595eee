"""Frames painted front to back without rendering what is hidden.

Textual's compositor paints a frame from the front widget to the back one
(``Compositor._render_chops``): each line of the screen is cut where widgets' edges
fall, and the first widget to cover a piece of a line keeps it. But it renders every
visible widget's whole region first, also the lines that the widgets in front of it
already cover entirely: a container's background under its children, the screen's
under the title bar, the body and the footer. On the home screen that is about 60 of
the 150 lines a first frame renders (each through the widget's styles: background,
border, padding, tint), and every screen has such containers.

``paint_only_what_shows`` renders, for each widget, only the lines on which some piece
within its region is still uncovered when its turn comes (from the first such line to
the last): the pieces it would have kept are exactly the same. What a frame shows is
unchanged; ``tests/pilot/test_frames_painted.py`` compares it with Textual's own for
the screens of a session, full frames and partial updates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import cast

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip

_TEXTUAL_RENDER_CHOPS = Compositor._render_chops
"""Textual's own: renders every visible widget's whole region."""


def _render_shown_chops(
    self: Compositor,
    crop: Region,
    is_rendered_line: Callable[[int], bool],
) -> Sequence[Mapping[int, Strip]]:
    """``Compositor._render_chops``, rendering only the lines still uncovered."""
    cuts = self.cuts
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
    crop_overlaps = crop.overlaps if crop else None
    intersection = Region.intersection

    for widget, (region, clip) in self.visible_widgets.items():  # front to back
        if crop_overlaps is not None and not crop_overlaps(clip):
            continue
        render_region = intersection(region, clip)
        render_x, render_y, width, height = render_region
        if not (width and height):
            continue
        first_cut, last_cut = render_region.column_span
        top = bottom = -1
        for y in range(render_y, render_y + height):
            if not is_rendered_line(y):
                continue
            chops_line = chops[y]
            for cut in cuts[y]:
                if first_cut <= cut < last_cut and chops_line.get(cut, cut) is None:
                    if top < 0:
                        top = y
                    bottom = y
                    break
        if top < 0:
            continue  # every piece of its lines is covered by widgets in front
        strips = widget.render_lines(
            Region(render_x - region.x, top - region.y, width, bottom - top + 1)
        )
        for y, strip in zip(range(top, bottom + 1), strips, strict=False):
            if not is_rendered_line(y):
                continue
            chops_line = chops[y]
            final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
            cut_strips = strip.divide([cut - render_x for cut in final_cuts[1:]])
            get_chops_line = chops_line.get
            for cut, piece in zip(final_cuts, cut_strips, strict=False):
                if get_chops_line(cut) is None:
                    chops_line[cut] = piece
    return cast("Sequence[Mapping[int, Strip]]", chops)


def paint_only_what_shows() -> None:
    """Render only the lines a frame shows (installed once, for the process; idempotent)."""
    Compositor._render_chops = _render_shown_chops  # type: ignore[method-assign]


__all__ = ["paint_only_what_shows"]
