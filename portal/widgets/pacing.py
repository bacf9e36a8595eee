"""Frame pacing: a change a key made is drawn at once, not on the next timer tick.

Textual paints on a 60 Hz grid: a screen marked dirty waits for its update timer's next
tick, 0 to 16.7 ms (8 on average) after the key that changed it. On a server where every
session shares one event loop that wait is added to every keystroke, on top of the
queue behind other sessions' renders (tests/bench/bench_ssh.py measures it).

`PromptFrames` draws a repaint as soon as the screen is idle when no frame was drawn in
the last period, and leaves the timer in charge otherwise: at most one frame per period
still holds (a held-down key does not render more), and changes that need a layout
(a screen being composed, a resize) keep Textual's timer, which lets a burst of mounts
settle into one frame.

It also draws each frame once: a tick that lays out and repaints the screen (a
screen's first frame) draws once, not the layout's changes then the repaint over
them; and a frame that falls inside a batch of updates (the app's own start is
one) is drawn when the batch ends, where Textual renders it, lets the app drop it, and
forgets what was dirty (the client's first frame then lacked the home screen's help
panel until the next full frame). A session start drew its home screen three times,
now once (tests/bench/bench_appstart.py).

A screen's first frame (a session's home screen, a screen opened) lays out and draws
all of it, 10 to 20 ms; when several sessions' are due at the same moment (a login
burst) they take turns, at least ``LAYOUT_GAP`` apart in the process, so the loop
serves keystrokes in between; later frames, a keystroke's, never wait (50 logins at
once: loop lag p99 30-35 ms -> 24-26 ms, tests/bench/bench_logins.py).

It relies on Textual's `Screen._on_idle` / `_on_timer_update` / `_compositor_refresh`
protocol (Textual 8); tests/pilot/test_pacing.py and test_first_frame.py fail if a
Textual upgrade changes it.
"""

from __future__ import annotations

import time

from textual import constants, events
from textual.screen import ModalScreen, Screen, ScreenResultType

FRAME_PERIOD = 1 / constants.MAX_FPS
LAYOUT_GAP = FRAME_PERIOD / 2
"""Least time between the ends of two screens' first frames, in the process."""


class _LayoutFrames:
    ended = 0.0
    """When the last screen's first frame ended (any session of the process)."""


_layout_frames = _LayoutFrames()


class PromptFrames(Screen[ScreenResultType]):
    """Mixin for screens: a repaint right after a quiet period is drawn immediately."""

    _last_frame: float = 0.0
    prompt_frames: int = 0
    """Frames drawn at once rather than on the timer (for tests and curiosity)."""

    async def _on_idle(self, event: events.Idle) -> None:
        # Dispatch calls this before Screen._on_idle, which then finds nothing dirty
        # and runs the after-refresh callbacks as usual.
        if (
            (self._repaint_required or self._dirty_widgets)
            and not (self._layout_required or self._scroll_required or self._recompose_required)
            and self.is_current
            and not self.app._batch_count
            and time.monotonic() - self._last_frame >= FRAME_PERIOD
        ):
            self.prompt_frames += 1
            self._on_timer_update()

    _drawn: bool = False
    """True once this screen's first frame (its whole layout) is drawn."""

    def _on_timer_update(self) -> None:
        now = time.monotonic()
        first = (
            not self._drawn
            and self._layout_required
            and self.is_current
            and not self.app._batch_count
        )
        if first and now - _layout_frames.ended < LAYOUT_GAP:
            # Another session's first frame has just ended: this one comes on the next
            # tick (the timer keeps running), so the loop serves the others in between.
            return
        self._last_frame = now
        super()._on_timer_update()
        if first:
            self._drawn = True
            _layout_frames.ended = time.monotonic()

    def _compositor_refresh(self) -> None:
        if self.app._batch_count and self.is_current and not self.app.is_inline:
            # Textual would render the frame now and the app drop it (no frame is shown
            # during a batch: the app's own start is one), forgetting what was dirty.
            # Keep it dirty instead, and draw it once the batch is over (the repaint
            # flag has the screen's next idle or tick draw; the call makes one come).
            self._repaint_required = True
            self.app.call_later(self.check_idle)
            return
        if self._repaint_required and self.is_current:
            # A repaint of the screen is due: this frame includes it, as Textual's tick
            # would (adding the screen's regions), rather than drawing this one (a
            # layout's, say) and then, in the same tick, the repaint over it.
            self._repaint_required = False
            self._dirty_widgets.add(self)
            self._compositor.update_widgets(self._dirty_widgets)
        super()._compositor_refresh()


class PromptModalScreen(PromptFrames[ScreenResultType], ModalScreen[ScreenResultType]):
    """A modal dialog with prompt frames (typing in its inputs is drawn at once)."""
