"""The one validation layer for typed text, and the output guard that backs it."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from textual.color import Color

from portal.i18n import get_translator
from portal.services import guest_checks, text
from portal.services.contact import ContactError, normalize_email
from portal.services.gate import GateError
from portal.widgets.output_guard import ControlStripper, strip_controls

ATTACKS = ["\x1b[2J", "\x9b2J", "\x9d52;c;eA==\x9c", "\u202e", "\u2066", "\x07", "\x00"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_control_and_bidi_characters_are_refused_with_a_sentence(attack: str) -> None:
    with pytest.raises(text.TextError) as refused:
        text.check_line(f"Jean{attack}ne")
    assert "caractère de contrôle" in refused.value.text(get_translator("fr"))
    with pytest.raises(GateError):
        guest_checks.check_name(f"Eve{attack}")


def test_text_is_normalised_to_nfc() -> None:
    decomposed = "Ame\u0301lie"  # e + combining acute
    assert text.check_line(f"  {decomposed} ") == "Amélie"


def test_a_single_line_refuses_newlines_but_a_note_may_have_them() -> None:
    with pytest.raises(text.TextError):
        text.check_line("a\nb")
    assert text.check_line("a\nb", multiline=True) == "a\nb"


@pytest.mark.parametrize(
    "email",
    ["eve\u202e@example.com", "eve\x9b2J@example.com", "eve@exa mple.com", "a@b", "évé@x.fr"],
)
def test_one_strict_email_rule_for_the_gate_and_the_contact_details(email: str) -> None:
    with pytest.raises(GateError):
        guest_checks.check_email(email)
    with pytest.raises(ContactError):
        normalize_email(email)


def test_good_emails_are_normalised_alike() -> None:
    assert guest_checks.check_email(" Jean.Dupont@Example.FR ") == "Jean.Dupont@example.fr"
    assert normalize_email(" Jean.Dupont@Example.FR ") == "Jean.Dupont@example.fr"


def test_ascii_digits_only() -> None:
    assert text.ascii_digits("30")
    assert not text.ascii_digits("٣٠")  # Arabic-Indic digits: str.isdigit() says True
    assert "٣٠".isdigit()
    assert not text.ascii_digits("")


def test_the_output_guard_strips_data_but_keeps_the_renderers_own_controls() -> None:
    assert strip_controls("Eve\x1b]52;c;SGVsbG8=\x07\u202e!") == "Eve]52;c;SGVsbG8=!"
    own = Segment("\x1b[?25l", None, [])  # a control segment the renderer emits
    out = ControlStripper().apply([Segment("a\x1b[2Jb"), own], Color(0, 0, 0))
    assert out[0].text == "a[2Jb" and out[1] is own or out[1] == own
    plain = [Segment("rien à signaler")]
    assert ControlStripper().apply(plain, Color(0, 0, 0)) is plain


@pytest.mark.parametrize("typed", ["٣٠", "３０", "٣٠,٥٠"])
def test_amounts_in_other_scripts_are_refused(typed: str) -> None:
    from portal.services import allocations, basket
    from portal.services.catalog import ShopError
    from portal.services.errors import UserError

    with pytest.raises(ShopError):
        basket.parse_amount(typed)
    with pytest.raises(UserError):
        allocations.parse_euros(typed)
    assert basket.parse_amount("30") == 3000 and allocations.parse_euros("30") == 3000
