"""Field accuracy of the extraction cascade against the expected JSON beside each document.

    uv run python benchmarks/accuracy.py DIR [DIR...] [--read-page] [--templates TDIR] [--json]

Every ``X.json`` with a ``fields`` object names its document (``source``, else the file with the
same stem). A field is scored where its expected value is not null and, when the JSON lists
``scored`` fields (or, with ``--read-page``, ``checked_on_page`` fields), only if listed there.
``--read-page`` reads the page even when an e-invoice XML is embedded, and skips documents
whose page shows another invoice than their XML (``page_matches_xml: false``). ``--templates``
applies a folder of invoice2data supplier templates over the generic field finder.

Documents the shipped field reader was trained on (half of each real set, listed in its
metadata) are left out, so every figure is on documents no part of the reader has seen.

Prints per-field accuracy (correct / scored), per-kind precision, recall and F1 (precision:
correct / predicted among scored fields; recall: correct / scored), line-item F1 where the
truth has lines, and seconds per document and per page.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from extractors import extract_document
from extractors.base import ExtractOptions
from extractors.reader.model import ReaderModelError, shipped_reader
from extractors.templates import TemplateError, load_templates
from invoicebot.model import AMOUNT_FIELDS, FIELD_NAMES, Extraction

IDENTIFIER_FIELDS = frozenset({"seller_vat_id", "seller_siret", "seller_iban", "buyer_vat_id"})
DOCUMENT_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".xml")
# Two lines are the same line when their net amounts agree and descriptions are this similar.
LINE_DESCRIPTION_SIMILARITY = 0.6


@dataclass(frozen=True)
class Case:
    """One document and what it should read as."""

    document: Path
    truth: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.truth.get("kind") or "unknown")


@dataclass
class FieldScore:
    """Counts for one field or one kind: scored, predicted (non-null) and correct."""

    scored: int = 0
    predicted: int = 0
    correct: int = 0

    def add(self, predicted: bool, correct: bool) -> None:
        self.scored += 1
        self.predicted += predicted
        self.correct += correct

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.scored if self.scored else 0.0

    @property
    def f1(self) -> float:
        return _f1(self.precision, self.recall)


@dataclass
class KindReport:
    """What one kind of document scored, and how long it took."""

    fields: FieldScore = field(default_factory=FieldScore)
    documents: int = 0
    errors: int = 0
    seconds: list[float] = field(default_factory=list)
    seconds_per_page: list[float] = field(default_factory=list)
    methods: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    truth_lines: int = 0
    predicted_lines: int = 0
    matched_lines: int = 0


@dataclass
class Report:
    """Every score of one benchmark run."""

    by_field: dict[str, FieldScore] = field(default_factory=lambda: defaultdict(FieldScore))
    by_kind: dict[str, KindReport] = field(default_factory=lambda: defaultdict(KindReport))
    misses: list[str] = field(default_factory=list)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark on the folders given on the command line; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, metavar="DIR")
    parser.add_argument("--read-page", action="store_true", help="read the page, not the XML")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--misses", action="store_true", help="list every wrong or missed field")
    parser.add_argument(
        "--templates", type=Path, metavar="TDIR", help="folder of invoice2data supplier templates"
    )
    args = parser.parse_args(argv)
    options = ExtractOptions(read_page=args.read_page, templates_dir=args.templates)
    if args.templates is not None:
        try:
            load_templates(args.templates)  # fail before the first document, not on it
        except TemplateError as error:
            print(error, file=sys.stderr)
            return 2
    cases = [case for folder in args.folders for case in find_cases(folder, args.read_page)]
    trained = trained_documents()
    held_out = [case for case in cases if _dataset_name(case) not in trained]
    if len(held_out) < len(cases):
        print(f"({len(cases) - len(held_out)} documents the field reader was trained on left out)")
        cases = held_out
    if not cases:
        print("no document with an expected JSON beside it", file=sys.stderr)
        return 2
    report = run(cases, options)
    if args.json:
        print(json.dumps(as_json(report), indent=2))
    else:
        print_report(report, show_misses=args.misses)
    return 0


def trained_documents() -> set[str]:
    """Return the real documents (``folder/file``) the shipped field reader was trained on:
    scoring them would measure memory, not reading."""
    try:
        metadata = shipped_reader().metadata
    except ReaderModelError:
        return set()
    return set(metadata.training.get("shared_documents_trained", []))


def _dataset_name(case: Case) -> str:
    return f"{case.document.parent.name}/{case.document.name}"


def find_cases(folder: Path, read_page: bool) -> Iterator[Case]:
    """Yield every document of ``folder`` that has an expected JSON beside it."""
    for truth_path in sorted(folder.glob("*.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if not isinstance(truth, dict) or "fields" not in truth:
            continue
        if read_page and truth.get("page_matches_xml") is False:
            continue
        document = _document_of(truth_path, truth)
        if document is not None:
            yield Case(document=document, truth=truth)


def _document_of(truth_path: Path, truth: dict[str, Any]) -> Path | None:
    if truth.get("source"):
        named = truth_path.parent / str(truth["source"])
        return named if named.exists() else None
    siblings = [truth_path.with_suffix(suffix) for suffix in DOCUMENT_SUFFIXES]
    return next((path for path in siblings if path.exists()), None)


def run(cases: Sequence[Case], options: ExtractOptions) -> Report:
    """Return the scores of extracting every case."""
    report = Report()
    for case in cases:
        started = time.perf_counter()
        extraction = extract_document(case.document, options)
        seconds = time.perf_counter() - started
        kind = report.by_kind[case.kind]
        kind.documents += 1
        kind.errors += extraction.error is not None
        kind.seconds.append(seconds)
        if extraction.pages:
            kind.seconds_per_page.append(seconds / extraction.pages)
        kind.methods[str(extraction.method.value if extraction.method else "error")] += 1
        _score_fields(case, extraction, options.read_page, report)
        _score_lines(case, extraction, kind)
    return report


def scored_fields(truth: dict[str, Any], read_page: bool) -> list[str]:
    """Return the fields of ``truth`` to score: non-null, and listed where a list is given."""
    expected = truth["fields"]
    names = [name for name in FIELD_NAMES if expected.get(name) is not None]
    for key in ("scored", "checked_on_page") if read_page else ("scored",):
        if key in truth:
            names = [name for name in names if name in truth[key]]
    return names


def _score_fields(case: Case, extraction: Extraction, read_page: bool, report: Report) -> None:
    predicted = extraction.to_contract()["fields"]
    for name in scored_fields(case.truth, read_page):
        expected = case.truth["fields"][name]
        got = predicted[name]
        correct = got is not None and same_value(name, expected, got)
        report.by_field[name].add(got is not None, correct)
        report.by_kind[case.kind].fields.add(got is not None, correct)
        if not correct:
            report.misses.append(f"{case.document.name}: {name} {got!r} != {expected!r}")


def same_value(name: str, expected: Any, got: Any) -> bool:
    """Return True when two values of field ``name`` mean the same thing."""
    if name in AMOUNT_FIELDS:
        return _decimal(expected) == _decimal(got) and _decimal(got) is not None
    if name in IDENTIFIER_FIELDS:
        return _compact(expected) == _compact(got)
    # Names, numbers, dates (ISO) and currencies: case and spaces do not count.
    return _squeezed(expected) == _squeezed(got)


def _score_lines(case: Case, extraction: Extraction, kind: KindReport) -> None:
    truth_lines = case.truth.get("lines")
    if not truth_lines:
        return
    predicted = [line.model_dump(mode="json") for line in extraction.lines]
    kind.truth_lines += len(truth_lines)
    kind.predicted_lines += len(predicted)
    kind.matched_lines += count_matched_lines(truth_lines, predicted)


def count_matched_lines(expected: list[dict[str, Any]], predicted: list[dict[str, Any]]) -> int:
    """Return how many expected lines a predicted line matches, each used once: same net
    amount and a similar description."""
    unused = list(predicted)
    matched = 0
    for line in expected:
        for candidate in unused:
            same_amount = _decimal(line.get("net_amount")) == _decimal(candidate.get("net_amount"))
            similarity = SequenceMatcher(
                None,
                _squeezed(line.get("description")),
                _squeezed(candidate.get("description")),
            ).ratio()
            if same_amount and similarity >= LINE_DESCRIPTION_SIMILARITY:
                unused.remove(candidate)
                matched += 1
                break
    return matched


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def _compact(value: Any) -> str:
    return "".join(char for char in str(value) if char.isalnum()).upper()


def _squeezed(value: Any) -> str:
    return "".join(str(value or "").split()).casefold()


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _p90(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def print_report(report: Report, *, show_misses: bool) -> None:
    """Print the report as plain tables."""
    print(f"{'field':<16}{'correct':>9}{'scored':>8}{'accuracy':>10}")
    for name in FIELD_NAMES:
        if name in report.by_field:
            score = report.by_field[name]
            print(f"{name:<16}{score.correct:>9}{score.scored:>8}{score.recall:>10.1%}")
    print()
    header = (
        f"{'kind':<14}{'docs':>5}{'errors':>7}{'precision':>10}{'recall':>8}{'F1':>7}"
        f"{'lines F1':>9}{'s/doc':>7}{'p90':>7}{'s/page':>8}  methods"
    )
    print(header)
    for name, kind in sorted(report.by_kind.items()):
        lines_f1 = _f1(
            kind.matched_lines / kind.predicted_lines if kind.predicted_lines else 0.0,
            kind.matched_lines / kind.truth_lines if kind.truth_lines else 0.0,
        )
        lines = f"{lines_f1:>9.1%}" if kind.truth_lines else f"{'-':>9}"
        per_page = statistics.mean(kind.seconds_per_page) if kind.seconds_per_page else 0.0
        methods = ", ".join(f"{method} {count}" for method, count in sorted(kind.methods.items()))
        print(
            f"{name:<14}{kind.documents:>5}{kind.errors:>7}{kind.fields.precision:>10.1%}"
            f"{kind.fields.recall:>8.1%}{kind.fields.f1:>7.1%}{lines}"
            f"{statistics.mean(kind.seconds):>7.2f}{_p90(kind.seconds):>7.2f}{per_page:>8.2f}"
            f"  {methods}"
        )
    if show_misses:
        print()
        print("\n".join(report.misses))


def as_json(report: Report) -> dict[str, Any]:
    """Return the report's figures as a JSON-ready dict."""
    return {
        "fields": {
            name: {"correct": score.correct, "scored": score.scored, "accuracy": score.recall}
            for name, score in report.by_field.items()
        },
        "kinds": {
            name: {
                "documents": kind.documents,
                "errors": kind.errors,
                "precision": kind.fields.precision,
                "recall": kind.fields.recall,
                "f1": kind.fields.f1,
                "lines": {
                    "expected": kind.truth_lines,
                    "predicted": kind.predicted_lines,
                    "matched": kind.matched_lines,
                },
                "seconds_mean": statistics.mean(kind.seconds),
                "seconds_p90": _p90(kind.seconds),
                "seconds_per_page_mean": (
                    statistics.mean(kind.seconds_per_page) if kind.seconds_per_page else None
                ),
                "methods": dict(kind.methods),
            }
            for name, kind in report.by_kind.items()
        },
        "misses": report.misses,
    }


if __name__ == "__main__":
    sys.exit(main())
