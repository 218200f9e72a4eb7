"""Fit the reader's model from documents whose printed fields are known.

A candidate is a positive example of a field when its value is the field's expected value
(several printings of the gross all are). Nothing here knows where the documents come
from: ``scripts/train_reader.py`` feeds it the generator's tuning families.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from extractors import load_document
from extractors.base import ExtractOptions, PageWords
from extractors.fields import find_fields
from extractors.normalize import fold_text
from extractors.ocr import PREPROCESSING_VERSION
from extractors.ocr_reading import OcrExtractor
from extractors.reader.candidates import (
    FIELDS_OF_KIND,
    MONTH_STEMS,
    CandidateKind,
    find_candidates,
    same_value,
)
from extractors.reader.features import DocumentView, Features, featurize
from extractors.reader.model import (
    KindModel,
    ReaderMetadata,
    ReaderModel,
    rival_margins,
    text_scores,
)
from extractors.text_layer import TextLayerExtractor

logger = logging.getLogger(__name__)

FOLDS = 3
SUFFIXES = {"text-pdf": ".pdf", "scanned-pdf": ".pdf", "image": ".jpg", "photo": ".jpg"}
TEXT_C = 1.0
TREE_ITERATIONS = 100


@dataclass(frozen=True)
class LabelledDocument:
    """A document's candidates of one kind each, their features and their labels.

    ``layout`` names what the document shares its layout with (a generated family, a
    supplier): the regressions' out-of-fold scores are computed a whole layout at a time.
    """

    name: str
    by_kind: Mapping[CandidateKind, tuple[Features, npt.NDArray[np.bool_]]]
    weight: float = 1.0
    layout: str = ""


def in_training_half(truth: Mapping[str, Any], name: str) -> bool:
    """Return True for the half of a real dataset trained on: decided by a hash of the
    invoice's number and seller (several versions of one invoice stay together), else of
    the document's name."""
    fields = truth.get("fields") or {}
    key = f"{fields.get('invoice_number')}|{fields.get('seller_name')}"
    if fields.get("invoice_number") is None:
        key = name
    return hashlib.sha256(key.encode()).digest()[0] % 2 == 0


# Labels of an invoice written in words no training document uses: the letters of a label
# word are replaced, the same way throughout the document, by others drawn from its hash.
_LABEL_WORD = re.compile(r"[^\W\d_]{2,}")
_LETTERS = "bcdfghjklmnpqrstvwxzaeiouy"


def printed_values(truth: Mapping[str, Any]) -> list[object]:
    """Return a truth document's field values, the forms they are printed in where it has
    them ("28 de agosto de 2026" for 2026-08-28), and its lines' descriptions."""
    return [
        *truth["fields"].values(),
        *(truth.get("printed") or {}).values(),
        *(line.get("description") for line in truth.get("lines") or []),
    ]


def with_unseen_labels(
    pages: Sequence[PageWords], values: Iterable[object], salt: str
) -> list[PageWords]:
    """Return ``pages`` with every word that is no part of a printed value (``values``, see
    ``printed_values``) nor a month name rewritten into a pseudo-word: a supplier whose
    labels neither the model nor the finder's dictionaries know.

    Training on some such documents teaches the model what the page says without its
    labels (where a value stands, its shape, how it compares with the other values), the
    fallback a truly new supplier's invoice needs.
    """
    kept = {
        fold_text(word)
        for value in values
        if isinstance(value, str)
        for word in _LABEL_WORD.findall(value)
    }

    def rewrite(match: re.Match[str]) -> str:
        word = match.group(0)
        folded = fold_text(word)
        if folded in kept or folded[:3] in MONTH_STEMS:
            return word
        digest = hashlib.sha256(f"{salt}|{folded}".encode()).digest()
        letters = [_LETTERS[byte % len(_LETTERS)] for byte in digest[: len(word)]]
        return "".join(
            new.upper() if old.isupper() else new for old, new in zip(word, letters, strict=False)
        )

    return [
        page.model_copy(
            update={
                "words": [
                    word.model_copy(update={"text": _LABEL_WORD.sub(rewrite, word.text)})
                    for word in page.words
                ]
            }
        )
        for page in pages
    ]


def label_document(
    name: str,
    pages: Sequence[PageWords],
    truth: Mapping[str, object],
    *,
    weight: float = 1.0,
    layout: str = "",
) -> LabelledDocument:
    """Return the candidates of ``pages`` with their features and whether each is the
    expected value of each field of its kind (``truth``: field name to printed value)."""
    found = find_fields(pages)
    document = found.document
    candidates = find_candidates(document.rows, document.languages, day_first=document.day_first)
    view = DocumentView(
        document.pages,
        document.rows,
        candidates,
        found.values,
        found.confidence,
        document.hits,
    )
    features = featurize(view, candidates)
    by_kind: dict[CandidateKind, tuple[Features, npt.NDArray[np.bool_]]] = {}
    for kind, fields in FIELDS_OF_KIND.items():
        indexes = [i for i, candidate in enumerate(candidates) if candidate.kind is kind]
        if not indexes:
            continue
        labels = np.array(
            [
                [same_value(kind, candidates[i].value, truth.get(field)) for field in fields]
                for i in indexes
            ],
            dtype=bool,
        )
        subset = Features(features.text[indexes], features.dense[np.asarray(indexes)])
        by_kind[kind] = (subset, labels)
    return LabelledDocument(name, by_kind, weight, layout or name)


