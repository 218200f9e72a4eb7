"""Several invoices in one PDF: how many are cut at the right pages, and are the others flagged.

Builds PDFs that each concatenate 1-6 invoices of the layout-randomised generator
(``samples/randomised``: text PDFs, and scanned ones read by the real OCR), reads them with
``extract_invoices`` and compares each result's ``page_range`` with where each invoice
really is. An invoice is **split right** when one result covers exactly its pages; a
result is **flagged** when its page range's confidence is under ``review_confidence`` (the
``SPLIT-PAGES`` rule then makes it a ``low_confidence`` exception). The target (issue 16):
98 % split right, every other invoice flagged, none wrong and silent.

By default the documents come from the validation report group (families 3, 7, ..., 79),
on which the split heuristics were never tuned; ``--group tuning`` draws tuning families,
for working on them, and ``--group decision`` the validation decision group (83-159), on
which a change is kept or dropped.

    uv run python benchmarks/splitting.py                      # 100 PDFs, half of them scans
    uv run python benchmarks/splitting.py --pdfs 20 --group tuning

``--batch`` pushes the stacks through the batch instead (``invoicebot.pipeline.process_file``,
what the ``process-inbox`` flow runs per file, on a fresh SQLite store in a temporary data
dir) and counts what the store holds: invoices expected and stored, stored at the right
pages, flagged by ``SPLIT-PAGES``, and wrong and unflagged (must be 0). ``--text-only``
builds text PDFs only (no OCR).

    uv run python benchmarks/splitting.py --batch --text-only --pdfs 20
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pypdfium2

from extractors import extract_invoices
from extractors.base import PDFIUM_LOCK
from invoicebot.pipeline import extract_options
from invoicebot.settings import Settings
from samples.randomised import TUNING_FAMILIES, VALIDATION_FAMILIES, generate_document
from tests.inbox import concatenated_pdf
from validation.config import RuleConfig

REPORT_BELOW = 80
# Document indices the reader's training never used (benchmarks/reader.py uses 1000+).
FIRST_INDEX = 3000


@dataclass
class Stack:
    """A concatenated PDF and where each of its invoices really is."""

    name: str
    kind: str
    data: bytes
    ranges: list[tuple[int, int]]
    families: list[int]


def page_count(data: bytes) -> int:
    with PDFIUM_LOCK:
        document = pypdfium2.PdfDocument(data)
        count = len(document)
        document.close()
    return count


def build_stacks(
    count: int, families: tuple[int, ...], seed: int, *, text_only: bool = False
) -> list[Stack]:
    rng = random.Random(seed)
    stacks = []
    for number in range(count):
        kind = "scanned-pdf" if number % 2 and not text_only else "text-pdf"
        invoices = rng.randint(1, 6)
        documents, ranges, chosen = [], [], []
        page = 1
        for _ in range(invoices):
            family = rng.choice(families)
            generated = generate_document(family, FIRST_INDEX + rng.randrange(10_000), kind)
            pages = page_count(generated.data)
            documents.append(generated.data)
            ranges.append((page, page + pages - 1))
            chosen.append(family)
            page += pages
        stacks.append(
            Stack(f"stack-{number:03d}-{kind}", kind, concatenated_pdf(documents), ranges, chosen)
        )
    return stacks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdfs", type=int, default=100)
    parser.add_argument(
        "--group", choices=("validation", "decision", "tuning"), default="validation"
    )
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--verbose", action="store_true", help="print every wrong cut")
    parser.add_argument(
        "--batch", action="store_true", help="store the stacks through the batch and count"
    )
    parser.add_argument("--text-only", action="store_true", help="text PDFs only, no scans")
    args = parser.parse_args(argv)
    families = {
        "validation": tuple(f for f in VALIDATION_FAMILIES if f < REPORT_BELOW),
        "decision": tuple(f for f in VALIDATION_FAMILIES if f >= REPORT_BELOW),
        "tuning": TUNING_FAMILIES,
    }[args.group]
    threshold = RuleConfig().review_confidence
    started = time.perf_counter()
    stacks = build_stacks(args.pdfs, families, args.seed, text_only=args.text_only)
    print(
        f"{len(stacks)} PDFs, {sum(len(s.ranges) for s in stacks)} invoices, "
        f"{sum(s.ranges[-1][1] for s in stacks)} pages, from {args.group} families "
        f"{min(families)}-{max(families)} (built in {time.perf_counter() - started:.0f} s)"
    )
    if args.batch:
        return through_the_batch(stacks, verbose=args.verbose)
    options = extract_options(Settings())
    totals: dict[str, dict[str, int]] = {}
    read_started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for stack in stacks:
            path = Path(folder) / f"{stack.name}.pdf"
            path.write_bytes(stack.data)
            results = extract_invoices(path, options)
            found = {
                tuple(result.page_range or (1, result.pages)): result.confidence.get(
                    "page_range", 1.0
                )
                for result in results
            }
            doubts = {
                tuple(result.page_range or (1, result.pages)): result.split_doubts
                for result in results
            }
            count = totals.setdefault(
                stack.kind, {"invoices": 0, "right": 0, "flagged": 0, "silent": 0, "doubted": 0}
            )
            for truth, family in zip(stack.ranges, stack.families, strict=True):
                count["invoices"] += 1
                confidence = found.get(truth)
                if confidence is not None:
                    count["right"] += 1
                    count["doubted"] += confidence < threshold
                    if args.verbose and confidence < threshold:
                        print(
                            f"  {stack.name} family {family}: pages {truth} doubted: "
                            f"{doubts[truth]}"
                        )
                    continue
                covering = [
                    conf
                    for (first, last), conf in found.items()
                    if first <= truth[1] and last >= truth[0]
                ]
                if covering and min(covering) < threshold:
                    count["flagged"] += 1
                else:
                    count["silent"] += 1
                if args.verbose:
                    print(f"  {stack.name} family {family}: pages {truth} cut as {found}")
    seconds = time.perf_counter() - read_started
    print(f"read in {seconds:.0f} s\n")
    print(
        f"{'kind':12} {'invoices':>8} {'right':>6} {'right %':>8} {'flagged':>8} "
        f"{'silent':>7} {'right but doubted':>18}"
    )
    every = {"invoices": 0, "right": 0, "flagged": 0, "silent": 0, "doubted": 0}
    for kind, count in [*sorted(totals.items()), ("all", every)]:
        if kind != "all":
            for key, value in count.items():
                every[key] += value
        share = count["right"] / max(count["invoices"], 1)
        print(
            f"{kind:12} {count['invoices']:>8} {count['right']:>6} {share:>8.1%} "
            f"{count['flagged']:>8} {count['silent']:>7} {count['doubted']:>18}"
        )
    return 0


def through_the_batch(stacks: list[Stack], *, verbose: bool) -> int:
    """Store every stack through ``process_file`` on a fresh store; print what it holds."""
    from sqlmodel import Session, select

    from invoicebot.pipeline import PipelineContext, process_file
    from invoicebot.store.engine import make_engine
    from invoicebot.store.schema import ensure_schema
    from invoicebot.store.tables import Document, Invoice, RuleResultRow

    counts = dict.fromkeys(
        ("expected", "stored", "right", "flagged", "right but flagged", "wrong, unflagged"), 0
    )
    counts["files archived"] = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["INVOICEBOT_DATA_DIR"] = str(Path(folder) / "data")
        settings = Settings()
        engine = make_engine(settings.resolved_database_url)
        ensure_schema(engine)
        context = PipelineContext(settings, engine, None, extract_options(settings))
        inbox = Path(folder) / "inbox"
        inbox.mkdir()
        for stack in stacks:
            path = inbox / f"{stack.name}.pdf"
            path.write_bytes(stack.data)
            process_file(path, context)
            pages = stack.ranges[-1][1]
            with Session(engine) as session:
                document = session.exec(select(Document).where(Document.source == str(path))).one()
                stored = session.exec(
                    select(Invoice).where(Invoice.document_id == document.id)
                ).all()
                doubted = set(
                    session.exec(
                        select(RuleResultRow.invoice_id)
                        .where(RuleResultRow.rule == "SPLIT-PAGES")
                        .where(RuleResultRow.passed == False)  # noqa: E712 (SQL)
                    ).all()
                )
            counts["expected"] += len(stack.ranges)
            counts["stored"] += len(stored)
            archived = document.archived_path and Path(document.archived_path).exists()
            counts["files archived"] += bool(archived) and not path.exists()
            for invoice in stored:
                cut = tuple(invoice.page_range or (1, pages))
                right = cut in stack.ranges
                flagged = invoice.id in doubted
                counts["right"] += right
                counts["flagged"] += flagged
                counts["right but flagged"] += right and flagged
                counts["wrong, unflagged"] += not right and not flagged
                if verbose and not right:
                    print(f"  {stack.name}: pages {cut} stored, real {stack.ranges}")
            # A real invoice no stored invoice covers exactly, with no flag on its pages.
            for truth in stack.ranges:
                found = [tuple(i.page_range or (1, pages)) for i in stored]
                covering = [
                    i
                    for i, (first, last) in zip(stored, found, strict=True)
                    if first <= truth[1] and last >= truth[0]
                ]
                if truth not in found and not any(i.id in doubted for i in covering):
                    counts["wrong, unflagged"] += 1
        engine.dispose()
    seconds = time.perf_counter() - started
    print(f"through the batch in {seconds:.0f} s ({len(stacks)} files)\n")
    print(
        f"invoices expected {counts['expected']}, stored {counts['stored']}; stored at the "
        f"right pages {counts['right']}; flagged by SPLIT-PAGES {counts['flagged']} "
        f"({counts['right but flagged']} of them right); wrong and unflagged "
        f"{counts['wrong, unflagged']}; files archived once {counts['files archived']} of "
        f"{len(stacks)}"
    )
    return 0 if counts["wrong, unflagged"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
