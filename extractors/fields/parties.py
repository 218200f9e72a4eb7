"""The seller and the buyer: the buyer's block, names by label, legal form or top line,
identifiers placed by where they stand. The letter's address window: ``fields.window``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from stdnum import iban as stdnum_iban

from extractors.fields.document import (
    ADDRESS_AFTER_NAME,
    BELOW_LABEL,
    BLOCK_ROWS,
    BUYER_ID,
    COLUMN_GAP,
    INVALID_IBAN,
    LABEL_BONUS,
    LEGAL_FORM_NAME,
    MAX_BLOCK_WIDTH,
    MIN_NAME_CONFIDENCE,
    NAME_ROWS,
    NAME_SEPARATORS,
    NEAR_TOP_BONUS,
    REPEATED_BONUS,
    SIREN_MATCH_BONUS,
    TOP_LINE_HEIGHT_SHARE,
    TOP_LINE_NAME,
    TOP_LINE_ZONE,
    TOP_ZONE,
    Block,
    Candidate,
    Document,
    Token,
    best_candidate,
    tokens_between,
    with_score,
)
from extractors.fields.labelled import rows_below
from extractors.labels import (
    LEGAL_FORM_TAILS,
    LEGAL_FORMS,
    NAME_LABELS,
    PHRASE_GAP,
    SALUTATIONS,
    TITLE_WORDS,
    LabelHit,
    TextRow,
)
from extractors.normalize import fold_text, parse_amount, parse_date
from extractors.reader.candidates import Candidate as NameCandidate
from extractors.reader.candidates import CandidateKind, continued_name


def find_buyer_blocks(document: Document) -> list[Block]:
    """Return the address blocks under buyer labels ("Bill to", "Client", "Käufer"...)."""
    blocks = []
    for row in document.rows:
        for hit in document.hits_of(row):
            if "buyer_name" not in hit.weights or not _is_party_label(hit):
                continue
            left = hit.x0 - row.height
            right = _block_right_edge(document, hit)
            bottom = row.bottom
            for below in rows_below(document, row, BLOCK_ROWS):
                if not any(word.x1 > left and word.x0 < right for word in below.words):
                    continue
                if _starts_party(document, below, left, right):
                    break
                bottom = below.bottom
            blocks.append(Block(row.page, left, right, row.top, bottom))
    return blocks


def _block_right_edge(document: Document, hit: LabelHit) -> float:
    """Return where a party block under ``hit`` ends on the right: at the next column."""
    row = hit.row
    limit = min(document.page_width(row), hit.x0 + MAX_BLOCK_WIDTH * document.page_width(row))
    previous_end = hit.x1
    for word in row.words:
        if word.x0 < hit.x1:
            continue
        if word.x0 - previous_end > COLUMN_GAP * row.height:
            return min(word.x0 - 1, limit)
        previous_end = word.x1
    return limit


def _starts_party(document: Document, row: TextRow, left: float, right: float) -> bool:
    """Return True when a seller or buyer label on ``row`` starts another party's block."""
    return any(
        hit.x1 > left and hit.x0 < right and ({"seller_name", "buyer_name"} & hit.weights.keys())
        for hit in document.hits_of(row)
    )


def in_buyer_block(document: Document, candidate: Candidate) -> bool:
    x = candidate.row.x_at(candidate.start)
    return any(block.holds(candidate.row, x) for block in document.buyer_blocks)


def choose_parties(
    document: Document, candidates: Sequence[Candidate], chosen: dict[str, Candidate]
) -> None:
    """Choose the seller's identifiers and both parties' names."""
    vat_ids = [c for c in candidates if c.field == "seller_vat_id"]
    seller_vat = [c for c in vat_ids if not _is_buyer_identifier(document, c)]
    buyer_vat = [c for c in vat_ids if _is_buyer_identifier(document, c)]
    sirets = [
        c for c in candidates if c.field == "seller_siret" and not _is_buyer_identifier(document, c)
    ]
    longest = max((len(str(c.value)) for c in sirets), default=0)
    siret = best_candidate(c for c in sirets if len(str(c.value)) == longest)
    if siret is not None:
        chosen["seller_siret"] = siret
        seller_vat = _prefer_matching_siren(seller_vat, str(siret.value)[:9])
    seller = best_candidate(_labelled_boost(document, seller_vat, "seller_vat_id"))
    if seller is not None:
        chosen["seller_vat_id"] = seller
    buyer = best_candidate(
        with_score(c, c.score * BUYER_ID)
        for c in buyer_vat
        if seller is None or c.value != seller.value
    )
    if buyer is not None:
        chosen["buyer_vat_id"] = replace(buyer, field="buyer_vat_id")
    ibans = [
        c if stdnum_iban.is_valid(str(c.value)) else with_score(c, c.score * INVALID_IBAN)
        for c in candidates
        if c.field == "seller_iban" and not _is_buyer_identifier(document, c)
    ]
    iban = best_candidate(ibans)
    if iban is not None:
        chosen["seller_iban"] = iban
    buyer_name = _buyer_name(document)
    if buyer_name is not None:
        chosen["buyer_name"] = _whole_name(document, buyer_name)
    seller_name = _seller_name(document, buyer_name)
    if seller_name is not None:
        chosen["seller_name"] = _whole_name(document, seller_name)


