"""The official rules (``invoicebot validate``) over every file of a dataset of real e-invoices.

    uv run python benchmarks/official_validation.py [--dataset ../shared/datasets/zugferd]
        [--cpu 0] [-v]

Validates every XML and PDF file of the dataset (Factur-X, ZUGFeRD 1 and 2, XRechnung) against
the XSD and schematron of its syntax and profile, plus the French CTC rules where a party is
French, and prints: files, valid, invalid, unreadable (with the reason), the failures by rule
id (fatal and warning), and the milliseconds per e-invoice on one core once every stylesheet
is compiled (the compilation, once per process, is timed apart). ``-v`` lists each file's
fatal failures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter
from pathlib import Path

from validation.official import Flag, NotAnEInvoiceError, Report, validate_file, warm_up

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "datasets" / "zugferd"
SUFFIXES = frozenset({".xml", ".pdf"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--cpu", type=int, default=0, help="the one core to run on")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    files = sorted(p for p in args.dataset.rglob("*") if p.suffix.lower() in SUFFIXES)
    if not files:
        raise SystemExit(f"no XML or PDF file under {args.dataset}")

    started = time.perf_counter()
    warm_up(every_profile=True)
    compile_s = time.perf_counter() - started

    reports: list[tuple[Path, Report]] = []
    unreadable: list[tuple[Path, str]] = []
    timings_ms: list[float] = []
    for path in files:
        began = time.perf_counter()
        try:
            report = validate_file(path)
        except NotAnEInvoiceError as error:
            unreadable.append((path, error.reason))
            continue
        timings_ms.append((time.perf_counter() - began) * 1000)
        reports.append((path, report))

    valid = [path for path, report in reports if report.valid]
    print(f"dataset: {args.dataset} (one core: cpu {args.cpu})")
    print(f"files: {len(files)}  valid: {len(valid)}  invalid: {len(reports) - len(valid)}", end="")
    print(f"  unreadable: {len(unreadable)}")
    profiles = Counter(f"{report.syntax} {report.profile}" for _path, report in reports)
    print("by syntax and profile: " + ", ".join(f"{k} {n}" for k, n in profiles.most_common()))
    print(f"French CTC rules applied: {sum(report.french for _p, report in reports)} files")
    for path, reason in unreadable:
        print(f"  unreadable: {path.name}: {reason}")
    print("\nfailures by rule id (failures / files), fatal first:")
    for flag in (Flag.FATAL, Flag.WARNING):
        failures = Counter[str]()
        in_files = Counter[str]()
        for _path, report in reports:
            ids = [f.rule_id for f in report.failures if f.flag is flag]
            failures.update(ids)
            in_files.update(set(ids))
        for rule_id, count in failures.most_common():
            print(f"  {flag.value:7} {rule_id:28} {count:4} / {in_files[rule_id]}")
    if args.verbose:
        print("\ninvalid files:")
        for path, report in reports:
            if not report.valid:
                ids = ", ".join(sorted({f.rule_id for f in report.fatal}))
                print(f"  {path.name} ({report.profile}): {ids}")
    print(f"\ncompiling every stylesheet and XSD once: {compile_s:.1f} s")
    if timings_ms:
        ordered = sorted(timings_ms)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        print(
            f"ms per e-invoice (read, XSD, schematrons), {len(ordered)} e-invoices: "
            f"mean {statistics.fmean(ordered):.1f}, median {statistics.median(ordered):.1f}, "
            f"p95 {p95:.1f}, max {ordered[-1]:.1f}"
        )


if __name__ == "__main__":
    main()
