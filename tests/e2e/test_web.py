"""The web pages with a real HTTP client: the partner page, headers, rate limit, start-up."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlite_utils import Database

from portal.config import Settings
from portal.data import members as members_data
from portal.data import membership as membership_data
from portal.data.members import Member
from portal.services import membership
from portal.services.clock import PARIS, FrozenClock
from portal.services.runtime import Services, make_services
from portal.web.app import SECURITY_HEADERS
from portal.web.server import WebServer

NOON = dt.datetime(2026, 6, 15, 12, 0, tzinfo=PARIS)


def _member(db: Database, login: str) -> Member:
    member = members_data.get_member_by_login(db, login)
    assert member is not None
    return member


@pytest.fixture
def june(frozen_clock: FrozenClock) -> FrozenClock:
    frozen_clock.set(NOON)
    return frozen_clock


async def _running(
    settings: Settings, **changes: object
) -> AsyncIterator[tuple[WebServer, Services]]:
    services = make_services(dataclasses.replace(settings, http_port=0, **changes))
    web = WebServer(services)
    await web.start()
    try:
        yield web, services
    finally:
        await web.close()
        services.close()


@pytest.fixture
async def web(settings: Settings) -> AsyncIterator[tuple[WebServer, Services]]:
    """The web server on a free loopback port (a generous rate limit)."""
    async for pair in _running(settings, http_burst_per_ip=1000):
        yield pair


async def _get(url: str, **headers: str) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as client, client.get(url, headers=headers) as response:
        return response.status, await response.text(), dict(response.headers)


def _card(db: Database, services: Services, login: str) -> membership.MembershipCard:
    return membership.get_card(
        db, _member(db, login), secrets=services.secrets, settings=services.settings
    )


async def test_a_valid_card_shows_first_name_organization_and_expiry_only(
    web: tuple[WebServer, Services], db: Database, june: FrozenClock
) -> None:
    server, services = web
    alice = _member(db, "alice")
    card = _card(db, services, "alice")
    status, page, headers = await _get(server.url + "/v/" + card.token)
    assert status == 200
    assert "Carte valide" in page and "Carte non valide" not in page
    assert '<html lang="fr">' in page and 'name="viewport"' in page
    assert "Alice" in page and alice.organization_name in page
    assert "31 décembre 2026" in page
    # nothing else about the member: no last name, login, email, id
    for private in (alice.last_name, alice.login, alice.org_email, f">{alice.id}<"):
        assert private not in page, private
    assert "<script" not in page.lower() and "style=" not in page
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    # the QR's address (public_url) is served by this path on the server
    assert card.url.endswith("/v/" + card.token)
    assert membership_data.get_verification_stats(db, alice.id).count == 1


async def test_english_when_the_phone_prefers_it(
    web: tuple[WebServer, Services], db: Database, june: FrozenClock
) -> None:
    server, services = web
    card = _card(db, services, "alice")
    url = server.url + "/v/" + card.token
    _, page, _ = await _get(url, **{"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert "Valid card" in page and '<html lang="en">' in page and "31 December 2026" in page
    _, page, _ = await _get(url, **{"Accept-Language": "de-DE,fr;q=0.8,en;q=0.7"})
    assert "Carte valide" in page and '<html lang="fr">' in page


async def test_forged_altered_expired_and_deactivated_cards_are_refused(
    web: tuple[WebServer, Services], db: Database, june: FrozenClock
) -> None:
    server, services = web
    alice = _member(db, "alice")
    card = _card(db, services, "alice")
    flipped = ("b" if card.token[10] == "a" else "a").join([card.token[:10], card.token[11:]])
    from cryptography.fernet import Fernet

    from portal.services.crypto import SecretBox

    forged = membership.issue_token(SecretBox(Fernet.generate_key()), alice.id, card.valid_until)
    expired = membership.issue_token(services.secrets, alice.id, dt.date(2026, 6, 14))
    for token in (flipped, forged, expired, "x" * 37, "not-a-token"):
        status, page, headers = await _get(server.url + "/v/" + token)
        assert status == 200 and "Carte non valide" in page, token
        assert "Alice" not in page and alice.organization_name not in page
        assert headers["Cache-Control"] == "no-store"
    members_data.set_status(db, alice.id, "deactivated")
    _, page, _ = await _get(server.url + "/v/" + card.token)
    assert "Carte non valide" in page and "Alice" not in page


async def test_values_are_escaped(
    web: tuple[WebServer, Services], db: Database, june: FrozenClock
) -> None:
    server, services = web
    alice = _member(db, "alice")
    db.execute("UPDATE members SET first_name = ? WHERE id = ?", ['<b onclick="x">Al&ce', alice.id])
    card = _card(db, services, "alice")
    _, page, _ = await _get(server.url + "/v/" + card.token)
    assert "&lt;b onclick=&quot;x&quot;&gt;Al&amp;ce" in page
    assert "<b onclick" not in page


async def test_security_headers_on_every_response(web: tuple[WebServer, Services]) -> None:
    server, _ = web
    for path in ("/v/abc", "/healthz", "/static/portal.css", "/no/such/page"):
        status, body, headers = await _get(server.url + path)
        for name, value in SECURITY_HEADERS.items():
            assert headers.get(name) == value, (path, name)
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["Server"] == "portal"
    status, body, _ = await _get(server.url + "/no/such/page")
    assert status == 404 and "Page introuvable" in body
    status, body, _ = await _get(server.url + "/healthz")
    assert (status, body) == (200, "ok\n")


async def test_verification_is_rate_limited_per_client_address(
    settings: Settings, db: Database, june: FrozenClock
) -> None:
    async for server, services in _running(settings, http_burst_per_ip=3, http_rate_per_ip=0.001):
        card = _card(db, services, "alice")
        statuses = []
        for _ in range(5):
            status, page, headers = await _get(server.url + "/v/" + card.token)
            statuses.append(status)
        assert statuses == [200, 200, 200, 429, 429]
        assert "Trop de demandes" in page and "Alice" not in page
        assert headers["Retry-After"] and headers["X-Frame-Options"] == "DENY"
        # refused requests were not verifications
        assert membership_data.get_verification_stats(db, _member(db, "alice").id).count == 3


async def test_workers_share_the_web_port(settings: Settings) -> None:
    first = make_services(dataclasses.replace(settings, http_port=0))
    one = WebServer(first)
    await one.start(reuse_port=True)
    second = make_services(dataclasses.replace(settings, http_port=one.port))
    two = WebServer(second)
    try:
        await two.start(reuse_port=True)
        assert two.port == one.port
        status, _, _ = await _get(two.url + "/healthz")
        assert status == 200
    finally:
        await two.close()
        await one.close()
        first.close()
        second.close()


async def test_portal_serve_starts_the_web_pages(tmp_path: Path, demo_database: Path) -> None:
    """``portal serve`` prints the web address and serves it, then stops on SIGTERM."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(demo_database, data / "portal.db")
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(data),
        "PORTAL_HOST": "127.0.0.1",
        "PORTAL_PORT": "0",
        "PORTAL_HTTP_PORT": "0",
        "PORTAL_PUBLIC_URL": "https://cartes.example",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal",
        "serve",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        port = None
        async with asyncio.timeout(60):
            while port is None:
                line = (await process.stdout.readline()).decode()
                assert line, "serve ended before printing the web address"
                if line.startswith("Web pages"):
                    assert "https://cartes.example/" in line
                    port = int(line.split("on port ")[1].split(":")[0])
        status, body, headers = await _get(f"http://127.0.0.1:{port}/healthz")
        assert (status, body) == (200, "ok\n")
        assert headers["X-Content-Type-Options"] == "nosniff"
    finally:
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            code = await process.wait()
    assert code == 0
