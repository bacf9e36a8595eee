"""Form rows of the management forms: a label, then its fields, on one line."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label


def form_row(label: str, *fields: Widget, id: str | None = None) -> Horizontal:
    """A ``form-row`` line: ``label`` (class ``field-label``) then ``fields``."""
    return Horizontal(Label(label, classes="field-label"), *fields, classes="form-row", id=id)
