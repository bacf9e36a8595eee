"""Password rules: length, common passwords, personal data; advice is not a rule."""

from __future__ import annotations

import pytest

from portal.i18n import get_translator, use_language
from portal.services.password_policy import (
    MAX_LENGTH,
    MIN_LENGTH,
    check_password_policy,
    strength,
)

WORDS = ["tournesol", "granit", "fougere", "violon", "nuage", "sabot", "marmite", "lanterne"]
LONG = "".join(f"{w}-{i}" for i, w in enumerate(WORDS * 7))
WHO = {"login": "alice", "name": "Camille Lefèvre", "organization": "CSE Horizon"}


def _check(password: str, language: str = "en") -> list[str]:
    return check_password_policy(password, translator=get_translator(language), **WHO)


@pytest.mark.parametrize(
    "password",
    [
        "Soleil-Vert-2026!",
        "correct horse battery staple",
        "kqzmvxwplrty",  # lower case only: the mix is advice, not a rule
        "tournesol jaune du marché",  # accents and spaces
        "пароль-очень-надёжный-7",  # any script
        "🌻🌻 soleil couchant sur la mer",
        LONG[:MAX_LENGTH],  # the longest allowed
    ],
)
def test_good_passwords_are_accepted(password: str) -> None:
    assert _check(password) == []


def test_too_short_and_too_long() -> None:
    assert _check("Kq8#zP2!") == [f"Use at least {MIN_LENGTH} characters."]
    assert _check(LONG[:161]) == []  # more than 128 characters is fine
    assert f"Use at most {MAX_LENGTH} characters." in _check(LONG + "x" * MAX_LENGTH)


def test_common_passwords_are_refused() -> None:
    for password in ("password1234", "iloveyou1234", "qwertyuiopasdf"):
        problems = _check(password)
        assert problems, password
    assert _check("password1234") == ["This password is among the most common passwords."]
    assert _check("aaaaaaaaaaaaaa")[0].startswith("This password is too easy to guess")
    assert _check("abcdefghijklmn")[0].startswith("This password is too easy to guess")


def test_login_name_and_organization_are_refused_without_case_or_accents() -> None:
    assert _check("my-ALICE-garden-2026") == ["The password must not contain your login."]
    assert _check("Lefevre-jardin-2026") == ["The password must not contain your name."]
    assert _check("chez-horizon-jardin-26") == [
        "The password must not contain the name of your organization."
    ]
    assert _check("cse horizon forever 2026") == [
        "The password must not contain the name of your organization."
    ]


def test_control_characters_refused() -> None:
    assert "Control characters (such as tabs) are not allowed." in _check("tab\there-long-pass")


def test_messages_follow_the_language() -> None:
    assert _check("court", "fr")[0] == f"Utilisez au moins {MIN_LENGTH} caractères."
    use_language("en")
    try:
        assert check_password_policy("short", **WHO)[0] == f"Use at least {MIN_LENGTH} characters."
    finally:
        use_language("fr")


def test_strength_is_a_zxcvbn_score() -> None:
    assert strength("") == 0
    assert strength("password") == 0
    assert strength("Soleil-Vert-2026!") >= 3
    assert strength(LONG) == 4
    assert 0 <= strength("alice2026", user_inputs=["alice"]) <= 2
