"""Reviewing an exception invoice: the decisions, corrections, and what the operator reads.

The same functions serve the Prefect review form (``flows/review.py``) and the terminal
(``invoicebot review``), so both give the same statuses, audit records and labels.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from sqlmodel import Session

from extractors.einvoice import read_stated_extras
from invoicebot.lifecycle.outbox import record_decision, write_messages
from invoicebot.model import (
    FIELD_NAMES,
    BoxSource,
    DocumentType,
    ExceptionCategory,
    Extraction,
    InvoiceError,
    InvoiceFields,
    Method,
    Resolution,
    RuleResult,
)
from invoicebot.pageview import LinkSigner, file_path, page_path
from invoicebot.privacy import mask_iban, mask_text
from invoicebot.settings import Settings
from invoicebot.store.labels import record_label
from invoicebot.store.limits import field_problems
from invoicebot.store.repository import StoreHistory
from invoicebot.store.review import (
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
from validation import load_rule_config, validate
from validation.identity import compact
from validation.registry import FIELDS_OF_CATEGORY

DecisionName = Literal[
    "approve", "approve_with_corrections", "reject", "send_back_to_supplier", "escalate"
]


class Decision(StrEnum):
    """What an operator decides for an exception invoice."""

    APPROVE = "approve"
    APPROVE_WITH_CORRECTIONS = "approve_with_corrections"
    REJECT = "reject"
    SEND_BACK_TO_SUPPLIER = "send_back_to_supplier"
    ESCALATE = "escalate"


DECISION_HELP: dict[Decision, str] = {
    Decision.APPROVE: "approve the invoice as it was read; it is released for payment",
    Decision.APPROVE_WITH_CORRECTIONS: (
        "replace the fields you fill in below, then check the invoice again: approved when "
        "every rule passes, otherwise it comes back to you with what still fails"
    ),
    Decision.REJECT: "reject the invoice (a duplicate, not ours); it will not be paid",
    Decision.SEND_BACK_TO_SUPPLIER: (
        "the supplier's invoice is wrong: ask for a credit note or a corrected invoice"
    ),
    Decision.ESCALATE: (
        "hand it to a senior reviewer (purchasing, or fraud checks when bank details or "
        "identity are in doubt); it keeps waiting for a decision"
    ),
}

# Invoice status and exception state each decision leaves behind.
STATUS_AFTER: dict[Decision, str] = {
    Decision.APPROVE: "approved",
    Decision.APPROVE_WITH_CORRECTIONS: "approved",
    Decision.REJECT: "rejected",
    Decision.SEND_BACK_TO_SUPPLIER: "sent_back",
    Decision.ESCALATE: "escalated",
}
EXCEPTION_STATE_AFTER: dict[Decision, str] = {
    Decision.APPROVE: "approved",
    Decision.APPROVE_WITH_CORRECTIONS: "corrected",
    Decision.REJECT: "rejected",
    Decision.SEND_BACK_TO_SUPPLIER: "sent_back",
    Decision.ESCALATE: "escalated",
}

# The classifier learns resolutions (``Resolution``); a decision names the action taken.
LABEL_OF: dict[Decision, Resolution] = {
    Decision.APPROVE: Resolution.APPROVE_ANYWAY,
    Decision.APPROVE_WITH_CORRECTIONS: Resolution.CORRECT_CAPTURE,
    Decision.REJECT: Resolution.REJECT_DUPLICATE,
    Decision.SEND_BACK_TO_SUPPLIER: Resolution.REQUEST_CREDIT_NOTE,
    Decision.ESCALATE: Resolution.FRAUD_REVIEW,
}
DECISION_FOR_SUGGESTION: dict[Resolution, Decision] = {
    Resolution.CORRECT_CAPTURE: Decision.APPROVE_WITH_CORRECTIONS,
    Resolution.APPROVE_ANYWAY: Decision.APPROVE,
    Resolution.REQUEST_CREDIT_NOTE: Decision.SEND_BACK_TO_SUPPLIER,
    Resolution.PURCHASING_REVIEW: Decision.ESCALATE,
    Resolution.FRAUD_REVIEW: Decision.ESCALATE,
    Resolution.REJECT_DUPLICATE: Decision.REJECT,
}

CATEGORY_WORDS: dict[ExceptionCategory, str] = {
    ExceptionCategory.MISSING_FIELD: "a required field is missing",
    ExceptionCategory.ARITHMETIC: "the amounts do not add up",
    ExceptionCategory.INVALID_IDENTIFIER: "an identifier (VAT, SIRET, IBAN) is not valid",
    ExceptionCategory.DUPLICATE: "it may repeat an invoice already received",
    ExceptionCategory.DATE: "a date is wrong or implausible",
    ExceptionCategory.VENDOR: "it does not match the vendor master",
    ExceptionCategory.PURCHASE_ORDER: "it does not match the purchase order",
    ExceptionCategory.LOW_CONFIDENCE: "a field was read with low confidence",
    ExceptionCategory.UNREADABLE: "the document could not be read",
    ExceptionCategory.EINVOICE_RULES: "the e-invoice breaks an official EN 16931 / French rule",
}

IDENTIFIER_FIELDS = frozenset(FIELDS_OF_CATEGORY[ExceptionCategory.INVALID_IDENTIFIER])
# Longest decision name the audit trail holds.
DECISION_MAX = 40


# Decisions that release the invoice for payment: the four-eyes rule applies to them.
APPROVALS = frozenset({Decision.APPROVE, Decision.APPROVE_WITH_CORRECTIONS})
# Rules about bank details: their decision form shows the IBANs in full, to be confirmed.
BANK_DETAIL_RULES = frozenset({"VENDOR-BANK-DETAILS", "IBAN-CHECK", "BIC-CHECK"})


class ReviewInputError(InvoiceError):
    """A submitted decision cannot be applied; nothing was changed."""


class PersonNameError(ReviewInputError):
    """An operator or reviewer name is empty or longer than the audit trail holds."""

    def __init__(self, role: str, name: str) -> None:
        length = len(name.strip())
        problem = "is empty" if not length else f"is {length} characters long"
        super().__init__(f"the {role} name {problem}: give 1 to {PERSON_NAME_MAX} characters")
        self.role = role
        self.length = length


class FourEyesError(ReviewInputError):
    """An approval the four-eyes rule refuses: nobody else has handled the case yet, or the
    approver is one of those who took or escalated it."""

    def __init__(
        self, invoice_id: int, *, approver: str, involved: list[str], rules: list[str]
    ) -> None:
        concerned = ", ".join(rules)
        if not involved:
            why = (
                "needs a second person: escalate it, and a reviewer who has not handled it "
                "approves it"
            )
        else:
            why = (
                f"must be approved by someone other than {', '.join(involved)} (who took or "
                f"escalated it), not by {approver}"
            )
        super().__init__(f"four-eyes rule: invoice {invoice_id} ({concerned}) {why}")
        self.invoice_id = invoice_id
        self.approver = approver
        self.involved = involved
        self.rules = rules


class ReviewNotPendingError(InvoiceError):
    """The invoice has no pending exception: it was decided already, or never was one."""

    def __init__(self, invoice_id: int, status: str) -> None:
        super().__init__(f"invoice {invoice_id} is {status}, not waiting for a review")
        self.invoice_id = invoice_id
        self.status = status


def parse_decision(value: str) -> Decision:
    """Return the decision named ``value``; raise ``ReviewInputError`` for another name."""
    try:
        return Decision(value)
    except ValueError:
        allowed = ", ".join(decision.value for decision in Decision)
        raise ReviewInputError(f"unknown decision {value!r}; expected one of {allowed}") from None


def parse_corrections(raw: Mapping[str, str], current: InvoiceFields) -> dict[str, Any]:
    """Return the corrected fields that differ from ``current``, typed as the store keeps
    them; blank values mean unchanged. Raise ``ReviewInputError`` naming every bad value."""
    unknown = sorted(set(raw) - set(FIELD_NAMES))
    if unknown:
        raise ReviewInputError(f"no such field: {', '.join(unknown)}")
    typed = {name: _normalise(name, value.strip()) for name, value in raw.items() if value.strip()}
    try:
        merged = InvoiceFields.model_validate(current.model_dump() | typed)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ReviewInputError(f"corrected values are not valid: {problems}") from None
    # A corrected value must fit its column like a read one: refused here, not by the database.
    too_long = [problem for problem in field_problems(merged) if problem.field in typed]
    if too_long:
        reasons = "; ".join(f"{problem.field}: {problem.reason}" for problem in too_long)
        raise ReviewInputError(f"corrected values do not fit: {reasons}")
    return {
        name: getattr(merged, name)
        for name in typed
        if getattr(merged, name) != getattr(current, name)
    }


def _normalise(name: str, value: str) -> str:
    if name in IDENTIFIER_FIELDS:
        return compact(value)
    if name == "currency":
        return value.upper()
    return value


def fields_to_correct(case: StoredCase, *, review_confidence: float | None = None) -> list[str]:
    """Return the fields the review form offers to correct, in the contract's order: those
    the failed rules concern, the missing ones, and those read with a confidence under
    ``review_confidence`` (the rules' setting by default) on a low-confidence exception (a
    form with every field is too long for the Prefect UI's Resume dialog)."""
    if review_confidence is None:
        review_confidence = load_rule_config(Settings().rules_config).review_confidence
    wanted: set[str] = set()
    for item in case.exceptions:
        wanted.update(FIELDS_OF_CATEGORY.get(item.category, ()))
        if item.category is ExceptionCategory.MISSING_FIELD:
            wanted.update(name for name in FIELD_NAMES if getattr(case.fields, name) is None)
        if item.category is ExceptionCategory.LOW_CONFIDENCE:
            wanted.update(
                name
                for name, score in case.confidence.items()
                if score < review_confidence and name in FIELD_NAMES
            )
    return [name for name in FIELD_NAMES if name in wanted]


def check_consistency(decision: Decision, corrected: Mapping[str, Any]) -> None:
    """Raise ``ReviewInputError`` when corrections come without the decision that uses them."""
    if decision is Decision.APPROVE_WITH_CORRECTIONS and not corrected:
        raise ReviewInputError(
            "approve_with_corrections needs at least one corrected field that differs "
            "from what was read"
        )
    if decision is not Decision.APPROVE_WITH_CORRECTIONS and corrected:
        raise ReviewInputError(
            f"corrected fields are only applied with approve_with_corrections, not {decision}"
        )


def check_person_name(name: str, *, role: str) -> str:
    """Return ``name`` stripped; raise ``PersonNameError`` when it is empty or longer than
    the audit trail holds (the form refuses it before; the terminal gets the same answer)."""
    stripped = name.strip()
    if not stripped or len(stripped) > PERSON_NAME_MAX:
        raise PersonNameError(role, name)
    return stripped


def _person_key(name: str) -> str:
    return " ".join(name.casefold().split())


def four_eyes_rules(case: StoredCase, scope: Iterable[str]) -> list[str]:
    """Return the rules raised on the invoice that the four-eyes rule covers, by their id or
    their category, whatever became of their exceptions since."""
    wanted = set(scope)
    raised = case.raised_rules | {item.rule: item.category.value for item in case.exceptions}
    return sorted(rule for rule, category in raised.items() if {rule, category} & wanted)


def check_four_eyes(
    case: StoredCase, decision: Decision, *, reviewer: str, scope: Iterable[str]
) -> None:
    """Raise ``FourEyesError`` when ``reviewer`` may not approve the invoice alone.

    For an invoice with an exception the rule covers (by default vendor and bank-detail
    exceptions), an approval needs a second person: someone must have escalated it before,
    and neither the approver nor the operator holding the case now may be one of those who
    escalated it or had taken it when it was escalated. Other decisions (reject, send back,
    escalate) stop a payment and are anyone's.
    """
    if decision not in APPROVALS:
        return
    rules = four_eyes_rules(case, scope)
    if not rules:
        return
    earlier = {_person_key(person) for person in case.involved}
    deciding = [reviewer] + ([case.taken.operator] if case.taken is not None else [])
    if not earlier or any(_person_key(person) in earlier for person in deciding):
        raise FourEyesError(
            case.invoice_id, approver=reviewer.strip(), involved=case.involved, rules=rules
        )


def label_for(decision: Decision, case: StoredCase) -> Resolution:
    """Return the training label of a decision on this case."""
    if decision is Decision.ESCALATE and any(
        item.category is ExceptionCategory.PURCHASE_ORDER for item in case.exceptions
    ):
        return Resolution.PURCHASING_REVIEW
    return LABEL_OF[decision]


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
    ``store.review.ReviewTakenError`` when another operator has taken it already.
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
    when the invoice has no pending exception, ``store.review.ReviewConflictError`` when
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


# --------------------------------------------------------------------------------------
# What the operator reads
# --------------------------------------------------------------------------------------


def review_run_name(case: StoredCase) -> str:
    """Return the review run's name: the supplier and the invoice number."""
    supplier = case.fields.seller_name or "unknown supplier"
    number = case.fields.invoice_number or case.file_name
    if case.fields.invoice_number is None and case.page_range is not None:
        number += " p{}-{}".format(*case.page_range)  # one of several invoices of a file
    return f"{supplier} {number}"


def review_tags(case: StoredCase) -> list[str]:
    """Return the review run's tags: ``review`` and each exception category."""
    return ["review", *sorted({item.category.value for item in case.exceptions})]


def suggested_decision(case: StoredCase) -> Decision:
    """Return the decision the form starts on: the suggestion's, else approve."""
    if case.suggestion is None:
        return Decision.APPROVE
    try:
        return DECISION_FOR_SUGGESTION[Resolution(case.suggestion.resolution)]
    except ValueError:
        return Decision.APPROVE


# Characters markdown gives a meaning to inside a line (CommonMark lets each be escaped with
# a backslash), and ``:``, ``.`` and ``@``, which make a bare URL or address a link (GFM
# autolinks). Escaped text never starts a line here, so list and heading markers need not.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#!|~:@&.])")


def escape_markdown(text: str) -> str:
    """Return ``text`` (from a document or an operator) as literal markdown on one line: no
    heading, quote, link, image, emphasis, table cell or HTML can come out of it, and
    invisible formatting characters (bidi overrides, zero-width) are dropped."""
    visible = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in text
        if unicodedata.category(ch) != "Cf"
    )
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(visible.split()))


