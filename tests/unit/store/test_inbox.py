"""Files are taken only once complete, and their bytes are read once (a fake clock: no waiting)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from invoicebot.inbox import FileNotReadyError, read_once, stable_files
from invoicebot.pipeline import discover_inbox


class FakeClock:
    """A clock whose ``sleep`` returns at once, after running what a writer does meanwhile."""

    def __init__(self, meanwhile: Callable[[], None] = lambda: None) -> None:
        self.meanwhile = meanwhile
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.meanwhile()


def write(path: Path, data: bytes, mtime_ns: int = 1_700_000_000_000_000_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def test_a_file_unchanged_across_the_interval_is_taken(tmp_path: Path) -> None:
    done = write(tmp_path / "a.pdf", b"%PDF-1.7 complete")
    clock = FakeClock()
    assert stable_files(tmp_path, stable_seconds=5, clock=clock) == [done]
    assert clock.slept == [5]


def test_a_file_growing_during_the_interval_is_left_for_the_next_run(tmp_path: Path) -> None:
    growing = write(tmp_path / "growing.pdf", b"%PDF-1.7 first half")
    done = write(tmp_path / "done.pdf", b"%PDF-1.7 complete")

    def writer() -> None:
        with growing.open("ab") as file:
            file.write(b" second half")

    assert stable_files(tmp_path, stable_seconds=2, clock=FakeClock(writer)) == [done]


def test_a_file_rewritten_to_the_same_size_is_left_for_the_next_run(tmp_path: Path) -> None:
    rewritten = write(tmp_path / "rewritten.pdf", b"%PDF-1.7 aaaa")

    def writer() -> None:
        write(rewritten, b"%PDF-1.7 bbbb", mtime_ns=1_700_000_000_500_000_000)

    assert stable_files(tmp_path, stable_seconds=2, clock=FakeClock(writer)) == []


def test_empty_part_and_hidden_files_are_never_taken(tmp_path: Path) -> None:
    write(tmp_path / "empty.pdf", b"")
    write(tmp_path / "incoming.pdf.part", b"%PDF-1.7 being copied")
    write(tmp_path / ".hidden.pdf", b"%PDF-1.7 temp of a copier")
    done = write(tmp_path / "b.pdf", b"%PDF-1.7 complete")
    assert stable_files(tmp_path, stable_seconds=0, clock=FakeClock()) == [done]


def test_a_part_file_renamed_when_complete_is_taken_without_waiting(tmp_path: Path) -> None:
    partial = write(tmp_path / "c.pdf.part", b"%PDF-1.7 complete")
    clock = FakeClock()
    assert discover_inbox(tmp_path, stable_seconds=0, clock=clock) == []
    partial.rename(tmp_path / "c.pdf")
    assert discover_inbox(tmp_path, stable_seconds=0, clock=clock) == [tmp_path / "c.pdf"]
    assert clock.slept == []


def test_a_file_removed_during_the_interval_is_not_listed(tmp_path: Path) -> None:
    gone = write(tmp_path / "gone.pdf", b"%PDF-1.7 taken by another run")
    assert stable_files(tmp_path, stable_seconds=1, clock=FakeClock(gone.unlink)) == []


def test_read_once_gives_the_bytes_and_their_digest(tmp_path: Path) -> None:
    import hashlib

    path = write(tmp_path / "a.pdf", b"%PDF-1.7 hello")
    read = read_once(path, max_bytes=1000)
    assert read.data == b"%PDF-1.7 hello"
    assert read.sha256 == hashlib.sha256(b"%PDF-1.7 hello").hexdigest()
    assert read.size == len(b"%PDF-1.7 hello")


def test_a_file_above_the_limit_is_hashed_not_held(tmp_path: Path) -> None:
    import hashlib

    data = b"%PDF-1.7 " + b"x" * 5000
    read = read_once(write(tmp_path / "big.pdf", data), max_bytes=100)
    assert read.data is None
    assert read.sha256 == hashlib.sha256(data).hexdigest() and read.size == len(data)


def test_an_empty_file_is_not_ready(tmp_path: Path) -> None:
    with pytest.raises(FileNotReadyError, match="empty"):
        read_once(write(tmp_path / "empty.pdf", b""), max_bytes=1000)
