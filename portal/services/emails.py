"""Email templates in the member's language, and where a member's email goes.

Every email Portal writes to a person goes through this module, so that the greeting,
the footer and the choice of language are the same in all of them. A template is a pair
of English message ids (subject and body, the body starting with ``Hello {name},``)
marked with ``N_`` and translated in ``locales/fr/emails.po`` (or the feature's own
.po); ``render`` fills them in one language with ``str.format`` parameters and adds the
common footer. Features keep their templates next to their code and pass a ``Template``.

For a message to a member, in their language, at their usual address (or ``to``):

    notify_member(db, member.id, ORDER_CONFIRMED, order=..., attachments=[...])

For a person who is not a member yet (a sign-up applicant), in the language they chose:

    send(db, SIGNUP_CODE, to=draft.email, language=draft.language, name=..., code=...)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.i18n import N_, Translator, get_translator
from portal.services import notifications
from portal.services.notifications import recipient_for

__all__ = [
    "EMAIL_CHANGED",
    "PASSWORD_CHANGED",
    "TEMPLATES",
    "VERIFY_EMAIL_CODE",
    "RenderedEmail",
    "Template",
    "notify_member",
    "notify_member_with",
    "recipient_for",
    "render",
    "send",
]


@dataclass(frozen=True)
class Template:
    """An email as two message ids: its subject and its body (``{named}`` parameters)."""

    subject: str
    body: str
    sensitive: bool = False
    """The body carries a code or a link that grants access: it is erased once sent."""


@dataclass(frozen=True)
class RenderedEmail:
    """A subject and a plain-text body in one language."""

    subject: str
    body: str


FOOTER = N_(
    "This message was sent automatically by Portal, the member space of your CSE."
    " Please do not reply to it."
)

VERIFY_EMAIL_CODE = Template(
    subject=N_("Your code to confirm this email address"),
    body=N_(
        "Hello {name},\n"
        "\n"
        "To receive your messages from {organization} at this address, enter this code in"
        ' Portal, under "Contact details & preferences":\n'
        "\n"
        "    {code}\n"
        "\n"
        "The code is valid for {minutes} minutes.\n"
        "If you did not ask for it, ignore this message: nothing will change."
    ),
    sensitive=True,
)
"""Sent to a new communication email; parameters: name, organization, code, minutes."""

EMAIL_CHANGED = Template(
    subject=N_("Your communication email has changed"),
    body=N_(
        "Hello {name},\n"
        "\n"
        "From now on, your orders and newsletters from {organization} will be sent to"
        " {email}.\n"
        "\n"
        "If you did not make this change, contact your CSE and change your password."
    ),
)
"""Sent to the previous address when the communication email changes; parameters:
name, organization, email."""

PASSWORD_CHANGED = Template(
    subject=N_("Your Portal password was changed"),
    body=N_(
        "Hello {name},\n\nThe password of your Portal account ({login}) was just "
        "changed, and your other sessions were closed.\n\nIf you did not do it, "
        "contact your CSE at once.\n"
    ),
)
"""Sent when a member changes their password in My Account (parameters: the member's)."""

TEMPLATES: dict[str, Template] = {
    "contact.verify_code": VERIFY_EMAIL_CODE,
    "contact.email_changed": EMAIL_CHANGED,
}
"""Templates by kind, for ``render(translator, "kind", ...)``."""


def render(translator: Translator, template: Template | str, **params: Any) -> RenderedEmail:
    """Fill a template (or the ``TEMPLATES`` kind named) in the translator's language.

    Raises:
        KeyError: Unknown kind, or a parameter the template needs is missing.
    """
    chosen = TEMPLATES[template] if isinstance(template, str) else template
    subject = translator.gettext(chosen.subject, **params)
    body = translator.gettext(chosen.body, **params)
    return RenderedEmail(subject=subject, body=_with_footer(translator, body))


def _with_footer(translator: Translator, body: str) -> str:
    """The body, then the signature separator and the common footer."""
    return f"{body.rstrip()}\n\n-- \n{translator.gettext(FOOTER)}\n"


def send(
    db: Database,
    template: Template | str,
    *,
    to: str,
    language: str,
    member_id: int | None = None,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    sensitive: bool = False,
    **params: Any,
) -> int:
    """Queue a templated email to an address, in ``language`` (the one way to send one).

    Use ``notify_member`` for a member; this is for a person who has no account yet.
    Call it inside the transaction of the change that causes the email. ``sensitive``
    marks a body holding a one-time secret (see ``notifications.enqueue``).

    Returns:
        The outbox id.
    """
    message = render(get_translator(language), template, **params)
    if isinstance(template, Template) and template.sensitive:
        sensitive = True
    return notifications.enqueue(
        db,
        to=to,
        subject=message.subject,
        body=message.body,
        member_id=member_id,
        attachments=attachments,
        sensitive=sensitive,
    )


def notify_member_with(
    db: Database,
    member_id: int,
    write: Callable[[Translator, Member], tuple[str, str]],
    *,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    to: str | None = None,
) -> int:
    """Queue an email whose body is computed (an order's lines) to a member.

    ``write`` gets the member's translator and the member and returns the subject and
    the body (starting with the greeting); the footer is added as for a ``Template``,
    the address and language are chosen as by ``notify_member``.

    Returns:
        The outbox id.
    """
    member = members_data.get_member(db, member_id)
    if member is None:
        raise LookupError(f"no member {member_id}")
    translator = get_translator(member.language)
    subject, body = write(translator, member)
    return notifications.enqueue(
        db,
        to=to or recipient_for(db, member_id),
        subject=subject,
        body=_with_footer(translator, body),
        member_id=member_id,
        attachments=attachments,
    )


def notify_member(
    db: Database,
    member_id: int,
    template: Template | str,
    *,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    to: str | None = None,
    sensitive: bool = False,
    **params: Any,
) -> int:
    """Queue a templated email to a member, in their language, at ``recipient_for``.

    ``name``, ``organization`` and ``login`` default to the member's first name,
    organization and login.
    Call it inside the transaction of the change that causes the email.

    Returns:
        The outbox id.
    """
    member = members_data.get_member(db, member_id)
    if member is None:
        raise LookupError(f"no member {member_id}")
    params.setdefault("name", member.first_name)
    params.setdefault("organization", member.organization_name)
    params.setdefault("login", member.login)
    return send(
        db,
        template,
        to=to or recipient_for(db, member_id),
        language=member.language,
        member_id=member_id,
        attachments=attachments,
        sensitive=sensitive,
        **params,
    )