def _whole_name(document: Document, candidate: Candidate) -> Candidate:
    """Return ``candidate`` with the rest of its name where the name goes on over or under
    it (``continued_name``: "Noren Bürobedarf" over "GmbH")."""
    row = candidate.row
    row_index = next((i for i, each in enumerate(document.rows) if each is row), None)
    if row_index is None:
        return candidate
    read = NameCandidate(
        CandidateKind.NAME,
        candidate.value,
        str(candidate.value),
        row,
        row_index,
        row.word_index(candidate.start),
        row.word_index(max(candidate.end - 1, candidate.start)),
    )
    return replace(candidate, value=continued_name(read, document.rows))


def _is_buyer_identifier(document: Document, candidate: Candidate) -> bool:
    """Return True when an identifier stands in the buyer's block or behind a buyer label."""
    if in_buyer_block(document, candidate):
        return True
    label = _label_before(document, candidate)
    return label is not None and "buyer_vat_id" in label.weights


def _label_before(document: Document, candidate: Candidate) -> LabelHit | None:
    """Return the nearest label left of the candidate on its row."""
    before = [hit for hit in document.hits_of(candidate.row) if hit.end <= candidate.start]
    return before[-1] if before else None


def _prefer_matching_siren(vat_ids: list[Candidate], siren: str) -> list[Candidate]:
    """Return the VAT candidates, those carrying the SIREN raised (FR key + SIREN)."""
    return [
        with_score(c, c.score + SIREN_MATCH_BONUS) if str(c.value).endswith(siren) else c
        for c in vat_ids
    ]


def _labelled_boost(
    document: Document, candidates: Iterable[Candidate], field_name: str
) -> list[Candidate]:
    """Return the candidates, raised when a label of ``field_name`` stands before them."""
    boosted = []
    for candidate in candidates:
        label = _label_before(document, candidate)
        if label is not None and field_name in label.weights:
            boosted.append(with_score(candidate, candidate.score + LABEL_BONUS))
        else:
            boosted.append(candidate)
    return boosted


def _buyer_name(document: Document) -> Candidate | None:
    """Return the name under or beside the best buyer label."""
    found = []
    for row in document.rows:
        hits = document.hits_of(row)
        for position, hit in enumerate(hits):
            weight = hit.weights.get("buyer_name")
            if weight is None or not _is_party_label(hit):
                continue
            following = hits[position + 1] if position + 1 < len(hits) else None
            name = _name_near(document, hit, following, "buyer_name", weight)
            if name is not None:
                found.append(name)
    if not found and document.window is not None:
        return document.window[0]
    return best_candidate(found)


def _is_party_label(hit: LabelHit) -> bool:
    """Return True when a party word ("Client", "Facturé à", "Seller") is used as a label.

    It must open its phrase and be followed in it by nothing (the name is below) or by a
    colon: "Facture à régler par virement" and "Invoice to pay by wire" are sentences.
    """
    row = hit.row
    if not row.starts_phrase(hit.start):
        return False
    after = row.text[hit.end : _segment_end(row, hit.start)].strip()
    return not after or after.startswith(":") or row.has_gap(hit.end - 1, hit.end + 1)


def _segment_end(row: TextRow, offset: int) -> int:
    """Return where the row's segment (its part between wide gaps) holding ``offset``, or
    the first one after it, ends."""
    for _, end in row.segments():
        if offset < end:
            return end
    return len(row.text)


