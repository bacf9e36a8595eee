"""CSS work shared by every app of the process: what ``Stylesheet`` does once per app.

Every session's app parses the same CSS files and matches the same rules against the
same widget trees. Textual caches both per stylesheet (that is, per app) only. Its
private methods are wrapped here, for the whole process:

- ``Stylesheet._parse_rules`` (and its ``_variables``): each CSS source is parsed once
  per process and theme (``share_parsed_css``), not once per app (about 35 ms of the
  event loop per session start); so are the variables' tokens (``_variable_tokens``,
  about 1 ms: some 150 variables) and style strings such as "bold" (``parse_style``).
- ``Stylesheet.apply``: matching the rules against a node, 57 times for the home
  screen (about 2 ms of a 37 ms start). ``share_applied_css`` reuses the rules that
  matched a node of the same shape in another app. A node's shape is what a selector
  can see, from the app down to the node: each node's type, id, classes, and its value
  of every pseudo-class the candidate rules mention (focus, hover, disabled, dark...).
  Textual's own per-update cache keys on the parent widget instead, so it cannot cross
  apps. A node whose candidate rules use a pseudo-class that depends on other nodes
  (first-child, odd, focus-within...) is matched by Textual itself, as before.
  Within one update (a mount, a restyle) a node's shape is built from its parent's, not
  by walking its whole path again (the ancestors' state is read once per update, as
  Textual's own cache assumes).

The rules are never mutated once parsed (Textual itself reuses them across re-parses),
and ``replace_rules`` copies a matched map into the node's styles: sharing both is what
Textual does within one update. ``tests/pilot/test_shared_styles.py`` compares every
node's styles with Textual's own matching; ``tests/unit/test_shared_css.py`` fails if
Textual changes what this relies on; ``pyproject.toml`` pins Textual below its next
minor version.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import active_app
from textual.app import App
from textual.cache import LRUCache
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet
from textual.css.tokenize import Token, tokenize_values
from textual.dom import DOMNode
from textual.style import Style

if TYPE_CHECKING:
    from textual.css.styles import RulesMap

T = TypeVar("T")

# -- CSS parsed once per process -----------------------------------------------------------

_PARSED_CSS: LRUCache[tuple[Any, ...], list[RuleSet]] = LRUCache(512)
"""Rules parsed from CSS, shared by every app of the process (never mutated once parsed:
Textual reuses them across re-parses within one app the same way). Keyed by the CSS
variables and by Textual's own key (text, location, default or not, tie breaker, scope)."""

_PARSE_RULES = Stylesheet._parse_rules
"""Textual's own parser (each stylesheet caches its results for itself only)."""


_VARIABLE_SETS: dict[tuple[tuple[str, str], ...], int] = {}
"""A small number per distinct set of CSS variables (one per theme in use), so that the
parse cache's key does not hash some 150 variables at each of a start's 60 lookups."""


def _variables_key(sheet: Stylesheet) -> int:
    """The stylesheet's CSS variables as a key, computed once per variables dict (Textual
    replaces the dict to change them, never edits it)."""
    variables = sheet._variables
    memo: tuple[dict[str, str], int] | None = sheet.__dict__.get("_portal_variables_key")
    if memo is None or memo[0] is not variables:
        values = tuple(sorted(variables.items()))
        memo = (variables, _VARIABLE_SETS.setdefault(values, len(_VARIABLE_SETS)))
        sheet.__dict__["_portal_variables_key"] = memo
    return memo[1]


def _shared_parse_rules(
    self: Stylesheet,
    css: str,
    read_from: Any,
    is_default_rules: bool = False,
    tie_breaker: int = 0,
    scope: str = "",
) -> list[RuleSet]:
    key = (
        _variables_key(self),
        css,
        read_from,
        is_default_rules,
        tie_breaker,
        scope,
    )
    rules = _PARSED_CSS.get(key)
    if rules is None:
        rules = _PARSE_RULES(self, css, read_from, is_default_rules, tie_breaker, scope)
        _PARSED_CSS[key] = rules
    return rules


_VARIABLE_TOKENS: dict[int, dict[str, list[Token]]] = {}
"""The CSS variables tokenized, per set of variables (Textual does it once per stylesheet,
about 1 ms, for the first style string a start parses: "bold" in the title bar)."""

