"""``/healthz``: a load balancer's liveness check (the loop and the database threads answer)."""

from __future__ import annotations

from aiohttp import web

from portal.services.runtime import Services


def _ping(db: object) -> bool:
    return True


def add_routes(app: web.Application, services: Services) -> None:
    """Add ``GET /healthz``."""

    async def healthz(request: web.Request) -> web.Response:
        await services.store.run(_ping)
        return web.Response(text="ok\n")

    app.router.add_get("/healthz", healthz)
