"""Template-free field finder: from positioned words to invoice fields with confidences.

How it reads a document, in order:

1. words are grouped into rows (``labels.rows_of_page``) and every known label is found in
   every row (``labels.FIELD_LABEL_SET``); a total followed by a qualifier becomes the
   net or the gross ("Total (excl. VAT)", "Rechnungssumme Brutto (inkl. USt.)");
2. each label proposes a value read to its right on the same row, or else below it in its
   column; a candidate's score is the label's weight times how the value was found. A
   document title followed by "Nr."/"#" or by a date is a label too ("Rechnung Nr. 42
   vom 05.03.2018"), and so is the date after the number in sentence forms;
3. identifiers (IBAN, VAT number, SIRET/SIREN) are also found by their pattern and check
   digits, and given to the seller or the buyer by where they stand: in the buyer's block
   (under "Bill to", "Client", "Käufer"..., or the recipient's address window of a letter)
   or behind a buyer label they are the buyer's;
4. the totals are chosen together: the net, tax and gross candidates that add up
   (net + tax = gross) win over better-labelled ones that do not, and per-rate taxes add
   up to the tax total when none is printed; the amount due is the gross when no other
   amount due is printed (nothing paid in advance);
5. the seller's name comes from a seller label, a company name ending in a legal form
   (SAS, GmbH, Ltd...) outside the buyer's block, or the top line of the first page.

The invoice lines are read from the item table (``lines``); on OCR'd pages, a line amount,
unit price or quantity that the net total and the line's arithmetic show misread is repaired
(``line_repair``).

Weak fallbacks fill what no label gives, at low confidence: the first date near the top
of page one for the invoice date, the reference printed just before it for the number.

A field's confidence is its winning candidate's score, raised when a cross-check holds
(the totals add up, the check digits are right) and multiplied by the OCR confidence of
the words it was read from.

The steps live in ``document`` (the working types and scores), ``values`` (reading a value
next to a label), ``labelled`` (candidates from labels and identifier patterns), ``choosing``
and ``parties`` (the seller and the buyer); this module runs them and hands what they found
to the learned reader (``extractors.reader``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from extractors.base import FieldReading, PageWords
from extractors.boxes import box_of_characters, box_of_span, line_boxes
from extractors.fields.choosing import choose_totals, choose_values
from extractors.fields.document import (
    EXTRA_DATE_LANGUAGES,
    MAX_QUALIFIER_GAP,
    UNCONFIRMED,
    Document,
    Value,
    field_confidence,
)
from extractors.fields.labelled import identifier_candidates, labelled_candidates
from extractors.fields.parties import choose_parties, find_buyer_blocks
from extractors.fields.window import address_window
from extractors.labels import (
    FIELD_LABEL_SET,
    GROSS_QUALIFIER,
    NET_QUALIFIER,
    LabelHit,
    TextRow,
    detect_language,
    rows_of_page,
)
from extractors.line_arithmetic import read_lines_by_arithmetic, read_lines_by_sum
from extractors.line_repair import repair_misread_lines
from extractors.lines import read_lines_from_rows, sum_of_lines
from extractors.normalize import (
    DEFAULT_DATE_LANGUAGES,
    amounts_remembered,
    month_first_dates,
    parse_amount,
    parse_currency,
)
from extractors.reader import READER_FIELDS, ReaderModel, read_fields, reader_model
from extractors.reader.decode import TOTALS
from invoicebot.model import Box, InvoiceFields, Line

logger = logging.getLogger(__name__)

__all__ = ["FinderResult", "apply_reader", "find_fields", "read_invoice"]


def read_invoice(pages: Sequence[PageWords]) -> FieldReading:
    """Return the fields, lines, confidences and language read from the pages' words.

    The label-based finder reads first; the learned reader (``extractors.reader``) then
    decides the fields it reads, with the finder's choices among its features.

    Never raises: odd input gives empty fields, and a failure of the finder itself is
    logged and gives an empty reading rather than losing the document.
    """
    try:
        with amounts_remembered():
            found = find_fields(pages)
            return apply_reader(found)
    except Exception:  # the finder must not take a batch down with one odd page
        logger.exception("the field finder failed; returning an empty reading")
        return FieldReading(fields=InvoiceFields())


@dataclass
class FinderResult:
    """What the label-based finder read, with the rows and reading settings it used."""

    document: Document
    values: dict[str, Value]
    confidence: dict[str, float]
    lines: list[Line]
    language: str | None
    boxes: dict[str, Box] = field(default_factory=dict)

    def reading(self) -> FieldReading:
        return FieldReading(
            fields=InvoiceFields.model_validate(self.values),
            lines=self.lines,
            confidence=self.confidence,
            language=self.language,
            boxes=self.boxes,
        )


def find_fields(pages: Sequence[PageWords]) -> FinderResult:
    """Return what the label-based finder reads from the pages' words."""
    rows = [row for index, page in enumerate(pages) for row in rows_of_page(page, index)]
    language = detect_language(rows)
    languages = _date_languages(language)
    document = Document(
        pages=pages,
        rows=rows,
        hits={id(row): _key_labels(row) for row in rows},
        languages=languages,
        day_first=not month_first_dates(row.text for row in rows),
    )
    document.buyer_blocks = find_buyer_blocks(document)
    if not document.buyer_blocks:
        document.window = address_window(document)
        if document.window is not None:
            document.buyer_blocks.append(document.window[1])
    candidates = labelled_candidates(document)
    candidates.extend(identifier_candidates(document))
    chosen = choose_values(document, candidates)
    choose_totals(candidates, chosen)
    choose_parties(document, candidates, chosen)
    currency = _currency(rows)
    values: dict[str, Value] = {name: candidate.value for name, candidate in chosen.items()}
    confidence = {name: field_confidence(candidate) for name, candidate in chosen.items()}
    if currency is not None:
        values["currency"], confidence["currency"] = currency
    lines = read_lines_from_rows(rows, document.item_headers)
    total_net = values.get("total_net")
    if any(row.ocr for row in rows) and isinstance(total_net, Decimal):
        lines = repair_misread_lines(lines, total_net)
    boxes = {
        name: box
        for name, candidate in chosen.items()
        if (box := box_of_characters(pages, candidate.row, candidate.start, candidate.end))
    }
    return FinderResult(document, values, confidence, lines, language, boxes)


