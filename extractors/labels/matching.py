"""Finding labels in rows: matching is done on folded text (lower case, no accents) and
tolerates missing or extra spaces and punctuation between the label's words, so ``USt-IdNr.``,
``USt.-Id.-Nr.`` and ``Ust Id Nr`` are one label, and so are ``Rechnungssumme ohne USt.`` and
``RechnungssummeohneUSt.`` as some PDF generators glue words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from extractors.labels.field_labels import FIELD_LABELS
from extractors.labels.rows import TextRow
from extractors.labels.vocabulary import COLUMN_LABELS, LANGUAGE_HINTS, NUMBER_FILLERS
from extractors.normalize import fold_text


@dataclass(frozen=True)
class LabelHit:
    """Where a label was found: its row, character span, x extent and field weights."""

    row: TextRow
    start: int
    end: int
    label: str
    weights: Mapping[str, float] = field(hash=False, compare=False)

    # Cached: the reader's features ask each hit for its edges once per candidate near it.
    @cached_property
    def x0(self) -> float:
        """Return the x position where the label starts."""
        return self.row.x_at(self.start)

    @cached_property
    def x1(self) -> float:
        """Return the x position where the label ends."""
        return self.row.x_at(self.end)


_TOKEN = re.compile(r"[^\W_]+|[#%€$]")
# A label, its pattern and the longest text any match of the pattern holds.
_Entry = tuple[str, re.Pattern[str], str]
_JOINER = "[\\s.:\\-_/'\u2019()]*"


class LabelSet:
    """Labels compiled for searching folded row text, each with its fields and weights."""

    def __init__(self, table: Mapping[str, Mapping[str, float]]) -> None:
        self.weights: dict[str, dict[str, float]] = {}
        for field_name, labels in table.items():
            for label, weight in labels.items():
                self.weights.setdefault(label, {})[field_name] = weight
        # Patterns indexed by the first two letters of the label, which must start a word,
        # so a row is searched only for the labels that can start at one of its words.
        self._by_prefix: dict[str, list[_Entry]] = {}
        self._compounds: list[_Entry] = []
        for label in self.weights:
            entry = (label, _label_pattern(label), _longest_literal(label))
            if label.startswith("*"):
                self._compounds.append(entry)
            else:
                self._by_prefix.setdefault(_label_prefix(label), []).append(entry)

    def find(self, row: TextRow) -> list[LabelHit]:
        """Return the labels in ``row``, left to right, keeping the longest where they overlap."""
        folded = row.folded
        candidates = list(self._compounds)
        for prefix in _word_prefixes(folded):
            candidates.extend(self._by_prefix.get(prefix, ()))
        # A label whose longest literal part is not in the row cannot match: searching the
        # row with each pattern cost far more than this test, and few labels are found.
        found = [
            LabelHit(row, match.start(), match.end(), label, self.weights[label])
            for label, pattern, literal in candidates
            if literal in folded
            for match in pattern.finditer(folded)
            if match.end() > match.start() and not row.has_gap(match.start(), match.end())
        ]
        return _longest_first(found)


def _label_prefix(label: str) -> str:
    """Return the first two characters of the label's first token, folded."""
    first: str = _TOKEN.findall(fold_text(label))[0]
    return first[:2]


def _word_prefixes(folded: str) -> set[str]:
    """Return the one- and two-character prefixes of the tokens of ``folded``, a lone
    letter joined to the next token ("f actuurnummer") included."""
    prefixes: set[str] = set()
    tokens = _TOKEN.findall(folded)
    for index, token in enumerate(tokens):
        prefixes.add(token[:1])
        prefixes.add(token[:2])
        if len(token) == 1 and index + 1 < len(tokens):
            prefixes.add(token + tokens[index + 1][:1])
    return prefixes


def _longest_literal(label: str) -> str:
    """Return the longest text that every match of ``label``'s pattern holds as it is: one
    of its folded tokens (the first without its first letter where that may stand apart)."""
    tokens: list[str] = _TOKEN.findall(fold_text(label.lstrip("*")))
    first = tokens[0]
    pieces = [first[1:] if len(first) > 2 and first[0].isalpha() else first, *tokens[1:]]
    return max(pieces, key=len)


def _label_pattern(label: str) -> re.Pattern[str]:
    """Return the pattern finding ``label`` in folded text, spacing and punctuation free.

    A label does not start or end inside a word ("invoice" is not in "invoice_number_1"),
    nor end before a hyphen and more ("Verkäufer-BIC" is not the seller label, "PO-97948"
    is a value, not the label "PO"). Its
    first letter may stand apart, as some PDFs space a line's first glyph ("F actuurnummer").
    """
    compound = label.startswith("*")
    tokens = _TOKEN.findall(fold_text(label.lstrip("*")))
    first = tokens[0]
    if len(first) > 2 and first[0].isalpha():
        tokens[0] = first[0] + " ?" + re.escape(first[1:])
    else:
        tokens[0] = re.escape(first)
    body = _JOINER.join([tokens[0], *(re.escape(token) for token in tokens[1:])])
    start = "" if compound else r"(?<!\w)"
    # A value may be glued to a label ending in "N°" or "Nr" ("N°562044387"), not to others
    # ("PO445" is a value, not the label "PO").
    glued = tokens[-1] in NUMBER_FILLERS
    end = "" if not tokens[-1][-1].isalnum() else r"(?![^\W\d])" if glued else r"(?!\w)"
    end += r"(?!-\w)" if end else ""
    return re.compile(start + body + end)


def _longest_first(hits: Iterable[LabelHit]) -> list[LabelHit]:
    """Return the hits not overlapping a longer one, ordered by position."""
    kept: list[LabelHit] = []
    for hit in sorted(hits, key=lambda item: (item.start - item.end, item.start)):
        if all(hit.end <= other.start or hit.start >= other.end for other in kept):
            kept.append(hit)
    return sorted(kept, key=lambda item: item.start)


FIELD_LABEL_SET = LabelSet(FIELD_LABELS)
COLUMN_LABEL_SET = LabelSet(COLUMN_LABELS)
# A label of this weight or more for a field is taken to print it (a total ends an item table).
SURE_LABEL_WEIGHT = 0.6


def has_field_label(row: TextRow, fields: Sequence[str]) -> bool:
    """Return True when ``row`` holds a label surely announcing one of ``fields``."""
    return any(
        hit.weights.get(name, 0) >= SURE_LABEL_WEIGHT
        for hit in FIELD_LABEL_SET.find(row)
        for name in fields
    )


def detect_language(rows: Iterable[TextRow]) -> str | None:
    """Return "fr", "en" or "de", whichever language's words the rows use most, or None."""
    counts = dict.fromkeys(LANGUAGE_HINTS, 0)
    for row in rows:
        for token in _TOKEN.findall(row.folded):
            for language, hints in _FOLDED_HINTS.items():
                if token in hints:
                    counts[language] += 1
    best = max(counts, key=lambda language: counts[language])
    return best if counts[best] > 0 else None


_FOLDED_HINTS: dict[str, frozenset[str]] = {
    language: frozenset(fold_text(word) for word in words)
    for language, words in LANGUAGE_HINTS.items()
}
