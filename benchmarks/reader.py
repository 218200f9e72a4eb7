"""Field accuracy of the reader on the layout-randomised families, by family group.

    uv run python benchmarks/reader.py [--group validation] [--per-family 4]
        [--kinds text-pdf,scanned-pdf,photo] [--seed 2026] [--model DIR] [--plot FILE.png]
        [--below 80] [--from 80] [--unseen-labels] [--misses] [--no-name-marks]

Generates each family's documents (``samples.randomised``), reads their pages as the
cascade does (text layer, else the real OCR; words cached in ``--cache``), and scores the
fields and lines against what is printed. Every figure names the family group it was
measured on: ``validation`` families are never used to train or tune the reader, so they
stand for suppliers nobody has seen; ``tuning`` figures are training-set figures. Two
readings are compared on the same words: the label-based finder alone, and the finder
with the learned reader (the product). Also printed: per-field accuracy, line-item F1,
and the reliability of the reader's confidences (how often a field read with a given
confidence is right), optionally plotted to ``--plot``. On OCR'd pages the reader's
names are read again for their accents as the product does (``extractors.name_marks``,
on the page images rendered again), unless ``--no-name-marks``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice, pairwise
from pathlib import Path
from typing import Any

from accuracy import count_matched_lines, find_cases, same_value, scored_fields
from PIL import Image

from extractors.base import Deadline, ExtractOptions, FieldReading, PageWords
from extractors.fields import apply_reader, find_fields
from extractors.name_marks import with_name_marks
from extractors.ocr import (
    KEPT_UPRIGHT_PAGES,
    load_image_pages,
    name_line_reader,
    render_pdf_pages,
    upright_page,
)
from extractors.reader.model import SHIPPED_MODEL_DIR, ReaderModel, load_reader
from extractors.reader_training import SUFFIXES, page_words, printed_values, with_unseen_labels
from samples.randomised import (
    FRESH_FAMILIES,
    TUNING_FAMILIES,
    VALIDATION_FAMILIES,
    generate_document,
)

RELIABILITY_BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001)
# Time allowed to render a document's pages again, or to read its names again.
IMAGE_SECONDS = 300.0


@dataclass
class Score:
    """Scored, predicted and correct counts of fields, and lines."""

    scored: int = 0
    predicted: int = 0
    correct: int = 0
    truth_lines: int = 0
    predicted_lines: int = 0
    matched_lines: int = 0

    @property
    def f1(self) -> float:
        precision = self.correct / self.predicted if self.predicted else 0.0
        recall = self.correct / self.scored if self.scored else 0.0
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    @property
    def line_f1(self) -> float:
        if not self.truth_lines:
            return 0.0
        precision = self.matched_lines / self.predicted_lines if self.predicted_lines else 0.0
        recall = self.matched_lines / self.truth_lines
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


@dataclass
class Results:
    """Scores per reading and kind, per field, and (confidence, correct) pairs."""

    by_kind: dict[tuple[str, str], Score] = field(default_factory=lambda: defaultdict(Score))
    by_field: dict[tuple[str, str], Score] = field(default_factory=lambda: defaultdict(Score))
    by_family: dict[tuple[str, int], Score] = field(default_factory=lambda: defaultdict(Score))
    confidences: list[tuple[float, bool]] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    seconds: float = 0.0
    pages: int = 0
    skipped: int = 0


def score(
    results: Results,
    reading_name: str,
    truth: dict[str, Any],
    reading: FieldReading,
    family: int,
    name: str,
) -> None:
    predicted = reading.fields.model_dump(mode="json")
    kind = str(truth.get("kind"))
    targets = [results.by_kind[reading_name, kind], results.by_family[reading_name, family]]
    for field_name in scored_fields(truth, read_page=False):
        expected, got = truth["fields"][field_name], predicted[field_name]
        correct = got is not None and same_value(field_name, expected, got)
        for target in [*targets, results.by_field[reading_name, field_name]]:
            target.scored += 1
            target.predicted += got is not None
            target.correct += correct
        if reading_name == "reader" and got is not None:
            results.confidences.append((reading.confidence.get(field_name, 0.0), correct))
        if reading_name == "reader" and not correct:
            results.misses.append(f"{name}: {field_name} {got!r} != {expected!r}")
    truth_lines = truth.get("lines") or []
    if truth_lines:
        lines = [line.model_dump(mode="json") for line in reading.lines]
        for target in targets:
            target.truth_lines += len(truth_lines)
            target.predicted_lines += len(lines)
            target.matched_lines += count_matched_lines(truth_lines, lines)


def read_and_score(
    results: Results,
    model: ReaderModel,
    pages: Sequence[PageWords],
    truth: dict[str, Any],
    family: int,
    name: str,
    images: Mapping[int, Image.Image] | None = None,
) -> None:
    """Read ``pages`` with the finder alone and with the reader; time it and score both.
    ``images``: the upright page images OCR read, for the names' accents."""
    started = time.process_time()
    found = find_fields(pages)
    with_reader = apply_reader(found, model)
    results.seconds += time.process_time() - started
    if images:
        read_line = name_line_reader(Deadline(time.monotonic() + IMAGE_SECONDS, name))
        if read_line is not None:
            with_reader = with_name_marks(with_reader, images, read_line)
    results.pages += len(pages)
    score(results, "finder", truth, found.reading(), family, name)
    score(results, "reader", truth, with_reader, family, name)


