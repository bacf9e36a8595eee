"""The modules that add routes to the web application.

Each module named here exposes ``def add_routes(app: web.Application, services:
Services) -> None``. A feature adds its own line (modules are imported when the
application is built, so a feature's imports stay out of everyone else's start-up).
"""

from __future__ import annotations

ROUTE_MODULES: list[str] = [
    "portal.web.health",
    "portal.web.card",
    "portal.web.pay",
    "portal.web.provider",
]
"""Dotted names of the route modules, in order."""
