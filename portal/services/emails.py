"""Email templates in the member's language, and where a member's email goes.

A template is a pair of English message ids (subject and body) marked with ``N_`` and
translated in ``locales/fr/emails.po`` (or the feature's own .po); ``render`` fills
them in one language with ``str.format`` parameters and adds the common footer.
Features may keep their templates next to their code and pass a ``Template``, or
write their text themselves and call ``notifications.enqueue`` directly.

    message = render(get_translator(member.language), VERIFY_EMAIL_CODE, name=..., code=...)
    notifications.enqueue(db, to=..., subject=message.subject, body=message.body, ...)

or, for a message to a member at their usual address, in their language:

    notify_member(db, member.id, ORDER_CONFIRMED, order=..., attachments=[...])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from portal.data import members as members_data
from portal.i18n import N_, Translator, get_translator
from portal.services import notifications
from portal.services.notifications import recipient_for

__all__ = [
    "EMAIL_CHANGED",
    "TEMPLATES",
    "VERIFY_EMAIL_CODE",
    "RenderedEmail",
    "Template",
    "notify_member",
    "recipient_for",
    "render",
]


@dataclass(frozen=True)
class Template:
    """An email as two message ids: its subject and its body (``{named}`` parameters)."""

    subject: str
    body: str


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
    return RenderedEmail(subject=subject, body=f"{body}\n\n-- \n{translator.gettext(FOOTER)}\n")


def notify_member(
    db: Database,
    member_id: int,
    template: Template | str,
    *,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    to: str | None = None,
    **params: Any,
) -> int:
    """Queue a templated email to a member, in their language, at ``recipient_for``.

    ``name`` and ``organization`` default to the member's first name and organization.
    Call it inside the transaction of the change that causes the email.

    Returns:
        The outbox id.
    """
    member = members_data.get_member(db, member_id)
    if member is None:
        raise LookupError(f"no member {member_id}")
    params.setdefault("name", member.first_name)
    params.setdefault("organization", member.organization_name)
    message = render(get_translator(member.language), template, **params)
    return notifications.enqueue(
        db,
        to=to or recipient_for(db, member_id),
        subject=message.subject,
        body=message.body,
        member_id=member_id,
        attachments=attachments,
    )
