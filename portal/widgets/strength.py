"""A password strength meter: a five-step bar and a word, updated while typing."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from portal.i18n import _
from portal.services.password_policy import STRENGTH_LABELS

__all__ = ["StrengthMeter"]

_STEPS = 5


class StrengthMeter(Static):
    """Shows a zxcvbn score (0..4) as ``■■■□□ Fair``; nothing while the field is empty.

    The caller computes the score (``password_policy.strength``) and sets ``score``;
    the meter only draws it, with the classes ``-weak``, ``-fair`` or ``-strong`` for
    colours.
    """

    DEFAULT_CSS = """
    StrengthMeter {
        height: 1;
        width: 1fr;
    }
    StrengthMeter.-weak { color: $error; }
    StrengthMeter.-fair { color: $warning; }
    StrengthMeter.-strong { color: $success; }
    """

    score: reactive[int | None] = reactive(None)
    """The zxcvbn score from 0 (very weak) to 4 (very strong), or None when empty."""

    def render_text(self) -> str:
        """The meter as text, in the session's language."""
        if self.score is None:
            return ""
        filled = self.score + 1
        bar = "■" * filled + "□" * (_STEPS - filled)
        return _("Strength: {bar} {label}", bar=bar, label=_(STRENGTH_LABELS[self.score]))

    def watch_score(self, score: int | None) -> None:
        self.set_class(score is not None and score <= 1, "-weak")
        self.set_class(score == 2, "-fair")
        self.set_class(score is not None and score >= 3, "-strong")
        self.update(self.render_text())

    def on_mount(self) -> None:
        self.update(self.render_text())
