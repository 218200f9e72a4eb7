"""The letter's address window: the recipient's name and block where no label announces the
buyer (rows aligned on the left near the top of page one, one with a postcode).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from extractors.base import Word
from extractors.fields.document import (
    ALIGN_TOLERANCE,
    CONTACT_DETAILS,
    MAX_ADDRESS_GAP,
    NAME_SEPARATORS,
    POSTCODE,
    WINDOW_SCORE,
    WINDOW_ZONE,
    Block,
    Candidate,
    Document,
)
from extractors.fields.parties import name_in
from extractors.labels import SALUTATIONS, LabelHit, TextRow
from extractors.normalize import fold_text


def address_window(document: Document) -> tuple[Candidate, Block] | None:
    """Return the recipient's name and block when no label announces the buyer.

    Letters put the recipient in an address block near the top of page one (the
    envelope window): rows aligned on the left, with a postcode. The seller's own
    address block is told apart by its name, which the page repeats (letterhead,
    footer, sender line above the window); a block holding labels is a key/value box.
    """
    first_page = [row for row in document.rows if row.page == 0]
    if not first_page:
        return None
    limit = WINDOW_ZONE * document.page_height(first_page[0])
    top_rows = [row for row in first_page if row.top < limit]
    for group in _aligned_groups(top_rows):
        if any(_printed_between(top_rows, upper, lower) for upper, lower in pairwise(group)):
            continue  # a centred block's lines whose left edges happen to line up
        labelled = [bool(_labels_in(document, row, span)) for row, span in group]
        if 2 * sum(labelled) > len(group) or not any(
            POSTCODE.search(row.text[start:end]) for row, (start, end) in group
        ):
            continue
        named = [
            (row, span)
            for row, span in group
            if not _is_sender_line(row, span) and not _is_salutation(row.folded[span[0] : span[1]])
        ]
        if (
            len(named) < 2
            or _labels_in(document, *named[0])
            or any(_is_sellers_detail(document, row, span) for row, span in group)
        ):
            continue
        row, (start, end) = named[0]
        name = name_in(row, start, end)
        if name is None or POSTCODE.search(name[0]) or _printed_elsewhere(document, name[0], group):
            continue
        candidate = Candidate("buyer_name", name[0], WINDOW_SCORE, row, name[1], name[2])
        block = Block(
            0,
            min(row.x_at(span[0]) for row, span in named) - row.height,
            max(row.x_at(span[1]) for row, span in named) + row.height,
            _segment_extent(*named[0])[0],
            _segment_extent(*named[-1])[1],
        )
        return candidate, block
    return None


def _aligned_groups(rows: Sequence[TextRow]) -> list[list[tuple[TextRow, tuple[int, int]]]]:
    """Return runs of row segments starting at the same x, each close under the last.

    Closeness is measured on the segments' own words: OCR may merge an address line with
    a key/value pair of the next column printed half a line lower, stretching the row.
    """
    groups: list[list[tuple[TextRow, tuple[int, int]]]] = []
    for row in rows:
        for span in row.segments():
            x = row.x_at(span[0])
            top = _segment_extent(row, span)[0]
            for group in groups:
                last_row, last_span = group[-1]
                last_top, last_bottom = _segment_extent(last_row, last_span)
                aligned = abs(last_row.x_at(last_span[0]) - x) <= ALIGN_TOLERANCE * row.height
                close = last_top < top and top - last_bottom <= MAX_ADDRESS_GAP * row.height
                if aligned and close:
                    group.append((row, span))
                    break
            else:
                groups.append([(row, span)])
    return [group for group in groups if len(group) >= 2]


def _printed_between(
    rows: Sequence[TextRow],
    upper: tuple[TextRow, tuple[int, int]],
    lower: tuple[TextRow, tuple[int, int]],
) -> bool:
    """Return True when a row segment lies between ``upper`` and ``lower`` and under them:
    an address block's lines follow one another."""
    upper_words, lower_words = _segment_words(*upper), _segment_words(*lower)
    ceiling = max(word.bottom for word in upper_words)
    floor = min(word.top for word in lower_words)
    left = max(upper_words[0].x0, lower_words[0].x0)
    right = min(upper_words[-1].x1, lower_words[-1].x1)
    return any(
        min(word.top for word in words) >= ceiling
        and max(word.bottom for word in words) <= floor
        and words[0].x0 < right
        and words[-1].x1 > left
        for row in rows
        for words in (_segment_words(row, span) for span in row.segments())
    )


def _segment_extent(row: TextRow, span: tuple[int, int]) -> tuple[float, float]:
    """Return the top and bottom of the words of ``row`` inside the character span ``span``."""
    words = _segment_words(row, span)
    return min(word.top for word in words), max(word.bottom for word in words)


def _segment_words(row: TextRow, span: tuple[int, int]) -> Sequence[Word]:
    """Return the words of ``row`` inside the character span ``span``."""
    first, last = row.word_index(span[0]), row.word_index(max(span[1] - 1, span[0]))
    return row.words[first : last + 1]


def _is_sellers_detail(document: Document, row: TextRow, span: tuple[int, int]) -> bool:
    """Return True for a bank account, phone, e-mail or web line: a letterhead's, which the
    recipient's address block does not carry."""
    if any("seller_iban" in hit.weights for hit in _labels_in(document, row, span)):
        return True
    return bool(CONTACT_DETAILS.search(row.folded[span[0] : span[1]]))


def _labels_in(document: Document, row: TextRow, span: tuple[int, int]) -> list[LabelHit]:
    """Return the labels of ``row`` inside the character span ``span``."""
    return [hit for hit in document.hits_of(row) if span[0] <= hit.start < span[1]]


def _is_salutation(folded: str) -> bool:
    """Return True for a row holding only a salutation ("Herrn", "Madame", "Attn:")."""
    words = folded.replace(".", " ").replace(":", " ").split()
    return bool(words) and all(word in SALUTATIONS for word in words)


def _is_sender_line(row: TextRow, span: tuple[int, int]) -> bool:
    """Return True for the sender's one-line address over a window ("ACME · 1 rue X · Paris")."""
    return len(NAME_SEPARATORS.split(row.text[span[0] : span[1]])) >= 3


def _printed_elsewhere(
    document: Document, name: str, block: Sequence[tuple[TextRow, tuple[int, int]]]
) -> bool:
    """Return True when ``name`` is printed anywhere but in the block's row segments."""
    pattern = re.compile(rf"(?<!\w){re.escape(fold_text(name))}(?!\w)")
    own = {(id(row), span) for row, span in block}
    return any(
        pattern.search(row.folded[start:end])
        for row in document.rows
        for start, end in row.segments()
        if (id(row), (start, end)) not in own
    )
