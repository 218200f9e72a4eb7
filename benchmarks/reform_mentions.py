"""The mentions of the French e-invoicing reform over real e-invoices and the paper samples.

    uv run python benchmarks/reform_mentions.py [--dataset ../shared/datasets/zugferd] [-v]

Reads every XML and PDF e-invoice of the dataset and validates it with the whole rule set
(the official rules included), then prints for each reform rule (FR-BUYER-SIREN,
FR-OPERATION-CATEGORY, FR-DELIVERY-ADDRESS, FR-VAT-ON-DEBITS) how many invoices it applied
to, failed, made an exception of, and left as information because an official rule reported
the same fault; and checks that no fault is ever an exception twice (ours and the official
one). Then reads the committed paper samples (text PDFs, scans, photos) and prints what
FR-REFORM-MENTIONS said of the French ones, that none was made an exception by it, and the
milliseconds the page-text search takes per invoice. ``-v`` lists each failure.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

from extractors import extract_document, load_document
from extractors.base import ExtractOptions
from extractors.printed_mentions import printed_mentions
from extractors.text_layer import TextLayerExtractor
from invoicebot.model import Method
from validation import RULES, validate

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "datasets" / "zugferd"
SAMPLES = ROOT / "samples" / "invoices"
EINVOICE_RULES = (
    "FR-BUYER-SIREN",
    "FR-OPERATION-CATEGORY",
    "FR-DELIVERY-ADDRESS",
    "FR-VAT-ON-DEBITS",
)
PAPER_RULE = "FR-REFORM-MENTIONS"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    einvoices(args.dataset, verbose=args.verbose)
    paper(verbose=args.verbose)


def einvoices(dataset: Path, *, verbose: bool) -> None:
    files = sorted(p for p in dataset.rglob("*") if p.suffix.lower() in {".xml", ".pdf"})
    applied, failed, exceptions, reported = (Counter[str]() for _ in range(4))
    read = twice = 0
    for path in files:
        extraction = extract_document(path)
        if extraction.method is not Method.EINVOICE or extraction.extras is None:
            continue
        read += 1
        results = validate(
            extraction, extras=extraction.extras, reference_date=extraction.fields.invoice_date
        )
        official = {r.rule for r in results if r.is_exception and r.values.get("flag")}
        for result in results:
            if result.rule not in EINVOICE_RULES:
                continue
            applied[result.rule] += 1
            if result.passed:
                continue
            failed[result.rule] += 1
            exceptions[result.rule] += result.is_exception
            by = result.values.get("reported_by")
            if by is not None:
                reported[f"{result.rule} by {by}"] += 1
            covering = set(RULES.get(result.rule).official) & official
            twice += bool(result.is_exception and covering)
            if verbose:
                print(f"  {path.name}: {result.rule} {result.severity.value}: {result.message}")
    print(f"e-invoices read: {read} of {len(files)} files in {dataset}")
    for rule in EINVOICE_RULES:
        print(
            f"  {rule}: applied {applied[rule]}, failed {failed[rule]}, "
            f"exceptions {exceptions[rule]}"
        )
    print(f"  kept as information, the official rule reporting it: {dict(reported) or 'none'}")
    print(f"  faults reported as two exceptions (ours and the official one): {twice}")


def paper(*, verbose: bool) -> None:
    french = sorted(
        path
        for path in SAMPLES.iterdir()
        if path.name.startswith("fr-") and "facturx" not in path.name and path.suffix != ".json"
    )
    results = Counter[str]()
    made_exceptions = 0
    for path in french:
        extraction = extract_document(path)
        if extraction.extras is None or extraction.extras.mentions is None:
            results["no mentions read"] += 1
            continue
        got = [r for r in validate(extraction, extras=extraction.extras) if r.rule == PAPER_RULE]
        if not got:
            results["not applicable (a foreign seller or buyer)"] += 1
        for result in got:
            results["passed" if result.passed else f"lacks {result.values.get('missing')}"] += 1
            made_exceptions += result.is_exception
            if verbose:
                print(f"  {path.name}: {result.message}")
    print(
        f"French paper samples: {len(french)}: {dict(results)}; exceptions made: {made_exceptions}"
    )

    readings = []
    options = ExtractOptions()
    for path in sorted(SAMPLES.glob("*.pdf")):
        extraction = TextLayerExtractor().extract(load_document(path, options), options)
        if extraction is not None and extraction.page_words:
            readings.append(extraction)
    timings = []
    for extraction in readings:
        began = time.perf_counter()
        printed_mentions(extraction.page_words, extraction.fields)
        timings.append((time.perf_counter() - began) * 1000)
    print(
        f"page-text search: {statistics.median(timings):.2f} ms per invoice (median of "
        f"{len(timings)} text-layer readings; max {max(timings):.2f})"
    )


if __name__ == "__main__":
    main()