# The label of the link to a document's original file in the forms.
ORIGINAL_LINK = "open the original"


def document_link(case: StoredCase, signer: LinkSigner | None = None) -> str:
    """Return the document's name with a signed link to its original in the page view, or
    its name alone when it was not archived or no page view is served (no ``signer``)."""
    name = escape_markdown(case.file_name)
    if signer is None or not case.archived_path:
        return name
    # The UI shows a link's label unrendered (backslashes and all): a plain label, the
    # escaped name beside it. The address is ids and hex digits only: it cannot end the link.
    return f"{name} ([{ORIGINAL_LINK}]({signer.link(file_path(case.document_id))}))"


def page_view_lines(case: StoredCase, signer: LinkSigner | None) -> list[str]:
    """Return the form's view of the document: its first page as an image outlined where
    the values were read (the failed rules' fields in red) and links to its other pages
    (``document_link`` gives the original); nothing without a page view (no ``signer``)
    or for an XML e-invoice, which has no page."""
    if signer is None or not case.archived_path or case.pages == 0:
        return []
    first, last = case.page_range or (1, case.pages)
    image = signer.link(page_path(case.document_id, first), case.invoice_id)
    others = " · ".join(
        f"[page {page}]({signer.link(page_path(case.document_id, page), case.invoice_id)})"
        for page in range(first + 1, last + 1)
    )
    return [
        "### The document",
        f"![page {first}, outlined where the values were read]({image})",
        _outline_legend(case),
        *([f"Other pages: {others}"] if others else []),
    ]


