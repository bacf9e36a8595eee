"""French typography: no-break spaces before ``; ! ? :``, in « » and amounts; "1er"."""

from __future__ import annotations

import datetime as dt

from rich.cells import cell_len

from portal.i18n import french_typography, get_translator
from tests.typography import fr

NNBSP = "\u202f"
NBSP = "\xa0"
FR = get_translator("fr")
EN = get_translator("en")


def test_each_mark_gets_its_no_break_space() -> None:
    assert french_typography("Fermer ? Oui ; non !") == f"Fermer{NNBSP}? Oui{NNBSP}; non{NNBSP}!"
    assert french_typography("Nom : Alice") == f"Nom{NBSP}: Alice"
    assert french_typography("« alice »") == f"«{NBSP}alice{NBSP}»"
    assert french_typography("étage...") == "étage…"


def test_a_missing_or_wrong_space_is_set_right() -> None:
    assert french_typography("Nom:") == f"Nom{NBSP}:"
    assert french_typography("Vraiment?") == f"Vraiment{NNBSP}?"
    assert french_typography("«alice»") == f"«{NBSP}alice{NBSP}»"
    assert french_typography(f"Nom{NNBSP}: a{NBSP}!") == f"Nom{NBSP}: a{NNBSP}!"


def test_colons_that_are_not_punctuation_are_left() -> None:
    for text in ("10:36", "http://example.org/?a=1", "alice@host:inbox/", "QF:valeur, 700:70"):
        assert french_typography(text) == text
    assert french_typography("identifiant;montant") == "identifiant;montant"


def test_placeholders_are_left_and_their_values_untouched() -> None:
    assert french_typography("{label} : {date}") == f"{{label}}{NBSP}: {{date}}"
    assert french_typography("Bonjour {name}!") == f"Bonjour {{name}}{NNBSP}!"
    assert french_typography("{value:>5} ; {x!r}") == f"{{value:>5}}{NNBSP}; {{x!r}}"
    text = FR.gettext("Hello {name}!", name="Bob : le ; vrai ? http://x 10:36")
    assert text == f"Bonjour Bob : le ; vrai ? http://x 10:36{NNBSP}!"


def test_translations_follow_the_rule_whatever_the_po_file_holds() -> None:
    assert (
        FR.gettext("Wrong code. Tries left: {n}.", n=2) == f"Code erroné. Essais restants{NBSP}: 2."
    )
    assert FR.gettext("Hello {name}!", name="Alice") == fr("Bonjour Alice !")
    assert FR.ngettext("Close {n} other session?", "Close the {n} other sessions?", 3) == (
        f"Fermer les 3 autres sessions{NNBSP}?"
    )


def test_english_is_untouched() -> None:
    assert EN.gettext("Wrong code. Tries left: {n}.", n=2) == "Wrong code. Tries left: 2."
    assert EN.gettext("Hello {name}!", name="Alice") == "Hello Alice!"
    assert EN.money(123450) == "€1,234.50"
    assert EN.date(dt.date(2026, 12, 1), "long") == "1 December 2026"


def test_amounts_and_numbers_keep_babels_no_break_spaces() -> None:
    assert FR.money(123450) == f"1{NNBSP}234,50{NBSP}€"
    assert FR.money(4750) == f"47,50{NBSP}€"
    assert FR.number(1234567) == f"1{NNBSP}234{NNBSP}567"
    assert fr("Total : 1 234,50 €") == f"Total{NBSP}: 1{NNBSP}234,50{NBSP}€"


def test_first_day_of_the_month_is_1er_in_long_french_dates() -> None:
    first = dt.date(2026, 12, 1)
    assert FR.date(first, "long") == "1er décembre 2026"
    assert FR.date(first, "full") == "mardi 1er décembre 2026"
    assert FR.date(dt.date(2001, 1, 1), "long") == "1er janvier 2001"
    assert FR.date(dt.date(2026, 12, 11), "long") == "11 décembre 2026"
    assert FR.date(dt.date(2026, 12, 21), "full") == "lundi 21 décembre 2026"
    assert FR.date(first, "short") == "01/12/2026"
    noon = dt.datetime(2026, 12, 1, 11, 0, tzinfo=dt.UTC)
    assert FR.datetime(noon, "long").startswith("1er décembre 2026")


def test_the_terminal_draws_the_spaces_one_cell_wide() -> None:
    import pyte

    assert cell_len(NNBSP) == 1 and cell_len(NBSP) == 1
    text = FR.money(123450)
    assert cell_len(text) == len(text) == 10
    screen = pyte.Screen(20, 1)
    pyte.Stream(screen).feed(text)
    assert screen.display[0].rstrip() == text
