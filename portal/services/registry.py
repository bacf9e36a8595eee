"""Feature modules that register demo seeders or background jobs when imported.

Listing them here keeps start-up explicit: a feature adds its module name once.
"""

from __future__ import annotations

import importlib

FEATURE_MODULES: list[str] = [
    "portal.services.catalog_demo",
    "portal.services.wallet_demo",
]
"""Modules imported at start (e.g. ``portal.services.shop_demo``)."""


def load_features() -> None:
    """Import every feature module once."""
    for name in FEATURE_MODULES:
        importlib.import_module(name)