def _name_near(
    document: Document, hit: LabelHit, following: LabelHit | None, field_name: str, weight: float
) -> Candidate | None:
    """Return the party name right of a party label, or in the block below it.

    In the block, a "Name:" sub-label wins; otherwise the first row that reads as a name
    (not "Nummer: 549910", not an address line of digits).
    """
    row = hit.row
    limit = following.start if following else len(row.text)
    end = _segment_end(row, hit.start)
    if row.text[hit.end : end].strip() == ":":
        end = _segment_end(row, end + 1)  # "Customer:      Avon Events Ltd", a gap between
    name = name_in(row, hit.end, min(end, limit))
    if name is not None:
        return Candidate(field_name, name[0], weight, row, name[1], name[2], hit)
    left, right = hit.x0 - row.height, _block_right_edge(document, hit)
    block = []
    for below in rows_below(document, row, NAME_ROWS):
        tokens = _phrase_tokens(below, left, right)
        if tokens:
            block.append((below, tokens))
    for below, tokens in block:
        name = _name_after_sublabel(below, tokens)
        if name is not None:
            return Candidate(
                field_name, name[0], weight * BELOW_LABEL, below, name[1], name[2], hit
            )
    for below, tokens in block:
        name = name_in(below, tokens[0].start, tokens[-1].end)
        if name is not None:
            return Candidate(
                field_name, name[0], weight * BELOW_LABEL, below, name[1], name[2], hit
            )
    return None


def _phrase_tokens(row: TextRow, left: float, right: float) -> list[Token]:
    """Return the tokens of ``row`` starting between ``left`` and ``right``, continued
    past ``right`` while the words stay close (a name is not cut at the block's edge)."""
    tokens: list[Token] = []
    for token in tokens_between(row, 0, len(row.text)):
        if tokens and token.x0 >= right:
            if token.x0 - tokens[-1].x1 > PHRASE_GAP * row.height:
                break
            tokens.append(token)
        elif left <= token.x0 < right or (token.x0 < left < token.x1):
            tokens.append(token)
    return tokens


def _name_after_sublabel(row: TextRow, tokens: Sequence[Token]) -> tuple[str, int, int] | None:
    """Return the name after a "Name:" label at the start of ``tokens``, if there is one."""
    first = fold_text(tokens[0].text).rstrip(":")
    if first not in NAME_LABELS and first.split(":")[0] not in NAME_LABELS:
        return None
    start = tokens[0].start + len(tokens[0].text.split(":")[0]) + 1
    return name_in(row, start, tokens[-1].end)


def name_in(row: TextRow, start: int, end: int) -> tuple[str, int, int] | None:
    """Return the party name in ``row.text[start:end]``: its first piece, without salutation."""
    text = row.text[start:end]
    lead = len(text) - len(text.lstrip(" :;-\u2013#"))
    piece = NAME_SEPARATORS.split(text[lead:])[0]
    piece = ADDRESS_AFTER_NAME.split(piece)[0].strip(" ,;:")
    words = piece.split()
    while words and fold_text(words[0]).rstrip(".:,") in SALUTATIONS:
        words = words[1:]
    name = " ".join(words)
    if not _looks_like_name(name):
        return None
    begin = start + text.find(name) if name in text else start + lead
    return name, begin, begin + len(name)


def _looks_like_name(text: str) -> bool:
    """Return True for text with letters that is not a value, a label or an address line."""
    letters = sum(char.isalpha() for char in text)
    if letters < 2 or letters < len(text) / 2 or not text[:1].isalnum():
        return False
    if re.search(r"[^\W\d_]\s*:", text):
        return False  # "Nummer: 549910", a label and its value
    if parse_date(text) is not None or parse_amount(text) is not None:
        return False
    folded = fold_text(text)
    return "@" not in text and not folded.startswith(("www", "http", "tel", "fax"))


def _seller_name(document: Document, buyer: Candidate | None) -> Candidate | None:
    """Return the seller's name: under a seller label, before a legal form, or on top."""
    found: list[Candidate] = []
    for row in document.rows:
        hits = document.hits_of(row)
        for position, hit in enumerate(hits):
            weight = hit.weights.get("seller_name")
            if weight is None or not _is_party_label(hit):
                continue
            following = hits[position + 1] if position + 1 < len(hits) else None
            name = _name_near(document, hit, following, "seller_name", weight)
            if name is not None:
                found.append(name)
    buyer_name = fold_text(str(buyer.value)) if buyer is not None else None
    found.extend(
        candidate
        for candidate in _legal_form_names(document)
        if fold_text(str(candidate.value)) != buyer_name
    )
    top = _top_line_name(document)
    if top is not None and (buyer_name is None or fold_text(str(top.value)) != buyer_name):
        found.append(top)
    return best_candidate(found)


