"""Lifecycle statuses over real e-invoices: every decision and approval, and the messages.

    uv run python benchmarks/lifecycle.py [--dataset ../shared/datasets/zugferd] [--limit N]

Runs the committed Factur-X samples, four committed paper invoices and the dataset's PDFs
(real Factur-X / ZUGFeRD / XRechnung hybrids) through the pipeline into a fresh store (no
Prefect; official rules on, the four-eyes rule off so that one person's approval applies),
then decides every
exception invoice, cycling through the operator's decisions (``approve_with_corrections``
lowers the amount due by a tenth: a partial approval where the rules then pass). It counts,
per status, the statuses the store holds and the CDAR files the outbox received, then runs
everything again (each file under another name, each decision again, the outbox written
again) and counts what that second pass added: it should add nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASET = ROOT.parent / "shared" / "datasets" / "zugferd"
SAMPLES = [ROOT / "samples" / "invoices" / name
           for name in ("fr-classic-0004-facturx.pdf", "fr-boxed-0035-facturx.pdf")]  # fmt: skip
# Paper invoices (text PDFs and a scan, two with a fault): statuses, never a message.
PAPER = [ROOT / "samples" / "invoices" / name
         for name in ("fr-classic-0001.pdf", "en-ledger-0013.pdf", "fr-classic-0026.pdf",
                      "fr-classic-0008-scan.pdf")]  # fmt: skip
DECISIONS = (
    "approve",
    "approve_with_corrections",
    "reject",
    "send_back_to_supplier",
    "escalate",
)


def main() -> None:
    """Print the statuses and messages per status, and what a second pass added."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--limit", type=int, default=None, help="first N dataset PDFs only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="lifecycle-bench-"))
    os.environ["INVOICEBOT_DATA_DIR"] = str(work / "data")
    os.environ["INVOICEBOT_FOUR_EYES"] = ""
    os.environ.pop("INVOICEBOT_DATABASE_URL", None)
    try:
        run(args.dataset, args.limit, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(dataset: Path, limit: int | None, work: Path) -> None:
    from sqlmodel import Session

    from invoicebot.lifecycle.outbox import outbox_dir, write_messages
    from invoicebot.pipeline import PipelineContext, Skipped, extract_options, process_file
    from invoicebot.review import ReviewNotPendingError, resolve_exception
    from invoicebot.settings import Settings
    from invoicebot.store import init_store, make_engine
    from invoicebot.store.lifecycle import statuses
    from invoicebot.store.review_audit import load_case, waiting_invoice_ids

    found = sorted(dataset.glob("*.pdf"))[:limit] if dataset.is_dir() else []
    documents = [*SAMPLES, *PAPER, *found]
    settings = Settings()
    engine = make_engine(settings.resolved_database_url)
    init_store(engine)
    context = PipelineContext(settings, engine, None, extract_options(settings))
    inbox = work / "inbox"
    inbox.mkdir()

    def process(suffix: str) -> Counter[str]:
        outcomes: Counter[str] = Counter()
        for path in documents:
            copy = Path(shutil.copyfile(path, inbox / f"{path.stem}{suffix}{path.suffix}"))
            result = process_file(copy, context)
            if isinstance(result, Skipped):
                outcomes[f"skipped {result.value}"] += 1
                continue
            outcomes.update(outcome.status.value for outcome in result)
        return outcomes

    def decide(invoice_id: int, decision: str) -> str:
        with Session(engine) as session:
            case = load_case(session, invoice_id=invoice_id)
            corrections = {}
            if decision == "approve_with_corrections":
                payable = case.fields.amount_due or case.fields.total_gross or Decimal(0)
                corrections = {
                    "amount_due": str((payable * Decimal("0.9")).quantize(Decimal("0.01")))
                }
            try:
                audit = resolve_exception(session, invoice_id=invoice_id, decision=decision,
                                          corrections=corrections, reviewer="bench", comment="",
                                          channel="terminal", settings=settings)  # fmt: skip
            except ReviewNotPendingError:
                return "refused: not waiting"
            return audit.status_after

    def outbox_codes() -> Counter[str]:
        return Counter(p.stem.rsplit("-", 1)[1] for p in outbox_dir(settings).glob("*.xml"))

    def store_codes() -> tuple[Counter[str], Counter[str]]:
        with Session(engine) as session:
            rows = statuses(session)
        return (Counter(r.status_code for r in rows if r.einvoice),
                Counter(r.status_code for r in rows if not r.einvoice))  # fmt: skip

    first = process("")
    with Session(engine) as session:
        waiting = waiting_invoice_ids(session)
    made: Counter[str] = Counter()
    plan = {invoice_id: DECISIONS[n % len(DECISIONS)] for n, invoice_id in enumerate(waiting)}
    for invoice_id, decision in plan.items():
        made[f"{decision} -> {decide(invoice_id, decision)}"] += 1
    messages, (einvoice_statuses, paper_statuses) = outbox_codes(), store_codes()

    second = process("-again")
    again: Counter[str] = Counter()
    for invoice_id, decision in plan.items():
        again[f"{decision} -> {decide(invoice_id, decision)}"] += 1
    with Session(engine) as session:
        rewritten = write_messages(session, settings)
    added = outbox_codes() - messages
    einvoice_after, paper_after = store_codes()
    statuses_added = (einvoice_after - einvoice_statuses) + (paper_after - paper_statuses)

    print(f"documents: {len(documents)} ({len(SAMPLES)} committed Factur-X samples, "
          f"{len(PAPER)} committed paper samples, {len(found)} of {dataset})")  # fmt: skip
    print(f"first pass, batch: {dict(first)}")
    print(f"decisions on the {len(waiting)} exception invoices: {dict(made)}")
    print("status | e-invoice statuses in the store | paper statuses | CDAR messages written")
    for code in sorted(set(einvoice_statuses) | set(paper_statuses) | set(messages)):
        print(f"{code} | {einvoice_statuses[code]} | {paper_statuses[code]} | {messages[code]}")
    print(f"second pass, batch: {dict(second)}")
    print(f"second pass, decisions: {dict(again)}")
    print(f"second pass, statuses added: {sum(statuses_added.values())}")
    print(f"second pass, messages added: {sum(added.values())} {dict(added)}; "
          f"rewritten by a new publication: {len(rewritten)}")  # fmt: skip


if __name__ == "__main__":
    main()
