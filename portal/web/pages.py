"""The HTML of the web pages: one small template, the visitor's language, escaping.

Every value placed in a page goes through ``html.escape``; the template itself holds no
script and no inline style (the stylesheet is served from ``/static/portal.css`` so the
Content-Security-Policy can forbid everything else).
"""

from __future__ import annotations

import html

from aiohttp import web

from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, Translator, get_translator

STYLESHEET = """\
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0; padding: 1.5rem; font-size: 1.35rem; line-height: 1.45;
       color: #1b1b1b; background: #f6f6f6; }
main { max-width: 32rem; margin: 0 auto; padding: 1.5rem; border-radius: 1rem;
       background: #ffffff; border-top: 0.75rem solid #6b6b6b; }
main.valid { border-top-color: #1e7d32; }
main.invalid { border-top-color: #b3261e; }
h1 { font-size: 2.1rem; margin: 0 0 1rem 0; }
.valid h1 { color: #1e7d32; }
.invalid h1 { color: #b3261e; }
dl { margin: 0; }
dt { font-size: 1rem; color: #555555; margin-top: 0.9rem; }
dd { margin: 0; font-size: 1.6rem; font-weight: 600; overflow-wrap: anywhere; }
p.note { font-size: 1rem; color: #555555; margin-top: 1.5rem; }
"""
"""The one stylesheet of the web pages (served, never inlined)."""

STYLESHEET_PATH = "/static/portal.css"

TOO_MANY_TITLE = N_("Too many requests")
TOO_MANY_TEXT = N_("Too many requests from your address. Please try again in a moment.")
NOT_FOUND_TITLE = N_("Page not found")
NOT_FOUND_TEXT = N_("There is no page at this address.")


def preferred_language(request: web.Request) -> str:
    """The visitor's language from ``Accept-Language`` (French unless English comes first)."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for position, part in enumerate(request.headers.get("Accept-Language", "").split(",")):
        if position > 20:
            break
        tag, _, params = part.strip().partition(";")
        code = tag.strip().lower().split("-")[0]
        if code not in LANGUAGES:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if q > best_q:
            best, best_q = code, q
    return best


def translator_for(request: web.Request) -> Translator:
    """The translator of the visitor's language."""
    return get_translator(preferred_language(request))


def render(
    t: Translator, title: str, body: str, *, status: int = 200, css_class: str = ""
) -> web.Response:
    """A whole page. ``title`` is plain text (escaped here); ``body`` is HTML already
    escaped by the caller."""
    klass = f' class="{html.escape(css_class)}"' if css_class else ""
    document = (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(t.language)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f"<title>{html.escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}">\n'
        "</head>\n"
        f"<body>\n<main{klass}>\n<h1>{html.escape(title)}</h1>\n{body}\n</main>\n</body>\n"
        "</html>\n"
    )
    return web.Response(text=document, status=status, content_type="text/html", charset="utf-8")


def message_page(t: Translator, title: str, text: str, *, status: int) -> web.Response:
    """A page with a title and one sentence (errors, refusals)."""
    return render(t, t.gettext(title), f"<p>{html.escape(t.gettext(text))}</p>", status=status)
