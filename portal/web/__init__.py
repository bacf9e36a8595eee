"""The web pages served by ``portal serve`` beside the SSH server (aiohttp, same loop).

Plain HTML, no JavaScript, strict security headers on every response. Features add
their routes through ``portal.web.routes.ROUTE_MODULES``; ``make_web_app`` builds the
application and ``WebServer`` starts and stops it.
"""

from __future__ import annotations

from portal.web.app import make_web_app
from portal.web.server import WebServer

__all__ = ["WebServer", "make_web_app"]
