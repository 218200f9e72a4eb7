"""Tesseract in-process (libtesseract through tesserocr), its language models loaded once.

The tesseract command line loads the fra+eng+deu models for every page: 0.2-0.37 s of a
200-dpi page's 1-1.5 s. Here each loaded ``PyTessBaseAPI`` is kept in a pool and lent to one
thread at a time (tesserocr releases the GIL while it recognises, so the OCR workers run in
parallel); the pool outlives the worker threads, so the next document finds its models loaded.

The words are those of ``pytesseract.image_to_data`` (tesseract's TSV): each level-5 word with
its text, box and confidence (0-100, as tesseract's ``Confidence(RIL_WORD)``). Where tesserocr
cannot be imported or the language models do not load, ``available`` says so and the caller
falls back to the command line.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PIL import Image

from extractors.base import Deadline, Word
from invoicebot.model import DocumentError, ErrorCode

logger = logging.getLogger(__name__)

# Where Debian's tesseract-ocr packages put the models, when nothing says otherwise.
DEBIAN_TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
# A recognition that stops this close to the deadline stopped at the timeout it was given.
TIMEOUT_SLACK_S = 0.05


class TessdataUnavailableError(RuntimeError):
    """libtesseract could not load the language models ``languages`` from ``path``."""

    def __init__(self, languages: str, path: str, reason: str) -> None:
        super().__init__(f"cannot load tesseract models {languages} from {path}: {reason}")
        self.languages = languages
        self.path = path
        self.reason = reason


class TesseractApi:
    """Reads page images with libtesseract: per language set, a pool of loaded APIs, each
    used by one thread at a time (as many as pages were ever read at once)."""

    name = "tesseract-api"

    def __init__(self, page_segmentation_mode: int) -> None:
        self.page_segmentation_mode = page_segmentation_mode
        self._lock = threading.Lock()
        self._idle: dict[str, list[Any]] = {}
        self._failed: set[str] = set()

    def available(self, languages: str) -> bool:
        """Return True unless tesserocr is missing or ``languages`` failed to load before."""
        return (
            _tesserocr() is not None
            and tessdata_path() is not None
            and (languages not in self._failed)
        )

    def installed_languages(self) -> frozenset[str]:
        """Return the languages of the models in the tessdata folder (none without tesserocr)."""
        tesserocr, path = _tesserocr(), tessdata_path()
        if tesserocr is None or path is None:
            return frozenset()
        _, languages = tesserocr.get_languages(f"{path}{os.sep}")
        return frozenset(languages)

    def read_words(
        self, image: Image.Image, languages: str, deadline: Deadline, *, mode: int | None = None
    ) -> list[Word]:
        """Return the words tesseract reads on ``image`` (grayscale), positions in pixels;
        ``mode``: a page segmentation mode other than the API's own, for this image only.

        Raises ``TessdataUnavailableError`` when the models do not load, and the deadline's
        error when recognition is cut short by it.
        """
        tesserocr = _tesserocr()
        image = image if image.mode == "L" else image.convert("L")
        data = image.tobytes()
        with self._api(languages) as api:
            try:
                if mode is not None:
                    api.SetPageSegMode(mode)
                api.SetImageBytes(data, image.width, image.height, 1, image.width)
                # libtesseract stops recognising at this timeout (its ETEXT_DESC deadline). It
                # looks at it between words only, not during the page's layout analysis (0.2 s
                # on a dense 300-dpi page): the reading process's hard limit covers the rest.
                timeout_ms = max(1, int(deadline.remaining() * 1000))
                if not api.Recognize(timeout=timeout_ms):
                    if deadline.at - time.monotonic() < TIMEOUT_SLACK_S:
                        raise deadline.expired()
                    raise DocumentError(
                        deadline.source, ErrorCode.UNREADABLE, "tesseract could not read the page"
                    )
                return list(_words(api, tesserocr))
            finally:
                api.Clear()
                api.SetPageSegMode(self.page_segmentation_mode)

    @contextmanager
    def _api(self, languages: str) -> Iterator[Any]:
        """Lend a loaded API for ``languages`` to this thread, loading one if none is idle."""
        with self._lock:
            idle = self._idle.setdefault(languages, [])
            api = idle.pop() if idle else None
        if api is None:
            api = self._load(languages)
        try:
            yield api
        finally:
            with self._lock:
                self._idle[languages].append(api)

    def _load(self, languages: str) -> Any:
        tesserocr = _tesserocr()
        path = tessdata_path()
        if tesserocr is None or path is None:
            raise TessdataUnavailableError(languages, str(path), "tesserocr is not available")
        try:
            return tesserocr.PyTessBaseAPI(
                path=f"{path}{os.sep}",
                lang=languages,
                psm=self.page_segmentation_mode,
            )
        except RuntimeError as error:
            with self._lock:
                self._failed.add(languages)
            raise TessdataUnavailableError(languages, str(path), str(error)) from error


def _words(api: Any, tesserocr: Any) -> Iterator[Word]:
    """Yield the recognised words, as tesseract's TSV lists them at level 5."""
    level = tesserocr.RIL.WORD
    iterator = api.GetIterator()
    if iterator is None:
        return
    for word in tesserocr.iterate_level(iterator, level):
        if word.Empty(level):
            continue
        text = (word.GetUTF8Text(level) or "").strip()
        box = word.BoundingBox(level)
        confidence = float(word.Confidence(level))
        if not text or box is None or confidence < 0:
            continue
        left, top, right, bottom = box
        yield Word(
            text=text,
            x0=float(left),
            top=float(top),
            x1=float(right),
            bottom=float(bottom),
            confidence=confidence / 100,
        )


@functools.cache
def _tesserocr() -> Any:
    """Return the tesserocr module, or None (logged) where it cannot be imported."""
    # One OpenMP thread per page, as for the command line (PERFORMANCE_NOTES.md): set before
    # libtesseract loads; setdefault keeps a limit the operator chose.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        # Imported when first used: an optional speed-up without which the CLI is used.
        return importlib.import_module("tesserocr")
    except ImportError as error:
        logger.warning("tesserocr cannot be imported (%s): tesseract runs as a subprocess", error)
        return None


@functools.cache
def tessdata_path() -> Path | None:
    """Return the folder of tesseract's language models: ``TESSDATA_PREFIX``, else the one
    ``tesseract --list-langs`` names, else Debian's; None (logged) when none exists."""
    candidates: list[Path] = []
    prefix = os.environ.get("TESSDATA_PREFIX")
    if prefix:
        candidates += [Path(prefix), Path(prefix) / "tessdata"]
    listed = _listed_tessdata()
    if listed is not None:
        candidates.append(listed)
    candidates.append(DEBIAN_TESSDATA)
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.traineddata")):
            return candidate
    logger.warning(
        "no tesseract language models found in %s: tesseract runs as a subprocess",
        ", ".join(map(str, candidates)),
    )
    return None


def _listed_tessdata() -> Path | None:
    """Return the folder ``tesseract --list-langs`` reads its models from, if it says."""
    command = shutil.which("tesseract")
    if command is None:
        return None
    try:
        listing = subprocess.run(
            [command, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'languages in "([^"]+)"', listing.stdout + listing.stderr)
    return Path(found.group(1)) if found else None
