"""Help for members ("Aide"): frequently asked questions, searchable, and how to reach support.

Entries are stored in French and English; a member reads them in their language. The
platform's entries (no organization) are edited by platform admins; an organization's
managers add, change and remove their own organization's entries (admins too), which
only that organization's members see. Search is as-you-type: every word typed must
appear in the question or the answer, in either language, case and accents ignored.
The support hours and contact come from the organization's settings
(``services.organization.support_info``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from portal.data import help as help_data
from portal.data.db import transaction
from portal.data.directory import OrganizationSettings
from portal.data.help import HelpEntry
from portal.data.members import Member
from portal.i18n import N_
from portal.services import audit, authz, demo, organization, text
from portal.services.errors import UserError

__all__ = [
    "DEMO_SUPPORT_HOURS",
    "HelpEntry",
    "HelpError",
    "HelpPage",
    "PLATFORM_FAQ",
    "add_entry",
    "delete_entry",
    "editable_entries",
    "help_page",
    "seed_platform_entries",
    "update_entry",
]

QUESTION_MAX = 200
ANSWER_MAX = 2000
SEARCH_MAX = 60

DEMO_SUPPORT_HOURS = "du lundi au vendredi, de 9h à 12h30 et de 14h à 18h"


class HelpError(UserError):
    """A help entry refused (empty, too long, control characters)."""


@dataclass(frozen=True)
class HelpPage:
    """What the member's help screen shows."""

    entries: tuple[HelpEntry, ...]
    support_hours: str
    support_contact: str


PLATFORM_FAQ = help_data.PLATFORM_FAQ


def _search_text(question_fr: str, answer_fr: str, question_en: str, answer_en: str) -> str:
    return help_data.search_text(question_fr, answer_fr, question_en, answer_en)


def seed_platform_entries(db: Database) -> int:
    """Insert the platform's starting questions when it has none; how many were added."""
    with transaction(db):
        return help_data.seed_platform_entries(db)


def help_page(db: Database, member: Member, query: str = "") -> HelpPage:
    """The questions a member may read (the platform's, then their organization's) matching
    every word of ``query``, and their organization's support hours and contact."""
    current = authz.current_actor(db, member)
    words = help_data.search_text(query[:SEARCH_MAX]).split()[:8]
    entries = help_data.list_for_organization(db, current.organization_id, words)
    hours, contact = (
        organization.support_info(db, current.organization_id)
        if current.organization_id is not None
        else ("", "")
    )
    return HelpPage(tuple(entries), hours, contact)


def editable_entries(db: Database, actor: Member) -> list[HelpEntry]:
    """Entries the actor edits: an admin every one, a manager their organization's."""
    current = authz.current_manager(db, actor)
    if current.role == "admin":
        return help_data.list_all(db)
    return [
        e
        for e in help_data.list_for_organization(db, current.organization_id)
        if e.organization_id == current.organization_id
    ]


def _check_scope(db: Database, actor: Member, organization_id: int | None) -> Member:
    """The actor as stored now, if they may edit entries of ``organization_id``
    (None: the platform's, admins only)."""
    current = authz.current_manager(db, actor)
    if organization_id is None:
        if current.role != "admin":
            raise PermissionError("only platform admins edit the platform's help")
        return current
    return authz.require_manager(db, current, organization_id)


def _clean(question_fr: str, answer_fr: str, question_en: str, answer_en: str) -> tuple[str, ...]:
    questions = [text.check_line(q, error=HelpError) for q in (question_fr, question_en)]
    answers = [text.check_line(a, error=HelpError, multiline=True) for a in (answer_fr, answer_en)]
    if not all(questions) or not all(answers):
        raise HelpError(N_("Write the question and its answer in French and in English."))
    if any(len(q) > QUESTION_MAX for q in questions) or any(len(a) > ANSWER_MAX for a in answers):
        raise HelpError(N_("A question has 200 characters at most, an answer 2000."))
    return questions[0], answers[0], questions[1], answers[1]


