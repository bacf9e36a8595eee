"""The sandbox provider's payment page: ``/pay/<reference>`` (card form, 3-D Secure, result).

This stands for the provider's own hosted page (as the seed's shop sends members to
Payline's): the member opens its address from the QR code or the short link shown in
the terminal, types the card here, answers 3-D Secure, and sees the result. Portal's SSH
side never sees the card: this page gives the number to ``SandboxProvider.submit_card``,
which keeps only the brand and last four digits, and the outcome goes back to Portal
server-to-server as a signed notification posted to ``/provider/notify``.

Plain HTML forms, no JavaScript; every form carries the payment's CSRF token; every
value is escaped; the web application sets the strict headers. The page speaks the
member's language (``?lang=fr|en`` switches). Routes are added only when the process's
provider is the sandbox (a real provider serves its own page).
"""

from __future__ import annotations

import html
import logging

from aiohttp import web

from portal.i18n import LANGUAGES, N_, Translator, get_translator
from portal.services.errors import UserError
from portal.services.payment_sandbox import HostedPayment, SandboxProvider
from portal.services.payments import (
    PAY_PATH,
    CardDetails,
    PageRefused,
)
from portal.services.runtime import Services
from portal.web import pages

log = logging.getLogger(__name__)

STYLESHEET_PATH = "/static/pay.css"
STYLESHEET = """\
main.pay { border-top-color: #1f4e99; max-width: 30rem; }
main.pay h1 { font-size: 1.6rem; }
form { margin: 1rem 0; }
label { display: block; font-size: 1rem; color: #444444; margin-top: 0.8rem; }
input { box-sizing: border-box; width: 100%; font-size: 1.3rem; padding: 0.5rem;
        border: 1px solid #8a8a8a; border-radius: 0.4rem; }
.row { display: flex; gap: 0.8rem; }
.row > div { flex: 1; }
button { margin-top: 1.2rem; width: 100%; font-size: 1.3rem; padding: 0.7rem;
         color: #ffffff; background: #1f4e99; border: 0; border-radius: 0.5rem; }
.brands { font-weight: 700; color: #1f4e99; letter-spacing: 0.05rem; }
.error { color: #b3261e; font-weight: 600; }
.order { background: #f1f4fa; border-radius: 0.6rem; padding: 0.6rem 1rem; }
.order dd { font-size: 1.2rem; }
.order h2 { font-size: 1.1rem; margin: 0.3rem 0 0 0; }
.note { font-size: 0.95rem; color: #555555; }
.lang { font-size: 0.95rem; text-align: right; margin: 0; }
main.valid { border-top-color: #1e7d32; }
main.invalid { border-top-color: #b3261e; }
"""

SECURE_PAYMENT = N_("Secure payment")
ENTER_DETAILS = N_("Please enter your payment details")
CARD_NUMBER = N_("Card number")
EXPIRY = N_("Expiry date (MM/YY)")
CRYPTOGRAM = N_("Cryptogram (3 digits on the back)")
PAY_BUTTON = N_("Pay {amount}")
YOUR_ORDER = N_("Your order")
ORDER_NUMBER = N_("Order number")
TOTAL = N_("Total to pay")
BENEFICIARY = N_("Beneficiary")
THREE_DS_NOTE = N_(
    "Card payment is secured by 3-D Secure: your bank may ask you to confirm it with a "
    "code. Nobody from Portal will ever ask you for your card details."
)
SANDBOX_NOTE = N_(
    "Sandbox: no real card is charged. Test cards: 4242 4242 4242 4242 pays; "
    "4000 0000 0000 0002 is declined; 4000 0000 0000 3220 asks the code 123456; "
    "4000 0000 0000 9995 lacks funds. Any future expiry date, any 3 digits."
)
THREE_DS_TITLE = N_("3-D Secure verification")
THREE_DS_TEXT = N_(
    "Your bank asks you to confirm the payment of {amount} to {beneficiary}: enter the "
    "code it sent you by SMS."
)
CODE = N_("Verification code")
CONFIRM = N_("Confirm the payment")
ACCEPTED_TITLE = N_("Payment accepted")
ACCEPTED_TEXT = N_(
    "Your payment of {amount} ({brand} ending in {last4}) is accepted. You can close this "
    "page: your order follows in Portal."
)
REFUSED_TITLE = N_("Payment refused")
REFUSED_TEXT = N_(
    "Your bank refused the payment: nothing was charged. The order is cancelled and your "
    "benefits are given back; you can order again from Portal."
)
NO_FUNDS_TEXT = N_(
    "Your bank refused the payment for insufficient funds: nothing was charged. The order "
    "is cancelled and your benefits are given back; you can order again from Portal."
)
EXPIRED_TITLE = N_("Payment expired")
EXPIRED_TEXT = N_(
    "This payment is no longer possible: its time ran out or the order was cancelled. "
    "Nothing was charged."
)
UNKNOWN_TITLE = N_("Unknown payment")
UNKNOWN_TEXT = N_("There is no payment at this address.")
LANGUAGE_NAMES = {"en": "English", "fr": "Français"}
"""Each language named in itself (a switch link reads in the language it leads to)."""


