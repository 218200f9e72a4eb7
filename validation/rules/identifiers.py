"""Check digits and consistency of the identifiers printed on an invoice (python-stdnum)."""

from __future__ import annotations

from stdnum.fr import siren, siret

from invoicebot.model import ExceptionCategory
from invoicebot.privacy import mask_bic, mask_iban
from validation.context import RuleContext
from validation.identity import (
    bic_problem,
    french_vat_siren,
    iban_problem,
    is_valid_vat_id,
    vat_id_problem,
)
from validation.registry import Verdict, rule

__all__ = ["vat_id_problem"]


@rule(id="IBAN-CHECK", category=ExceptionCategory.INVALID_IDENTIFIER)
def iban_is_valid(context: RuleContext) -> Verdict | None:
    """The supplier's IBAN has valid check digits.

    A wrong IBAN is a misread or mistyped account number: a transfer to it would be
    refused or, worse, reach someone else. Confirm the bank details with the supplier
    through a contact you already know before paying.
    """
    value = context.extraction.fields.seller_iban
    if value is None:
        return None
    reason = iban_problem(value)
    if reason is not None:
        return Verdict(
            False,
            f"The supplier's IBAN {mask_iban(value)} is not valid ({reason}): do not pay it before "
            "checking the bank details with the supplier.",
            {"seller_iban": value},
        )
    return Verdict(True, "The supplier's IBAN is valid.", {"seller_iban": value})


@rule(id="BIC-CHECK", category=ExceptionCategory.INVALID_IDENTIFIER)
def bic_is_valid(context: RuleContext) -> Verdict | None:
    """The supplier's BIC (SWIFT code) is well formed and its country is the IBAN's.

    Applies when the document states a BIC (e-invoices do). A BIC whose country differs
    from the IBAN's is a classic sign of altered bank details.
    """
    value = context.extras.seller_bic
    if value is None:
        return None
    values = {"seller_bic": value, "seller_iban": context.fields.seller_iban}
    reason = bic_problem(value)
    if reason is not None:
        return Verdict(
            False, f"The supplier's BIC {mask_bic(value)} is not valid ({reason}).", values
        )
    account = context.fields.seller_iban
    # Banks of French overseas territories and Monaco use French-style BICs with other
    # IBAN prefixes: only a French or foreign mismatch outside that family is flagged.
    french_family = {"FR", "MC", "GP", "MQ", "GF", "RE", "YT", "PM", "NC", "PF", "WF", "BL", "MF"}
    if account and account[:2].isalpha():
        pair = {value[4:6].upper(), account[:2].upper()}
        if len(pair) == 2 and not pair <= french_family:
            return Verdict(
                False,
                f"The supplier's BIC {mask_bic(value)} is a {value[4:6]} bank, but the IBAN "
                f"{mask_iban(account)} is "
                f"a {account[:2]} account: confirm the bank details with the supplier.",
                values,
            )
    return Verdict(True, "The supplier's BIC is valid.", values)


@rule(id="VAT-ID-CHECK", category=ExceptionCategory.INVALID_IDENTIFIER)
def vat_ids_are_valid(context: RuleContext) -> Verdict | None:
    """The supplier's and buyer's VAT numbers have valid check digits.

    A wrong VAT number is usually misread; when it is really printed wrong, the VAT on the
    invoice may not be deductible: ask the supplier for a corrected invoice.
    """
    fields = context.extraction.fields
    printed = {"seller_vat_id": fields.seller_vat_id, "buyer_vat_id": fields.buyer_vat_id}
    present = {name: value for name, value in printed.items() if value}
    if not present:
        return None
    problems = {name: vat_id_problem(value) for name, value in present.items()}
    wrong = [
        f"{'supplier' if name == 'seller_vat_id' else 'buyer'} VAT number {present[name]} "
        f"({problem})"
        for name, problem in problems.items()
        if problem
    ]
    if wrong:
        return Verdict(False, "Invalid " + "; ".join(wrong) + ".", dict(present))
    return Verdict(True, "The VAT numbers are valid.", dict(present))


@rule(id="SIRET-CHECK", category=ExceptionCategory.INVALID_IDENTIFIER)
def siret_is_valid(context: RuleContext) -> Verdict | None:
    """The supplier's SIRET (or SIREN) has a valid Luhn check digit.

    A French company's SIREN (9 digits) identifies it; its SIRET (14 digits) is the SIREN
    plus an establishment number. A wrong one is usually misread.
    """
    value = context.extraction.fields.seller_siret
    if value is None:
        return None
    kind, module = ("SIRET", siret) if len(value) == 14 else ("SIREN", siren)
    if module.is_valid(value):
        return Verdict(True, f"The supplier's {kind} is valid.", {"seller_siret": value})
    return Verdict(
        False,
        f"The supplier's {kind} {value} is not valid (wrong length or check digit).",
        {"seller_siret": value},
    )


@rule(id="SIREN-CONSISTENCY", category=ExceptionCategory.INVALID_IDENTIFIER)
def french_vat_id_derives_from_siren(context: RuleContext) -> Verdict | None:
    """The French VAT number belongs to the company of the SIRET (same SIREN).

    A French VAT number is FR, a two-digit key, then the company's SIREN; the SIRET starts
    with that same SIREN. Applies when both are printed and each is valid on its own (the
    check-digit rules report invalid ones). Two different companies on one invoice point to
    a copied or forged letterhead: check who really issued the invoice.
    """
    fields = context.fields
    vat_id, printed_siret = fields.seller_vat_id, fields.seller_siret
    if not vat_id or not printed_siret or not is_valid_vat_id(vat_id):
        return None
    vat_siren = french_vat_siren(vat_id)
    module = siret if len(printed_siret) == 14 else siren
    if vat_siren is None or not module.is_valid(printed_siret):
        return None
    values = {"seller_vat_id": vat_id, "seller_siret": printed_siret}
    if printed_siret.startswith(vat_siren):
        return Verdict(True, "The VAT number and the SIRET name the same company.", values)
    return Verdict(
        False,
        f"The VAT number {vat_id} is that of SIREN {vat_siren}, but the SIRET {printed_siret} "
        f"is that of SIREN {printed_siret[:9]}: the invoice names two different companies.",
        values,
    )
