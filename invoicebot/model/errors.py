"""The typed exceptions a document's processing raises, each carrying its error code."""

from __future__ import annotations

from invoicebot.model.codes import ErrorCode


class InvoiceError(Exception):
    """Base class of invoicebot's own errors."""


class DocumentError(InvoiceError):
    """A document could not be read; carries the contract's error code and the reason."""

    def __init__(self, source: str, code: ErrorCode, reason: str) -> None:
        super().__init__(f"{source}: {code.value}: {reason}")
        self.source = source
        self.code = code
        self.reason = reason


class DocumentTimeoutError(DocumentError):
    """The process reading a document did not answer within the hard limit and was killed."""

    def __init__(self, source: str, limit_s: float) -> None:
        super().__init__(
            source,
            ErrorCode.TIMEOUT,
            f"the reading process hung: no answer within the hard limit of {limit_s:g} s, killed",
        )
        self.limit_s = limit_s


class DocumentCrashedError(DocumentError):
    """The process reading a document died; ``exit_code`` is negative for a signal."""

    def __init__(self, source: str, exit_code: int | None, detail: str) -> None:
        super().__init__(source, ErrorCode.CRASHED, detail)
        self.exit_code = exit_code


class DocumentOutOfMemoryError(DocumentError):
    """Reading a document needed more memory than the reading process's cap."""

    def __init__(self, source: str, limit_mb: int, detail: str) -> None:
        super().__init__(
            source, ErrorCode.OUT_OF_MEMORY, f"over the memory cap of {limit_mb} MB ({detail})"
        )
        self.limit_mb = limit_mb
