"""Hand-built pages of positioned words, shared by the tests of the readers."""

from __future__ import annotations

from extractors.base import PageWords, Word

# Hand-built pages: 10 pt words, 5 pt per character, one 3 pt space between words.
CHAR_WIDTH = 5.0
SPACE = 3.0
HEIGHT = 10.0


def words_at(x: float, y: float, text: str, confidence: float = 1.0) -> list[Word]:
    """Return the words of ``text`` set from ``x`` on the baseline band at ``y``."""
    words = []
    for token in text.split():
        width = CHAR_WIDTH * len(token)
        words.append(
            Word(text=token, x0=x, top=y, x1=x + width, bottom=y + HEIGHT, confidence=confidence)
        )
        x += width + SPACE
    return words


def page(*pieces: tuple[float, float, str], number: int = 1, ocr: float | None = None) -> PageWords:
    """Return a page made of ``(x, y, text)`` pieces; ``ocr`` gives every word a confidence."""
    words = [word for x, y, text in pieces for word in words_at(x, y, text, ocr or 1.0)]
    return PageWords(
        number=number,
        width=595,
        height=842,
        method="ocr" if ocr is not None else "text",
        words=words,
    )
