"""Handlers and callbacks looked up once per class, not once per message.

Textual finds a message's handlers by walking the receiver's whole class hierarchy
(``MessagePump._get_dispatch_methods``): for each class, its ``@on`` handlers for each
class of the message, then a method named after the message. A session start
dispatches about 520 messages to widgets whose hierarchies are 10 to 20 classes deep,
and most messages have no handler at all. What the walk finds depends only on the
receiver's class, the message's class and the handler's name, so it is found once per
process here (``dispatch_by_plan``); what depends on the message itself (an ``@on``
selector matching its sender, ``prevent_default`` called by a handler) is still
decided at each dispatch, in Textual's own order.

Textual also counts a callback's parameters before each call (``_callback.
count_parameters``). It remembers the count on the function, but not for a
``functools.partial`` (a new one per call: ``call_later(self.method, ...)``) nor for
objects that are callable (``AwaitMount``): those went through ``inspect.signature``
each time, about 45 times per start. For a plain function the count is read from its
code object, which is what ``inspect.signature`` reads (``count_parameters_from_code``).

Every message pump (each widget, and each of the virtual nodes Textual makes to style
a widget's component classes: about 50 per start) also made a ``WeakSet`` for its
timers and a ``Signal`` for its messages, with a ``WeakKeyDictionary`` for the signal's
subscribers: 1.3 ms of a 28 ms start, for two things hardly any pump uses. They are made
on first use instead (``lazy_pump_parts``).

``tests/unit/test_textual_calls.py`` compares all three with Textual's own.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Iterator
from typing import Any
from weakref import WeakKeyDictionary, WeakSet, ref

import textual._callback as textual_callback
import textual.message_pump as textual_message_pump
from textual.css.match import match
from textual.message import Message
from textual.message_pump import MessagePump, OnNoWidget
from textual.signal import Signal
from textual.widget import Widget

_Plan = tuple[tuple[type, Any, Any], ...]
"""(class, handler function, its ``@on`` selectors or None for a named method), in
Textual's order."""

_PLANS: dict[tuple[type, type, str], _Plan] = {}
"""(receiver's class, message's class, handler name) -> the handlers Textual would try.
Classes live as long as the process; about one entry per pair seen."""

_TEXTUAL_DISPATCH = MessagePump._get_dispatch_methods
"""Textual's own walk."""


def _plan(pump_class: type, message_class: type, method_name: str) -> _Plan:
    """The walk of ``MessagePump._get_dispatch_methods``, without the message."""
    message_mro = [kind for kind in message_class.__mro__ if issubclass(kind, Message)]
    steps: list[tuple[type, Any, Any]] = []
    for cls in pump_class.__mro__:
        decorated = cls.__dict__.get("_decorated_handlers")
        if decorated:
            for kind in message_mro:
                for method, selectors in decorated.get(kind, []):
                    steps.append((cls, method, selectors))
        method = cls.__dict__.get(f"_{method_name}") or cls.__dict__.get(method_name)
        if method is not None and not getattr(method, "_textual_on", None):
            steps.append((cls, method, None))
    return tuple(steps)


def _planned_dispatch_methods(
    self: MessagePump, method_name: str, message: Message
) -> Iterator[tuple[type, Callable[..., Any]]]:
    """``MessagePump._get_dispatch_methods`` from the plan of the two classes."""
    key = (self.__class__, message.__class__, method_name)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _plan(*key)
    if not plan:
        return
    dispatched: set[Any] = set()
    current: type | None = None
    for cls, method, selectors in plan:
        if cls is not current:  # Textual checks between two classes of the hierarchy
            current = cls
            if message._no_default_action:
                return
        if selectors is None:  # a method named after the message
            yield cls, method.__get__(self, cls)
        elif method not in dispatched and (not selectors or _selected(selectors, message)):
            yield cls, method.__get__(self, cls)
            dispatched.add(method)


def _selected(selectors: dict[str, Any], message: Message) -> bool:
    """Whether the message's widgets match an ``@on`` handler's selectors (as Textual)."""
    if not message._sender:
        return False
    for attribute, selector in selectors.items():
        node = getattr(message, attribute)
        if node is None:
            return False
        if not isinstance(node, Widget):
            raise OnNoWidget(
                f"on decorator can't match against {attribute!r} as it is not a widget."
            )
        if not match(selector, node):
            return False
    return True


