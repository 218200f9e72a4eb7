"""Each document read in a process of its own, with a hard wall-clock limit and a memory cap.

``DocumentReader.read`` hands a document to a reading process and waits at most
``ExtractOptions.hard_limit_s``; the process runs ``extract_document`` under an address-space
cap (``RLIMIT_AS``, ``ExtractOptions.memory_mb``). A reading process that does not answer in
time is killed (``DocumentTimeoutError``), one that dies (a segfault in PDFium or tesseract) is
``DocumentCrashedError``, one that runs out of memory ``DocumentOutOfMemoryError``; either way a
fresh process takes its place and the other documents go on. The cooperative time limit
(``ExtractOptions.timeout_s``) still applies inside the process, so a slow document normally
ends as a ``timeout`` result before the hard limit.

The reading processes are started by a fork server (PDFium and tesseract are not fork-safe once
threads run: the server forks from a clean, single-threaded process that has imported the
extractors and read a made-up page) and kept between documents, so tesseract's language models
stay loaded in each; a process is replaced after ``DOCUMENTS_PER_PROCESS`` documents to bound
leaks.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import multiprocessing
import resource
import signal
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path

from extractors.base import ExtractOptions
from invoicebot.model import (
    DocumentCrashedError,
    DocumentOutOfMemoryError,
    DocumentTimeoutError,
    ErrorCode,
    Extraction,
    ExtractionFailure,
    InvoiceError,
)

logger = logging.getLogger(__name__)

# A reading process is replaced after this many documents (as ``max_tasks_per_child``).
DOCUMENTS_PER_PROCESS = 200
# Imported once by the fork server, so that each reading process starts with them loaded and
# with the field finder's caches full (``extractors.warm_reading``: 1.5 s of CPU a process).
PRELOADED_MODULES = ["extractors", "extractors.isolation", "extractors.warm_reading"]
MEBIBYTE = 1024 * 1024


class SetupError(InvoiceError):
    """Reading failed for a cause outside the document (a missing OCR language model, an
    invalid supplier template): another run, once the cause is fixed, may read it."""

    def __init__(self, source: str, code: ErrorCode, reason: str) -> None:
        super().__init__(f"{source}: {code.value}: {reason}")
        self.source = source
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class ReadRequest:
    """What a reading process is asked: one document and how to read it."""

    path: Path
    source: str
    options: ExtractOptions
    # The file's bytes as the batch read them when it claimed the file (None: read the path).
    data: bytes | None = None
    # One extraction per invoice the file holds (``extract_invoices``), not one for the file.
    split: bool = False


@dataclass(frozen=True)
class ReadReply:
    """A reading process's answer: the extraction, or why there is none.

    ``setup_error`` is a setup problem (``SetupError``); ``out_of_memory`` says the process hit
    its cap (it is replaced, its heap may be in pieces).
    """

    extraction: Extraction | None = None
    setup_error: tuple[ErrorCode, str] | None = None
    out_of_memory: str | None = None
    # Every invoice's extraction, ``extraction`` the first, when the request was split.
    invoices: tuple[Extraction, ...] = ()


class DocumentReader:
    """Reads documents in reading processes, one document per process at a time.

    Thread-safe: each calling thread borrows an idle process (a new one when none is idle), so
    there are as many processes as documents were ever read at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[_ReadingProcess] = []
        self._context: ForkServerContext | None = None

    def read(
        self,
        path: Path,
        options: ExtractOptions,
        *,
        source: str | None = None,
        data: bytes | None = None,
    ) -> Extraction:
        """Return ``extract_document(path, options)`` as computed in a reading process.

        Raises ``DocumentTimeoutError``, ``DocumentCrashedError`` or ``DocumentOutOfMemoryError``
        when the process hangs past ``options.hard_limit_s``, dies, or exceeds
        ``options.memory_mb``; ``SetupError`` for a cause outside the document.
        """
        source = str(path) if source is None else source
        request = ReadRequest(path=path, source=source, options=options, data=data)
        return self._ask(request)[0]

    def read_invoices(
        self,
        path: Path,
        options: ExtractOptions,
        *,
        source: str | None = None,
        data: bytes | None = None,
    ) -> list[Extraction]:
        """Return ``extract_invoices(path, options)`` (one extraction per invoice the file
        holds) as computed in a reading process; raises as ``read``."""
        source = str(path) if source is None else source
        request = ReadRequest(path=path, source=source, options=options, data=data, split=True)
        return self._ask(request)

    def _ask(self, request: ReadRequest) -> list[Extraction]:
        """Return the extractions a reading process answers (one per invoice when the request
        is split), or raise (``read``)."""
        source, options = request.source, request.options
        with self._process(options.memory_mb) as process:
            reply = process.ask(request, options.hard_limit_s)
        if reply.out_of_memory is not None:
            raise DocumentOutOfMemoryError(source, options.memory_mb, reply.out_of_memory)
        if reply.setup_error is not None:
            code, reason = reply.setup_error
            raise SetupError(source, code, reason)
        if reply.extraction is None:  # a reply always carries one of the three
            raise DocumentCrashedError(source, None, "the reading process gave no answer")
        return list(reply.invoices) or [reply.extraction]

    def start(self) -> None:
        """Start the fork server now rather than at the first document: its imports and
        warm-up take seconds of one core, which then overlap with what the caller does."""
        with self._lock:
            self._fork_server()
        forkserver.ensure_running()

    def close(self) -> None:
        """Stop the idle reading processes."""
        with self._lock:
            idle, self._idle = self._idle, []
        for process in idle:
            process.stop()

    @contextmanager
    def _process(self, memory_mb: int) -> Iterator[_ReadingProcess]:
        with self._lock:
            # A process that died while idle (killed from outside) must not fail a document.
            dead = [p for p in self._idle if not p.process.is_alive()]
            self._idle = [p for p in self._idle if p not in dead]
            match = next((p for p in self._idle if p.memory_mb == memory_mb), None)
            if match is not None:
                self._idle.remove(match)
            context = self._fork_server()
        for process in dead:
            process.kill()
        process = match if match is not None else _ReadingProcess.start(context, memory_mb)
        try:
            yield process
        finally:
            if process.reusable():
                with self._lock:
                    self._idle.append(process)
            else:
                process.stop()

    def _fork_server(self) -> ForkServerContext:
        if self._context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOADED_MODULES)
            self._context = context
        return self._context


