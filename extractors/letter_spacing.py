"""Letter-spaced words put back together: "R E C H N U N G" reads "RECHNUNG".

Headings and labels are sometimes set letter-spaced (German *Sperrsatz*, or a title spread
across its box). A text layer then gives one word per letter (tesseract joins them itself),
and a label spelled that way is no label at all to the field reader: a number beside it
looks unlabelled.

A run of one-letter words on one line (a letter, maybe with a stop or colon after it, which
ends the run; letters and digits never mixed), the closest two of them at most
``MAX_LETTER_GAP_EM`` of their height apart and none more than ``MAX_WORD_GAP_EM``, holding
at least ``MIN_RUN`` words of which ``MIN_LETTERS`` are letters, is such a word. Within the
run, a gap wider than ``WORD_GAP_FACTOR`` times its narrowest one is a space between two
spaced words ("I n v o i c e   n o ." reads "Invoice no.").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise

from invoicebot.model import Word

# Letters spaced by a space are 0.25-0.6 em apart (proportional to monospaced type), a spread
# title's up to an em; the spaces between spaced words are wider, up to two em in monospace.
MAX_LETTER_GAP_EM = 1.0
MAX_WORD_GAP_EM = 2.0
# "1 / 1" (a page count) and "A § 2" are left alone; "N r ." is a spaced label.
MIN_RUN = 3
MIN_LETTERS = 2
WORD_GAP_FACTOR = 1.6
# Letters set touching (no gap) would make any gap a word's end: the narrowest gap counts as
# this share of an em at least.
MIN_LETTER_GAP_EM = 0.05
# Two words are on one line when their vertical extents overlap by this share of the taller.
SAME_LINE_OVERLAP = 0.5
# What may follow a spaced letter in the same word, two at most ("N r .:" gives "r.:").
TRAILING_MARKS = ".:;,)"
MAX_TRAILING_MARKS = 2


def join_letter_spaced(words: Sequence[Word]) -> list[Word]:
    """Return ``words`` in the same order, each letter-spaced run made one word per spaced
    word; every other word is returned as it was."""
    joined: list[Word] = []
    start = 0
    while start < len(words):
        end = start + 1
        while end < len(words) and _spaced_pair(words[end - 1], words[end]):
            end += 1
        run = words[start:end]
        joined.extend(_spaced_words(run) if _is_spaced_run(run) else run)
        start = end
    return joined


def _spaced_pair(left: Word, right: Word) -> bool:
    if not (_one_letter(left) and _one_letter(right)):
        return False
    # A spaced label ends at its stop or colon, and its letters never run into the digit of
    # the value after it ("D a t u m : 4 Okt." is not "Datum:4").
    if left.text[-1] in TRAILING_MARKS and not _marks_only(right):
        return False
    marks = _marks_only(left) or _marks_only(right)
    if left.text[0].isdigit() != right.text[0].isdigit() and not marks:
        return False
    height = max(left.bottom - left.top, right.bottom - right.top)
    overlap = min(left.bottom, right.bottom) - max(left.top, right.top)
    gap = right.x0 - left.x1
    return overlap >= SAME_LINE_OVERLAP * height and 0 <= gap <= MAX_WORD_GAP_EM * height


def _one_letter(word: Word) -> bool:
    """A letter, digit or mark, maybe with a stop or colon after it ("r", "r.:", ".:")."""
    core = word.text.rstrip(TRAILING_MARKS)
    return len(core) <= 1 and len(word.text) - len(core) <= MAX_TRAILING_MARKS


def _marks_only(word: Word) -> bool:
    return not word.text.rstrip(TRAILING_MARKS)


def _is_spaced_run(run: Sequence[Word]) -> bool:
    if len(run) < MIN_RUN or sum(word.text[0].isalpha() for word in run) < MIN_LETTERS:
        return False
    height = max(word.bottom - word.top for word in run)
    return min(_gaps(run)) <= MAX_LETTER_GAP_EM * height


def _gaps(run: Sequence[Word]) -> list[float]:
    return [right.x0 - left.x1 for left, right in pairwise(run)]


def _spaced_words(run: Sequence[Word]) -> Iterator[Word]:
    gaps = _gaps(run)
    height = max(word.bottom - word.top for word in run)
    word_gap = WORD_GAP_FACTOR * max(min(gaps), MIN_LETTER_GAP_EM * height)
    piece = [run[0]]
    for gap, word in zip(gaps, run[1:], strict=True):
        if gap > word_gap:
            yield _merged(piece)
            piece = []
        piece.append(word)
    yield _merged(piece)


def _merged(letters: Sequence[Word]) -> Word:
    if len(letters) == 1:
        return letters[0]
    return Word.model_construct(
        text="".join(letter.text for letter in letters),
        x0=min(letter.x0 for letter in letters),
        top=min(letter.top for letter in letters),
        x1=max(letter.x1 for letter in letters),
        bottom=max(letter.bottom for letter in letters),
        confidence=min(letter.confidence for letter in letters),
    )
