"""Rules of the architecture that a test can prove."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQL = re.compile(
    r"\.execute(script|many)?\(|SELECT .+ FROM |INSERT INTO |UPDATE \w+ SET |DELETE FROM "
)


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
    ):
        paths = [ROOT / folder] if folder.endswith(".py") else (ROOT / folder).rglob("*.py")
        for path in paths:
            text = path.read_text()
            if SQL.search(text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