class _ReadingProcess:
    """One reading process and the parent's end of its pipe."""

    def __init__(self, process: BaseProcess, connection: Connection, memory_mb: int) -> None:
        self.process = process
        self.connection = connection
        self.memory_mb = memory_mb
        self.served = 0
        self.broken = False
        # A request sent whose reply was not received (the asking thread was interrupted):
        # the process must not serve anyone else, its next reply would be that one.
        self.pending = False

    @classmethod
    def start(cls, context: ForkServerContext, memory_mb: int) -> _ReadingProcess:
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=serve, args=(theirs, memory_mb), name="invoicebot-reader", daemon=True
        )
        process.start()
        theirs.close()
        return cls(process, ours, memory_mb)

    def ask(self, request: ReadRequest, limit_s: float) -> ReadReply:
        """Return the process's reply to ``request``, or raise when it hangs or dies."""
        self.served += 1
        self.pending = True
        try:
            self.connection.send(request)
            if not self.connection.poll(limit_s):
                self.broken = True
                self.kill()
                raise DocumentTimeoutError(request.source, limit_s)
            reply: ReadReply = self.connection.recv()
        except (EOFError, OSError) as error:
            self.broken = True
            raise self._death(request.source) from error
        self.pending = False
        if reply.out_of_memory is not None:
            self.broken = True
        return reply

    def reusable(self) -> bool:
        """Return True when the process may read another document."""
        return (
            not self.broken
            and not self.pending
            and self.served < DOCUMENTS_PER_PROCESS
            and self.process.is_alive()
        )

    def kill(self) -> None:
        """Kill the process at once and reap it."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()

    def stop(self) -> None:
        """Ask the process to end, killing it if it does not within a few seconds."""
        if self.process.is_alive() and not self.broken and not self.pending:
            # Already gone (OSError): kill() below reaps it.
            with contextlib.suppress(OSError):
                self.connection.send(None)
            self.process.join(timeout=5)
        self.kill()

    def _death(self, source: str) -> DocumentCrashedError | DocumentOutOfMemoryError:
        self.process.join(timeout=5)
        self.connection.close()
        code = self.process.exitcode
        if code is not None and code < 0:
            name = _signal_name(-code)
            if -code == signal.SIGKILL:
                # Not our kill (that is a timeout): the kernel's out-of-memory killer, most
                # likely, when the machine ran out of memory before the cap.
                return DocumentOutOfMemoryError(
                    source, self.memory_mb, f"killed by {name}, by the kernel's OOM killer likely"
                )
            return DocumentCrashedError(source, code, f"the reading process died of {name}")
        return DocumentCrashedError(
            source, code, f"the reading process exited with code {code} while reading"
        )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def serve(connection: Connection, memory_mb: int) -> None:
    """Run in a reading process: answer ``ReadRequest``s until ``None`` or the pipe closes."""
    limit_memory(memory_mb)
    # Imported here: the fork server has already loaded it.
    from extractors import extract_document, extract_invoices

    while True:
        try:
            request: ReadRequest | None = connection.recv()
        except EOFError:
            return
        if request is None:
            return
        extract = extract_invoices if request.split else extract_document
        connection.send(answer(request, extract))


def answer(
    request: ReadRequest, extract: Callable[..., Extraction | list[Extraction]]
) -> ReadReply:
    """Return the reply to ``request``: bad documents are error results, as in-process.

    ``extract`` gives one extraction (``extract_document``) or one per invoice
    (``extract_invoices``)."""
    from extractors.ocr import OcrEngineUnavailableError
    from extractors.templates import TemplateError

    try:
        given = {} if request.data is None else {"data": request.data}
        read = extract(request.path, request.options, source=request.source, **given)
        if isinstance(read, list):
            return ReadReply(extraction=read[0], invoices=tuple(read))
        return ReadReply(extraction=read)
    except MemoryError as error:
        return ReadReply(out_of_memory=f"MemoryError {error}".strip())
    except OcrEngineUnavailableError as error:
        return ReadReply(setup_error=(ErrorCode.OCR_UNAVAILABLE, error.reason))
    except TemplateError as error:
        return ReadReply(setup_error=(ErrorCode.BAD_TEMPLATE, str(error)))
    except Exception as defect:
        # A defect in an extractor: one defective document must not stop the batch nor be
        # lost. It is quarantined with the defect as its reason, its trace logged here.
        logger.error("reading %s failed:\n%s", request.source, traceback.format_exc())
        return ReadReply(
            extraction=Extraction(
                source=request.source,
                sha256="",
                error=ExtractionFailure(
                    code=ErrorCode.UNREADABLE,
                    message=f"internal error while reading the document: {defect!r}",
                ),
            )
        )


def limit_memory(memory_mb: int) -> None:
    """Cap this process's address space at ``memory_mb``: allocations beyond fail."""
    limit = memory_mb * MEBIBYTE
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


@functools.cache
def shared_reader() -> DocumentReader:
    """Return the process's one ``DocumentReader`` (its reading processes are shared)."""
    return DocumentReader()
