"""The inbox side of claiming: which files are complete, and their bytes read once.

A file is taken only when it is complete, by either convention (README, "Dropping files"):

- written under a ``.part`` name (or a hidden ``.name``) and renamed when complete: such names
  are never taken;
- written in place: its size and modification time must be the same across
  ``INVOICEBOT_STABLE_SECONDS``, and it must not be empty (a zero-byte file is a copy that has
  not started writing yet).

The bytes are read once, when the file is claimed, and handed to the extraction: the digest
claimed is the digest of the bytes extracted.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from invoicebot.model import InvoiceError

PARTIAL_SUFFIX: Final = ".part"
# Files above the size limit are hashed by chunks (they are refused, never read whole).
HASH_CHUNK: Final = 1024 * 1024


class Clock(Protocol):
    """What the stability check waits with (a fake one in tests)."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""


class SystemClock:
    """The real clock."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of wall-clock time."""
        time.sleep(seconds)


@dataclass(frozen=True)
class FileState:
    """What is compared to tell a complete file: its size and modification time."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, stat: os.stat_result) -> FileState:
        """Return the state in ``stat``."""
        return cls(size=stat.st_size, mtime_ns=stat.st_mtime_ns)


class FileNotReadyError(InvoiceError):
    """The file is not complete yet (empty, or changing while read): it stays in the inbox."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: not taken yet: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class InboxFile:
    """A file's bytes read once at claim time, and their digest.

    ``data`` is None for a file above the size limit: it was hashed by chunks, never held
    whole, and the extraction refuses it as ``too_large``.
    """

    path: Path
    sha256: str
    size: int
    data: bytes | None


def candidate_files(inbox: Path) -> list[Path]:
    """Return the inbox's files in name order, leaving out hidden and ``.part`` files."""
    return sorted(
        path
        for path in inbox.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and not path.name.endswith(PARTIAL_SUFFIX)
    )


def _states(paths: list[Path]) -> dict[Path, FileState]:
    states: dict[Path, FileState] = {}
    for path in paths:
        try:
            states[path] = FileState.of(path.stat())
        except FileNotFoundError:  # renamed or taken by another run meanwhile: not ours
            continue
    return states


def stable_files(inbox: Path, *, stable_seconds: float, clock: Clock) -> list[Path]:
    """Return the inbox's complete files: not empty, not ``.part`` or hidden, and the same
    size and modification time before and after ``stable_seconds``."""
    first = _states(candidate_files(inbox))
    if stable_seconds > 0 and first:
        clock.sleep(stable_seconds)
    second = _states(list(first))
    return [path for path, state in first.items() if state.size > 0 and second.get(path) == state]


def read_once(path: Path, *, max_bytes: int) -> InboxFile:
    """Return the file's bytes (None above ``max_bytes``) and digest, read in one go.

    Raises ``FileNotReadyError`` when the file is empty or changed while it was read.
    """
    with path.open("rb") as file:
        before = FileState.of(os.fstat(file.fileno()))
        if before.size == 0:
            raise FileNotReadyError(path, "the file is empty (a copy in progress)")
        data: bytes | None
        if before.size <= max_bytes:
            data = file.read(max_bytes + 1)
            digest = hashlib.sha256(data).hexdigest()
            size = len(data)
            if size > max_bytes:  # it grew while read
                raise FileNotReadyError(path, "the file grew while it was read")
        else:
            hasher = hashlib.sha256()
            size = 0
            while chunk := file.read(HASH_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
            digest = hasher.hexdigest()
            data = None
        after = FileState.of(os.fstat(file.fileno()))
    if after != before or size != before.size:
        raise FileNotReadyError(path, "the file changed while it was read")
    return InboxFile(path=path, sha256=digest, size=size, data=data)