def _legal_form_names(document: Document) -> Iterator[Candidate]:
    """Yield company names ending with a legal form, outside the buyer's blocks."""
    counts: dict[str, int] = {}
    names: list[Candidate] = []
    for row in document.rows:
        for piece_start, piece in _pieces(row):
            name = _company_name(piece)
            if name is None:
                continue
            start = piece_start + piece.find(name)
            candidate = Candidate("seller_name", name, 0.0, row, start, start + len(name))
            if in_buyer_block(document, candidate) or _mean_confidence(row) < MIN_NAME_CONFIDENCE:
                continue
            counts[fold_text(name)] = counts.get(fold_text(name), 0) + 1
            names.append(candidate)
    for candidate in names:
        page_height = document.page_height(candidate.row)
        score = LEGAL_FORM_NAME
        if candidate.row.page == 0 and candidate.row.top < TOP_ZONE * page_height:
            score += NEAR_TOP_BONUS
        if counts[fold_text(str(candidate.value))] > 1:
            score += REPEATED_BONUS
        yield with_score(candidate, score)


def _pieces(row: TextRow) -> Iterator[tuple[int, str]]:
    """Yield the pieces of a row: its columns, split again at " - ", "|", "•"."""
    for segment_start, segment_end in row.segments():
        text = row.text[segment_start:segment_end]
        start = 0
        for match in NAME_SEPARATORS.finditer(text):
            yield segment_start + start, text[start : match.start()]
            start = match.end()
        yield segment_start + start, text[start:]


def _company_name(piece: str) -> str | None:
    """Return the company name in ``piece`` ending with a legal form, or None."""
    words = piece.split()
    for index, word in enumerate(words):
        folded = fold_text(word).rstrip(",;:").replace(".", "")
        if folded not in LEGAL_FORMS or index == 0:
            continue
        if word.isalpha() and word.islower():
            continue  # "sa", "se" in running text are French words, not legal forms
        end = index + 1
        while end < len(words) and fold_text(words[end]).rstrip(",;:.") in LEGAL_FORM_TAILS:
            end += 1  # "GmbH & Co. KG", "SARL & Cie"
        name_words = words[max(0, index - 5) : end]
        for position in range(len(name_words) - 1, -1, -1):
            if name_words[position].endswith(":"):
                name_words = name_words[position + 1 :]
                break
        name = " ".join(name_words).rstrip(",;:")
        if _looks_like_name(name) and len(name_words) >= 2:
            return name
    return None


def _top_line_name(document: Document) -> Candidate | None:
    """Return the largest-printed row near the top of page one, as a weak seller name."""
    first_page = [row for row in document.rows if row.page == 0]
    if not first_page:
        return None
    height = document.page_height(first_page[0])
    top_rows = [row for row in first_page if row.top < TOP_LINE_ZONE * height]
    options = []
    for row in top_rows:
        for piece_start, piece in _pieces(row):
            name = piece.strip(" ,;:")
            folded_words = fold_text(name).split()
            if not folded_words or folded_words[0].strip(".:") in TITLE_WORDS:
                continue
            if not _looks_like_name(name):
                continue
            start = piece_start + piece.find(name)
            candidate = Candidate("seller_name", name, TOP_LINE_NAME, row, start, start + len(name))
            if (
                not in_buyer_block(document, candidate)
                and not document.hits_of(row)
                and _mean_confidence(row) >= MIN_NAME_CONFIDENCE
            ):
                options.append(candidate)
    if not options:
        return None
    tallest = max(candidate.row.height for candidate in options)
    return next(
        candidate
        for candidate in options
        if candidate.row.height >= TOP_LINE_HEIGHT_SHARE * tallest
    )


def _mean_confidence(row: TextRow) -> float:
    """Return the mean recognition confidence of the row's words (1.0 for a text layer)."""
    return sum(word.confidence for word in row.words) / len(row.words) if row.words else 0.0