def _outline_legend(case: StoredCase) -> str:
    if case.boxes is None:
        return "Nothing is outlined: this invoice was stored before the places were kept."
    if case.boxes.source is BoxSource.NONE:
        return f"Nothing is outlined: {escape_markdown(case.boxes.reason or 'no positions')}."
    return (
        "Outlined in **red**: the fields the failed rules concern; in **green**: the other "
        "fields read; in **blue**: the line items."
    )


def pages_note(case: StoredCase) -> str:
    """Return where this invoice is in its file (", pages 3-4 of a file of 3 invoices"),
    empty for a file read as one invoice."""
    if case.page_range is None:
        return ""
    first, last = case.page_range
    pages = f"page {first}" if first == last else f"pages {first}-{last}"
    confidence = case.confidence.get("page_range")
    sure = f", cut with confidence {confidence:.2f}" if confidence is not None else ""
    return f", {pages} of a file of {case.invoices_in_file} invoices{sure}"


def review_markdown(
    case: StoredCase, *, reveal_bank_details: bool = False, signer: LinkSigner | None = None
) -> str:
    """Return the form's description: why the invoice waits, what was read, the lines.

    Every text from the document or typed by an operator is escaped. Bank details are masked
    (``FR76…6071``); with ``reveal_bank_details`` (the decision form and the terminal) an
    invoice with a bank-detail exception also lists the IBANs in full, for the operator to
    confirm them with the supplier. With ``signer`` (a served page view) the document's
    first page shows, outlined where the values were read."""
    parts = [
        f"## {escape_markdown(review_run_name(case))}",
        f"Document: {document_link(case, signer)}{pages_note(case)} "
        f"(read by {case.method or 'nothing'})",
        *_provenance_lines(case),
        *_document_type_lines(case),
        *_notice(case),
        "### Why it waits",
        *_why_lines(case),
        *page_view_lines(case, signer),
        *(_bank_detail_lines(case) if reveal_bank_details else []),
        *_suggestion_lines(case),
        "### What was read",
        "| field | value | confidence |",
        "|---|---|---|",
        *[
            f"| {name} | {_field_cell(name, getattr(case.fields, name))} "
            f"| {_confidence(case, name)} |"
            for name in FIELD_NAMES
        ],
        *_line_table(case),
        "### Decisions",
        *[f"- **{decision.value}**: {text}" for decision, text in DECISION_HELP.items()],
        "Corrected values: leave a field empty to keep what was read; dates as YYYY-MM-DD, "
        "amounts as 1234.56. The form offers the fields these rules concern; "
        "`invoicebot review resolve --set FIELD=VALUE` corrects any field.",
    ]
    return "\n\n".join(_join_tables(parts)) + "\n"


