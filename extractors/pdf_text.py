"""The PDF text layer: PDFium's characters grouped into positioned words, one pass per page.

A page without usable text (a scan, or glyphs with no Unicode mapping) reads as None here;
``extractors.page_source`` has it OCR'd.

Words are made the way pdfplumber's ``extract_words`` made them (characters clustered into
lines, sorted left to right, split at spaces and at gaps), from PDFium's characters rather than
pdfminer's: on the sample text PDFs pdfplumber's words took 42 ms of CPU a page of the 53 ms
the whole extraction took, PDFium's take 9 ms. A character's box is the one pdfminer gave:
its advance across, and from its font's descent below the baseline one font size (an em) up,
which is what the row and gap thresholds of the field finder were measured with. On the 171
pages of the ZUGFeRD, invoice2data and sample PDFs the words are the same on 145, and the fields
and lines read from them the same but two better (a due date, a line's quantity and price):
glyphs drawn twice for a bold look are read once, a space drawn over a digit no longer splits
a number, a euro sign has its width; sideways margin notes split into fewer words.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pypdfium2
import pypdfium2.raw as pdfium_c

from extractors.base import Deadline, PageWords, Word
from extractors.letter_spacing import join_letter_spaced
from extractors.pdfium import open_pdf
from invoicebot.model import DocumentError, ErrorCode

logger = logging.getLogger(__name__)

# A page is read from its text layer when it holds at least this many letters and digits (of
# the 171 pages of the ZUGFeRD, invoice2data and sample PDFs, scans hold none and the sparsest
# text page 55)...
MIN_ALNUM_CHARS = 20
# ...and at most this share of its characters are unmapped glyphs: U+FFFD (what a font without
# a Unicode map gives here), "(cid:12)" (what pdfminer gives), private-use or control characters.
MAX_GARBAGE_SHARE = 0.2

# Measured on the ZUGFeRD and invoice2data pages: a word gap tolerance of 3 pt glues words set
# with narrow spaces ("88802Spielkreis", "RechnungssummeohneUSt."); 1 pt splits kerned words and
# lost 4 invoice numbers and 5 dates of 71; 1.5 pt does neither. Characters whose tops are
# within 3 pt are on one line.
X_TOLERANCE = 1.5
Y_TOLERANCE = 3.0

CID_GLYPH = re.compile(r"\(cid:\d+\)")
GARBAGE_CATEGORIES = frozenset({"Co", "Cc", "Cs", "Cn"})
UNMAPPED_GLYPH = "\ufffd"
LINE_END_HYPHEN = "\ufffe"
SURROGATES = ("\ud800", "\udfff")
# Text is upright, sideways or upside down when its matrix is that close to a right angle.
RIGHT_ANGLE_SLACK = 1e-3
# Ligature glyphs are spelled out, so that "ﬁnal" reads "final".
LIGATURES = {"ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬁ": "fi", "ﬂ": "fl", "ﬆ": "st", "ﬅ": "st"}


class _Char(NamedTuple):
    """A character on the page, in points from the top left of the page as displayed."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    upright: bool


_CharKey = Callable[[_Char], float]


def read_text_pages(
    pdf: bytes, *, source: str = "<pdf>", deadline: Deadline | None = None
) -> list[PageWords | None]:
    """Return each page's words from the text layer, None for a page without usable text.

    Raises ``DocumentError``: ``encrypted`` when a password is needed, ``unreadable`` when the
    PDF cannot be parsed, ``timeout`` when ``deadline`` passes.
    """
    with open_pdf(pdf, source=source) as document:
        if len(document) == 0:
            raise DocumentError(source, ErrorCode.UNREADABLE, "the PDF has no readable page")
        pages: list[PageWords | None] = []
        for index in range(len(document)):
            if deadline is not None:
                deadline.remaining()
            page = document[index]
            try:
                pages.append(_page_words(page, index + 1))
            finally:
                page.close()
        return pages


def is_usable_text(words: Sequence[Word]) -> bool:
    """Return True when ``words`` are real text rather than an empty or garbled layer."""
    text = "".join(word.text for word in words)
    unmapped_glyphs = CID_GLYPH.findall(text)
    characters = CID_GLYPH.sub("", text)
    if sum(char.isalnum() for char in characters) < MIN_ALNUM_CHARS:
        return False
    garbage = sum(len(glyph) for glyph in unmapped_glyphs) + sum(
        unicodedata.category(char) in GARBAGE_CATEGORIES or char == UNMAPPED_GLYPH
        for char in characters
    )
    return garbage <= MAX_GARBAGE_SHARE * len(text)


