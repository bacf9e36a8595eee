"""Feature modules that register demo seeders or background jobs when imported.

Listing them here keeps start-up explicit: a feature adds its module name once.
"""

from __future__ import annotations

import importlib

from portal.services import demo

FEATURE_MODULES: list[str] = [
    "portal.services.catalog_demo",
    "portal.services.wallet_demo",
    "portal.services.ecards_demo",
    "portal.services.credentials_demo",
    "portal.services.help",
]
"""Modules imported at start (e.g. ``portal.services.shop_demo``)."""


def load_features() -> None:
    """Import every feature module once."""
    for name in FEATURE_MODULES:
        importlib.import_module(name)


def demo_seeders() -> list[demo.DemoSeeder]:
    """Every feature's demo seeder (importing the feature modules registers them)."""
    load_features()
    return list(demo.DEMO_SEEDERS)