def dispatch_by_plan() -> None:
    """Find each (receiver class, message class) pair's handlers once per process.

    Installed once, for the whole process; idempotent.
    """
    MessagePump._get_dispatch_methods = _planned_dispatch_methods  # type: ignore[method-assign,assignment]


# -- parameters counted from the code ---------------------------------------------------

_TEXTUAL_COUNT = textual_callback._count_parameters
"""Textual's own: ``len(inspect.signature(func).parameters)``."""

_FLAGS = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS


def _plain(function: Any) -> types.CodeType | None:
    """The code of a plain Python function whose signature is its code's, else None."""
    if type(function) is not types.FunctionType:
        return None
    if "__wrapped__" in function.__dict__ or "__signature__" in function.__dict__:
        return None  # functools.wraps: inspect follows the wrapped function
    return function.__code__


def _from_code(code: types.CodeType) -> int:
    return code.co_argcount + code.co_kwonlyargcount + bin(code.co_flags & _FLAGS).count("1")


def count_parameters_from_code(func: Callable[..., Any]) -> int:
    """``len(inspect.signature(func).parameters)``, from the code where it is plain."""
    code = _plain(func)
    if code is not None:
        return _from_code(code)
    if type(func) is types.MethodType:
        code = _plain(func.__func__)
        if code is not None and code.co_argcount:  # the first parameter is bound
            return _from_code(code) - 1
    elif not isinstance(func, type) and not (
        hasattr(func, "__signature__") or hasattr(func, "__wrapped__")
    ):
        call = type(func).__dict__.get("__call__")
        code = _plain(call)
        if code is not None and code.co_argcount:  # an instance: ``self`` is bound
            return _from_code(code) - 1
    return _TEXTUAL_COUNT(func)


def parameters_from_code() -> None:
    """Count callbacks' parameters from their code (installed once; idempotent)."""
    textual_callback._count_parameters = count_parameters_from_code


# -- a pump's timers and message signal made on first use -------------------------------

_NO_SUBSCRIPTIONS: types.MappingProxyType[Any, Any] = types.MappingProxyType({})
"""What a signal nobody subscribed to holds: empty, and read-only."""


class LazySignal(Signal[Any]):
    """Textual's ``Signal``, its subscribers' dictionary made at the first subscription
    (``publish``, at every message a pump handles, finds it empty and returns)."""

    _subscriptions = _NO_SUBSCRIPTIONS  # type: ignore[assignment]

    def __init__(self, owner: Any, name: str) -> None:
        self._owner = ref(owner)
        self._name = name

    def subscribe(self, node: Any, callback: Any, immediate: bool = False) -> None:
        if "_subscriptions" not in self.__dict__:
            self._subscriptions = WeakKeyDictionary()  # type: ignore[assignment]
        super().subscribe(node, callback, immediate)

    def unsubscribe(self, node: Any) -> None:
        if "_subscriptions" in self.__dict__:
            super().unsubscribe(node)


class LazyTimers:
    """A pump's timers: a ``WeakSet`` made when the first timer is added."""

    __slots__ = ("_timers",)

    def __init__(self) -> None:
        self._timers: WeakSet[Any] | None = None

    def add(self, timer: Any) -> None:
        if self._timers is None:
            self._timers = WeakSet()
        self._timers.add(timer)

    def discard(self, timer: Any) -> None:
        if self._timers is not None:
            self._timers.discard(timer)

    def clear(self) -> None:
        if self._timers is not None:
            self._timers.clear()

    def __contains__(self, timer: object) -> bool:
        return self._timers is not None and timer in self._timers

    def __len__(self) -> int:
        return 0 if self._timers is None else len(self._timers)

    def __iter__(self) -> Iterator[Any]:
        return iter(()) if self._timers is None else iter(list(self._timers))


def lazy_pump_parts() -> None:
    """Each pump's timers and message signal made on first use (installed once, for the
    process: ``MessagePump.__init__`` makes them by these two names; idempotent)."""
    textual_message_pump.WeakSet = LazyTimers  # type: ignore[assignment,misc]
    textual_message_pump.Signal = LazySignal  # type: ignore[misc]


__all__ = [
    "LazySignal",
    "LazyTimers",
    "count_parameters_from_code",
    "dispatch_by_plan",
    "lazy_pump_parts",
    "parameters_from_code",
]
