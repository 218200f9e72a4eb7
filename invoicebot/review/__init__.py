"""Reviewing an exception invoice: the decisions, corrections, and what the operator reads.

The same functions serve the Prefect review form (``flows/review.py``) and the terminal
(``invoicebot review``), so both give the same statuses, audit records and labels.

Here: starting a review and resolving an exception (revalidating the corrected invoice,
recording the decision, its label and its messages). ``decisions`` holds the decisions and
the checks of what the operator entered; ``forms`` what the operator reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from extractors.einvoice import read_stated_extras
from invoicebot.lifecycle.outbox import record_decision, write_messages
from invoicebot.model import Extraction, Method, RuleResult
from invoicebot.review.decisions import (
    APPROVALS,
    BANK_DETAIL_RULES,
    CATEGORY_WORDS,
    DECISION_FOR_SUGGESTION,
    DECISION_HELP,
    DECISION_MAX,
    EXCEPTION_STATE_AFTER,
    IDENTIFIER_FIELDS,
    LABEL_OF,
    STATUS_AFTER,
    Decision,
    DecisionName,
    FourEyesError,
    PersonNameError,
    ReviewInputError,
    ReviewNotPendingError,
    check_consistency,
    check_four_eyes,
    check_person_name,
    fields_to_correct,
    four_eyes_rules,
    label_for,
    parse_corrections,
    parse_decision,
)
from invoicebot.review.forms import (
    MARKDOWN_SPECIAL,
    ORIGINAL_LINK,
    document_link,
    escape_markdown,
    page_view_lines,
    pages_note,
    review_markdown,
    review_run_name,
    review_tags,
    suggested_decision,
    take_markdown,
)
from invoicebot.settings import Settings
from invoicebot.store.repository import StoreHistory
from invoicebot.store.review_audit import (
    PERSON_NAME_MAX,
    WAITING_STATUSES,
    ReviewDecision,
    ReviewStart,
    StoredCase,
    apply_review,
    load_case,
    take_case,
)
from invoicebot.store.tables import utcnow
from invoicebot.store.training_labels import record_label
from validation import load_rule_config, validate


def revalidate(
    session: Session, case: StoredCase, corrected: Mapping[str, Any], settings: Settings
) -> list[RuleResult]:
    """Return every rule's result on the invoice with its corrected fields."""
    fields = case.fields.model_copy(update=dict(corrected))
    extraction = Extraction(
        source=case.file_name,
        sha256=case.sha256,
        method=Method(case.method) if case.method else None,
        language=case.language,
        pages=case.pages,
        fields=fields,
        lines=case.lines,
        # A value the operator typed from the document is certain; and an operator who
        # corrected an invoice cut from a file of several read its pages: the cut stands.
        confidence={
            **case.confidence,
            **dict.fromkeys(corrected, 1.0),
            **({"page_range": 1.0} if corrected and case.page_range else {}),
        },
        page_range=case.page_range,
        document_type=case.document_type,
        preceding_invoice=case.preceding_invoice,
    )
    # The store keeps no extras (BIC, allowances, prepaid, VAT breakdown): without them an
    # e-invoice's allowances would fail BR-CO-10 again, so they are read from the archive.
    extras = None
    if extraction.method is Method.EINVOICE and case.archived_path:
        extras = read_stated_extras(Path(case.archived_path), sha256=case.sha256)
    store = StoreHistory(session, invoice_scoped=True, invoice_id=case.invoice_id)
    return validate(
        extraction,
        history=store,
        master=store,
        config=load_rule_config(settings.rules_config),
        reference_date=settings.rules_reference_date,
        document_id=case.document_id,
        extras=extras,
    )


def start_review(
    session: Session,
    *,
    invoice_id: int,
    operator: str,
    channel: str,
    started_at: datetime | None = None,
    flow_run_id: str | None = None,
    pause_key: str | None = None,
) -> ReviewStart:
    """Record that ``operator`` takes a waiting invoice to review it; return the start.

    Handling time runs from this start to the decision that ends it. Raise
    ``ReviewNotPendingError`` when the invoice has no pending exception,
    ``store.review_audit.ReviewTakenError`` when another operator has taken it already.
    """
    operator = check_person_name(operator.strip() or "operator", role="operator")
    case = load_case(session, invoice_id=invoice_id)
    if case.status not in WAITING_STATUSES:
        raise ReviewNotPendingError(invoice_id, case.status)
    return take_case(
        session,
        invoice_id=invoice_id,
        operator=operator,
        channel=channel,
        started_at=started_at,
        flow_run_id=flow_run_id,
        pause_key=pause_key,
    )


