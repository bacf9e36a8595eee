"""Portal: the member space of a CSE benefits platform, served over SSH."""

from __future__ import annotations

__version__ = "0.1.0"
