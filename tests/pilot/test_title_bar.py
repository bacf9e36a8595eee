"""The title bar: one line, the title on the left, who is logged in on the right."""

from __future__ import annotations

from textual.app import App, ComposeResult

from portal.screens.base import TitleBar


class _Bar(App[None]):
    CSS = "#title-bar { width: 100%; height: 1; }"

    def __init__(self, title: str, who: str) -> None:
        super().__init__()
        self._bar = TitleBar(title, who)

    def compose(self) -> ComposeResult:
        yield self._bar


def _line(app: App[None]) -> str:
    return app.screen._compositor.render_strips()[0].text


async def test_the_title_is_cut_and_who_is_whole_when_the_line_is_short() -> None:
    app = _Bar("Justificatifs à examiner (12)", "Marc Durand · [b]CSE[/b]")
    async with app.run_test(size=(44, 3)) as pilot:
        await pilot.pause()
        line = _line(app)
        assert line.endswith(" Marc Durand · [b]CSE[/b] ")  # text, never markup
        assert line.startswith(" Justif") and "…" in line and len(line) == 44
        app._bar.set_title("Accueil")
        await pilot.pause()
        assert _line(app) == " Accueil" + " " * 10 + " Marc Durand · [b]CSE[/b] "
        await pilot.resize_terminal(80, 3)
        await pilot.pause()
        assert _line(app).endswith("[/b] ") and len(_line(app)) == 80