def _translator(request: web.Request, payment: HostedPayment | None) -> Translator:
    """``?lang=`` if given, else the member's language, else the browser's."""
    wanted = request.query.get("lang", "")
    if wanted in LANGUAGES:
        return get_translator(wanted)
    if payment is not None and payment.language in LANGUAGES:
        return get_translator(payment.language)
    return pages.translator_for(request)


def _render(
    t: Translator, title: str, body: str, *, status: int = 200, css_class: str = "pay"
) -> web.Response:
    """A page of the provider (its own stylesheet after the shared one)."""
    document = (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(t.language)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{html.escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{pages.STYLESHEET_PATH}">\n'
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}">\n'
        "</head>\n"
        f'<body>\n<main class="{html.escape(css_class)}">\n'
        f"<h1>{html.escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )
    return web.Response(text=document, status=status, content_type="text/html", charset="utf-8")


def _e(t: Translator, msgid: str, **params: object) -> str:
    return html.escape(t.gettext(msgid, **params))


def _action(payment: HostedPayment, t: Translator, suffix: str = "") -> str:
    return html.escape(f"{PAY_PATH}{payment.reference}{suffix}?lang={t.language}")


def _language_link(payment: HostedPayment, t: Translator) -> str:
    other = "en" if t.language == "fr" else "fr"
    label = LANGUAGE_NAMES[other]
    href = html.escape(f"{PAY_PATH}{payment.reference}?lang={other}")
    return f'<p class="lang"><a href="{href}" hreflang="{other}">{html.escape(label)}</a></p>'


def _order_box(payment: HostedPayment, t: Translator) -> str:
    rows = [
        (ORDER_NUMBER, payment.order_ref),
        (TOTAL, t.money(payment.amount_cents)),
        (BENEFICIARY, payment.beneficiary),
    ]
    items = "\n".join(
        f"<dt>{_e(t, label)}</dt><dd>{html.escape(value)}</dd>" for label, value in rows
    )
    return f'<section class="order"><h2>{_e(t, YOUR_ORDER)}</h2>\n<dl>\n{items}\n</dl></section>'


def card_form(
    payment: HostedPayment, t: Translator, error: str = "", *, status: int = 200
) -> web.Response:
    """The seed's form: card number, expiry MM/YY, cryptogram; the order beside it."""
    problem = f'<p class="error" role="alert">{html.escape(error)}</p>\n' if error else ""
    body = (
        f"{_language_link(payment, t)}\n"
        f"<p>{_e(t, ENTER_DETAILS)}</p>\n"
        '<p class="brands">VISA · Mastercard · CB</p>\n'
        f"{problem}"
        f'<form method="post" action="{_action(payment, t)}" autocomplete="off">\n'
        f'<input type="hidden" name="csrf" value="{html.escape(payment.csrf_token)}">\n'
        f'<label for="number">{_e(t, CARD_NUMBER)}</label>\n'
        '<input id="number" name="number" inputmode="numeric" autocomplete="cc-number" '
        'maxlength="23" required>\n'
        '<div class="row"><div>\n'
        f'<label for="expiry">{_e(t, EXPIRY)}</label>\n'
        '<input id="expiry" name="expiry" inputmode="numeric" autocomplete="cc-exp" '
        'placeholder="MM/AA" maxlength="7" required>\n'
        "</div><div>\n"
        f'<label for="cvc">{_e(t, CRYPTOGRAM)}</label>\n'
        '<input id="cvc" name="cvc" type="password" inputmode="numeric" autocomplete="cc-csc" '
        'maxlength="4" required>\n'
        "</div></div>\n"
        f'<button type="submit">{_e(t, PAY_BUTTON, amount=t.money(payment.amount_cents))}</button>\n'
        "</form>\n"
        f"{_order_box(payment, t)}\n"
        f'<p class="note">{_e(t, THREE_DS_NOTE)}</p>\n'
        f'<p class="note">{_e(t, SANDBOX_NOTE)}</p>'
    )
    return _render(t, t.gettext(SECURE_PAYMENT), body, status=status)


def code_form(
    payment: HostedPayment, t: Translator, error: str = "", *, status: int = 200
) -> web.Response:
    """The bank's 3-D Secure step."""
    problem = f'<p class="error" role="alert">{html.escape(error)}</p>\n' if error else ""
    text = _e(
        t, THREE_DS_TEXT, amount=t.money(payment.amount_cents), beneficiary=payment.beneficiary
    )
    body = (
        f"<p>{text}</p>\n{problem}"
        f'<form method="post" action="{_action(payment, t, "/3ds")}" autocomplete="off">\n'
        f'<input type="hidden" name="csrf" value="{html.escape(payment.csrf_token)}">\n'
        f'<label for="code">{_e(t, CODE)}</label>\n'
        '<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" '
        'maxlength="8" required>\n'
        f'<button type="submit">{_e(t, CONFIRM)}</button>\n'
        "</form>\n"
        f'<p class="note">{_e(t, SANDBOX_NOTE)}</p>'
    )
    return _render(t, t.gettext(THREE_DS_TITLE), body, status=status)


def result_page(payment: HostedPayment, t: Translator) -> web.Response:
    """Where the payment stands: the form, the 3-D Secure step, or the result."""
    if payment.expired or payment.status == "voided":
        body = f"<p>{_e(t, EXPIRED_TEXT)}</p>"
        return _render(t, t.gettext(EXPIRED_TITLE), body, status=410, css_class="pay invalid")
    if payment.status == "created":
        return card_form(payment, t)
    if payment.status == "requires_action":
        return code_form(payment, t)
    if payment.status in ("authorized", "captured"):
        text = _e(
            t,
            ACCEPTED_TEXT,
            amount=t.money(payment.amount_cents),
            brand=payment.brand,
            last4=payment.last4,
        )
        body = f"<p>{text}</p>\n{_order_box(payment, t)}"
        return _render(t, t.gettext(ACCEPTED_TITLE), body, css_class="pay valid")
    reason = NO_FUNDS_TEXT if payment.status == "insufficient_funds" else REFUSED_TEXT
    body = f"<p>{_e(t, reason)}</p>\n{_order_box(payment, t)}"
    return _render(t, t.gettext(REFUSED_TITLE), body, css_class="pay invalid")


def local_base(request: web.Request) -> str | None:
    """This server's own address as bound (the sandbox posts its notification there)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    if not sockname:
        return None
    host, port = str(sockname[0]), int(sockname[1])
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def add_routes(app: web.Application, services: Services) -> None:
    """Add the sandbox's page (``GET``/``POST /pay/{ref}``, ``POST /pay/{ref}/3ds``)."""
    provider = services.payments.provider
    if not isinstance(provider, SandboxProvider):
        return
    sandbox = provider

    def unknown(request: web.Request) -> web.Response:
        t = _translator(request, None)
        body = f"<p>{_e(t, UNKNOWN_TEXT)}</p>"
        return _render(t, t.gettext(UNKNOWN_TITLE), body, status=404, css_class="pay invalid")

    def after(request: web.Request, reference: str, status: str, t: Translator) -> web.Response:
        if status in ("authorized", "declined", "insufficient_funds"):
            sandbox.send_notification(reference, deliver_to=local_base(request))
        raise web.HTTPSeeOther(f"{PAY_PATH}{reference}?lang={t.language}")

    async def show(request: web.Request) -> web.Response:
        payment = sandbox.page(request.match_info["ref"])
        if payment is None:
            return unknown(request)
        return result_page(payment, _translator(request, payment))

    async def submit_card(request: web.Request) -> web.Response:
        reference = request.match_info["ref"]
        payment = sandbox.page(reference)
        if payment is None:
            return unknown(request)
        t = _translator(request, payment)
        form = await request.post()
        card = CardDetails(
            str(form.get("number", ""))[:30],
            str(form.get("expiry", ""))[:10],
            str(form.get("cvc", ""))[:6],
        )
        try:
            status = sandbox.submit_card(reference, str(form.get("csrf", "")), card)
        except PageRefused as refused:
            if payment.status != "created" or payment.expired:
                return result_page(payment, t)
            return card_form(payment, t, refused.text(t), status=403)
        except UserError as invalid:
            return card_form(payment, t, invalid.text(t), status=422)
        finally:
            del card, form  # the number and cryptogram end here
        return after(request, reference, status, t)

    async def submit_code(request: web.Request) -> web.Response:
        reference = request.match_info["ref"]
        payment = sandbox.page(reference)
        if payment is None:
            return unknown(request)
        t = _translator(request, payment)
        form = await request.post()
        try:
            status = sandbox.submit_code(
                reference, str(form.get("csrf", "")), str(form.get("code", ""))[:12]
            )
        except PageRefused as refused:
            if payment.status != "requires_action" or payment.expired:
                return result_page(payment, t)
            return code_form(payment, t, refused.text(t), status=403)
        return after(request, reference, status, t)

    async def stylesheet(request: web.Request) -> web.Response:
        return web.Response(text=STYLESHEET, content_type="text/css", charset="utf-8")

    app.router.add_get(STYLESHEET_PATH, stylesheet)
    app.router.add_get(PAY_PATH + "{ref}", show)
    app.router.add_post(PAY_PATH + "{ref}", submit_card)
    app.router.add_post(PAY_PATH + "{ref}/3ds", submit_code)
