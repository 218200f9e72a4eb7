"""Each document read in a process of its own: a hang, a segfault and an allocation beyond the
memory cap each end in their typed error, and the next document is read by a fresh process.

The misbehaving extractors (``tests.misbehaving``) come in through ``ExtractOptions.plugins``.
No wall-clock assertion: the limits are small, and each test checks which error ended the
reading and that the reader goes on.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from extractors import ExtractorPluginError, extractor_chain
from extractors.base import ExtractOptions
from extractors.isolation import DocumentReader, SetupError
from invoicebot.model import (
    DocumentCrashedError,
    DocumentOutOfMemoryError,
    DocumentTimeoutError,
    ErrorCode,
    Method,
)
from tests.conftest import ROOT
from tests.misbehaving import EVERY_PLUGIN
from tests.unit.extractors.test_text_layer import INVOICE_LINES, make_pdf

OPTIONS = ExtractOptions(ocr_languages="eng", ocr_workers=1, plugins=EVERY_PLUGIN)


@pytest.fixture(scope="module")
def reader() -> Iterator[DocumentReader]:
    reader = DocumentReader()
    yield reader
    reader.close()


def invoice(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(make_pdf([INVOICE_LINES]))
    return path


def assert_reads(reader: DocumentReader, folder: Path) -> None:
    """The reader still reads a good document (in a fresh process after a failure)."""
    extraction = reader.read(invoice(folder, "good.pdf"), OPTIONS)
    assert extraction.error is None and extraction.method is Method.TEXT
    assert extraction.fields.invoice_number is not None


def test_a_document_is_read_in_another_process(reader: DocumentReader, tmp_path: Path) -> None:
    assert_reads(reader, tmp_path)
    (process,) = reader._idle
    assert process.process.pid is not None and process.process.is_alive()


def test_a_hang_is_killed_at_the_hard_limit(reader: DocumentReader, tmp_path: Path) -> None:
    options = replace(OPTIONS, timeout_s=0.5)

    with pytest.raises(DocumentTimeoutError) as raised:
        reader.read(invoice(tmp_path, "hang.pdf"), options)

    assert raised.value.code is ErrorCode.TIMEOUT
    assert raised.value.limit_s == options.hard_limit_s
    assert "hung" in raised.value.reason
    assert_reads(reader, tmp_path)


def test_a_segfault_is_a_crash(reader: DocumentReader, tmp_path: Path) -> None:
    with pytest.raises(DocumentCrashedError) as raised:
        reader.read(invoice(tmp_path, "segfault.pdf"), OPTIONS)

    assert raised.value.code is ErrorCode.CRASHED
    assert raised.value.exit_code == -signal.SIGSEGV
    assert "SIGSEGV" in raised.value.reason
    assert_reads(reader, tmp_path)


def test_an_allocation_beyond_the_cap_is_out_of_memory(
    reader: DocumentReader, tmp_path: Path
) -> None:
    # The same small cap reads a good document: only the 8 GB allocation goes over it.
    options = replace(OPTIONS, memory_mb=1536)
    assert reader.read(invoice(tmp_path, "good.pdf"), options).error is None

    with pytest.raises(DocumentOutOfMemoryError) as raised:
        reader.read(invoice(tmp_path, "allocate.pdf"), options)

    assert raised.value.code is ErrorCode.OUT_OF_MEMORY
    assert raised.value.limit_mb == 1536
    assert_reads(reader, tmp_path)


def test_a_defect_is_an_unreadable_result(reader: DocumentReader, tmp_path: Path) -> None:
    extraction = reader.read(invoice(tmp_path, "defect.pdf"), OPTIONS)

    assert extraction.error is not None and extraction.error.code is ErrorCode.UNREADABLE
    assert "ZeroDivisionError('a bug')" in extraction.error.message


def test_a_missing_ocr_language_is_a_setup_error(reader: DocumentReader, tmp_path: Path) -> None:
    scan = tmp_path / "scan.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    options = replace(OPTIONS, ocr_languages="eng+xyz")

    with pytest.raises(SetupError) as raised:
        reader.read(scan, options)

    assert raised.value.code is ErrorCode.OCR_UNAVAILABLE
    assert raised.value.code.transient
    assert "tesseract-ocr-xyz" in raised.value.reason


def test_a_plugin_that_cannot_be_imported_is_named() -> None:
    with pytest.raises(ExtractorPluginError, match="no_such_module"):
        extractor_chain(ExtractOptions(plugins=("no_such_module:Extractor",)))


def test_plugins_come_before_the_built_in_extractors() -> None:
    chain = extractor_chain(ExtractOptions(plugins=("tests.misbehaving:Hang",)))

    assert [extractor.name for extractor in chain] == ["hang", "einvoice", "text", "ocr"]


def test_a_process_killed_while_idle_is_replaced(reader: DocumentReader, tmp_path: Path) -> None:
    assert_reads(reader, tmp_path)
    for idle in reader._idle:
        idle.process.kill()
        idle.process.join()

    assert_reads(reader, tmp_path)


def test_a_started_reader_has_its_fork_server_before_the_first_document() -> None:
    # In a fresh interpreter: this test process's fork server may be running already.
    script = (
        "import os, pathlib, time\n"
        "from extractors.isolation import DocumentReader\n"
        "DocumentReader().start()\n"
        "children = pathlib.Path(f'/proc/{os.getpid()}/task/{os.getpid()}/children')\n"
        "def cmdlines():\n"
        "    return [pathlib.Path(f'/proc/{pid}/cmdline').read_bytes().replace(b'\\0', b' ')\n"
        "            for pid in children.read_text().split()]\n"
        "# A child forked but not yet executing has no command line for a moment.\n"
        "for _ in range(100):\n"
        "    if all(cmdlines()):\n"
        "        break\n"
        "    time.sleep(0.05)\n"
        "for line in cmdlines():\n"
        "    print(line)\n"
    )
    started = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "multiprocessing.forkserver" in started.stdout
