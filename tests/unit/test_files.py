"""The members' inbox/outbox folders: layout, listing, safe names, atomic writes."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from portal.config import Settings, load_settings
from portal.i18n import get_translator
from portal.services import files
from portal.services.files import FileEntry, FileError


@pytest.fixture
def fsettings(tmp_path: Path) -> Settings:
    return load_settings(environ={}, data_dir=tmp_path / "data", port=2222, public_host="h.example")


def test_folders_are_created_private(fsettings: Settings) -> None:
    inbox = files.inbox_dir(fsettings, "alice")
    outbox = files.outbox_dir(fsettings, "alice")
    assert inbox == fsettings.files_dir / "alice" / "inbox"
    assert outbox == fsettings.files_dir / "alice" / "outbox"
    for folder in (inbox, outbox, inbox.parent):
        assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700


def test_listing_shows_complete_regular_files_only(fsettings: Settings) -> None:
    inbox = files.inbox_dir(fsettings, "alice")
    (inbox / "b.pdf").write_bytes(b"12345")
    (inbox / "A.png").write_bytes(b"1")
    (inbox / (files.TEMP_PREFIX + "abc")).write_bytes(b"partial")
    (inbox / ".hidden").write_bytes(b"x")
    (inbox / "folder").mkdir()
    (inbox / "link.pdf").symlink_to(inbox / "b.pdf")
    listed = files.list_inbox(fsettings, "alice")
    assert [e.name for e in listed] == ["A.png", "b.pdf"]
    assert listed[1].size == 5 and isinstance(listed[1], FileEntry)
    usage = files.inbox_usage(fsettings, "alice")
    assert usage.files == 2 and usage.bytes == 5 + 1 + 7 + 1  # temporaries count in bytes


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "../bob/inbox/x",
        "a/b",
        "a\\b",
        "x\x00y",
        "tab\there",
        "new\nline",
        ".upload-1",
        "\u202eevil",
        "é" * 200,
    ],
)
def test_bad_names_are_refused(fsettings: Settings, name: str) -> None:
    with pytest.raises(FileError):
        files.check_name(name)
    with pytest.raises(FileError):
        files.read_inbox_file(fsettings, "alice", name)
    with pytest.raises(FileError):
        files.remove_inbox_file(fsettings, "alice", name)


def test_bad_logins_are_refused(fsettings: Settings) -> None:
    for login in ("..", "../x", "a/b", "", ".a"):
        with pytest.raises(FileError):
            files.inbox_dir(fsettings, login)


def test_read_and_remove(fsettings: Settings) -> None:
    inbox = files.inbox_dir(fsettings, "alice")
    (inbox / "payslip.pdf").write_bytes(b"%PDF-1.4")
    assert files.read_inbox_file(fsettings, "alice", "payslip.pdf") == b"%PDF-1.4"
    files.remove_inbox_file(fsettings, "alice", "payslip.pdf")
    assert files.list_inbox(fsettings, "alice") == []
    with pytest.raises(FileError) as missing:
        files.read_inbox_file(fsettings, "alice", "payslip.pdf")
    assert "payslip.pdf" in missing.value.text()


def test_links_are_never_followed_nor_removed(fsettings: Settings, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    inbox = files.inbox_dir(fsettings, "alice")
    (inbox / "s.txt").symlink_to(secret)
    with pytest.raises(FileError):
        files.read_inbox_file(fsettings, "alice", "s.txt")
    with pytest.raises(FileError):
        files.remove_inbox_file(fsettings, "alice", "s.txt")
    assert secret.read_text() == "secret"


def test_member_cannot_name_another_members_file(fsettings: Settings) -> None:
    (files.inbox_dir(fsettings, "bob") / "bob.pdf").write_bytes(b"bob")
    files.inbox_dir(fsettings, "alice")
    with pytest.raises(FileError):
        files.read_inbox_file(fsettings, "alice", "../../bob/inbox/bob.pdf")
    with pytest.raises(FileError):
        files.read_inbox_file(fsettings, "alice", "bob.pdf")


def test_outbox_write_is_atomic_and_replaces(fsettings: Settings) -> None:
    path = files.write_outbox_file(fsettings, "alice", "FAC-2026-000001.pdf", b"one")
    files.write_outbox_file(fsettings, "alice", "FAC-2026-000001.pdf", b"two")
    assert path.read_bytes() == b"two"
    assert [e.name for e in files.list_outbox(fsettings, "alice")] == ["FAC-2026-000001.pdf"]
    assert os.listdir(path.parent) == ["FAC-2026-000001.pdf"]  # no temporary left
    with pytest.raises(FileError):
        files.write_outbox_file(fsettings, "alice", "../x.pdf", b"x")


def test_stale_temporaries_are_cleaned(fsettings: Settings) -> None:
    inbox = files.inbox_dir(fsettings, "alice")
    old = inbox / (files.TEMP_PREFIX + "old")
    fresh = inbox / (files.TEMP_PREFIX + "new")
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    (inbox / "kept.pdf").write_bytes(b"z")
    past = time.time() - 2 * files.STALE_AFTER
    os.utime(old, (past, past))
    assert files.clean_stale_temporaries(fsettings) == 1
    assert sorted(os.listdir(inbox)) == sorted([fresh.name, "kept.pdf"])


def test_commands(fsettings: Settings) -> None:
    assert files.sftp_command(fsettings, "alice") == "sftp -P 2222 alice@h.example"
    assert files.scp_command(fsettings, "alice", "payslip.pdf") == (
        "scp -P 2222 payslip.pdf alice@h.example:inbox/"
    )
    on_22 = load_settings(environ={}, data_dir=fsettings.data_dir, port=22, public_host="h")
    assert files.sftp_command(on_22, "alice") == "sftp alice@h"


def test_public_host_setting() -> None:
    import socket

    assert load_settings(environ={}).public_host == socket.gethostname()
    assert load_settings(environ={"PORTAL_PUBLIC_HOST": "p.example"}).public_host == "p.example"


def _limited(fsettings: Settings) -> Settings:
    return load_settings(
        environ={},
        data_dir=fsettings.data_dir,
        sftp_max_file_bytes=200,
        sftp_quota_bytes=250,
        sftp_max_inbox_files=2,
    )


def test_upload_is_invisible_until_finished(fsettings: Settings) -> None:
    upload, fd = files.start_upload(fsettings, "alice", "doc.pdf")
    os.write(fd, b"%PDF")
    os.close(fd)
    assert files.list_inbox(fsettings, "alice") == []
    files.finish_upload(fsettings, "alice", upload)
    assert [(e.name, e.size) for e in files.list_inbox(fsettings, "alice")] == [("doc.pdf", 4)]
    assert os.listdir(files.inbox_dir(fsettings, "alice")) == ["doc.pdf"]


def test_upload_limits(fsettings: Settings) -> None:
    s = _limited(fsettings)
    big, fd = files.start_upload(s, "alice", "a")
    os.close(fd)
    with pytest.raises(files.LimitError) as too_big:
        files.check_upload_size(s, big, 201)
    files.discard_upload(big)  # what the SFTP server does with a refused upload
    assert too_big.value.text(get_translator("fr")).endswith("plus de 200 o sont refusés.")
    for name in ("a", "b"):
        upload, fd = files.start_upload(s, "alice", name)
        os.write(fd, b"x" * 100)
        os.close(fd)
        files.finish_upload(s, "alice", upload)
    with pytest.raises(files.LimitError):  # a third file
        files.start_upload(s, "alice", "c")
    upload, fd = files.start_upload(s, "alice", "a")  # replacing one is fine...
    with pytest.raises(files.LimitError) as over:  # ...within the quota (100 + 151 > 250)
        files.check_upload_size(s, upload, 151)
    assert "plein" in over.value.text(get_translator("fr"))
    os.write(fd, b"y" * 150)
    os.close(fd)
    files.finish_upload(s, "alice", upload)
    assert files.read_inbox_file(s, "alice", "a") == b"y" * 150
    assert sorted(os.listdir(files.inbox_dir(s, "alice"))) == ["a", "b"]  # no temporary


def test_finish_rechecks_the_limits_and_leaves_nothing(fsettings: Settings) -> None:
    s = _limited(fsettings)
    first, fd1 = files.start_upload(s, "alice", "one")
    second, fd2 = files.start_upload(s, "alice", "two")
    third, fd3 = files.start_upload(s, "alice", "three")  # all three started while empty
    for fd in (fd1, fd2, fd3):
        os.write(fd, b"z" * 10)
        os.close(fd)
    files.finish_upload(s, "alice", first)
    files.finish_upload(s, "alice", second)
    with pytest.raises(files.LimitError):
        files.finish_upload(s, "alice", third)
    assert sorted(os.listdir(files.inbox_dir(s, "alice"))) == ["one", "two"]