def apply_reader(found: FinderResult, model: ReaderModel | None = None) -> FieldReading:
    """Return the finder's reading with the learned reader's fields in place of its own
    (``model``: the shipped one by default), and the lines that add up to the net.

    A field the reader leaves empty keeps the finder's value, but no more than
    ``UNCONFIRMED`` sure: the reader saw it and did not choose it; or the reader's own best
    candidate, as unsure, where the model rates the finder's value far below it.
    """
    model = model or reader_model()
    document = found.document
    by_arithmetic = read_lines_by_arithmetic(document.rows)
    values, confidence = dict(found.values), dict(found.confidence)
    boxes = dict(found.boxes)
    if model is not None:
        line_totals = [sum_of_lines(lines) for lines in (found.lines, by_arithmetic)]
        read = read_fields(
            model,
            document.pages,
            document.rows,
            finder=found.values,
            finder_confidence=found.confidence,
            languages=document.languages,
            day_first=document.day_first,
            line_totals=[total for total in line_totals if total is not None],
            label_hits=document.hits,
        )
        for name in READER_FIELDS:
            choice = read.chosen.get(name) or read.fallbacks.get(name)
            if choice is None:
                if name in values:
                    confidence[name] = min(confidence.get(name, 0.0), UNCONFIRMED)
                continue
            values[name] = choice.value
            # Where it was read: the words of the chosen candidate.
            candidate = choice.candidate
            box = box_of_span(document.pages, candidate.row, candidate.first, candidate.last)
            if box is None:
                boxes.pop(name, None)
            else:
                boxes[name] = box
            # As sure as the decoding, times how sure OCR was of all the words read; a
            # fallback no surer than the finder's value it replaces.
            sure = choice.confidence * candidate.words_confidence
            if name not in read.chosen:
                sure = min(sure, UNCONFIRMED)
            confidence[name] = round(sure, 3)
    _complete_the_totals(values, confidence)
    total_net, total_tax = values.get("total_net"), values.get("total_tax")
    lines = found.lines
    ocr = any(row.ocr for row in document.rows)
    if ocr and isinstance(total_net, Decimal) and total_net != found.values.get("total_net"):
        raw_lines = read_lines_from_rows(document.rows, document.item_headers)
        lines = repair_misread_lines(raw_lines, total_net)
    if isinstance(total_net, Decimal):
        if sum_of_lines(lines) != total_net:
            # Rows after the one printing the net total are the totals block: "TVA 20 %
            # 894,06" is no line, though no dictionary names it a total.
            ended = read_lines_from_rows(document.rows, document.item_headers, total_net=total_net)
            if ocr:
                ended = repair_misread_lines(ended, total_net)
            lines = ended if _closer(ended, lines, total_net) else lines
        lines = _lines_adding_up(lines, by_arithmetic, total_net, document.rows, ocr=ocr)
        if ocr:
            lines = repair_misread_lines(lines, total_net, _decimal_or_none(total_tax))
    return FieldReading(
        fields=InvoiceFields.model_validate(values),
        lines=lines,
        confidence=confidence,
        language=found.language,
        boxes=boxes,
        line_boxes=line_boxes(lines, document.rows, document.pages),
    )


