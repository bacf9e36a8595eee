"""The aiohttp application: security headers, per-address rate limit, feature routes.

``make_web_app(services)`` is the one factory, used by ``WebServer`` (hence
``portal serve``) and the tests. Routes come from the modules listed in
``portal.web.routes.ROUTE_MODULES``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from portal.services.runtime import Services
from portal.web import pages
from portal.web.ratelimit import RateLimiter
from portal.web.routes import ROUTE_MODULES

log = logging.getLogger(__name__)

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
"""Set on every response, errors included (no script may run, nothing is cached)."""

SERVICES_KEY = web.AppKey("services", Services)
LIMITER_KEY = web.AppKey("limiter", RateLimiter)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    response.headers["Server"] = "portal"  # no software version for scanners


@web.middleware
async def _rate_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    limiter = request.app[LIMITER_KEY]
    if not limiter.allow(request.remote or "?"):
        log.info("web rate limit reached for %s", request.remote)
        t = pages.translator_for(request)
        response = pages.message_page(t, pages.TOO_MANY_TITLE, pages.TOO_MANY_TEXT, status=429)
        response.headers["Retry-After"] = "10"
        return response
    return await handler(request)


@web.middleware
async def _error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPNotFound:
        t = pages.translator_for(request)
        return pages.message_page(t, pages.NOT_FOUND_TITLE, pages.NOT_FOUND_TEXT, status=404)


async def _stylesheet(request: web.Request) -> web.Response:
    return web.Response(text=pages.STYLESHEET, content_type="text/css", charset="utf-8")


def make_web_app(services: Services, *, route_modules: list[str] | None = None) -> web.Application:
    """Build the web application of one process.

    Args:
        services: The process services (database store, settings, secrets).
        route_modules: Modules adding routes (default ``ROUTE_MODULES``).
    """
    settings = services.settings
    app = web.Application(middlewares=[_rate_limit, _error_pages], client_max_size=64 * 1024)
    app[SERVICES_KEY] = services
    app[LIMITER_KEY] = RateLimiter(settings.http_rate_per_ip, settings.http_burst_per_ip)
    app.on_response_prepare.append(_security_headers)
    app.router.add_get(pages.STYLESHEET_PATH, _stylesheet)
    for name in ROUTE_MODULES if route_modules is None else route_modules:
        importlib.import_module(name).add_routes(app, services)
    return app
