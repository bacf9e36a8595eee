"""A document's whole path over a real connection: uploaded with SFTP, attached in the app,
reviewed by a manager, and the subsidy the member sees changes at once."""

from __future__ import annotations

import asyncio

import asyncssh
import pytest

from portal.data import members as members_data
from portal.data.members import Member
from portal.services import benefits, credentials, family
from portal.services.credentials import CredentialError, ProvenValues
from portal.services.credentials_demo import demo_pdf
from portal.services.errors import PortalError
from portal.ssh.server import PortalServer
from tests.e2e.conftest import ALICE, BOB
from tests.e2e.harness import WAIT, connect


def _member(server: PortalServer, login: str) -> Member:
    found = server.services.store.run_sync(members_data.get_member_by_login, login)
    assert found is not None
    return found


def _cinema_subsidy(server: PortalServer, who: Member) -> int:
    usable = server.services.store.run_sync(benefits.usable_benefits, who)
    [cinema] = [b for b in usable if b.rule and b.rule.category == "cinema"]
    return cinema.subsidy_for(500)


async def test_upload_attach_review_and_the_subsidy_follows(server: PortalServer) -> None:
    store, settings = server.services.store, server.services.settings
    conn, _ = await connect(server.port, *ALICE)
    async with conn:
        sftp = await asyncio.wait_for(conn.start_sftp_client(), WAIT)
        async with sftp.open("inbox/avis-2027.pdf", "wb") as fh:
            await fh.write(demo_pdf("Avis d'impôt 2027"))
        assert "avis-2027.pdf" in await sftp.listdir("inbox")
    alice, marc, bob = _member(server, "alice"), _member(server, "marc"), _member(server, "bob")
    before = _cinema_subsidy(server, alice)

    # Bob can neither attach Alice's upload (not in his inbox) nor see her document.
    with pytest.raises(PortalError):
        store.run_sync(
            credentials.attach, settings, bob, file_name="avis-2027.pdf", document_type="tax_notice"
        )
    doc = store.run_sync(
        credentials.attach, settings, alice, file_name="avis-2027.pdf", document_type="tax_notice"
    )
    with pytest.raises(CredentialError):
        store.run_sync(credentials.get_mine, bob, doc.id)

    # Attached: the file left the SFTP tree.
    conn, _ = await connect(server.port, *ALICE)
    async with conn:
        sftp = await asyncio.wait_for(conn.start_sftp_client(), WAIT)
        assert "avis-2027.pdf" not in await sftp.listdir("inbox")
        with pytest.raises(asyncssh.SFTPError):
            await sftp.stat("inbox/avis-2027.pdf")

    # The manager of another organization cannot decide; Alice's can.
    nina = _member(server, "nina")
    with pytest.raises((CredentialError, PermissionError)):
        store.run_sync(credentials.validate, nina, doc.id, ProvenValues(quotient_familial=400))
    store.run_sync(credentials.validate, marc, doc.id, ProvenValues(rfr_euros=18_000, parts="2,5"))
    assert store.run_sync(family.get_family, alice, alice.id).quotient_familial == 600
    assert _cinema_subsidy(server, alice) > before

    # Validated: locked for the member.
    with pytest.raises(CredentialError):
        store.run_sync(credentials.delete, settings, alice, doc.id)


async def test_bob_sees_only_his_own_inbox(server: PortalServer) -> None:
    conn, _ = await connect(server.port, *ALICE)
    async with conn:
        sftp = await asyncio.wait_for(conn.start_sftp_client(), WAIT)
        async with sftp.open("inbox/secret.pdf", "wb") as fh:
            await fh.write(demo_pdf("x"))
    conn, _ = await connect(server.port, *BOB)
    async with conn:
        sftp = await asyncio.wait_for(conn.start_sftp_client(), WAIT)
        assert "secret.pdf" not in await sftp.listdir("inbox")
        for path in ("../alice/inbox/secret.pdf", "/alice/inbox/secret.pdf"):
            with pytest.raises(asyncssh.SFTPError):
                await sftp.stat(path)