def take_markdown(case: StoredCase, *, signer: LinkSigner | None = None) -> str:
    """Return the take form's description: the case in a few lines, the outlined first
    page (with ``signer``), and what taking does."""
    parts = [
        f"## {escape_markdown(review_run_name(case))}",
        f"Document: {document_link(case, signer)}{pages_note(case)}",
        *_provenance_lines(case),
        "### Why it waits",
        *_why_lines(case),
        *_escalation_notice(case),
        *page_view_lines(case, signer),
        "### Take this case",
        "Type your name and submit: the case is yours (nobody else can take it) and the "
        "decision form opens on this run in a few seconds (press **Resume** again). Your "
        "handling time runs from now to your decision.",
    ]
    return "\n\n".join(parts) + "\n"


def _provenance_lines(case: StoredCase) -> list[str]:
    """Return one line per e-mail that brought the document: sender, subject, when, id."""
    lines = []
    for mail in case.provenance:
        received = f"{mail.received_at:%Y-%m-%d %H:%M} UTC" if mail.received_at else "unknown"
        lines.append(
            f"Received by e-mail from {escape_markdown(mask_text(mail.sender))}, subject "
            f"“{escape_markdown(mask_text(mail.subject))}”, on {received} in "
            f"{escape_markdown(mail.mailbox)} (message id "
            f"{escape_markdown(mail.message_id or 'none')}; attachment "
            f"{escape_markdown(mail.file_name)})"
        )
    return lines


