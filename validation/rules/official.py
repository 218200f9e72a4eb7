"""E-invoices: the official rules of their syntax and profile (``validation.official``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from invoicebot.model import ExceptionCategory, Severity
from validation.context import RuleContext
from validation.registry import Finding, Verdict, rule

if TYPE_CHECKING:
    from validation.official import Failure

logger = logging.getLogger(__name__)


@rule(id="EINVOICE-OFFICIAL", category=ExceptionCategory.EINVOICE_RULES, fields=())
def official_rules(context: RuleContext) -> Verdict | None:
    """An e-invoice passes the official rules of its syntax and profile.

    Its XML is checked against the XSD and the EN 16931 / Factur-X schematron of its syntax
    and profile, and the French CTC rules (BR-FR) where the seller or buyer is French. Each
    failed assertion is reported under its official rule id (BR-CO-15, BR-FR-12, XSD
    for the schema, FX-NOT-USED for an element the Factur-X profile does not use) with the
    place in the XML and the norm's own text: fatal ones are exceptions, warnings are
    information. The supplier must send a corrected invoice (or a credit note): the XML is
    the invoice, and correcting what was captured does not change it. Where one of our
    arithmetic rules finds the same fault (BR-CO-10, BR-CO-15, BR-DEC...), the official one
    is the exception and ours is kept as information. Applies to e-invoices (standalone
    CII or UBL, Factur-X / ZUGFeRD PDFs) whose syntax has official artefacts.
    """
    xml = context.extras.einvoice_xml
    if xml is None:
        return None
    # Imported here: the validator reads through the e-invoice reader (extractors), which
    # importing the rules alone (``invoicebot rules``, paper invoices) does not need.
    from validation.official import NotAnEInvoiceError, validate_xml

    try:
        report = validate_xml(xml, file=context.extraction.source)
    except NotAnEInvoiceError as error:
        # ZUGFeRD 1.0's release candidate: read, but no official artefact checks it.
        logger.info("%s: the official rules do not apply: %s", error.file, error.reason)
        return None
    values = {
        "syntax": report.syntax,
        "profile": report.profile,
        "checked": ", ".join(report.checked),
    }
    findings = tuple(_finding(failure) for failure in report.failures)
    if report.valid:
        warnings = f" ({len(findings)} warnings)" if findings else ""
        message = f"Valid against the official rules of {report.syntax} {report.profile}{warnings}."
        return Verdict(True, message, values, findings)
    return Verdict(False, "", values, findings)


def _finding(failure: Failure) -> Finding:
    severity = Severity.ERROR if failure.flag == "fatal" else Severity.INFO
    return Finding(
        rule=failure.rule_id,
        severity=severity,
        message=f"{failure.text} (official rule {failure.rule_id}, {failure.flag.value})",
        values={
            "flag": failure.flag.value,
            "location": failure.location,
            "assertion": failure.assertion,
            "artefact": failure.artefact,
        },
    )