def resolve_exception(
    session: Session,
    *,
    invoice_id: int,
    decision: str,
    corrections: Mapping[str, str],
    reviewer: str,
    comment: str,
    channel: str,
    flow_run_id: str | None = None,
    settings: Settings | None = None,
    decided_at: datetime | None = None,
) -> ReviewDecision:
    """Apply an operator's decision to a waiting invoice, audit it and record the label;
    return the audit record. Raise ``ReviewInputError`` (nothing changed) for bad input (a
    ``FourEyesError`` for an approval the four-eyes rule refuses), ``ReviewNotPendingError``
    when the invoice has no pending exception, ``store.review_audit.ReviewConflictError`` when
    another decision was applied meanwhile (the caller rolls the session back).

    The invoice's open start (``start_review``), if any, is ended by a final decision or
    an escalation: handling time is measured from it to ``decided_at`` (default now)."""
    settings = settings or Settings()
    reviewer = check_person_name(reviewer.strip() or "operator", role="reviewer")
    case = load_case(session, invoice_id=invoice_id)
    if case.status not in WAITING_STATUSES:
        raise ReviewNotPendingError(invoice_id, case.status)
    chosen = parse_decision(decision)
    corrected = parse_corrections(corrections, case.fields)
    check_consistency(chosen, corrected)
    check_four_eyes(case, chosen, reviewer=reviewer, scope=settings.four_eyes_scope)
    status_after = STATUS_AFTER[chosen]
    results: list[RuleResult] | None = None
    still_failing: list[str] = []
    if chosen is Decision.APPROVE_WITH_CORRECTIONS:
        results = revalidate(session, case, corrected, settings)
        still_failing = [result.rule for result in results if result.is_exception]
        if still_failing:
            status_after = "exception"
    audit = ReviewDecision(
        invoice_id=invoice_id,
        decision=chosen.value,
        reviewer=reviewer,
        comment=comment,
        channel=channel,
        flow_run_id=flow_run_id,
        status_before=case.status,
        status_after=status_after,
        changes={
            name: [_as_text(getattr(case.fields, name)), _as_text(value)]
            for name, value in corrected.items()
        },
        rules_before=[item.rule for item in case.exceptions],
        rules_after=still_failing,
        decided_at=decided_at or utcnow(),
    )
    apply_review(
        session,
        case=case,
        status_after=status_after,
        exception_state=EXCEPTION_STATE_AFTER[chosen],
        corrected=corrected,
        results=results,
        audit=audit,
    )
    # The lifecycle status the decision issues (if any) commits with it.
    record_decision(session, case=case, decision=chosen.value, status_after=status_after,
                    corrected=corrected, decided_at=audit.decided_at)  # fmt: skip
    # record_label commits: the status, the audit record and the label land together.
    record_label(
        session,
        document_id=case.document_id,
        invoice_id=case.invoice_id,
        resolution=label_for(chosen, case),
        decided_by=audit.reviewer,
        comment=comment,
    )
    # The messages of e-invoices, once committed (this commits too: refresh after it).
    write_messages(session, settings)
    session.refresh(audit)
    return audit


def record_refusal(
    session: Session,
    *,
    invoice_id: int,
    decision: str,
    reviewer: str,
    comment: str,
    reason: str,
    channel: str,
    flow_run_id: str | None,
) -> ReviewDecision:
    """Audit a submitted form that could not be applied (nothing else changes); commit.

    A name or decision too long for the audit trail is cut to fit (the reason says why the
    form was refused)."""
    case = load_case(session, invoice_id=invoice_id)
    audit = ReviewDecision(
        invoice_id=invoice_id,
        decision=decision[:DECISION_MAX],
        reviewer=_fit(reviewer.strip() or "operator", PERSON_NAME_MAX),
        comment=comment,
        channel=channel,
        flow_run_id=flow_run_id,
        status_before=case.status,
        status_after=case.status,
        rules_before=[item.rule for item in case.exceptions],
        rules_after=[item.rule for item in case.exceptions],
        refused_reason=reason,
    )
    session.add(audit)
    session.commit()
    session.refresh(audit)
    return audit


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)


__all__ = [
    "APPROVALS",
    "BANK_DETAIL_RULES",
    "CATEGORY_WORDS",
    "DECISION_FOR_SUGGESTION",
    "DECISION_HELP",
    "DECISION_MAX",
    "EXCEPTION_STATE_AFTER",
    "IDENTIFIER_FIELDS",
    "LABEL_OF",
    "MARKDOWN_SPECIAL",
    "ORIGINAL_LINK",
    "STATUS_AFTER",
    "Decision",
    "DecisionName",
    "FourEyesError",
    "PersonNameError",
    "ReviewInputError",
    "ReviewNotPendingError",
    "check_consistency",
    "check_four_eyes",
    "check_person_name",
    "document_link",
    "escape_markdown",
    "fields_to_correct",
    "four_eyes_rules",
    "label_for",
    "page_view_lines",
    "pages_note",
    "parse_corrections",
    "parse_decision",
    "record_refusal",
    "resolve_exception",
    "revalidate",
    "review_markdown",
    "review_run_name",
    "review_tags",
    "start_review",
    "suggested_decision",
    "take_markdown",
]