def _why_lines(case: StoredCase) -> list[str]:
    return [
        f"- **{item.rule}**: {CATEGORY_WORDS[item.category]}. "
        f"{escape_markdown(mask_text(item.message))}"
        for item in case.exceptions
    ]


def _bank_detail_lines(case: StoredCase) -> list[str]:
    """Return the full bank details of a bank-detail exception, to confirm with the supplier."""
    failed = sorted(BANK_DETAIL_RULES & {item.rule for item in case.exceptions})
    if not failed:
        return []
    shown: dict[str, str] = {}
    if case.fields.seller_iban:
        shown["IBAN on the invoice"] = case.fields.seller_iban
    for rule in failed:
        values = case.exception_values.get(rule, {})
        if values.get("master_ibans"):
            shown["IBAN(s) in the vendor master"] = str(values["master_ibans"])
        if values.get("seller_bic"):
            shown["BIC on the invoice"] = str(values["seller_bic"])
    return [
        "### Bank details to confirm",
        "Shown in full on this form only (masked everywhere else, removed from the Prefect "
        "database once your decision is applied). Confirm them by phone on a number from "
        "the vendor master, never one from the invoice.",
        "| detail | value |",
        "|---|---|",
        *[f"| {label} | `{escape_markdown(value)}` |" for label, value in shown.items()],
    ]


