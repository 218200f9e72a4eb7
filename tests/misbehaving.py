"""Extractors that misbehave, plugged in through ``ExtractOptions.plugins`` by the isolation
tests and ``benchmarks/isolation.py``: each acts on documents whose file name holds its word
(``hang``, ``segfault``, ``allocate``, ``defect``) and lets the others through."""

from __future__ import annotations

import os
import signal
import time

from extractors.base import ExtractOptions, SourceDocument
from invoicebot.model import Extraction

# What the memory hog allocates at most, 256 MB at a time. ``bytes(n)`` is calloc'ed: the
# kernel zeroes the pages when first touched, so the address-space cap is reached at once
# rather than after writing gigabytes (which takes tens of seconds on a loaded 2-core machine).
HOG_BYTES = 8 * 1024**3
HOG_CHUNK = 256 * 1024**2


class Hang:
    """Never returns, and never looks at the document's time limit."""

    name = "hang"

    def extract(self, document: SourceDocument, options: ExtractOptions) -> Extraction | None:
        if "hang" not in document.path.name:
            return None
        while True:
            time.sleep(3600)


class Segfault:
    """Dies of SIGSEGV, as a crash in PDFium or tesseract would."""

    name = "segfault"

    def extract(self, document: SourceDocument, options: ExtractOptions) -> Extraction | None:
        if "segfault" not in document.path.name:
            return None
        os.kill(os.getpid(), signal.SIGSEGV)
        return None


class Allocate:
    """Allocates 8 GB, 256 MB at a time, and holds it."""

    name = "allocate"

    def extract(self, document: SourceDocument, options: ExtractOptions) -> Extraction | None:
        if "allocate" not in document.path.name:
            return None
        held = [bytes(HOG_CHUNK) for _ in range(HOG_BYTES // HOG_CHUNK)]
        raise AssertionError(f"allocated {len(held) * HOG_CHUNK} bytes under the memory cap")


class Defect:
    """Raises a bug's exception."""

    name = "defect"

    def extract(self, document: SourceDocument, options: ExtractOptions) -> Extraction | None:
        if "defect" not in document.path.name:
            return None
        raise ZeroDivisionError("a bug")


EVERY_PLUGIN = tuple(
    f"tests.misbehaving:{cls.__name__}" for cls in (Hang, Segfault, Allocate, Defect)
)
