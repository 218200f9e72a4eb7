"""A party's name read by two OCR engines: where they differ by a letter, the surer engine's.

Tesseract keeps the spaces between words that names are found by; RapidOCR reads letters
better on poor photos but glues words together ("HOME MASTER HARDWARE&"). When the second
engine's text holds the first's name with one or two letters read otherwise, each such
letter is taken from the engine whose word was read with more confidence: "ROME MASTER
HARDWARE &" becomes "HOME MASTER HARDWARE &", "MR. D.I.Y. SON BHD" "MR. D.I.Y. SDN BHD".
Only letter for letter, and not for an accent: a digit for a letter ("L0T" for "LOT") and
a letter stripped of its accent ("Gebaudeservice") are the second engine's commonest
mistakes, and a name with other differences is not the same stretch of text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from extractors.base import PageWords
from extractors.normalize import fold_text

# At most this many letters, and one per this many characters of the name, are replaced:
# more differences mean the two texts are not the same name.
MAX_LETTER_FIXES = 2
CHARACTERS_PER_FIX = 8


@dataclass(frozen=True)
class _Characters:
    """An engine's text without spaces, with the confidence of each character's word."""

    text: str
    confidences: tuple[float, ...]


def voted_name(name: str, first: Sequence[PageWords], second: Sequence[PageWords]) -> str:
    """Return ``name`` (read from the ``first`` engine's words) with the letters the
    ``second`` engine read differently, and more surely, in their place."""
    squeezed = "".join(name.split())
    mine, theirs = _characters(first), _characters(second)
    start = mine.text.find(squeezed)
    limit = min(MAX_LETTER_FIXES, len(squeezed) // CHARACTERS_PER_FIX)
    if start < 0 or limit == 0 or squeezed in theirs.text:
        return name
    match = _closest(squeezed, theirs.text, limit)
    if match is None:
        return name
    fixed = list(squeezed)
    for offset, (own, other) in enumerate(zip(squeezed, theirs.text[match:], strict=False)):
        own_sure = mine.confidences[start + offset]
        other_sure = theirs.confidences[match + offset]
        if fold_text(own) != fold_text(other) and other_sure > own_sure:
            fixed[offset] = other
    letters = iter(fixed)
    return "".join(char if char.isspace() else next(letters) for char in name)


def _characters(pages: Sequence[PageWords]) -> _Characters:
    text: list[str] = []
    confidences: list[float] = []
    for page in pages:
        for word in page.words:
            squeezed = "".join(word.text.split())
            text.append(squeezed)
            confidences.extend([word.confidence] * len(squeezed))
    return _Characters("".join(text), tuple(confidences))


def _closest(squeezed: str, text: str, limit: int) -> int | None:
    """Return where ``text`` holds ``squeezed`` with the fewest letters read otherwise (one
    at least, at most ``limit``, each a letter for a letter), or None."""
    best: tuple[int, int] | None = None
    size = len(squeezed)
    for start in range(len(text) - size + 1):
        window = text[start : start + size]
        differences = 0
        for own, other in zip(squeezed, window, strict=True):
            if own == other:
                continue
            if not (own.isalpha() and other.isalpha()):
                differences = limit + 1
            differences += 1
            if differences > limit:
                break
        if 0 < differences <= limit and (best is None or differences < best[0]):
            best = (differences, start)
    return None if best is None else best[1]
