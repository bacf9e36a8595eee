"""``POST /provider/notify``: the payment provider's signed notifications reach Portal here.

The provider (the sandbox, or a real one behind the same interface) posts the outcome of
a payment made on its page. The signature and age are checked by the provider object
(``verify_notification``), the nonce against the ones already accepted (a replay is
refused whichever worker receives it), then ``record_notification`` moves the order on;
an authorized payment's capture is scheduled, and the screens following the order are
told. A refusal answers 400 with no detail (the log says why); the body is never logged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from portal.services.payment_confirmation import record_notification
from portal.services.payments import NOTIFY_PATH, NotificationRefused
from portal.services.runtime import Services

log = logging.getLogger(__name__)


def add_routes(app: web.Application, services: Services) -> None:
    """Add ``POST /provider/notify``."""

    async def notify(request: web.Request) -> web.Response:
        runtime = services.payments
        body = await request.read()
        try:
            notification = runtime.provider.verify_notification(body, request.headers)
            outcome = await services.store.run(record_notification, notification)
        except NotificationRefused as refused:
            log.warning("provider notification refused (%s) from %s", refused, request.remote)
            return web.Response(status=400, text="refused\n")
        if outcome is None:
            return web.Response(status=404, text="unknown payment\n")
        order_id = outcome.order_id
        if outcome.void:
            await asyncio.to_thread(runtime.provider.void, notification.reference)
        if outcome.capture:

            def captured(_result: Any) -> None:
                runtime.watch.publish(order_id)

            runtime.confirmer.schedule(notification.reference, captured)
        runtime.watch.publish(order_id)
        return web.Response(text="ok\n")

    app.router.add_post(NOTIFY_PATH, notify)
