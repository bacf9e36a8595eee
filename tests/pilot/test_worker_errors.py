"""A failing worker never ends the member's session: one handler in the app base."""

from __future__ import annotations

import logging

import pytest
from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from portal.i18n import N_
from portal.services.errors import UserError


class Failing(Screen[None]):
    """A screen whose worker raises what it is told to."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def compose(self) -> ComposeResult:
        yield Static("still here", id="here")

    def on_mount(self) -> None:
        self.run()

    @work
    async def run(self) -> None:
        raise self.error


async def test_an_unexpected_error_is_logged_once_and_the_session_goes_on(
    app_for, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.ERROR)
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.push_screen(Failing(RuntimeError("database on fire")))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and not app.crashed
        assert isinstance(app.screen, Failing)
        messages = [n.message for n in app._notifications]
        assert "Désolé, cela n'a pas fonctionné. Réessayez dans un instant." in messages
        await pilot.press("escape")  # still answers keys
        await pilot.pause()
    failures = [r for r in caplog.records if "a worker failed" in r.getMessage()]
    assert len(failures) == 1 and app.session.session_id in failures[0].getMessage()
    assert failures[0].exc_info is not None


async def test_a_refusal_from_a_worker_is_shown_as_its_sentence(app_for) -> None:  # type: ignore[no-untyped-def]
    app = app_for("alice")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.push_screen(Failing(UserError(N_("This order does not exist."))))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and not app.crashed
        assert "Cette commande n'existe pas." in [n.message for n in app._notifications]
