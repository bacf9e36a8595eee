"""Shared fixtures: a fresh temporary database per test, services, and app factories."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from portal.app import PortalApp, make_app
from portal.config import Settings, load_settings
from portal.data import members as members_data
from portal.data.db import connect
from portal.services import clock
from portal.services.clock import FrozenClock
from portal.services.runtime import Services, init_database, make_services


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with demo data, made once per test run.

    Seeding hashes every demo password with argon2 (deliberately slow) and fills the
    catalog and wallets; each test gets a byte copy of this file instead.
    """
    data_dir = tmp_path_factory.mktemp("demo-template")
    template = load_settings(environ={}, data_dir=data_dir)
    init_database(template)  # closes its connection: the WAL is folded into the file
    return template.db_path


def fresh_data_dir(data_dir: Path, demo_database: Path) -> None:
    """Make ``data_dir`` a data directory holding a private copy of the demo database."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(demo_database, data_dir / "portal.db")
    documents = demo_database.parent / "credentials"  # demo credential files
    if documents.is_dir():
        shutil.copytree(documents, data_dir / "credentials", dirs_exist_ok=True)


@pytest.fixture
def settings(tmp_path: Path, demo_database: Path) -> Settings:
    """Settings pointing at a fresh data directory, with demo data created."""
    s = load_settings(
        environ={}, data_dir=tmp_path / "data", port=0, host="127.0.0.1", public_host="localhost"
    )
    fresh_data_dir(s.data_dir, demo_database)
    init_database(s)  # applies nothing, seeds nothing: proves the copy is complete
    return s


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """The process services over the test's database."""
    svc = make_services(settings)
    yield svc
    svc.close()


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """A direct connection to the test's database (for arranging and asserting)."""
    database = connect(settings.db_path)
    yield database
    database.conn.close()


@pytest.fixture
def app_for(services: Services, db: Database):  # type: ignore[no-untyped-def]
    """Build a PortalApp for a demo login: ``app_for("alice")``."""

    def build(login: str) -> PortalApp:
        member = members_data.get_member_by_login(db, login)
        assert member is not None, login
        return make_app(services, member, ip="127.0.0.1")

    return build


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """The services' time, frozen at the real now; a test moves it with ``set``/``advance``."""
    with clock.use(FrozenClock(clock.now())) as frozen:
        assert isinstance(frozen, FrozenClock)
        yield frozen


@pytest.fixture(autouse=True)
def _no_language_leaks_between_tests() -> Iterator[None]:
    """Each test starts outside any session (French), whatever an earlier test set."""
    from portal import i18n

    token = i18n._current.set(None)
    yield
    i18n._current.reset(token)
