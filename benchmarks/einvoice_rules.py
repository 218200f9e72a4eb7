"""Which rules fire on real hybrid e-invoices, with and without the XML's extras.

    uv run python benchmarks/einvoice_rules.py [--dataset ../shared/datasets/zugferd] [-v]

Reads every PDF of the dataset (real Factur-X / ZUGFeRD 1 and 2 / XRechnung invoices, whose
embedded XML is the ground truth), validates its extraction with no store, once without and
once with the extras the XML states (BIC, allowances, charges, prepaid and rounding amounts,
VAT breakdown), and prints how often each failed rule fires and how often each extra is
stated. Conformant invoices (``__correct__`` in the name) should raise no arithmetic or
identifier exception: ``-v`` lists the invoices behind every failure. The date rules run
with each invoice's own date as "today", so old samples are not reported as late.
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from extractors import extract_document
from invoicebot.model import ExceptionCategory, Extraction, InvoiceExtras, RuleResult
from validation import RULES, validate

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "datasets" / "zugferd"
WATCHED = (ExceptionCategory.ARITHMETIC, ExceptionCategory.INVALID_IDENTIFIER)
EXTRA_NAMES = (
    "seller_bic",
    "line_total",
    "allowance_total",
    "charge_total",
    "prepaid_amount",
    "rounding_amount",
)


def results_of(extraction: Extraction, extras: InvoiceExtras | None) -> list[RuleResult]:
    """Return the results of the rules that apply to ``extraction``, with no store."""
    return validate(
        extraction,
        extras=extras,
        reference_date=extraction.fields.invoice_date or date.today(),
    )


def main() -> None:
    """Print the rule counts over the dataset."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every failure")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    documents = sorted(args.dataset.glob("*.pdf"))
    counts: dict[str, Counter[str]] = {"without extras": Counter(), "with extras": Counter()}
    applied: dict[str, Counter[str]] = {"without extras": Counter(), "with extras": Counter()}
    stated: Counter[str] = Counter()
    details: dict[str, list[str]] = defaultdict(list)
    einvoices = conformant = 0
    for path in documents:
        extraction = extract_document(path)
        if extraction.method is None or extraction.method.value != "einvoice":
            print(f"not read as an e-invoice: {path.name}")
            continue
        einvoices += 1
        is_conformant = "__correct__" in path.name
        conformant += is_conformant
        extras = extraction.extras or InvoiceExtras()
        stated.update(name for name in EXTRA_NAMES if getattr(extras, name) is not None)
        stated.update(["vat_breakdown"] if extras.vat_breakdown else [])
        for label, given in (("without extras", None), ("with extras", extras)):
            for result in results_of(extraction, given):
                applied[label][result.rule] += 1
                if not result.is_exception:
                    continue
                counts[label][result.rule] += 1
                if given is not None:
                    kind = "conformant" if is_conformant else "known-bad"
                    details[result.rule].append(f"{path.stem} [{kind}]: {result.message}")

    print(f"{len(documents)} PDFs, {einvoices} read from their XML, {conformant} conformant")
    print("extras stated: " + ", ".join(f"{name} {stated[name]}" for name in sorted(stated)))
    categories = {spec.id: spec.category for spec in RULES.all()}
    for label, counter in counts.items():
        print(f"\n{label}: rule, invoices it applied to, exceptions it raised")
        for rule_id, checked in sorted(applied[label].items()):
            if categories.get(rule_id) in WATCHED or counter[rule_id]:
                watched = " *" if categories.get(rule_id) in WATCHED else ""
                print(f"  {rule_id:<22}{checked:>4}{counter[rule_id]:>4}{watched}")
    print("\n* arithmetic or identifier rule: should not fire on a conformant invoice")
    if args.verbose:
        for rule_id, lines in sorted(details.items()):
            print(f"\n{rule_id}:")
            for line in lines:
                print(f"  {line}")


if __name__ == "__main__":
    main()
