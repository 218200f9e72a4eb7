"""The invoice against the vendor master: known supplier, same bank details, same terms.

These rules apply only once a vendor master is imported (``invoicebot vendors import``);
without one, no invoice is flagged for its supplier.
"""

from __future__ import annotations

from invoicebot.model import ExceptionCategory, Severity
from invoicebot.privacy import mask_iban
from validation.context import RuleContext
from validation.identity import compact, is_valid_iban, is_valid_vat_id, siren_of
from validation.registry import Verdict, rule

# A closest name below this similarity (0-100) says nothing useful to an operator.
NEAREST_WORTH_SHOWING = 60


@rule(id="VENDOR-UNKNOWN", category=ExceptionCategory.VENDOR)
def supplier_in_vendor_master(context: RuleContext) -> Verdict | None:
    """The supplier is in the vendor master.

    The seller is matched by SIRET, VAT number or SIREN, then by a name close enough
    (``vendors.name_match_min_score``, 90 of 100 by default, legal forms such as SAS or
    GmbH ignored). An unknown supplier cannot be paid before it is created in the ERP,
    after the usual checks (company register, bank details confirmed by a known contact).
    """
    match = context.vendor_match
    fields = context.fields
    seller = fields.seller_name or fields.seller_vat_id or fields.seller_siret
    if match is None or seller is None:
        return None  # nothing to match on: REQUIRED-FIELDS asks for the supplier
    if match.vendor is not None:
        return Verdict(
            True,
            f"The supplier is {match.vendor.name} ({match.vendor.vendor_id}), matched by "
            f"{match.by}.",
            {"vendor_id": match.vendor.vendor_id, "matched_by": match.by},
        )
    identifiers = ", ".join(
        f"{label} {value}"
        for label, value in (("VAT", fields.seller_vat_id), ("SIRET", fields.seller_siret))
        if value
    )
    nearest = (
        f"; the closest name is {match.nearest_name} ({match.nearest_score:.0f}/100)"
        if match.nearest_name and match.nearest_score >= NEAREST_WORTH_SHOWING
        else ""
    )
    return Verdict(
        False,
        f"The supplier {seller}{f' ({identifiers})' if identifiers else ''} is not in the "
        f"vendor master{nearest}: create it after the usual checks, or correct the match.",
        {
            "seller_name": fields.seller_name,
            "seller_vat_id": fields.seller_vat_id,
            "seller_siret": fields.seller_siret,
            "nearest_vendor": match.nearest_name,
        },
    )


@rule(id="VENDOR-BANK-DETAILS", category=ExceptionCategory.VENDOR, severity=Severity.CRITICAL)
def bank_details_match_master(context: RuleContext) -> Verdict | None:
    """The IBAN on the invoice is one the vendor master holds for this supplier.

    A changed IBAN is the classic payment-diversion fraud: a forged letter or invoice asks
    to pay a known supplier on a new account. Hold the payment and confirm the change with
    the supplier by phone on a number from the vendor master, never from the invoice or
    its e-mail. Applies when the supplier is matched and the master holds its IBAN; an
    invalid IBAN is IBAN-CHECK's.
    """
    match = context.vendor_match
    printed = context.fields.seller_iban
    if match is None or match.vendor is None or not match.vendor.ibans or not printed:
        return None
    if not is_valid_iban(printed):
        return None
    vendor = match.vendor
    known = ", ".join(vendor.ibans)
    values = {"seller_iban": printed, "master_ibans": known, "vendor_id": vendor.vendor_id}
    if compact(printed) in vendor.ibans:
        return Verdict(True, "The IBAN is the one on file for this supplier.", values)
    return Verdict(
        False,
        f"The invoice asks for payment to IBAN {mask_iban(printed)}, but the vendor master "
        f"holds {', '.join(mask_iban(iban) for iban in vendor.ibans)} for {vendor.name}: hold "
        "the payment and confirm the bank details by phone "
        "on a number from the vendor master (possible payment fraud).",
        values,
    )


