"""`invoicebot lifecycle` after a real batch (`tests/e2e/batch.py`: `invoicebot run`, Prefect's
ephemeral server): the statuses of an e-invoice and of paper invoices, a terminal decision,
the payment sent."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.batch import BATCH_APPROVED, BATCH_EXCEPTION, ProcessedBatch
from tests.e2e.test_cli import invoicebot
from tests.einvoices import EN16931_SAMPLE

EINVOICE = EN16931_SAMPLE.name


def lifecycle(env: dict[str, str], *args: str) -> list[dict[str, object]]:
    done = invoicebot("lifecycle", *args, "--json", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    rows: list[dict[str, object]] = json.loads(done.stdout)
    return rows


def test_lifecycle_lists_what_the_batch_the_operator_and_the_payment_issued(
    processed_batch: ProcessedBatch, tmp_path: Path
) -> None:
    env = processed_batch.copied_to(tmp_path)
    statuses = processed_batch.statuses()
    assert (statuses[EINVOICE], statuses[BATCH_EXCEPTION]) == ("approved", "exception")

    rows = lifecycle(env)
    by_invoice = {row["invoice_number"]: row for row in rows}
    assert len(rows) == len(statuses)
    einvoice = by_invoice["F2026-0911"]
    assert (einvoice["status_code"], einvoice["status"], einvoice["einvoice"]) == (
        "205", "approved", True,
    )  # fmt: skip
    message = Path(str(einvoice["message"]))
    assert message.parent == tmp_path / "data" / "outbox" / "lifecycle"
    assert b"<ram:ProcessConditionCode>205</ram:ProcessConditionCode>" in message.read_bytes()
    paper = [row for row in rows if not row["einvoice"]]
    assert sorted(str(row["status_code"]) for row in paper) == ["204"] + ["205"] * (
        len(BATCH_APPROVED) - 1
    )
    assert all(row["message"] is None for row in paper)
    # The batch flow emitted one Prefect event per status.
    assert all(row["event_emitted"] for row in rows)

    waiting = next(row for row in paper if row["status_code"] == "204")
    invoice_id = str(waiting["invoice_id"])
    decided = invoicebot("review", "resolve", invoice_id, "--decision", "reject",
                         "--reviewer", "Camille", env=env)  # fmt: skip
    assert decided.returncode == 0, decided.stderr[-3000:]
    refused = lifecycle(env, "--invoice", invoice_id)
    assert [(r["status_code"], r["reason_code"]) for r in refused] == [
        ("204", None),
        ("210", "MONTANTTOTAL_ERR"),
    ]
    assert refused[1]["message"] is None  # paper: in the store only

    einvoice_id = str(einvoice["invoice_id"])
    paid = invoicebot("lifecycle", "paid", "--invoice", einvoice_id, env=env)
    assert paid.returncode == 0, paid.stderr[-3000:]
    again = invoicebot("lifecycle", "paid", "--invoice", einvoice_id, env=env)
    assert again.returncode == 0 and "already recorded" in again.stdout
    refused_payment = invoicebot("lifecycle", "paid", "--invoice", invoice_id, env=env)
    assert refused_payment.returncode == 1 and "not approved" in refused_payment.stderr
    rows = lifecycle(env, "--invoice", einvoice_id)
    assert [row["status_code"] for row in rows] == ["205", "211"]
    # No Prefect server configured on the terminal: the event waits for the next run.
    assert rows[1]["event_emitted"] is False
    outbox = sorted((tmp_path / "data" / "outbox" / "lifecycle").glob("*.xml"))
    assert [path.name.rsplit("-", 1)[1] for path in outbox] == ["205.xml", "211.xml"]