_PARSED_STYLES: LRUCache[tuple[int, str], Style] = LRUCache(4096)
"""(variables, style text) -> the parsed style (``Style`` is frozen), for every app."""

_PARSE_STYLE = Stylesheet.parse_style
"""Textual's own (cached per stylesheet)."""


def _shared_variable_tokens(self: Stylesheet) -> dict[str, list[Token]]:
    key = _variables_key(self)
    tokens = _VARIABLE_TOKENS.get(key)
    if tokens is None:
        tokens = _VARIABLE_TOKENS[key] = tokenize_values(self._variables)
    return tokens


def _shared_parse_style(self: Stylesheet, style_text: str | Style) -> Style:
    if isinstance(style_text, Style):
        return style_text
    app = active_app.get(None)
    if app is None or app.stylesheet is not self:
        # Textual parses with the active app's variables: only theirs are known here.
        return _PARSE_STYLE(self, style_text)
    key = (_variables_key(self), style_text)
    style = _PARSED_STYLES.get(key)
    if style is None:
        style = _PARSED_STYLES[key] = _PARSE_STYLE(self, style_text)
    return style


def share_parsed_css() -> None:
    """Parse each CSS source once per process (and theme), not once per app; the same
    for the CSS variables' tokens and for style strings ("bold", "$accent").

    Installed once, for the whole process (every stylesheet, also the fresh ones Textual
    makes to re-parse); idempotent.
    """
    Stylesheet._parse_rules = _shared_parse_rules  # type: ignore[method-assign]
    Stylesheet._variable_tokens = property(_shared_variable_tokens)  # type: ignore[method-assign,assignment]
    Stylesheet.parse_style = _shared_parse_style  # type: ignore[method-assign]


# -- rules matched once per node shape ---------------------------------------------------

_APPLY = Stylesheet.apply
"""Textual's own: matches every candidate rule against the node's path."""

_SIBLING_PSEUDO_CLASSES = frozenset(Stylesheet._EXCLUDE_PSEUDO_CLASSES_FROM_CACHE)
"""Pseudo-classes that Textual leaves out of its cache (they depend on other nodes):
a node whose candidate rules use one is matched by Textual itself."""

_NO_RULES: RulesMap = {}
"""Stands for "no rule matched": Textual then leaves the node's styles as they are."""

_tokens = itertools.count(1)

_RULE_LISTS: LRUCache[tuple[int, ...], tuple[int, list[RuleSet]]] = LRUCache(256)
"""A token per distinct list of rules (by the identity of its rule sets, in order). The
list is kept with its token, so none of its rule sets' ids can be reused while the
token lives; an evicted list gets a new token, never an old one."""

_CANDIDATES: LRUCache[tuple[Any, ...], tuple[str, ...] | None] = LRUCache(4096)
"""(token, selector names) -> the pseudo-classes the candidate rules mention; None when
they mention one that depends on other nodes."""

_MATCHED: LRUCache[tuple[Any, ...], RulesMap] = LRUCache(8192)
"""(token, the node's shape) -> the rules that matched it."""

_STATS = {"shared": 0, "matched": 0, "by_textual": 0}
"""How many applications were answered from ``_MATCHED``, matched and kept, or left to
Textual (for the tests)."""


def _rules_token(sheet: Stylesheet) -> int:
    rules = sheet.rules  # parses first if the sources changed
    memo: tuple[list[RuleSet], int] | None = sheet.__dict__.get("_portal_rules_token")
    if memo is not None and memo[0] is rules:
        return memo[1]
    key = tuple(map(id, rules))
    entry = _RULE_LISTS.get(key)
    if entry is None:
        entry = (next(_tokens), rules)
        _RULE_LISTS[key] = entry
    sheet.__dict__["_portal_rules_token"] = (rules, entry[0])
    return entry[0]


def _candidates(sheet: Stylesheet, token: int, node: DOMNode) -> tuple[str, ...] | None:
    names = frozenset(node._selector_names)
    key = (token, names)
    if key in _CANDIDATES:
        return _CANDIDATES[key]
    rules_map = sheet.rules_map
    limit = {rule for name in rules_map.keys() & names for rule in rules_map[name]}
    pseudo: set[str] = set().union(*(rule.pseudo_classes for rule in limit))
    found = None if not pseudo.isdisjoint(_SIBLING_PSEUDO_CLASSES) else tuple(sorted(pseudo))
    _CANDIDATES[key] = found
    return found