def run(
    families: Sequence[int],
    per_family: int,
    kinds: Sequence[str],
    seed: int,
    model: ReaderModel,
    cache: Path,
    unseen_labels: bool = False,
    name_marks: bool = True,
) -> Results:
    results = Results()
    for family in families:
        for index in range(per_family):
            for kind in kinds:
                document = generate_document(family, 1000 + index, kind, seed=seed)
                pages = page_words(document.data, SUFFIXES[kind], cache)
                if unseen_labels:
                    pages = with_unseen_labels(
                        pages, printed_values(document.truth), document.filename
                    )
                ocr = bool(pages) and pages[0].method == "ocr"
                images = upright_images(document.data, kind) if ocr and name_marks else None
                read_and_score(
                    results, model, pages, document.truth, family, document.filename, images
                )
    return results


def upright_images(data: bytes, kind: str) -> dict[int, Image.Image]:
    """Return the upright images of the first pages of a document, as OCR read them."""
    options = ExtractOptions()
    deadline = Deadline(time.monotonic() + IMAGE_SECONDS, "benchmark")
    if SUFFIXES[kind] == ".pdf":
        pages = render_pdf_pages(data, None, options.ocr_dpi, deadline)
    else:
        pages = load_image_pages(
            data,
            "benchmark",
            max_pixels=options.max_image_pixels,
            max_frames=options.max_image_frames,
        )
    return {number: upright_page(image) for number, image in islice(pages, KEPT_UPRIGHT_PAGES)}


def run_folders(folders: Sequence[Path], model: ReaderModel, cache: Path) -> Results:
    """Score the documents of ``folders`` (expected JSON beside each), read from the page:
    only the fields checked on the page are scored where a JSON lists them, and only the
    documents the model was not trained on (its metadata lists those)."""
    results = Results()
    trained = set(model.metadata.training.get("shared_documents_trained", []))
    for folder in folders:
        for case in find_cases(folder, read_page=True):
            if f"{folder.name}/{case.document.name}" in trained:
                results.skipped += 1
                continue
            truth = dict(case.truth)
            if "checked_on_page" in truth:
                truth["scored"] = [
                    name
                    for name in truth.get("scored", truth["checked_on_page"])
                    if name in truth["checked_on_page"]
                ]
            suffix = case.document.suffix.lower()
            pages = page_words(case.document.read_bytes(), suffix, cache)
            read_and_score(results, model, pages, truth, 0, case.document.name)
    return results


def reliability(confidences: Sequence[tuple[float, bool]]) -> list[tuple[str, int, float]]:
    """Return (bin, fields, share right) for each confidence bin."""
    rows = []
    for low, high in pairwise(RELIABILITY_BINS):
        inside = [correct for confidence, correct in confidences if low <= confidence < high]
        if inside:
            rows.append(
                (f"[{low:.2f}, {min(high, 1.0):.2f})", len(inside), sum(inside) / len(inside))
            )
    return rows


def print_results(results: Results, group: str, show_misses: bool) -> None:
    print(f"family group: {group}")
    if results.skipped:
        print(f"({results.skipped} documents the model was trained on are left out)")
    print(f"{'kind':<14}{'finder F1':>11}{'reader F1':>11}{'lines F1':>10}  fields")
    for (reading, kind), item in sorted(results.by_kind.items()):
        if reading != "reader":
            continue
        finder = results.by_kind["finder", kind]
        print(f"{kind:<14}{finder.f1:>11.3f}{item.f1:>11.3f}{item.line_f1:>10.3f}  {item.scored}")
    print(f"\n{'field':<16}{'finder':>8}{'reader':>8}  of")
    for (reading, name), item in sorted(results.by_field.items()):
        if reading != "reader":
            continue
        finder = results.by_field["finder", name]
        print(
            f"{name:<16}{finder.correct / finder.scored:>8.3f}"
            f"{item.correct / item.scored:>8.3f}  {item.scored}"
        )
    print(f"\n{'family':<8}{'finder':>8}{'reader':>8}{'lines':>8}")
    for (reading, family), item in sorted(results.by_family.items()):
        if reading == "reader":
            finder = results.by_family["finder", family].f1
            print(f"{family:<8}{finder:>8.3f}{item.f1:>8.3f}{item.line_f1:>8.3f}")
    print("\nreliability of the reader's confidence (fields read):")
    for label, count, right in reliability(results.confidences):
        print(f"  {label:<14}{count:>6} fields  {right:.4f} right")
    high = [correct for confidence, correct in results.confidences if confidence >= 0.9]
    if high:
        print(f"  confidence >= 0.9: {len(high)} fields, {sum(high) / len(high):.4f} right")
    if results.pages:
        print(
            "\nreading (finder + reader), core time: "
            f"{1000 * results.seconds / results.pages:.1f} ms/page"
        )
    if show_misses:
        print("\n".join(["", *results.misses]))


