"""Rules of the architecture that a test can prove."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQL = re.compile(
    r"\.execute(script|many)?\(|SELECT .+ FROM |INSERT INTO |UPDATE \w+ SET |DELETE FROM "
)
NO_CYCLES_UNDER = ("portal.services", "portal.screens", "portal.app", "portal.guest")
"""Packages whose modules must not import each other in a circle."""
MAX_LINES = 500
"""A module longer than this wants to be split (STYLE.md, habit 14)."""
DOTTED_REFERENCE = re.compile(r"^(portal(?:\.\w+)+)(?::\w+)?$")
"""A ``"portal.x.y"`` or ``"portal.x.y:Name"`` string: an import that happens later."""


def test_services_and_data_never_import_textual() -> None:
    """The core runs without Textual: importing every service and data module loads none of it."""
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for folder in ("portal/services", "portal/data")
        for p in (ROOT / folder).rglob("*.py")
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"textual imported by the core: {out.stdout}"


def test_sql_lives_in_the_data_layer_only() -> None:
    """Screens, widgets, services and the SSH layer never hold SQL: it lives in portal/data."""
    offenders = []
    for folder in (
        "portal/screens",
        "portal/widgets",
        "portal/services",
        "portal/ssh",
        "portal/app.py",
        "portal/cli.py",
        "portal/renew.py",
        "portal/guest",
    ):
        paths = [ROOT / folder] if folder.endswith(".py") else (ROOT / folder).rglob("*.py")
        for path in paths:
            text = path.read_text()
            if SQL.search(text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_import_contracts_hold() -> None:
    """The ``[tool.importlinter]`` contracts of pyproject.toml (screens -> services -> data)."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), "import-linter is missing: pip install -e '.[dev]'"
    out = subprocess.run(
        [str(lint_imports), "--no-cache"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stdout + out.stderr


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_names(module: str, path: Path) -> Iterator[str]:
    """Every ``portal`` name a module imports, wherever the import is.

    Module level, inside functions, under ``if TYPE_CHECKING:``, and ``"portal.x:Name"``
    strings (imported later by name) all count: each is a dependency all the same.
    """
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            # ``from a import b``: the module ``a.b`` if there is one, else ``a`` (resolved
            # by the caller); the package ``a`` itself is not counted as a dependency.
            yield from (f"{prefix}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found = DOTTED_REFERENCE.match(node.value)
            if found:
                yield found.group(1)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """``portal`` module -> the ``portal`` modules it imports (``from a import b``: ``a.b``
    when ``b`` is a module, else ``a``)."""
    paths = {_module_name(p, root): p for p in (root / "portal").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        targets = set()
        for name in _imported_names(module, path):
            while name and name not in paths:
                name = name.rpartition(".")[0]
            if name.startswith("portal.") and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (each a sorted list)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _in_scope(module: str) -> bool:
    return any(module == top or module.startswith(top + ".") for top in NO_CYCLES_UNDER)


def test_the_cycle_finder_finds_cycles() -> None:
    """The finder itself: a circle through three modules, a self-import, and a tree."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"d"}, "e": {"a"}}
    found = [c for c in strongly_connected(graph) if len(c) > 1]
    assert found == [["a", "b", "c"]]


def test_the_import_graph_counts_every_kind_of_import(tmp_path: Path) -> None:
    """Function-level, ``TYPE_CHECKING``, relative and ``"module:Name"`` imports all count."""
    for name in ("app", "screens/base", "screens/home", "services/orders", "services/wallet"):
        (tmp_path / "portal" / f"{name}.py").parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "portal" / f"{name}.py").write_text("")
    (tmp_path / "portal" / "screens" / "demo.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import base\n"
        "if TYPE_CHECKING:\n"
        "    from portal.app import PortalApp\n"
        "def f():\n"
        "    from portal.services.orders import Order\n"
        "    import portal.services.wallet\n"
        "TARGET = 'portal.screens.home:HomeScreen'\n"
        "NOT_A_MODULE = 'portal.nowhere is a sentence'\n"
    )
    assert import_graph(tmp_path)["portal.screens.demo"] == {
        "portal.screens.base",
        "portal.app",
        "portal.services.orders",
        "portal.services.wallet",
        "portal.screens.home",
    }


def test_services_screens_and_apps_import_no_circle() -> None:
    """No circle among services, screens and apps, even through function-level imports."""
    graph = import_graph()
    scoped = {m: {t for t in ts if _in_scope(t)} for m, ts in graph.items() if _in_scope(m)}
    cycles = [c for c in strongly_connected(scoped) if len(c) > 1]
    for cycle in cycles:
        print("import circle:", " <-> ".join(cycle))
    assert cycles == [], "import circles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_no_module_is_longer_than_500_lines() -> None:
    """A long module hides several ideas: split it into modules named by what they do."""
    long = {
        str(p.relative_to(ROOT)): n
        for p in sorted((ROOT / "portal").rglob("*.py"))
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines: {long}"


def test_every_screen_module_is_imported_at_server_start() -> None:
    """Importing the two apps imports every screen module, before any member connects.

    A screen module imported on first use would stall every session on the shared event
    loop while Python imports it; at start-up it costs nobody anything.
    """
    screens = sorted(_module_name(p) for p in (ROOT / "portal" / "screens").rglob("*.py"))
    code = (
        "import sys\n"
        "import portal.app, portal.guest.app\n"
        f"print(','.join(m for m in {screens!r} if m not in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"screen modules imported late: {out.stdout}"


def test_widgets_and_the_screen_context_import_no_screen() -> None:
    """Widgets (dialogs, formatting) and ``screens.context`` are below every screen.

    Any screen may import them; if they imported a screen (or an app, which imports the
    screens), that screen could not import them back without closing a circle.
    """
    graph = import_graph()
    below = [m for m in graph if m.startswith("portal.widgets")] + ["portal.screens.context"]
    offenders = {
        m: sorted(
            t
            for t in graph[m]
            if t.startswith(("portal.screens", "portal.app", "portal.guest"))
            and t != "portal.screens"
        )
        for m in below
    }
    assert {m: ts for m, ts in offenders.items() if ts} == {}


def test_the_apps_give_their_screens_what_the_screen_context_promises(app_for) -> None:  # type: ignore[no-untyped-def]
    """``PortalApp``/``GuestApp`` have every member of ``MemberPortal``/``GuestPortal``."""
    from portal.guest.app import make_guest_app
    from portal.screens.context import GuestPortal, MemberPortal

    app = app_for("alice")
    assert isinstance(app, MemberPortal)
    assert isinstance(make_guest_app(app.services), GuestPortal)
