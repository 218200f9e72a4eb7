"""OCR engines behind one protocol: each reads a page image into positioned words.

Tesseract (in ``extractors.ocr``) reads every page; RapidOCR (PP-OCR models run by ONNX Runtime
on the CPU) is the second reader, for pages tesseract reads poorly. Measured on 40 real
receipt photos (PERFORMANCE_NOTES.md), RapidOCR's raw text held the total on 38 where
tesseract's held it on 27, while on clean French pages it drops accents and spaces.

RapidOCR is an optional dependency: where it is not installed the second reading is skipped.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import threading
from typing import Any, Protocol

import numpy as np
from PIL import Image

from extractors.base import Deadline, Word

logger = logging.getLogger(__name__)

# Text lines RapidOCR is less sure of than this are dropped (its own default is 0.5).
RAPIDOCR_MIN_SCORE = 0.5
RAPIDOCR_THREADS = 1


class OcrEngine(Protocol):
    """Reads the words of one prepared (grayscale, upright) page image."""

    name: str

    def available(self) -> bool:
        """Return True when the engine can run on this machine."""
        ...

    def read_words(self, image: Image.Image, languages: str, deadline: Deadline) -> list[Word]:
        """Return the words on ``image``, positions in pixels, confidences from 0 to 1."""
        ...


class RapidOcrEngine:
    """RapidOCR: text lines found and read by PP-OCR's detection and recognition models.

    It reads lines, not words: a line is split at its spaces and each word given the share of
    the line's box its characters take. ``languages`` is ignored (one Latin+CJK model).
    """

    name = "rapidocr"

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def available(self) -> bool:
        """Return True when ``rapidocr_onnxruntime`` is installed."""
        return _rapidocr_installed()

    def read_words(self, image: Image.Image, languages: str, deadline: Deadline) -> list[Word]:
        """Return the words of ``image``, from RapidOCR's text lines."""
        deadline.remaining()
        pixels = np.asarray(image.convert("RGB"))[:, :, ::-1]  # RapidOCR takes OpenCV's BGR
        # One ONNX session serves every thread; it runs one page at a time.
        with self._lock:
            deadline.remaining()
            result, _ = _rapidocr()(pixels)
        words: list[Word] = []
        for box, text, score in result or []:
            if float(score) >= RAPIDOCR_MIN_SCORE:
                words.extend(_line_words(box, str(text), float(score)))
        return words


def _line_words(box: Any, text: str, score: float) -> list[Word]:
    """Return the words of one text line, each with its share of the line's box."""
    xs = [float(point[0]) for point in box]
    ys = [float(point[1]) for point in box]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    stripped = text.strip()
    if not stripped:
        return []
    width_per_char = (right - left) / len(text)
    words = []
    offset = 0
    for part in text.split(" "):
        if part:
            words.append(
                Word(
                    text=part,
                    x0=left + offset * width_per_char,
                    top=top,
                    x1=left + (offset + len(part)) * width_per_char,
                    bottom=bottom,
                    confidence=score,
                )
            )
        offset += len(part) + 1
    return words


@functools.cache
def _rapidocr_installed() -> bool:
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


@functools.cache
def _rapidocr() -> Any:
    """Return the RapidOCR reader, loaded once (its models take about a second to load)."""
    # An optional dependency without type hints, imported when first used. One ONNX Runtime
    # thread, as tesseract has one: the batch gives each document a core, and on a 200-dpi
    # photo ONNX Runtime's default threads (one per core, spinning while they wait) spent
    # 8.2 s of CPU where one thread spends 4.7 s, for the same lines read.
    return importlib.import_module("rapidocr_onnxruntime").RapidOCR(
        intra_op_num_threads=RAPIDOCR_THREADS, inter_op_num_threads=RAPIDOCR_THREADS
    )
