"""The archive move: atomic on one filesystem, copied and verified across two, never over."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

import pytest

from invoicebot import archive
from invoicebot.archive import (
    ArchiveVerificationError,
    archive_file,
    finish_interrupted_move,
    same_archived_file,
)


def inbox_file(tmp_path: Path, name: str = "scan0001.pdf", data: bytes = b"%PDF ours") -> Path:
    path = tmp_path / "inbox" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_on_one_filesystem_the_file_is_renamed_into_place(tmp_path: Path) -> None:
    source = inbox_file(tmp_path)
    inode = source.stat().st_ino
    target = tmp_path / "archive" / "approved" / "scan0001.pdf"

    assert archive_file(source, target, sha256=sha(b"%PDF ours")) == target

    assert not source.exists()
    assert target.read_bytes() == b"%PDF ours" and target.stat().st_ino == inode


def test_a_taken_name_gets_a_suffix_and_nothing_is_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "archive" / "scan0001.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"another batch's scan")
    digest = sha(b"%PDF ours")

    first = archive_file(inbox_file(tmp_path), target, sha256=digest)
    second = archive_file(inbox_file(tmp_path), target, sha256=digest)

    assert target.read_bytes() == b"another batch's scan"
    assert first.name == f"scan0001-{digest[:12]}.pdf"
    assert second.name == f"scan0001-{digest[:12]}-2.pdf"
    assert first.read_bytes() == second.read_bytes() == b"%PDF ours"


def across_filesystems(monkeypatch: pytest.MonkeyPatch, inbox: Path) -> None:
    """Make links out of ``inbox`` fail as they do across two filesystems."""
    link = os.link

    def cross_device_link(source: object, target: object) -> None:
        if Path(str(source)).parent == inbox:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        link(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(archive.os, "link", cross_device_link)


def test_across_filesystems_the_copy_is_verified_then_the_original_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = inbox_file(tmp_path)
    os.utime(source, ns=(1_700_000_000_000_000_000,) * 2)
    across_filesystems(monkeypatch, source.parent)
    target = tmp_path / "archive" / "scan0001.pdf"

    assert archive_file(source, target, sha256=sha(b"%PDF ours")) == target

    assert not source.exists()
    assert target.read_bytes() == b"%PDF ours"
    assert target.stat().st_mtime_ns == 1_700_000_000_000_000_000
    assert sorted(p.name for p in target.parent.iterdir()) == ["scan0001.pdf"]


def test_a_copy_that_is_not_the_bytes_claimed_leaves_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = inbox_file(tmp_path)
    across_filesystems(monkeypatch, source.parent)
    copy = shutil.copyfileobj

    def truncating_copy(reader: object, writer: object, length: int = 0) -> None:
        copy(reader, writer, length)  # type: ignore[arg-type]
        writer.truncate(3)  # type: ignore[attr-defined]  # a full disk

    monkeypatch.setattr(archive.shutil, "copyfileobj", truncating_copy)
    target = tmp_path / "archive" / "scan0001.pdf"

    with pytest.raises(ArchiveVerificationError) as refused:
        archive_file(source, target, sha256=sha(b"%PDF ours"))

    assert refused.value.expected == sha(b"%PDF ours")
    assert refused.value.found == sha(b"%PD")
    assert source.read_bytes() == b"%PDF ours"
    assert list(target.parent.iterdir()) == []


def test_without_hard_links_a_checked_rename_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(_source: object, _target: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(archive.os, "link", no_links)
    target = tmp_path / "archive" / "scan0001.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"another batch's scan")

    moved = archive_file(inbox_file(tmp_path), target, sha256=sha(b"%PDF ours"))

    assert moved != target and moved.read_bytes() == b"%PDF ours"
    assert target.read_bytes() == b"another batch's scan"


def test_an_interrupted_move_is_told_from_a_resent_copy(tmp_path: Path) -> None:
    source = inbox_file(tmp_path)
    digest = sha(b"%PDF ours")
    folder = tmp_path / "archive"
    folder.mkdir()
    # Cut between the link and the unlink, on one filesystem.
    linked = folder / "linked.pdf"
    os.link(source, linked)
    # Cut across filesystems between linking the verified copy in place and the unlink.
    copied = folder / "copied.pdf"
    shutil.copy2(source, copied)
    os.link(copied, folder / f".copied.pdf.{digest[:12]}.partial")
    # The same bytes sent again by someone, even with the same modification time.
    resent = folder / "resent.pdf"
    shutil.copy2(source, resent)

    assert same_archived_file(source, linked, digest)
    assert same_archived_file(source, copied, digest)
    assert not same_archived_file(source, resent, digest)
    assert not same_archived_file(source, folder / "missing.pdf", digest)
    assert not finish_interrupted_move(source, resent, digest) and source.exists()
    assert finish_interrupted_move(source, copied, digest)
    assert not source.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["copied.pdf", "linked.pdf", "resent.pdf"]


def test_a_move_killed_between_link_and_unlink_across_filesystems_is_recognised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = inbox_file(tmp_path)
    across_filesystems(monkeypatch, source.parent)
    unlink = Path.unlink

    def killed_at_the_unlink(path: Path, missing_ok: bool = False) -> None:
        if path == source:
            raise KeyboardInterrupt  # as good as a kill: nothing after it runs
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", killed_at_the_unlink)
    target = tmp_path / "archive" / "scan0001.pdf"
    with pytest.raises(KeyboardInterrupt):
        archive_file(source, target, sha256=sha(b"%PDF ours"))
    monkeypatch.undo()

    assert source.exists() and target.exists()
    assert finish_interrupted_move(source, target, sha(b"%PDF ours"))
    assert not source.exists()
    assert [p.name for p in target.parent.iterdir()] == ["scan0001.pdf"]
