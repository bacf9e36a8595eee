"""The CSV member import: dry run refusals by line and column, idempotence, encodings."""

from __future__ import annotations

import pytest
from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data.members import Member
from portal.i18n import get_translator
from portal.services import directory, family, files, member_import
from portal.services.member_import import ImportError_

HEADER = "login;prénom;nom;email;groupes;situation familiale;années de naissance des enfants;qf"


def get(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join((header, *lines)) + "\r\n").encode(encoding)


def plan(db: Database, settings: Settings, data: bytes, login: str = "marc"):  # type: ignore[no-untyped-def]
    return member_import.plan(db, get(db, login), data, settings=settings, file_name="m.csv")


def outbox_count(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM email_outbox").fetchone()[0])


GOOD = (
    ";Léa;Garnier;lea.garnier@demo.example;Site Lyon|CDI;mariée;2015 2018;850",
    "jdupont;Jean;Dupont;jean.dupont@demo.example;Site Lyon;;;",
)


def test_dry_run_counts_and_writes_nothing(db: Database, settings: Settings) -> None:
    before = outbox_count(db)
    result = plan(db, settings, csv_bytes(*GOOD))
    assert result.total == 2 and result.issues == () and result.count("create") == 2
    assert result.new_groups == ("CDI", "Site Lyon")
    assert members_data.get_member_by_login(db, "jdupont") is None
    assert outbox_count(db) == before


def test_errors_by_line_and_column_in_both_languages(db: Database, settings: Settings) -> None:
    data = csv_bytes(
        ";Léa;Garnier;pas-un-email;;;;",  # line 2: bad email
        ";Jean;Dupont;jean@demo.example;;;;",  # line 3: fine
        ";Zoé;Petit;jean@demo.example;;;;",  # line 4: duplicate email in the file
        ";Ali\x1b[31m;Ben;ali@demo.example;;;;",  # line 5: control character
        ";Eve;Noir;alice.martin@demo.example;;;;",  # line 6: alice's email -> update, fine
        "alice;Alice;Martin;autre@demo.example;;;;",  # line 7: fine (alice, new email)
        "marc;Marc;Dubois;alice.martin@demo.example;;;;",  # line 8: alice's email
        ";Paul;Roy;paul@demo.example;;inconnu;;",  # line 9: unknown situation
        ";Rose;Lys;rose@demo.example;;;1800;abc",  # line 10: bad year and bad QF
        "bob;Bob;X;bobx@demo.example;;;;",  # line 11: bob is of another organization
    )
    result = plan(db, settings, data)
    where = [(i.line, i.column) for i in result.issues]
    assert where == [
        (2, "email"),
        (4, "email"),
        (5, "prénom"),
        (7, "login"),  # alice is also the member of line 6
        (8, "email"),
        (9, "situation familiale"),
        (10, "années de naissance des enfants"),
        (10, "qf"),
        (11, "login"),
    ]
    fr, en = get_translator("fr"), get_translator("en")
    line4 = result.issues[1]
    assert "ligne 3" in line4.text(fr) and "line 3" in line4.text(en)
    assert result.issues[0].text(en) == "Enter a valid email address, such as name@example.fr."
    assert result.issues[0].text(fr) != result.issues[0].text(en)
    assert result.rejected_lines == 8


def test_import_then_again_creates_nothing_twice(db: Database, settings: Settings) -> None:
    marc = get(db, "marc")
    data = csv_bytes(*GOOD)
    before = outbox_count(db)
    seen: list[tuple[int, int]] = []
    first = member_import.import_all(
        db,
        marc,
        plan(db, settings, data),
        settings=settings,
        progress=lambda done, total: seen.append((done, total)),
        batch_size=1,
    )
    assert (first.created, first.updated, first.unchanged, first.rejected) == (2, 0, 0, 0)
    assert seen == [(1, 2), (2, 2)]
    assert outbox_count(db) == before + 2  # one activation email each
    lea = get(db, "lea.garnier")
    assert lea.status == "invited" and lea.organization_id == marc.organization_id
    data_fam = family.get_family(db, marc, lea.id)
    assert data_fam.situation == "married" and data_fam.children_birth_years == (2015, 2018)
    assert data_fam.quotient_familial == 850
    assert {g.name for g in directory.member_detail(db, marc, lea.id).groups} == {
        "CDI",
        "Site Lyon",
    }

    again = member_import.import_all(db, marc, plan(db, settings, data), settings=settings)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert outbox_count(db) == before + 2

    changed = csv_bytes(";Léa;Garnier-Roy;lea.garnier@demo.example;Paie;;;900")
    third = member_import.import_all(db, marc, plan(db, settings, changed), settings=settings)
    assert (third.created, third.updated) == (0, 1)
    assert get(db, "lea.garnier").last_name == "Garnier-Roy"


@pytest.mark.parametrize(
    ("encoding", "separator", "bom"),
    [("utf-8", ";", False), ("utf-8", ",", True), ("cp1252", ";", False)],
)
def test_encodings_and_separators(
    db: Database, settings: Settings, encoding: str, separator: str, bom: bool
) -> None:
    header = separator.join(("Prénom", "Nom", "E-mail", "Groupes"))
    line = separator.join(("Hélène", "Müller", "helene@demo.example", '"Île-de-France;Cadres"'))
    data = (header + "\r\n" + line + "\r\n").encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    result = plan(db, settings, data)
    assert result.issues == ()
    (row,) = result.rows
    assert (row.first_name, row.last_name) == ("Hélène", "Müller")
    assert row.groups == ("Île-de-France", "Cadres")


def test_a_file_without_required_columns_is_refused(db: Database, settings: Settings) -> None:
    with pytest.raises(ImportError_) as info:
        plan(db, settings, b"prenom;nom\nA;B\n")
    assert "email" in str(info.value)
    with pytest.raises(ImportError_):
        plan(db, settings, b"prenom;nom;email;couleur\nA;B;a@b.fr;bleu\n")


def test_a_member_cannot_import_and_files_come_from_the_own_inbox(
    db: Database, settings: Settings
) -> None:
    with pytest.raises(PermissionError):
        plan(db, settings, csv_bytes(*GOOD), login="alice")
    inbox = files.inbox_dir(settings, "marc")
    (inbox / "membres.csv").write_bytes(csv_bytes(*GOOD))
    assert [e.name for e in member_import.inbox_files(db, get(db, "marc"), settings=settings)] == [
        "membres.csv"
    ]
    result = member_import.plan_inbox_file(db, get(db, "marc"), "membres.csv", settings=settings)
    assert result.count("create") == 2
    with pytest.raises(files.FileError):
        member_import.plan_inbox_file(db, get(db, "marc"), "../nina/inbox/x.csv", settings=settings)


def test_a_manager_imports_into_their_own_organization_only(
    db: Database, settings: Settings
) -> None:
    other = get(db, "nina").organization_id
    with pytest.raises(PermissionError):
        member_import.plan(
            db, get(db, "marc"), csv_bytes(*GOOD), settings=settings, organization_id=other
        )
