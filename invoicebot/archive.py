"""Moving a processed file into the archive: atomic on one filesystem, verified across two,
never over another file.

On the inbox's filesystem the file is hard-linked under its archive name (which fails, rather
than overwrite, when the name is taken) and then unlinked from the inbox: at every instant the
file is whole under one name or both. Across filesystems it is copied to a hidden temporary
file beside its archive name, flushed to disk (``fsync``), its sha256 compared with the one
claimed, linked under its archive name and only then removed from the inbox. A taken name gets
a suffix: ``scan0001-<sha256[:12]>.pdf``, then ``-2``, ``-3``...
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from invoicebot.model import InvoiceError

# Link errors that mean "this filesystem has no hard links": fall back to a checked rename.
_NO_LINKS: Final = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK})
MAX_SUFFIX: Final = 1000
HASH_CHUNK: Final = 1024 * 1024


class ArchiveError(InvoiceError):
    """A file could not be archived; it stays where it was."""

    def __init__(self, source: Path, target: Path, reason: str) -> None:
        super().__init__(f"cannot archive {source} as {target}: {reason}")
        self.source = source
        self.target = target
        self.reason = reason


class ArchiveVerificationError(ArchiveError):
    """The copy in the archive is not the bytes claimed (a full disk, a failing device)."""

    def __init__(self, source: Path, target: Path, expected: str, found: str) -> None:
        super().__init__(source, target, f"the copy's sha256 is {found}, expected {expected}")
        self.expected = expected
        self.found = found


def file_sha256(path: Path) -> str:
    """Return the sha256 of the file at ``path``, read by chunks."""
    hasher = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(HASH_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def candidate_names(target: Path, sha256: str) -> Iterator[Path]:
    """Yield the names ``target`` may take, in order: itself, then suffixed ones (made one at
    a time: nearly every file takes the first, and making all of them cost 18 ms a file)."""
    yield target
    tagged = f"{target.stem}-{sha256[:12]}"
    yield target.with_name(f"{tagged}{target.suffix}")
    for n in range(2, MAX_SUFFIX):
        yield target.with_name(f"{tagged}-{n}{target.suffix}")


def archive_file(source: Path, target: Path, *, sha256: str) -> Path:
    """Move ``source`` to ``target`` (or, when taken, a suffixed name); return where it went.

    Raises ``ArchiveVerificationError`` when a cross-filesystem copy is not the bytes
    ``sha256`` names (the source is then left in place), ``ArchiveError`` when every name is
    taken.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    for candidate in candidate_names(target, sha256):
        try:
            os.link(source, candidate)
        except FileExistsError:
            if not candidate.samefile(source):
                continue
            # Another run finishing the same interrupted move linked it first: one copy.
        except OSError as error:
            if error.errno == errno.EXDEV:
                return _copy_verified(source, target, sha256)
            if error.errno in _NO_LINKS:
                return _rename_unlinked(source, target, sha256)
            raise
        # Another run finishing this interrupted move may have removed it already.
        source.unlink(missing_ok=True)
        _sync_folder(candidate.parent)
        _sync_folder(source.parent)
        return candidate
    raise ArchiveError(source, target, f"{MAX_SUFFIX} names are taken")


def _rename_unlinked(source: Path, target: Path, sha256: str) -> Path:
    # No hard links here: a rename checked just before (a rename would replace a file).
    for candidate in candidate_names(target, sha256):
        if candidate.exists():
            continue
        source.rename(candidate)
        _sync_folder(candidate.parent)
        return candidate
    raise ArchiveError(source, target, f"{MAX_SUFFIX} names are taken")


def _copy_verified(source: Path, target: Path, sha256: str) -> Path:
    partial = target.with_name(f".{target.name}.{sha256[:12]}.partial")
    linked = False
    try:
        with source.open("rb") as reader, partial.open("wb") as writer:
            shutil.copyfileobj(reader, writer, HASH_CHUNK)
            writer.flush()
            os.fsync(writer.fileno())
        shutil.copystat(source, partial)
        found = file_sha256(partial)
        if found != sha256:
            raise ArchiveVerificationError(source, target, sha256, found)
        for candidate in candidate_names(target, sha256):
            try:
                os.link(partial, candidate)
            except FileExistsError:
                continue
            linked = True
            _sync_folder(candidate.parent)
            # Until the temporary name goes, it tells the next run, should this one stop
            # here, that the original is this very copy and not a file sent again
            # (``same_archived_file``).
            source.unlink(missing_ok=True)
            _sync_folder(source.parent)
            partial.unlink()
            return candidate
        raise ArchiveError(source, target, f"{MAX_SUFFIX} names are taken")
    finally:
        if not linked:
            partial.unlink(missing_ok=True)


def _partial_links(archived: Path, sha256: str) -> list[Path]:
    """Return the temporary copies beside ``archived`` that are ``archived`` itself."""
    return [
        partial
        for partial in archived.parent.glob(f".*.{sha256[:12]}.partial")
        if partial.samefile(archived)
    ]


def same_archived_file(inbox_file: Path, archived: Path, sha256: str) -> bool:
    """Return True when ``archived`` is ``inbox_file`` left behind by an interrupted move:
    the same file (a hard link: cut between the link and the unlink, on one filesystem), or
    a verified copy whose temporary name is still beside it (cut between linking the copy in
    place and removing the original, across filesystems). A re-sent copy of the same bytes
    is neither, whatever its modification time."""
    if not archived.exists():
        return False
    return inbox_file.samefile(archived) or bool(_partial_links(archived, sha256))


def finish_interrupted_move(inbox_file: Path, archived: Path, sha256: str) -> bool:
    """Finish the move ``same_archived_file`` recognises (remove the original and the
    temporary name) and return True; return False, touching nothing, for any other file."""
    if not same_archived_file(inbox_file, archived, sha256):
        return False
    partials = _partial_links(archived, sha256)
    inbox_file.unlink(missing_ok=True)
    _sync_folder(inbox_file.parent)
    for partial in partials:
        partial.unlink(missing_ok=True)
    return True


def _sync_folder(folder: Path) -> None:
    # A rename or a link is durable once its folder's entry is on disk.
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