def _page_words(page: pypdfium2.PdfPage, number: int) -> PageWords | None:
    """Return the page's words, or None when its text is not usable."""
    frame = _PageFrame.of(page)
    textpage = page.get_textpage()
    try:
        chars = list(_page_chars(textpage, frame))
    finally:
        textpage.close()
    # Made without validation: the text is a str and the edges are floats, PDFium's read
    # into Python; validating the few hundred words of a page cost a twentieth of it.
    words = join_letter_spaced(
        [
            Word.model_construct(text=text, x0=x0, top=top, x1=x1, bottom=bottom)
            for text, x0, top, x1, bottom in _words(chars)
            if text.strip()
        ]
    )
    if not is_usable_text(words):
        return None
    return PageWords(
        number=number, width=frame.width, height=frame.height, method="text", words=words
    )


@dataclass(frozen=True)
class _PageFrame:
    """How PDF user space maps to the page as displayed: turned by ``rotation`` degrees
    clockwise, origin at the top left of the visible box (``left``, ``bottom``, ``right``,
    ``top``, in user space)."""

    left: float
    bottom: float
    right: float
    top: float
    rotation: int

    @classmethod
    def of(cls, page: pypdfium2.PdfPage) -> _PageFrame:
        left, bottom, right, top = page.get_bbox()
        return cls(left, bottom, right, top, page.get_rotation())

    @property
    def width(self) -> float:
        across = self.right - self.left if self.rotation in (0, 180) else self.top - self.bottom
        return float(across)

    @property
    def height(self) -> float:
        down = self.top - self.bottom if self.rotation in (0, 180) else self.right - self.left
        return float(down)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        """Return the user-space box as ``(x0, top, x1, bottom)`` on the displayed page."""
        if self.rotation == 90:
            return y0 - self.bottom, x0 - self.left, y1 - self.bottom, x1 - self.left
        if self.rotation == 180:
            return self.right - x1, y0 - self.bottom, self.right - x0, y1 - self.bottom
        if self.rotation == 270:
            return self.top - y1, self.right - x1, self.top - y0, self.right - x0
        return x0 - self.left, self.top - y1, x1 - self.left, self.top - y0

    def upright(self, matrix: pdfium_c.FS_MATRIX) -> bool:
        """Return True when text drawn with ``matrix`` reads left to right on the page as
        displayed (pdfminer's test, on the matrix turned with the page)."""
        a, b, c, d = matrix.a, matrix.b, matrix.c, matrix.d
        if self.rotation in (90, 270):
            a, b, c, d = b, -a, d, -c
        return bool(a * d > 0 and b * c <= 0)


def _page_chars(textpage: pypdfium2.PdfTextPage, frame: _PageFrame) -> Iterator[_Char]:
    """Yield the characters drawn on the page, leaving out the spaces and line breaks PDFium
    adds between them; an unmapped glyph's text is U+FFFD."""
    count = textpage.count_chars()
    text = _all_text(textpage, count)
    # One buffer for both answers, read in one go: the matrix (a, b, c, d, e, f) and after it
    # the loose box (left, top, right, bottom), PDFium's FS_MATRIX and FS_RECTF.
    floats = (ctypes.c_float * 10)()
    matrix = ctypes.byref(floats)
    rect = ctypes.byref(floats, 6 * ctypes.sizeof(ctypes.c_float))
    read = memoryview(floats).cast("B").cast("f").tolist
    handle = textpage.raw
    box = frame.box
    turned = frame.rotation in (90, 270)
    low, high = SURROGATES
    # The named tuple made by tuple's own constructor: its generated one, called per
    # character, cost a tenth of this loop.
    new_char = tuple.__new__
    for index, char in enumerate(text):
        if char.isspace() and _IS_GENERATED(handle, index) == 1:
            continue
        if low <= char <= high:
            # Half of a character beyond the BMP (an emoji: a phone, a globe) whose other half
            # PDFium loses; pdfminer reads no text there either.
            continue
        if _HAS_UNICODE_MAP_ERROR(handle, index) == 1:
            char = UNMAPPED_GLYPH
        _GET_MATRIX(handle, index, matrix)
        _GET_LOOSE_CHAR_BOX(handle, index, rect)
        size = _GET_FONT_SIZE(handle, index)
        a, b, c, d, _, _, left, top, right, bottom = read()
        em = _em_box(left, bottom, right, top, c * size, d * size)
        # Upright: reads left to right on the page as displayed (``_PageFrame.upright``).
        upright = b * -c > 0 and -a * d <= 0 if turned else a * d > 0 and b * c <= 0
        yield new_char(_Char, (char, *box(*em), upright))


def _unchecked(function: Any, restype: type[Any] = ctypes.c_int) -> Any:
    """Return PDFium's ``function`` without pypdfium2's argument types: called for each of
    a page's few thousand characters, ctypes' conversion of every argument cost more than
    the call. Its callers pass what the C function takes: the handle, an int index and a
    pointer (``ctypes.byref``)."""
    address = ctypes.cast(function, ctypes.c_void_p).value
    bare = type(function)(address)
    bare.restype = restype
    return bare


