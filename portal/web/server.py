"""Start and stop the web server in the running event loop (``portal serve``, tests)."""

from __future__ import annotations

import logging

from aiohttp import web

from portal.services.runtime import Services
from portal.web.app import make_web_app

log = logging.getLogger(__name__)


class WebServer:
    """The aiohttp server of one process, on ``settings.http_host:http_port``."""

    def __init__(self, services: Services, app: web.Application | None = None) -> None:
        self.services = services
        self.app = app if app is not None else make_web_app(services)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    @property
    def port(self) -> int:
        """The port actually bound (useful when started on port 0)."""
        assert self._runner is not None, "not started"
        return int(self._runner.addresses[0][1])

    @property
    def url(self) -> str:
        """The local address of the server (tests; people use ``settings.public_url``)."""
        host = self.services.settings.http_host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    async def start(self, *, reuse_port: bool = False) -> None:
        """Listen (workers share the port with ``reuse_port``, like the SSH server)."""
        settings = self.services.settings
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=2.0
        )
        await self._runner.setup()
        self._site = web.TCPSite(
            self._runner,
            settings.http_host,
            settings.http_port,
            reuse_port=reuse_port or None,
        )
        await self._site.start()
        log.info("web pages on %s:%d", settings.http_host, self.port)

    async def close(self) -> None:
        """Stop listening and finish the requests in flight."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None