def _escalation_notice(case: StoredCase) -> list[str]:
    last = case.last_decision
    if last is not None and last.decision == Decision.ESCALATE:
        comment = f": {escape_markdown(mask_text(last.comment))}" if last.comment else ""
        return [f"> **Escalated by {escape_markdown(last.reviewer)}**{comment}"]
    return []


def _taken_notice(case: StoredCase) -> list[str]:
    if case.taken is None:
        return []
    return [
        f"> Taken by **{escape_markdown(case.taken.operator)}** at "
        f"{case.taken.started_at:%Y-%m-%d %H:%M:%S} UTC ({case.taken.channel})"
    ]


def _document_type_lines(case: StoredCase) -> list[str]:
    """Return what the form says of a document that is not a plain invoice: its kind, the
    invoice a credit note names, and whether that invoice is on file."""
    if case.document_type is DocumentType.INVOICE:
        return []
    kind = case.document_type.value.replace("_", " ")
    if case.document_type.is_credit:
        kind += " (its amounts are owed to the company)"
    lines = [f"**This is a {kind}.**"]
    if case.preceding_invoice is not None:
        named = escape_markdown(case.preceding_invoice.number)
        credited = case.credits_invoice
        found = (
            f"on file as invoice #{credited.invoice_id} ({escape_markdown(credited.file_name)})"
            if credited
            else "not on file"
        )
        lines.append(f"It refers to invoice {named}: {found}.")
    return lines


def _notice(case: StoredCase) -> list[str]:
    return _taken_notice(case) + _decision_notice(case)


def _decision_notice(case: StoredCase) -> list[str]:
    last = case.last_decision
    if last is None:
        return []
    if last.refused_reason:
        reason = escape_markdown(mask_text(last.refused_reason))
        return [f"> **Your last submission was not applied**: {reason}"]
    if last.decision == Decision.APPROVE_WITH_CORRECTIONS and last.rules_after:
        return [
            "> **Corrected, but rules still fail**: "
            + ", ".join(last.rules_after)
            + ". Correct further, or take another decision."
        ]
    return _escalation_notice(case)


def _suggestion_lines(case: StoredCase) -> list[str]:
    if case.suggestion is None:
        return []
    try:
        described = Resolution(case.suggestion.resolution).describe()
    except ValueError:
        described = case.suggestion.resolution
    return [
        "### Suggested resolution",
        f"**{case.suggestion.resolution}** ({case.suggestion.probability:.0%}): {described} "
        f"The form starts on **{suggested_decision(case).value}**.",
    ]


def _line_table(case: StoredCase) -> list[str]:
    if not case.lines:
        return ["### Lines", "No line items were read."]
    rows = [
        f"| {_cell(line.description)} | {_cell(line.quantity)} | {_cell(line.unit_price)} "
        f"| {_cell(line.net_amount)} | {_cell(line.tax_rate)} |"
        for line in case.lines
    ]
    return [
        "### Lines",
        "| description | quantity | unit price | net | VAT % |",
        "|---|---|---|---|---|",
        *rows,
    ]


def _join_tables(parts: list[str]) -> list[str]:
    # Table rows must stay on consecutive lines; every other part is its own paragraph.
    joined: list[str] = []
    for part in parts:
        if part.startswith("|") and joined and joined[-1].startswith("|"):
            joined[-1] += "\n" + part
        else:
            joined.append(part)
    return joined


def _field_cell(name: str, value: Any) -> str:
    if name == "seller_iban" and value:
        return escape_markdown(mask_iban(str(value)))
    return _cell(value)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return escape_markdown(mask_text(value))
    # Amounts, rates and dates: their own characters only.
    return str(value)


def _confidence(case: StoredCase, name: str) -> str:
    score = case.confidence.get(name)
    return "" if score is None else f"{score:.0%}"
