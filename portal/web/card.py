"""The partner page: ``GET /v/<token>`` says whether a membership card is valid.

A partner's phone camera opens the address in the card's QR code. The page reads
"Carte valide" with the member's first name, organization and the card's last day, or
"Carte non valide" and nothing else (not even why: an expired card and a forged one look
the same, so the page tells nobody whether a member exists).
"""

from __future__ import annotations

import html

from aiohttp import web

from portal.i18n import N_, Translator
from portal.services import membership
from portal.services.membership import CardVerdict
from portal.services.runtime import Services
from portal.web import pages

VALID = N_("Valid card")
INVALID = N_("Invalid card")
INVALID_TEXT = N_(
    "This membership card is not valid: it may have expired, been replaced or been "
    "altered. Ask the member to show their card again from Portal."
)
FIRST_NAME = N_("First name")
ORGANIZATION = N_("Organization")
VALID_UNTIL = N_("Valid until")
CHECKED_AT = N_("Checked on {when}.")


def render_verdict(t: Translator, verdict: CardVerdict) -> web.Response:
    """The page of a verdict (every value escaped)."""
    from portal.services import clock

    checked = html.escape(t.gettext(CHECKED_AT, when=t.datetime(clock.now(), "short")))
    if not verdict.valid:
        text = html.escape(t.gettext(INVALID_TEXT))
        body = f'<p>{text}</p>\n<p class="note">{checked}</p>'
        return pages.render(t, t.gettext(INVALID), body, status=200, css_class="invalid")
    assert verdict.valid_until is not None
    rows = [
        (FIRST_NAME, verdict.first_name or ""),
        (ORGANIZATION, verdict.organization or ""),
        (VALID_UNTIL, t.date(verdict.valid_until, "long")),
    ]
    items = "\n".join(
        f"<dt>{html.escape(t.gettext(label))}</dt><dd>{html.escape(value)}</dd>"
        for label, value in rows
    )
    body = f'<dl>\n{items}\n</dl>\n<p class="note">{checked}</p>'
    return pages.render(t, t.gettext(VALID), body, css_class="valid")


def add_routes(app: web.Application, services: Services) -> None:
    """Add ``GET /v/{token}``."""

    async def check(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        verdict = await services.store.run(membership.verify, token, secrets=services.secrets)
        return render_verdict(pages.translator_for(request), verdict)

    app.router.add_get(membership.VERIFY_PATH + "{token}", check)