_IS_GENERATED = _unchecked(pdfium_c.FPDFText_IsGenerated)
_HAS_UNICODE_MAP_ERROR = _unchecked(pdfium_c.FPDFText_HasUnicodeMapError)
_GET_MATRIX = _unchecked(pdfium_c.FPDFText_GetMatrix)
_GET_LOOSE_CHAR_BOX = _unchecked(pdfium_c.FPDFText_GetLooseCharBox)
_GET_FONT_SIZE = _unchecked(pdfium_c.FPDFText_GetFontSize, ctypes.c_double)


def _em_box(
    left: float, bottom: float, right: float, top: float, up_x: float, up_y: float
) -> tuple[float, float, float, float]:
    """Return the loose box (the advance by the font's descent to ascent) cut to one em from
    the descent side, ``(up_x, up_y)`` being the em upwards in user space. Text at an angle
    other than a right one keeps its loose box."""
    if abs(up_x) <= RIGHT_ANGLE_SLACK * abs(up_y):
        return (left, bottom, right, bottom + up_y) if up_y > 0 else (left, top + up_y, right, top)
    if abs(up_y) <= RIGHT_ANGLE_SLACK * abs(up_x):
        return (left, bottom, left + up_x, top) if up_x > 0 else (right + up_x, bottom, right, top)
    return left, bottom, right, top


def _all_text(textpage: pypdfium2.PdfTextPage, count: int) -> str:
    """Return one character per index of ``textpage``, read in one call."""
    buffer = ctypes.create_string_buffer(2 * (count + 1))
    pdfium_c.FPDFText_GetText(
        textpage, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort))
    )
    text = buffer.raw[: 2 * count].decode("utf-16-le", errors="surrogatepass")
    if len(text) != count:
        # A character beyond the BMP took two UTF-16 units: read them one by one.
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, index)) for index in range(count))
    # PDFium marks a hyphen that ends a line with U+FFFE.
    return text.replace(LINE_END_HYPHEN, "-")


def _words(chars: Sequence[_Char]) -> Iterator[tuple[str, float, float, float, float]]:
    """Yield ``(text, x0, top, x1, bottom)`` for each word: pdfplumber's ``extract_words``.

    Runs of upright and of turned characters are taken in turn; upright ones are clustered
    into lines by their tops and read left to right, turned ones into columns by their left
    edges and read top to bottom. A word ends at a space, at a gap wider than
    ``X_TOLERANCE``, or where the next character steps back or off the line.
    """
    for upright, run in itertools.groupby(chars, key=lambda char: char.upright):
        group = list(run)
        if upright:
            lines = _clusters(group, lambda char: char.top, Y_TOLERANCE)
            for line in lines:
                yield from _split_words(sorted(line, key=lambda char: char.x0), upright=True)
        else:
            lines = _clusters(group, lambda char: char.x0, X_TOLERANCE)
            for line in lines:
                ordered = sorted(line, key=lambda char: (char.top, char.bottom))
                yield from _split_words(ordered, upright=False)


def _clusters(chars: Sequence[_Char], key: _CharKey, tolerance: float) -> list[list[_Char]]:
    """Return ``chars`` grouped by ``key``: sorted values no more than ``tolerance`` apart
    chain into one group; groups in ascending order, characters in their original order."""
    values = sorted(set(map(key, chars)))
    cluster_of: dict[float, int] = {}
    cluster = 0
    for previous, value in zip([None, *values], values, strict=False):
        if previous is not None and value > previous + tolerance:
            cluster += 1
        cluster_of[value] = cluster
    groups: list[list[_Char]] = [[] for _ in range(cluster + 1)] if values else []
    for char in chars:
        groups[cluster_of[key(char)]].append(char)
    return groups


def _split_words(
    line: Sequence[_Char], *, upright: bool
) -> Iterator[tuple[str, float, float, float, float]]:
    """Yield the words of one line of characters, in reading order."""
    # Across the line: within X_TOLERANCE; off it: within Y_TOLERANCE (swapped when turned).
    along, off = (X_TOLERANCE, Y_TOLERANCE) if upright else (Y_TOLERANCE, X_TOLERANCE)
    word: list[_Char] = []
    for char in line:
        if char.text.isspace():
            if word:
                yield _merged(word)
            word = []
            continue
        if word:
            last = word[-1]
            if upright:
                starts, ends, begins, offset = last.x0, last.x1, char.x0, char.top - last.top
            else:
                starts, ends, begins, offset = last.top, last.bottom, char.top, char.x0 - last.x0
            if begins < starts or begins > ends + along or abs(offset) > off:
                yield _merged(word)
                word = []
        word.append(char)
    if word:
        yield _merged(word)


def _merged(chars: Sequence[_Char]) -> tuple[str, float, float, float, float]:
    texts, x0s, tops, x1s, bottoms, _ = zip(*chars, strict=True)
    return "".join(texts).translate(_SPELLED_LIGATURES), min(x0s), min(tops), max(x1s), max(bottoms)


_SPELLED_LIGATURES = str.maketrans(LIGATURES)