def _complete_the_totals(values: dict[str, Value], confidence: dict[str, float]) -> None:
    """Give the one total of net, VAT and gross left unread the value the two read ones
    make it (net + VAT = gross), no surer than ``UNCONFIRMED`` nor than either of them: OCR
    lost it, and the invoice's own arithmetic says what it was. A VAT that would be zero stays
    unread (an invoice without VAT often prints none)."""
    net, tax, gross = (_decimal_or_none(values.get(name)) for name in TOTALS)
    if net is None and tax is not None and gross is not None:
        name, completed, given = "total_net", gross - tax, ("total_tax", "total_gross")
    elif tax is None and net is not None and gross is not None:
        name, completed, given = "total_tax", gross - net, ("total_net", "total_gross")
    elif gross is None and net is not None and tax is not None:
        name, completed, given = "total_gross", net + tax, ("total_net", "total_tax")
    else:
        return
    if completed <= 0 or any(value is not None and value < 0 for value in (net, tax, gross)):
        return
    values[name] = completed
    confidence[name] = min(UNCONFIRMED, *(confidence.get(other, 0.0) for other in given))


def _lines_adding_up(
    by_headers: list[Line],
    by_arithmetic: list[Line],
    total_net: Decimal,
    rows: Sequence[TextRow],
    *,
    ocr: bool,
) -> list[Line]:
    """Return the lines read under the table's headers unless only the lines found by
    their own arithmetic add up to the net total, or, when neither does, the rows whose
    amounts add up to it (a table of descriptions and amounts only) where they are not
    fewer than the header's lines: lines that do not add up to the net are a fault to
    report (BR-CO-10), not to hide by dropping one; nor fewer than the rows whose own
    arithmetic makes them lines (a total alone adds up to the net too).

    Where both readings add up line for line, the header's lines take what it left empty
    from the arithmetic's (a column whose header no dictionary knows); where none adds up,
    the arithmetic's lines are kept when they are as many and come closer to the net.
    """
    by_headers = _before_the_totals(by_headers, total_net, ocr=ocr)
    if sum_of_lines(by_headers) == total_net:
        return _completed(by_headers, by_arithmetic)
    if by_arithmetic and sum_of_lines(by_arithmetic) == total_net:
        return by_arithmetic
    by_sum = read_lines_by_sum(rows, total_net)
    # Lines with no amount (a table whose amount column no header word named) count for none.
    amounts = sum(line.net_amount is not None for line in by_headers)
    if by_sum and len(by_sum) >= max(amounts, len(by_arithmetic)):
        return by_sum
    if by_arithmetic and len(by_arithmetic) >= amounts:
        from_arithmetic = sum_of_lines(by_arithmetic)
        from_headers = sum_of_lines(by_headers)
        if from_arithmetic is not None and (
            from_headers is None or abs(from_arithmetic - total_net) < abs(from_headers - total_net)
        ):
            return by_arithmetic
    return by_headers


def _before_the_totals(lines: list[Line], total_net: Decimal, *, ocr: bool) -> list[Line]:
    """Return the lines up to those that add up to ``total_net`` (OCR'd: once a misread
    amount among them is repaired) where the ones after them print neither a quantity nor
    a unit price, as the table's lines do: rows of the totals block that no dictionary
    names ("Aliquota Imponibile Imposta"). A last line the totals leave out, priced like
    the others, stays: that is a fault to report. Priced or not (a table of descriptions and
    amounts), the lines end at a row printing the net total that the lines before it add up
    to ("Riepilogo IVA Imponibile 7'671.79"): the totals block begins there."""
    if sum_of_lines(lines) == total_net:
        return lines
    for end in range(1, len(lines)):
        if lines[end].net_amount == total_net and sum_of_lines(lines[:end]) == total_net:
            return lines[:end]
    for end in range(len(lines) - 1, 0, -1):
        kept, after = lines[:end], lines[end:]
        if any(map(_priced, after)):
            return lines
        if not any(map(_priced, kept)):
            continue
        if ocr:
            kept = repair_misread_lines(kept, total_net)
        if sum_of_lines(kept) == total_net:
            return kept
    return lines


def _priced(line: Line) -> bool:
    return line.quantity is not None or line.unit_price is not None


