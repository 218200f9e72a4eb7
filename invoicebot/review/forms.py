"""What the operator reads: a case as markdown, with its page view, its links and its notices."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from invoicebot.model import (
    FIELD_NAMES,
    BoxSource,
    DocumentType,
    Resolution,
)
from invoicebot.pageview import LinkSigner, file_path, page_path
from invoicebot.privacy import mask_iban, mask_text
from invoicebot.review.decisions import (
    BANK_DETAIL_RULES,
    CATEGORY_WORDS,
    DECISION_FOR_SUGGESTION,
    DECISION_HELP,
    Decision,
)
from invoicebot.store.review_audit import (
    StoredCase,
)

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
