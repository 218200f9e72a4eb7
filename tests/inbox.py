"""Builds test inboxes from the committed samples and from deliberately bad files."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2

from extractors.base import PDFIUM_LOCK
from tests.conftest import sample_truths

Truth = dict[str, Any]


def pick_samples(predicate: Callable[[Truth], bool], count: int) -> list[tuple[Path, Truth]]:
    """Return the first ``count`` committed samples whose expected JSON satisfies ``predicate``."""
    return [(path, truth) for path, truth in sample_truths() if predicate(truth)][:count]


def duplicate_pair() -> list[tuple[Path, Truth]]:
    """Return a resubmitted duplicate sample and the sample it repeats."""
    truths = {truth["source"]: (path, truth) for path, truth in sample_truths()}
    for path, truth in truths.values():
        if "DUPLICATE-INVOICE-NUMBER" in truth["faults"]:
            return [truths[truth["duplicate_of"]], (path, truth)]
    raise LookupError("no resubmitted duplicate among the committed samples")


def copy_into(inbox: Path, samples: list[tuple[Path, Truth]]) -> None:
    """Copy the sample documents (not their JSON) into ``inbox``."""
    inbox.mkdir(parents=True, exist_ok=True)
    for path, _truth in samples:
        shutil.copy2(path, inbox / path.name)


def write_bad_files(inbox: Path, pdf_to_truncate: Path) -> dict[str, str]:
    """Write a truncated PDF, an empty file and a text file named .pdf; return the codes of
    those a batch quarantines (an empty file is a copy in progress: a batch never takes it)."""
    inbox.mkdir(parents=True, exist_ok=True)
    data = pdf_to_truncate.read_bytes()
    (inbox / "truncated.pdf").write_bytes(data[: len(data) // 3])
    (inbox / "empty.pdf").write_bytes(b"")
    (inbox / "notes.pdf").write_text("Ceci n'est pas une facture.\n")
    return {"truncated.pdf": "unreadable", "notes.pdf": "unsupported_format"}


def concatenated_pdf(documents: list[bytes]) -> bytes:
    """Return one PDF holding every page of the PDFs ``documents``, in order (a stack)."""
    with PDFIUM_LOCK:
        target = pypdfium2.PdfDocument.new()
        for data in documents:
            source = pypdfium2.PdfDocument(data)
            target.import_pages(source)
            source.close()
        buffer = io.BytesIO()
        target.save(buffer)
        target.close()
    return buffer.getvalue()
