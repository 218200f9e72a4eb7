"""The learned field reader: candidates from positioned words, a model, a checked decoding.

``read_fields`` reads the invoice number, dates, totals and party names of one document;
``reader_model`` returns the model shipped in ``trained/`` (None, logged once, when it cannot
be used: the label-based finder's reading then stands alone). ``make train-reader`` rebuilds
the model from the layout-randomised generator's tuning families.
"""

from __future__ import annotations

import logging
import threading

from extractors.reader.candidates import KIND_OF_FIELD
from extractors.reader.model import ReaderModel, ReaderModelError, shipped_reader
from extractors.reader.reading import read_fields

logger = logging.getLogger(__name__)

READER_FIELDS: tuple[str, ...] = tuple(KIND_OF_FIELD)

_warned = threading.Event()


def reader_model() -> ReaderModel | None:
    """Return the shipped reader model, or None (warned once) when it cannot be used."""
    try:
        return shipped_reader()
    except ReaderModelError as error:
        if not _warned.is_set():
            _warned.set()
            logger.warning("the learned field reader is off: %s", error)
        return None


__all__ = ["READER_FIELDS", "ReaderModel", "ReaderModelError", "read_fields", "reader_model"]