@rule(id="VENDOR-IDENTIFIERS", category=ExceptionCategory.VENDOR)
def identifiers_match_master(context: RuleContext) -> Verdict | None:
    """The VAT number and SIREN on the invoice are those the vendor master holds.

    Applies when the supplier is matched and the invoice prints a valid VAT number or
    SIRET. Another company's identifiers under a known supplier's name point to a forged
    invoice or to a sister company that is not the one in the master: check who issued it.
    """
    match = context.vendor_match
    if match is None or match.vendor is None:
        return None
    vendor, fields = match.vendor, context.fields
    comparisons: list[tuple[str, str, str]] = []
    if fields.seller_vat_id and vendor.vat_id and is_valid_vat_id(fields.seller_vat_id):
        comparisons.append(("VAT number", compact(fields.seller_vat_id), vendor.vat_id))
    printed_siren = siren_of(fields.seller_siret) if fields.seller_siret else None
    if printed_siren and vendor.siren:
        comparisons.append(("SIREN", printed_siren, vendor.siren))
    if not comparisons:
        return None
    values = {f"{label} (invoice / master)": f"{a} / {b}" for label, a, b in comparisons}
    wrong = [(label, printed, known) for label, printed, known in comparisons if printed != known]
    if not wrong:
        return Verdict(True, "The identifiers are those on file for this supplier.", values)
    listed = "; ".join(
        f"{label} {printed} on the invoice, {known} in the master"
        for label, printed, known in wrong
    )
    return Verdict(
        False,
        f"The invoice of {vendor.name} ({vendor.vendor_id}, matched by {match.by}) shows other "
        f"identifiers: {listed}. Check on the document who issued it (or whether the number "
        "was misread).",
        values,
    )


@rule(id="VENDOR-CURRENCY", category=ExceptionCategory.VENDOR, severity=Severity.WARNING)
def currency_matches_master(context: RuleContext) -> Verdict | None:
    """The invoice's currency is the supplier's currency in the vendor master.

    An invoice in another currency is paid in that currency: check that this was agreed
    and that the amounts were not read with the wrong currency.
    """
    match = context.vendor_match
    currency = context.fields.currency
    if match is None or match.vendor is None or not match.vendor.currency or not currency:
        return None
    expected = match.vendor.currency
    values = {"currency": currency, "master_currency": expected}
    if currency.upper() == expected:
        return Verdict(True, f"The invoice is in {expected}, as agreed.", values)
    return Verdict(
        False,
        f"The invoice is in {currency}, but {match.vendor.name} invoices in {expected} "
        "according to the vendor master.",
        values,
    )


@rule(id="VENDOR-PAYMENT-TERMS", category=ExceptionCategory.VENDOR, severity=Severity.INFO)
def payment_terms_not_shorter_than_agreed(context: RuleContext) -> Verdict | None:
    """The invoice does not ask for payment sooner than the terms in the vendor master.

    For information (not an exception by default): pay on the agreed date, not the one
    printed, when the invoice asks for payment sooner.
    """
    match = context.vendor_match
    fields = context.fields
    if match is None or match.vendor is None or match.vendor.payment_terms_days is None:
        return None
    if fields.invoice_date is None or fields.due_date is None:
        return None
    agreed = match.vendor.payment_terms_days
    days = (fields.due_date - fields.invoice_date).days
    if days < 0:
        return None  # a due date before the invoice date is DUE-DATE-ORDER's
    values = {"payment_days": str(days), "agreed_days": str(agreed)}
    if days >= agreed:
        return Verdict(True, f"The invoice gives {days} days to pay ({agreed} agreed).", values)
    return Verdict(
        False,
        f"The invoice asks for payment in {days} days, but {agreed} days are agreed with "
        f"{match.vendor.name}: pay on the agreed date.",
        values,
    )
