"""Every user-facing string has a French translation, and formats follow the locale."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from portal.i18n import _catalog, get_translator

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def _msgids() -> set[tuple[str, str]]:
    found = set()
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "portal"),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.add((msgid, filename))
    return found


def test_every_message_has_a_french_translation() -> None:
    catalog = _catalog("fr")
    missing = sorted(
        f"{filename}: {msgid!r}" for msgid, filename in _msgids() if msgid not in catalog
    )
    assert missing == [], "untranslated:\n" + "\n".join(missing)


def test_money_is_formatted_per_locale() -> None:
    assert get_translator("fr").money(4750) == "47,50\xa0€"
    assert get_translator("fr").money(123456) == "1\u202f234,56\xa0€"
    assert get_translator("en").money(4750) == "€47.50"


def test_french_plural_treats_zero_and_one_as_singular() -> None:
    t = get_translator("fr")
    one = t.ngettext(
        "Session closed after {n} minute without activity.",
        "Session closed after {n} minutes without activity.",
        1,
    )
    many = t.ngettext(
        "Session closed after {n} minute without activity.",
        "Session closed after {n} minutes without activity.",
        5,
    )
    assert one == "Session fermée après 1 minute d'inactivité."
    assert many == "Session fermée après 5 minutes d'inactivité."


def test_no_message_is_translated_two_ways() -> None:
    """Catalogs are merged: one msgid with two French texts would make one area wrong."""
    from babel.messages.pofile import read_po

    seen: dict[str, tuple[str, str]] = {}
    conflicts = []
    for po in sorted((ROOT / "portal/i18n/locales/fr").glob("*.po")):
        with po.open("rb") as fh:
            for message in read_po(fh):
                if not message.id or not message.string:
                    continue
                msgid = str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id)
                text = str(message.string)
                if msgid in seen and seen[msgid][1] != text:
                    conflicts.append(
                        f"{msgid!r}: {seen[msgid][0]}={seen[msgid][1]!r} vs {po.name}={text!r}"
                    )
                seen.setdefault(msgid, (po.name, text))
    assert conflicts == [], "\n".join(conflicts)


def test_every_key_description_in_a_footer_has_a_french_translation() -> None:
    """Binding descriptions are English class attributes the footer translates when it
    draws them: the extraction above does not see them."""
    import importlib
    import inspect
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import portal

    catalog = _catalog("fr")
    missing = set()
    for info in pkgutil.walk_packages(portal.__path__, "portal."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, DOMNode) or not cls.__module__.startswith("portal."):
                continue
            for binding in cls.__dict__.get("BINDINGS", []):
                if (
                    isinstance(binding, Binding)
                    and binding.show
                    and binding.description
                    and binding.description not in catalog
                ):
                    missing.add(f"{cls.__module__}.{cls.__name__}: {binding.description!r}")
    assert sorted(missing) == [], "untranslated key descriptions:\n" + "\n".join(sorted(missing))
