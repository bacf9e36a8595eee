"""Starting a guest sign-up in tests: Chloé Bernard joins CSE Démo with its key."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from portal.services import signup

T0 = 1_800_000_000.0
SIGNUP_PASSWORD = "Lanterne-Orage-Piano-77"


def start_signup(db: Database, **changes: Any) -> signup.SignupDraft:
    """``signup.start`` with Chloé's answers, as the guest entry sends them; ``changes``
    replaces any of them."""
    values: dict[str, Any] = dict(
        key="DEMO-2026",
        organization_id=None,
        first_name="Chloé",
        last_name="Bernard",
        email="chloe.bernard@demo.example",
        login="chloe",
        password=SIGNUP_PASSWORD,
        confirm=SIGNUP_PASSWORD,
        language="fr",
        guest_username="welcome",
        ip="10.0.0.5",
        now=T0,
    )
    values.update(changes)
    return signup.start(db, **values)