def add_entry(
    db: Database,
    actor: Member,
    *,
    organization_id: int | None,
    question_fr: str,
    answer_fr: str,
    question_en: str,
    answer_en: str,
) -> HelpEntry:
    """Add a question (``organization_id`` None: the platform's, admins only).

    Raises:
        PermissionError: Not an admin (platform entry) or not a manager of the organization.
        HelpError: An empty or too long text, or control characters.
    """
    current = _check_scope(db, actor, organization_id)
    qfr, afr, qen, aen = _clean(question_fr, answer_fr, question_en, answer_en)
    with transaction(db):
        entry_id = help_data.insert_entry(
            db,
            organization_id=organization_id,
            position=help_data.next_position(db, organization_id),
            question_fr=qfr,
            answer_fr=afr,
            question_en=qen,
            answer_en=aen,
            search_text=_search_text(qfr, afr, qen, aen),
            updated_by=current.id,
        )
        audit.record(
            db,
            "help.entry_added",
            actor_id=current.id,
            organization_id=organization_id,
            target=f"help:{entry_id}",
        )
    entry = help_data.get_entry(db, entry_id)
    assert entry is not None
    return entry


def _existing(db: Database, actor: Member, entry_id: int) -> tuple[Member, HelpEntry]:
    entry = help_data.get_entry(db, entry_id)
    if entry is None:
        raise PermissionError("no such help entry")
    return _check_scope(db, actor, entry.organization_id), entry


def update_entry(
    db: Database,
    actor: Member,
    entry_id: int,
    *,
    question_fr: str,
    answer_fr: str,
    question_en: str,
    answer_en: str,
) -> HelpEntry:
    """Change an entry's texts (same rights and checks as :func:`add_entry`)."""
    current, entry = _existing(db, actor, entry_id)
    qfr, afr, qen, aen = _clean(question_fr, answer_fr, question_en, answer_en)
    with transaction(db):
        help_data.update_entry(
            db,
            entry.id,
            question_fr=qfr,
            answer_fr=afr,
            question_en=qen,
            answer_en=aen,
            search_text=_search_text(qfr, afr, qen, aen),
            updated_by=current.id,
        )
        audit.record(
            db,
            "help.entry_changed",
            actor_id=current.id,
            organization_id=entry.organization_id,
            target=f"help:{entry.id}",
        )
    changed = help_data.get_entry(db, entry.id)
    assert changed is not None
    return changed


def delete_entry(db: Database, actor: Member, entry_id: int) -> None:
    """Remove an entry (same rights as :func:`add_entry`)."""
    current, entry = _existing(db, actor, entry_id)
    with transaction(db):
        help_data.delete_entry(db, entry.id)
        audit.record(
            db,
            "help.entry_deleted",
            actor_id=current.id,
            organization_id=entry.organization_id,
            target=f"help:{entry.id}",
        )


def _seed_demo(db: Database, orgs: dict[str, int], ids: dict[str, int]) -> None:
    """The platform's questions, the demo organizations' support hours, one addition."""
    from portal.data import directory as directory_data

    seed_platform_entries(db)
    for name, org_id in orgs.items():
        current = directory_data.get_settings(db, org_id)
        if not current.support_hours:
            contact = "cse@demo.example" if name == demo.DEMO_ORG else "cse@horizon.example"
            directory_data.save_settings(
                db,
                OrganizationSettings(
                    org_id, current.require_twofactor, DEMO_SUPPORT_HOURS, contact
                ),
            )
    demo_org = orgs.get(demo.DEMO_ORG)
    if demo_org is not None:
        qfr = "Où trouver le local du CSE ?"
        afr = "Au rez-de-chaussée du bâtiment B, ouvert le mardi et le jeudi de 12h à 14h."
        qen = "Where is the CSE office?"
        aen = "On the ground floor of building B, open Tuesdays and Thursdays, 12:00-14:00."
        help_data.insert_entry(
            db,
            organization_id=demo_org,
            position=10,
            question_fr=qfr,
            answer_fr=afr,
            question_en=qen,
            answer_en=aen,
            search_text=_search_text(qfr, afr, qen, aen),
            updated_by=None,
        )


demo.DEMO_SEEDERS.append(_seed_demo)
