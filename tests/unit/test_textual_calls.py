"""Handlers found once per pair of classes, callbacks' parameters counted from their code
(``portal.ssh.textual_calls``): the same answers as Textual's own, in the same order."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from textual import events, on
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widget import AwaitMount, Widget
from textual.widgets import Button, Input, OptionList

from portal.ssh import textual_calls
from portal.ssh.textual_calls import count_parameters_from_code


def _decorated(function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return wrapper


class _Callbacks:
    def method(self, a: int, b: int = 2) -> None: ...

    def only_self(self) -> None: ...

    def star(*args: Any) -> None: ...

    @classmethod
    def klass(cls, a: int) -> None: ...

    @staticmethod
    def static(a: int, b: int) -> None: ...

    @_decorated
    def wrapped(self, a: int, b: int, c: int) -> None: ...

    def __call__(self, message: object) -> None: ...


def _functions() -> list[Any]:
    def plain(a, b, /, c, *args, d, e=1, **kwargs):  # type: ignore[no-untyped-def]  # noqa: ANN001, ANN202, ANN003, ANN002
        ...

    async def coroutine(a: int) -> None: ...

    def no_parameters() -> None: ...

    callbacks = _Callbacks()
    return [
        plain,
        coroutine,
        no_parameters,
        lambda: None,
        lambda x, *y: None,
        callbacks.method,
        callbacks.only_self,
        callbacks.star,
        callbacks.klass,
        callbacks.static,
        callbacks.wrapped,
        _decorated(plain),
        callbacks,
        AwaitMount(Widget(), []),
        len,
        functools.partial(plain, 1),
    ]


def test_parameters_are_counted_as_inspect_counts_them() -> None:
    for function in _functions():
        expected = len(inspect.signature(function).parameters)
        assert count_parameters_from_code(function) == expected, function


def test_textual_still_counts_through_this_function() -> None:
    import textual._callback as textual_callback

    textual_calls.parameters_from_code()
    textual_calls.parameters_from_code()  # idempotent
    assert textual_callback._count_parameters is count_parameters_from_code
    source = inspect.getsource(textual_callback.count_parameters)
    assert "_count_parameters(func" in source


# -- dispatch -------------------------------------------------------------------------


class Base(Vertical):
    def compose(self) -> ComposeResult:
        yield Button("A", id="a")
        yield Button("B", id="b")
        yield Input(id="field")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.app.calls.append(("Base.named", event.button.id))  # type: ignore[attr-defined]


class Child(Base):
    @on(Button.Pressed, "#a")
    def pressed_a(self, event: Button.Pressed) -> None:
        self.app.calls.append(("Child.a", event.button.id))  # type: ignore[attr-defined]
        if getattr(self.app, "stop_base", False):
            event.prevent_default()

    @on(Button.Pressed)
    @on(Message)
    def any_message(self, event: Message) -> None:
        self.app.calls.append(("Child.any", type(event).__name__))  # type: ignore[attr-defined]

    @on(Input.Changed, "#field")
    def changed(self, event: Input.Changed) -> None:
        self.app.calls.append(("Child.changed", event.value))  # type: ignore[attr-defined]


class Calls(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, object]] = []
        self.stop_base = False

    def compose(self) -> ComposeResult:
        yield Child()


def _both(pump: MessagePump, name: str, message: Message) -> tuple[list[Any], list[Any]]:
    planned = [
        (cls, m.__func__) for cls, m in textual_calls._planned_dispatch_methods(pump, name, message)
    ]
    textuals = [
        (cls, m.__func__) for cls, m in textual_calls._TEXTUAL_DISPATCH(pump, name, message)
    ]
    return planned, textuals


async def test_handlers_are_those_textual_finds_in_its_order() -> None:
    app = Calls()
    async with app.run_test() as pilot:
        child = app.query_one(Child)
        for button_id in ("a", "b"):
            button = app.query_one(f"#{button_id}", Button)
            with app._context(), button._context():
                message = Button.Pressed(button)
            planned, textuals = _both(child, message.handler_name, message)
            assert planned == textuals and planned, button_id
        field = app.query_one(Input)
        with field._context():
            changed = Input.Changed(field, "x")
        planned, textuals = _both(child, changed.handler_name, changed)
        assert planned == textuals and planned
        # Widgets, screens and the app, with and without handlers.
        for pump in (app, app.screen, child, field, app.query_one(Button), OptionList()):
            for message in (
                events.Mount(),
                events.Idle(),
                events.Focus(),
                events.Key("x", "x"),
                Button.Pressed(app.query_one(Button)),
            ):
                planned, textuals = _both(pump, message.handler_name, message)
                assert planned == textuals, (pump, message)
        await pilot.pause()


async def test_clicks_reach_the_same_handlers_with_prevent_default() -> None:
    textual_calls.dispatch_by_plan()
    textual_calls.dispatch_by_plan()  # idempotent
    assert MessagePump._get_dispatch_methods is textual_calls._planned_dispatch_methods
    app = Calls()
    async with app.run_test() as pilot:
        await pilot.click("#b")
        await pilot.pause()
        assert ("Child.a", "b") not in app.calls  # its selector does not match #b
        assert ("Base.named", "b") in app.calls
        assert ("Child.any", "Pressed") in app.calls
        app.calls.clear()
        app.stop_base = True
        await pilot.click("#a")
        await pilot.pause()
        # The child's handlers run; prevent_default stops the base class's.
        assert ("Child.a", "a") in app.calls
        assert ("Child.any", "Pressed") in app.calls
        assert ("Base.named", "a") not in app.calls
        app.calls.clear()
        await pilot.click("#field")
        await pilot.press("x")
        await pilot.pause()
        assert ("Child.changed", "x") in app.calls


# -- a pump's timers and message signal ---------------------------------------------------


def test_textual_still_makes_them_by_these_names() -> None:
    import textual.message_pump as textual_message_pump

    textual_calls.lazy_pump_parts()
    textual_calls.lazy_pump_parts()  # idempotent
    source = inspect.getsource(MessagePump.__init__)
    assert "self._timers: WeakSet[Timer] = WeakSet()" in source
    assert 'self.message_signal: Signal[Message] = Signal(self, "messages")' in source
    assert textual_message_pump.WeakSet is textual_calls.LazyTimers  # type: ignore[attr-defined]
    widget = Widget()
    assert isinstance(widget._timers, textual_calls.LazyTimers)
    assert isinstance(widget.message_signal, textual_calls.LazySignal)
    assert not widget._timers and not widget.message_signal._subscriptions


class Ticking(Widget):
    def on_mount(self) -> None:
        self.timer = self.set_interval(3600, self.refresh)


class Watched(App[None]):
    def compose(self) -> ComposeResult:
        yield Button("A", id="a")
        yield Ticking()


async def test_signals_and_timers_work_as_textuals() -> None:
    textual_calls.lazy_pump_parts()
    app = Watched()
    async with app.run_test() as pilot:
        button = app.query_one(Button)
        seen: list[str] = []
        # Another node subscribes to the button's messages, then unsubscribes.
        button.message_signal.subscribe(
            app.screen, lambda message: seen.append(type(message).__name__)
        )
        assert button.message_signal._subscriptions
        button.post_message(events.Focus())
        await pilot.pause()
        assert "Focus" in seen
        button.message_signal.unsubscribe(app.screen)
        seen.clear()
        button.post_message(events.Blur())
        await pilot.pause()
        assert seen == []
        textual_calls.LazySignal(button, "other").unsubscribe(app.screen)  # nobody: no error
        # A widget's timer is kept in its timers, and stopped when it is removed.
        ticking = app.query_one(Ticking)
        task = ticking.timer._task
        assert ticking.timer in ticking._timers and len(ticking._timers) == 1
        assert task is not None and not task.done()
        await ticking.remove()
        assert not ticking._timers
        assert ticking.timer._task is None and task.done()