_PREFIXES: dict[tuple[int, tuple[str, ...]], tuple[DOMNode, tuple[Any, ...]]] = {}
"""The shapes computed during the current update, by node and pseudo-classes: a node's
shape is its parent's followed by its own part. Holds its nodes, so no id is reused while
it lives; emptied when the update (a mount, ``update_nodes``, or a top-level ``apply``)
ends, so it keeps no closed session's nodes alive."""

_DEPTH = [0]
"""How deep mounts (``App._register``), ``update_nodes`` and ``apply`` are nested
(component classes apply inside ``apply``, which runs inside the other two)."""


def _shape(node: DOMNode, pseudo: tuple[str, ...]) -> tuple[Any, ...]:
    """The node's shape: its path's, as the parents were when this update met them.

    That is what Textual's own cache assumes too (it keys a node by its parent): within
    one update, only the node's own state is read again.
    """
    parent = node._parent
    prefix: tuple[Any, ...] = ()
    if isinstance(parent, DOMNode):
        known = _PREFIXES.get((id(parent), pseudo))
        prefix = known[1] if known is not None and known[0] is parent else _shape(parent, pseudo)
    shape = (
        *prefix,
        (
            type(node),
            node._id,
            frozenset(node._classes),
            tuple([node.has_pseudo_class(name) for name in pseudo]),
        ),
    )
    _PREFIXES[(id(node), pseudo)] = (node, shape)
    return shape


def _one_update(method: Callable[..., T]) -> Callable[..., T]:
    """``method`` (Textual's) as one scope of ``_PREFIXES``: the outermost call ends it."""

    @functools.wraps(method)
    def in_one_update(*args: Any, **kwargs: Any) -> T:
        _DEPTH[0] += 1
        try:
            return method(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1
            if not _DEPTH[0]:
                _PREFIXES.clear()

    return in_one_update


_SHARED_UPDATE_NODES = _one_update(Stylesheet.update_nodes)
"""Textual's restyle of many nodes, one update."""
_SHARED_REGISTER = _one_update(App._register)
"""Textual's mount of a widget tree (it styles each widget, with one cache), one update."""


def _apply_by_shape(
    self: Stylesheet,
    node: DOMNode,
    *,
    animate: bool = False,
    cache: dict[tuple[Any, ...], RulesMap] | None = None,
) -> None:
    """``Stylesheet.apply``, from another app's match of a node of the same shape."""
    token = _rules_token(self)
    pseudo = _candidates(self, token, node)
    if pseudo is None:
        _STATS["by_textual"] += 1
        _APPLY(self, node, animate=animate, cache=cache)
        return
    key = (token, _shape(node, pseudo))
    matched = _MATCHED.get(key)
    if matched is None:
        _STATS["matched"] += 1
        mine: dict[tuple[Any, ...], RulesMap] = {}
        _APPLY(self, node, animate=animate, cache=mine)  # stores the one map it matched
        _MATCHED[key] = next(iter(mine.values()), _NO_RULES)
        return
    _STATS["shared"] += 1
    # The flags Textual sets: the other three name pseudo-classes that send a node to
    # Textual's own matching, so here they are always off.
    node._has_hover_style = "hover" in pseudo
    node._has_focus_within = node._has_order_style = node._has_odd_or_even = False
    if matched is not _NO_RULES:
        self.replace_rules(node, matched, animate=animate)
    self._process_component_classes(node)


_shared_apply = _one_update(_apply_by_shape)
"""What ``Stylesheet.apply`` becomes: one scope of ``_PREFIXES`` (unless inside one)."""


def share_applied_css() -> None:
    """Match the rules once per node shape for the whole process, not once per node.

    Installed once, for the whole process; idempotent.
    """
    Stylesheet.apply = _shared_apply  # type: ignore[method-assign]
    Stylesheet.update_nodes = _SHARED_UPDATE_NODES  # type: ignore[method-assign]
    App._register = _SHARED_REGISTER  # type: ignore[method-assign]


__all__ = ["share_applied_css", "share_parsed_css"]