def fit_reader(
    documents: Sequence[LabelledDocument],
    metadata: ReaderMetadata,
    *,
    seed: int,
    tree_iterations: int = TREE_ITERATIONS,
) -> ReaderModel:
    """Return the reader fitted on ``documents``; deterministic for a given ``seed``."""
    kinds: dict[CandidateKind, KindModel] = {}
    layouts = {name: index for index, name in enumerate(dict.fromkeys(d.layout for d in documents))}
    for kind, fields in FIELDS_OF_KIND.items():
        parts = [
            (doc_index, document.by_kind[kind])
            for doc_index, document in enumerate(documents)
            if kind in document.by_kind
        ]
        if not parts:
            logger.warning("reader: no %s candidates to fit on; the finder reads those", kind)
            continue
        text = sparse.vstack([features.text for _, (features, _) in parts], format="csr")
        dense = np.vstack([features.dense for _, (features, _) in parts])
        labels = np.vstack([labels for _, (_, labels) in parts])
        groups = np.concatenate(
            [
                np.full(features.text.shape[0], layouts[documents[doc_index].layout])
                for doc_index, (features, _) in parts
            ]
        )
        weights = np.concatenate(
            [
                np.full(features.text.shape[0], documents[doc_index].weight)
                for doc_index, (features, _) in parts
            ]
        )
        of_document = np.concatenate(
            [np.full(features.text.shape[0], doc_index) for doc_index, (features, _) in parts]
        )
        kinds[kind] = _fit_kind(
            fields,
            text,
            dense,
            labels,
            Rows(groups, weights, of_document),
            seed,
            tree_iterations,
        )
        logger.info("reader: %s fitted on %d candidates", kind.value, text.shape[0])
    return ReaderModel(kinds, metadata)


@dataclass(frozen=True)
class Rows:
    """What each row of a kind's training candidates belongs to: its layout (the folds'
    group), its weight, and its document (whose other candidates are its rivals)."""

    layouts: npt.NDArray[np.int_]
    weights: npt.NDArray[np.float64]
    documents: npt.NDArray[np.int_]


def _fit_kind(
    fields: tuple[str, ...],
    text: sparse.csr_matrix,
    dense: npt.NDArray[np.float64],
    labels: npt.NDArray[np.bool_],
    rows: Rows,
    seed: int,
    tree_iterations: int,
) -> KindModel:
    """Fit the text regressions, their out-of-fold scores, then the trees on those.

    The folds hold whole layouts out (``rows.layouts``), so the trees learn how far the text
    can be trusted on a layout, and its wording, that the regressions never saw: the case
    of every new supplier. Folds of single documents would let a family's own labels
    vouch for themselves.
    """
    weights = rows.weights
    out_of_fold = np.zeros((text.shape[0], len(fields)))
    for train, held_out in GroupKFold(n_splits=FOLDS).split(text, groups=rows.layouts):
        fold_models = [
            _text_model(text[train], labels[train, i], weights[train], seed)
            for i in range(len(fields))
        ]
        out_of_fold[held_out] = text_scores(fold_models, text[held_out])
    text_models = [_text_model(text, labels[:, i], weights, seed) for i in range(len(fields))]
    margins = rival_margins(out_of_fold, rows.documents.astype(np.intp))
    stacked = np.hstack([out_of_fold, margins, dense])
    trees = []
    for index in range(len(fields)):
        tree = HistGradientBoostingClassifier(
            max_iter=tree_iterations,
            learning_rate=0.1,
            max_leaf_nodes=31,
            min_samples_leaf=20,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
        trees.append(tree.fit(stacked, labels[:, index], sample_weight=weights))
    return KindModel(fields, text_models, trees)


def _text_model(
    text: sparse.csr_matrix,
    labels: npt.NDArray[np.bool_],
    weights: npt.NDArray[np.float64],
    seed: int,
) -> LogisticRegression:
    model = LogisticRegression(C=TEXT_C, solver="liblinear", max_iter=500, random_state=seed)
    return model.fit(text, labels, sample_weight=weights)


def page_words(data: bytes, suffix: str, cache: Path) -> list[PageWords]:
    """Return the words of a document's pages as the cascade reads them from its page
    (text layer, else OCR; never an embedded XML), cached by the document's sha256 and the
    version of what OCR is given (a new preprocessing reads the pages again)."""
    cached = cache / f"{hashlib.sha256(data).hexdigest()}-ocr{PREPROCESSING_VERSION}.json"
    if cached.is_file():
        return [PageWords.model_validate(page) for page in json.loads(cached.read_text())]
    options = ExtractOptions(read_page=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"document{suffix}"
        path.write_bytes(data)
        document = load_document(path, options)
        extraction = TextLayerExtractor().extract(document, options) or OcrExtractor().extract(
            document, options
        )
    pages = list(extraction.page_words) if extraction is not None else []
    cache.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps([page.model_dump() for page in pages]))
    return pages
