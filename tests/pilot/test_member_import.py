"""Pilot test of the CSV import at 80x24: inbox file, dry run with errors, import, summary."""

from __future__ import annotations

from sqlite_utils import Database
from textual.widgets import ProgressBar

from portal.config import Settings
from portal.data import members as members_data
from portal.services import files
from tests.pilot.manage_helpers import choose, open_management, settle, table_rows, text_of
from tests.typography import fr

CSV = (
    "prénom;nom;email;groupes\r\n"
    "Léa;Garnier;lea.garnier@demo.example;Site Lyon\r\n"
    "Jean;Dupont;pas-un-email;\r\n"
    "Alice;Martin;alice.martin@demo.example;\r\n"
).encode("cp1252")


async def test_dry_run_then_import_with_progress(  # type: ignore[no-untyped-def]
    app_for, db: Database, settings: Settings
) -> None:
    (files.inbox_dir(settings, "marc") / "membres.csv").write_bytes(CSV)
    app = app_for("marc")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_management(pilot, "member_import")
        assert type(app.screen).__name__ == "MemberImportScreen"
        await choose(pilot, "import-files", "membres.csv")
        plan = text_of(app, "import-plan")
        assert (
            fr("À créer : 1") in plan
            and fr("inchangées : 1") in plan
            and fr("refusées : 1") in plan
        )
        assert fr("Groupes à créer : Site Lyon") in plan
        ((line, column, problem),) = table_rows(app, "import-issues")
        assert (line, column) == ("3", "email") and "adresse e-mail valide" in problem
        assert members_data.get_member_by_login(db, "lea.garnier") is None  # dry run only
        await pilot.press("i")
        await pilot.pause()
        assert type(app.screen).__name__ == "YesNoDialog"
        await pilot.press("y")
        await settle(pilot)
        bar = app.screen.query_one("#import-progress", ProgressBar)
        assert bar.total == 2 and bar.progress == 2
        message = text_of(app, "import-message")
        assert (
            fr("Créés : 1") in message
            and fr("inchangés : 1") in message
            and fr("refusés : 1") in message
        )
    lea = members_data.get_member_by_login(db, "lea.garnier")
    assert lea is not None and lea.status == "invited"