def _completed(by_headers: list[Line], by_arithmetic: list[Line]) -> list[Line]:
    """Return the header's lines with their empty values taken from the arithmetic's
    lines, when both read the same net amounts in the same order. A column no header
    word names runs into the description: its values are taken off the description's end."""
    if [line.net_amount for line in by_headers] != [line.net_amount for line in by_arithmetic]:
        return by_headers
    completed = []
    for header, found in zip(by_headers, by_arithmetic, strict=True):
        arithmetic = _ordered_as(header, found)
        filled = {
            name: value
            for name, value in arithmetic.model_dump().items()
            if getattr(header, name) is None and value is not None and name != "description"
        }
        words = (header.description or "").split()
        while words and parse_amount(words[-1]) in filled.values():
            words.pop()
        filled["description"] = " ".join(words) or arithmetic.description
        completed.append(header.model_copy(update=filled))
    return completed


def _ordered_as(header: Line, arithmetic: Line) -> Line:
    """Return the arithmetic's line with its two factors in the order the header's columns
    read them: quantity x price = amount does not tell the quantity from the price, a
    column the header named does ("E-Preis" over 40,66 makes the other factor, 6,00, the
    quantity)."""
    quantity, price = arithmetic.quantity, arithmetic.unit_price
    if quantity is None or price is None or quantity == price:
        return arithmetic
    if header.unit_price == quantity or header.quantity == price:
        return arithmetic.model_copy(update={"quantity": price, "unit_price": quantity})
    return arithmetic


def _closer(lines: Sequence[Line], other: Sequence[Line], total_net: Decimal) -> bool:
    """Return True when ``lines`` add up closer to ``total_net`` than ``other`` do."""
    mine, theirs = sum_of_lines(lines), sum_of_lines(other)
    return mine is not None and (theirs is None or abs(mine - total_net) < abs(theirs - total_net))


def _decimal_or_none(value: Value | None) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def _key_labels(row: TextRow) -> list[LabelHit]:
    """Return the row's labels, each total merged with the qualifier right after it.

    "Total (Excluding GST)" is the net and "Total (Inclusive of GST)" the gross, whatever
    "Total" alone would be; a qualifier elsewhere only keeps "GST" from being a label.
    """
    labels: list[LabelHit] = []
    for hit in FIELD_LABEL_SET.find(row):
        qualifier = _qualifier_of(hit)
        if qualifier is None:
            labels.append(hit)
        elif labels and _qualifies(labels[-1], hit):
            total = labels[-1]
            labels[-1] = LabelHit(row, total.start, hit.end, total.label, {qualifier: 1.0})
    return labels


def _qualifier_of(hit: LabelHit) -> str | None:
    """Return the total a qualifier makes of the label before it, or None for a label."""
    if NET_QUALIFIER in hit.weights:
        return "total_net"
    if GROSS_QUALIFIER in hit.weights:
        return "total_gross"
    return None


def _qualifies(label: LabelHit, qualifier: LabelHit) -> bool:
    """Return True when ``qualifier`` directly follows a total label: "Total (incl. VAT)"."""
    between = label.row.text[label.end : qualifier.start]
    is_total = bool({"total_net", "total_gross"} & label.weights.keys())
    return is_total and len(between.strip(" ()[]:-")) <= MAX_QUALIFIER_GAP


def _date_languages(language: str | None) -> tuple[str, ...]:
    """Return the languages dates are parsed in, the detected one first."""
    known = (*DEFAULT_DATE_LANGUAGES, *EXTRA_DATE_LANGUAGES)
    if language is None:
        return known
    return (language, *(other for other in known if other != language))


def _currency(rows: Sequence[TextRow]) -> tuple[str, float] | None:
    """Return the currency most often printed (symbols and ISO codes) and its confidence."""
    counts: dict[str, int] = {}
    confidences: dict[str, float] = {}
    # A page repeats its words ("EUR" on every line): each distinct one is read once.
    read: dict[str, str | None] = {}
    for row in rows:
        for word in row.words:
            if word.text in read:
                code = read[word.text]
            else:
                code = read[word.text] = (
                    parse_currency(word.text) if _may_hold_currency(word.text) else None
                )
            if code is None:
                continue
            counts[code] = counts.get(code, 0) + 1
            confidences[code] = max(confidences.get(code, 0.0), word.confidence)
    if not counts:
        return None
    best = max(counts, key=lambda code: counts[code])
    share = counts[best] / sum(counts.values())
    return best, round(min(1.0, (0.6 + 0.4 * share)) * confidences[best], 3)


def _may_hold_currency(text: str) -> bool:
    """Return True for a word that is a currency mark or an amount with one attached."""
    stripped = text.strip("():;,.")
    if parse_currency(stripped) is None:
        return False
    return len(stripped) <= 4 or parse_amount(stripped) is not None
