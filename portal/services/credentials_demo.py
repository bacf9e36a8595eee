"""Demo credential documents: alice has a validated tax notice and a pending family book,
bob a refused school certificate.

Imported at start through ``portal.services.registry.FEATURE_MODULES``; importing it
registers ``seed_credentials`` in ``portal.services.demo.DEMO_SEEDERS``. The files are
written to the ``credentials/`` folder beside the database file (the data directory).
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path

from fpdf import FPDF
from sqlite_utils import Database

from portal.data import credentials as credentials_data
from portal.data import family as family_data
from portal.data import subsidies as subsidies_data
from portal.services import demo
from portal.services.credentials import storage_dir, store_bytes


def demo_pdf(title: str) -> bytes:
    """A one-page PDF with a title (a stand-in for a scanned document)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=16)
    pdf.cell(text=title)
    return bytes(pdf.output())


def demo_png(width: int = 8, height: int = 8) -> bytes:
    """A small grey PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _insert(
    db: Database,
    member_id: int,
    org: int,
    document_type: str,
    original_name: str,
    content_type: str,
    data: bytes,
    note: str = "",
) -> int:
    folder = credentials_data.data_directory(db)
    assert folder is not None
    return credentials_data.insert_credential(
        db,
        member_id=member_id,
        organization_id=org,
        type=document_type,
        label="",
        note=note,
        original_name=original_name,
        stored_name=store_bytes(folder, data),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def seed_credentials(db: Database, orgs: dict[str, int], ids: dict[str, int]) -> None:
    """Create the demo documents (inside the demo seeding transaction)."""
    if credentials_data.data_directory(db) is None:
        return  # an in-memory database has no data directory to hold the files
    folder = storage_dir(credentials_data.data_directory(db) or Path())
    for stale in folder.iterdir():  # a demo reset emptied the table: its files are orphans
        if stale.is_file():
            stale.unlink()
    demo_org, horizon = orgs[demo.DEMO_ORG], orgs[demo.OTHER_ORG]
    tax = _insert(
        db,
        ids["alice"],
        demo_org,
        "tax_notice",
        "avis-imposition-2026.pdf",
        "application/pdf",
        demo_pdf("Avis d'impot 2026 - revenus 2025"),
    )
    credentials_data.mark_decided(db, tax, status="validated", reason=None, decided_by=ids["marc"])
    subsidies_data.set_quotient_familial(db, ids["alice"], 850)
    family_data.set_proof(db, ids["alice"], "quotient_familial", tax)
    _insert(
        db,
        ids["alice"],
        demo_org,
        "family_book",
        "livret-famille.png",
        "image/png",
        demo_png(),
        note="Naissance de Léa en 2025",
    )
    school = _insert(
        db,
        ids["bob"],
        horizon,
        "school",
        "certificat-scolarite.pdf",
        "application/pdf",
        demo_pdf("Certificat de scolarite"),
    )
    credentials_data.mark_decided(
        db,
        school,
        status="refused",
        reason="Document illisible : merci d'envoyer un scan plus net.",
        decided_by=ids["nina"],
    )


demo.DEMO_SEEDERS.append(seed_credentials)