def plot(results: Results, path: Path, group: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = reliability(results.confidences)
    mids = [(low + min(high, 1.0)) / 2 for low, high in pairwise(RELIABILITY_BINS)]
    figure, axis = plt.subplots(figsize=(5, 4))
    axis.plot([0, 1], [0, 1], linestyle=":", color="grey")
    labels = [label for label, _, _ in rows]
    points = [(mids[i], right) for i, (label, _, right) in enumerate(rows) if label in labels]
    axis.plot([x for x, _ in points], [y for _, y in points], marker="o")
    axis.set_xlabel("confidence")
    axis.set_ylabel("share right")
    axis.set_title(f"reader reliability, {group} families")
    figure.savefig(path, dpi=100)


def add_family_arguments(parser: argparse.ArgumentParser, *, per_family: int) -> None:
    """Add the options that choose the generated families: group, range, documents each."""
    parser.add_argument(
        "--group",
        choices=("validation", "tuning", "fresh"),
        default="validation",
        help="fresh: validation families held in reserve, from 163 (samples.randomised)",
    )
    parser.add_argument("--per-family", type=int, default=per_family)
    parser.add_argument(
        "--below", type=int, help="only the group's families numbered below this (e.g. 80)"
    )
    parser.add_argument(
        "--from",
        dest="start",
        type=int,
        help="only the group's families numbered from this on (e.g. 80)",
    )


def chosen_families(arguments: argparse.Namespace) -> tuple[tuple[int, ...], str]:
    """Return the families ``add_family_arguments``' options choose, and the name of that
    group with its range, for every figure to name."""
    families = {
        "validation": VALIDATION_FAMILIES,
        "tuning": TUNING_FAMILIES,
        "fresh": FRESH_FAMILIES,
    }[arguments.group]
    group = arguments.group
    if arguments.below is not None:
        families = tuple(family for family in families if family < arguments.below)
        group += f" (families below {arguments.below})"
    if arguments.start is not None:
        families = tuple(family for family in families if family >= arguments.start)
        group += f" (families from {arguments.start})"
    return families, group


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_family_arguments(parser, per_family=4)
    parser.add_argument("--kinds", default="text-pdf")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--model", type=Path, default=SHIPPED_MODEL_DIR)
    parser.add_argument("--cache", type=Path, default=Path(".invoicebot/reader-cache"))
    parser.add_argument(
        "--unseen-labels",
        action="store_true",
        help="rewrite each document's labels into words no document uses (a new wording)",
    )
    parser.add_argument("--misses", action="store_true")
    parser.add_argument(
        "--no-name-marks",
        action="store_true",
        help="keep the names' accents as the page's OCR read them (no Latin re-reading)",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--plot", type=Path)
    parser.add_argument(
        "--folders", type=Path, nargs="+", help="score these datasets instead (read the page)"
    )
    arguments = parser.parse_args(argv)
    model = load_reader(arguments.model)
    if arguments.folders:
        results = run_folders(arguments.folders, model, arguments.cache)
        group = "folders " + " ".join(str(folder) for folder in arguments.folders)
    else:
        families, group = chosen_families(arguments)
        results = run(
            families,
            arguments.per_family,
            arguments.kinds.split(","),
            arguments.seed,
            model,
            arguments.cache,
            arguments.unseen_labels,
            name_marks=not arguments.no_name_marks,
        )
        if arguments.unseen_labels:
            group += ", labels rewritten into unseen words"
    if arguments.json:
        print(
            json.dumps(
                {
                    "group": group,
                    "by_kind": {
                        f"{reading}/{kind}": {"f1": item.f1, "line_f1": item.line_f1}
                        for (reading, kind), item in results.by_kind.items()
                    },
                }
            )
        )
    else:
        print_results(results, group, arguments.misses)
    if arguments.plot is not None:
        plot(results, arguments.plot, group)
    return 0


if __name__ == "__main__":
    sys.exit(main())
