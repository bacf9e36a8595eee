"""Help for members: seeded questions in two languages, search, per-organization entries."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from portal.data import members as members_data
from portal.data.members import Member
from portal.services import help as help_service
from portal.services.help import HelpError


def get(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def questions(db: Database, login: str, query: str = "", language: str = "fr") -> list[str]:
    page = help_service.help_page(db, get(db, login), query)
    return [e.question(language) for e in page.entries]


def test_the_platform_questions_are_seeded_in_both_languages(db: Database) -> None:
    page = help_service.help_page(db, get(db, "bob"))
    platform = [e for e in page.entries if e.organization_id is None]
    assert len(platform) == len(help_service.PLATFORM_FAQ) >= 10
    assert platform[0].question("fr") == "Comment puis-je régler ma commande ?"
    assert platform[0].question("en") == "How do I pay for my order?"
    answers = " ".join(e.answer("fr") for e in platform)
    assert "Mes e-billets & e-cartes" in answers and "Mes justificatifs" in answers
    assert "page de paiement" in answers


def test_support_hours_come_from_the_organization(db: Database) -> None:
    page = help_service.help_page(db, get(db, "alice"))
    assert page.support_hours == "du lundi au vendredi, de 9h à 12h30 et de 14h à 18h"
    assert page.support_contact == "cse@demo.example"


def test_search_ignores_case_and_accents_in_either_language(db: Database) -> None:
    assert questions(db, "alice", "securise") == ["Est-ce sécurisé de payer ?"]
    assert questions(db, "alice", "SECURE", "en") == ["Is paying secure?"]
    assert questions(db, "alice", "carte membre") == ["À quoi sert la carte membre ?"]
    assert questions(db, "alice", "zzzz") == []
    assert questions(db, "alice", "50%_") == []  # LIKE wildcards are plain text


def test_an_organization_entry_is_never_shown_to_another_organization(db: Database) -> None:
    entry = help_service.add_entry(
        db,
        get(db, "nina"),
        organization_id=get(db, "nina").organization_id,
        question_fr="Où est le local Horizon ?",
        answer_fr="Bâtiment C.",
        question_en="Where is the Horizon office?",
        answer_en="Building C.",
    )
    assert "Où est le local Horizon ?" in questions(db, "bob")
    assert "Où est le local Horizon ?" not in questions(db, "alice")
    assert "Où est le local Horizon ?" not in questions(db, "alice", "horizon")
    # Marc (CSE Démo) can neither edit it nor see it in his editor.
    assert entry.id not in [e.id for e in help_service.editable_entries(db, get(db, "marc"))]
    with pytest.raises(PermissionError):
        help_service.update_entry(
            db,
            get(db, "marc"),
            entry.id,
            question_fr="x",
            answer_fr="x",
            question_en="x",
            answer_en="x",
        )
    with pytest.raises(PermissionError):
        help_service.delete_entry(db, get(db, "marc"), entry.id)


def test_only_admins_edit_the_platform_questions(db: Database) -> None:
    texts = dict(question_fr="Q ?", answer_fr="R.", question_en="Q?", answer_en="A.")
    with pytest.raises(PermissionError):
        help_service.add_entry(db, get(db, "marc"), organization_id=None, **texts)
    with pytest.raises(PermissionError):
        help_service.add_entry(
            db, get(db, "alice"), organization_id=get(db, "alice").organization_id, **texts
        )
    added = help_service.add_entry(db, get(db, "admin"), organization_id=None, **texts)
    assert "Q?" in questions(db, "bob", language="en")
    help_service.delete_entry(db, get(db, "admin"), added.id)
    assert "Q?" not in questions(db, "bob", language="en")


def test_bad_text_is_refused_and_nothing_changes(db: Database) -> None:
    marc = get(db, "marc")
    before = questions(db, "alice")
    with pytest.raises(HelpError):
        help_service.add_entry(
            db,
            marc,
            organization_id=marc.organization_id,
            question_fr="Q\x1b[2J",
            answer_fr="R",
            question_en="Q",
            answer_en="A",
        )
    with pytest.raises(HelpError):
        help_service.add_entry(
            db,
            marc,
            organization_id=marc.organization_id,
            question_fr="Q",
            answer_fr="R",
            question_en="",
            answer_en="A",
        )
    assert questions(db, "alice") == before
