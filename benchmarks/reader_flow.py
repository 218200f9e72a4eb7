"""False exceptions on clean invoices of unseen layouts, through the whole batch flow.

    uv run python benchmarks/reader_flow.py [--group validation] [--per-family 5]
        [--kinds text-pdf,scanned-pdf,photo] [--seed 2026] [--below 80] [--from 80] [--details]

Every generated invoice is clean (its arithmetic, identifiers and dates hold), so any
exception the ``process-inbox`` flow raises on one is a false exception an operator would
have to clear by hand. The invoices of the chosen family group (``validation``: never used
to train or tune the reader) are dropped in a fresh inbox and data dir, one batch per kind
(a scan and a photo of one invoice are rightly duplicates of each other), processed by
``invoicebot run`` with no vendor master or purchase orders (the rules that need them stay
silent), and the script prints the share of invoices with any exception, the rules that
fired, the straight-through rate and the time-saved KPI of that mix.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.reader import add_family_arguments, chosen_families
from samples.randomised import generate_document

# After every generated invoice's date, so that none is "in the future".
REFERENCE_DATE = "2026-12-06"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_family_arguments(parser, per_family=5)
    parser.add_argument("--kinds", default="text-pdf")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--details", action="store_true", help="list each flagged invoice")
    arguments = parser.parse_args(argv)
    families, group = chosen_families(arguments)
    for kind in arguments.kinds.split(","):
        summary, partial = run_batch(families, kind, arguments.per_family, arguments.seed)
        if summary is None:
            return 1
        report(summary, f"family group: {group}, kind {kind}", details=arguments.details)
        if partial:
            print(f"  left out: {len(partial)} pictures of a first page alone, which do not")
            print(f"  show the whole invoice's totals: {', '.join(partial)}\n")
    return 0


def run_batch(
    families: Sequence[int], kind: str, per_family: int, seed: int
) -> tuple[dict[str, Any] | None, list[str]]:
    """Return the ``invoicebot run --json`` summary of one batch of the families' invoices of
    ``kind``, in a fresh inbox and store (a scan and a photo of one invoice in one store
    would rightly be duplicates of each other), and the documents left out: a photo of the
    first page of a longer invoice shows no totals, so it is no clean invoice."""
    partial: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        inbox, data = Path(folder) / "inbox", Path(folder) / "data"
        inbox.mkdir()
        for family in families:
            for index in range(per_family):
                document = generate_document(family, 2000 + index, kind, seed=seed)
                if document.truth["fields"].get("total_gross") is None:
                    partial.append(document.filename)
                    continue
                (inbox / document.filename).write_bytes(document.data)
        environment = os.environ | {
            "INVOICEBOT_DATA_DIR": str(data),
            "INVOICEBOT_RULES_REFERENCE_DATE": REFERENCE_DATE,
            "INVOICEBOT_STABLE_SECONDS": "0",
        }
        environment.pop("INVOICEBOT_DATABASE_URL", None)
        finished = subprocess.run(
            [sys.executable, "-m", "invoicebot", "run", "--inbox", str(inbox), "--json"],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    if finished.returncode != 0:
        print(finished.stdout[-2000:], finished.stderr[-4000:], file=sys.stderr)
        return None, partial
    summary: dict[str, Any] = json.loads(finished.stdout[finished.stdout.index("{") :])
    return summary, partial


def report(summary: dict[str, Any], title: str, *, details: bool) -> None:
    """Print the share of invoices with any exception, the rules that fired and the KPIs."""
    invoices = summary["invoices"]
    flagged = [invoice for invoice in invoices if invoice["exceptions"]]
    rules = Counter(item["rule"] for invoice in flagged for item in invoice["exceptions"])
    print(f"{title}, {len(invoices)} invoices")
    print(f"clean invoices raising any exception: {len(flagged) / max(len(invoices), 1):.1%}")
    print(f"straight-through rate: {summary['kpis']['straight_through_rate']:.1%}")
    print(f"time saved against manual keying: {summary['kpis']['time_saved_ratio']:.1%}")
    for rule, count in rules.most_common():
        print(f"  {rule:<28}{count}")
    if details:
        for invoice in flagged:
            for item in invoice["exceptions"]:
                name = Path(str(invoice.get("source"))).name
                print(f"{name}: {json.dumps(item, ensure_ascii=False)}")
    print()


if __name__ == "__main__":
    sys.exit(main())
