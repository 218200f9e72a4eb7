"""The mentions the French e-invoicing reform made mandatory (CGI annexe II art. 242 nonies A
as amended by décret 2022-1299): the buyer's SIREN, the delivery address when it differs
from the buyer's, the category of operation, and the option for VAT on debits.

They apply to domestic B2B invoices: a French seller (its VAT number or SIREN/SIRET is
French) and a French buyer (French VAT number, SIREN or address), not marked B2C or
international (the BAR note). On an e-invoice each is enforced by a rule of its own, whose
failure is an exception unless the official French rule (BR-FR-08, BR-FR-11) or EN 16931
rule (BR-57) reports the same fault: that one is then the exception and ours information.
On a paper invoice they are information only (FR-REFORM-MENTIONS), so operators see what a
supplier's paper invoices lack before the supplier must switch to e-invoices.
"""

from __future__ import annotations

from stdnum.fr import siren

from invoicebot.model import (
    ExceptionCategory,
    Method,
    OperationCategory,
    PostalAddress,
    ReformMentions,
    Severity,
)
from validation.context import RuleContext
from validation.identity import french_vat_siren, seller_country, vat_country
from validation.registry import Verdict, rule

# The BAR note's treatments (BR-FR-20) that are no domestic B2B invoice.
NOT_DOMESTIC_B2B = frozenset({"B2BINT", "B2C", "B2CINT", "OUTOFSCOPE", "ARCHIVEONLY"})

CATEGORY_WORDS = {
    OperationCategory.GOODS: "a delivery of goods",
    OperationCategory.SERVICES: "a provision of services",
    OperationCategory.MIXED: "both goods and services",
}
DEBITS_CODES = "code 5 in CII, 3 in UBL"
# What a paper invoice says of VAT on debits: the option, VAT on receipts, or nothing.
DEBITS_WORDS: dict[bool | None, str | None] = {True: "stated", False: "receipts", None: None}
PAPER_MANDATORY = {
    "buyer_siren": "the buyer's SIREN",
    "operation_category": "the category of operation (goods, services or both)",
}


def buyer_country(context: RuleContext, mentions: ReformMentions) -> str | None:
    """Return the buyer's country: from its VAT number, else its address, else FR when a
    SIREN is given."""
    vat_id = context.fields.buyer_vat_id
    if vat_id:
        return vat_country(vat_id)
    if mentions.buyer_country:
        return mentions.buyer_country
    return "FR" if mentions.buyer_siren else None


def domestic_einvoice(context: RuleContext) -> ReformMentions | None:
    """Return an e-invoice's mentions when the reform's mentions apply to it: French seller
    and French buyer, not marked B2C or international; None otherwise."""
    mentions = context.extras.mentions
    if context.extraction.method is not Method.EINVOICE or mentions is None or mentions.printed:
        return None
    if seller_country(context.fields) != "FR" or mentions.treatment in NOT_DOMESTIC_B2B:
        return None
    return mentions if buyer_country(context, mentions) == "FR" else None


@rule(
    id="FR-BUYER-SIREN",
    category=ExceptionCategory.MISSING_FIELD,
    fields=(),
    official=("BR-FR-11_BT-47",),
)
def buyer_siren(context: RuleContext) -> Verdict | None:
    """A French B2B e-invoice states the buyer's SIREN (BT-47, scheme 0002), a valid one.

    The buyer's SIREN is one of the mentions the reform added. The official rule BR-FR-11
    asks for it (9 digits) on invoices marked B2B (the BAR note); this rule asks for it on
    every domestic B2B e-invoice, checks its Luhn key (a 14-digit SIRET given in its place is
    a fault too), and checks it is the SIREN inside the buyer's French VAT number. Where
    BR-FR-11 reports the same fault, this rule's result is information. Ask the supplier for
    a corrected invoice: the platforms route e-invoices by the buyer's SIREN.
    """
    mentions = domestic_einvoice(context)
    if mentions is None:
        return None
    value, vat_id = mentions.buyer_siren, context.fields.buyer_vat_id
    values = {"buyer_siren": value, "buyer_vat_id": vat_id}
    if value is None:
        return Verdict(
            False,
            "This French B2B e-invoice does not state the buyer's SIREN (BT-47 with scheme "
            "0002; official rule BR-FR-11): ask the supplier for a corrected invoice.",
            values,
        )
    if len(value) == 14 and value.isdigit():
        return Verdict(
            False,
            f"The buyer's SIREN (BT-47, scheme 0002) is given as {value}, 14 digits: a SIRET, "
            f"where the SIREN (its first 9 digits, {value[:9]}) is expected (official rule "
            "BR-FR-11): ask the supplier for a corrected invoice.",
            values,
        )
    if not siren.is_valid(value):
        return Verdict(
            False,
            f"The buyer's SIREN {value} (BT-47) is not valid (9 digits with a Luhn key; "
            "official rule BR-FR-11): ask the supplier for a corrected invoice.",
            values,
        )
    vat_siren = french_vat_siren(vat_id) if vat_id else None
    if vat_siren is not None and vat_siren != value:
        return Verdict(
            False,
            f"The buyer's SIREN {value} (BT-47) is not that of its VAT number {vat_id} "
            f"(SIREN {vat_siren}): the invoice names two companies as the buyer.",
            values,
        )
    return Verdict(True, f"The buyer's SIREN {value} is stated.", values)


@rule(
    id="FR-OPERATION-CATEGORY",
    category=ExceptionCategory.MISSING_FIELD,
    fields=(),
    official=("BR-FR-08_BT-23",),
)
def operation_category(context: RuleContext) -> Verdict | None:
    """A French B2B e-invoice states its category of operation: goods, services or both.

    The category is the first letter of the billing framework (BT-23, "cadre de
    facturation"): B for goods (B1, B2...), S for services, M for both. The official rule
    BR-FR-08 asks for a framework from its list on every invoice it checks; where it reports
    the same fault, this rule's result is information. Ask the supplier for a corrected
    invoice.
    """
    mentions = domestic_einvoice(context)
    if mentions is None:
        return None
    framework, category = mentions.business_process, mentions.operation_category
    values = {
        "business_process": framework,
        "operation_category": category.value if category else None,
    }
    if category is not None:
        return Verdict(
            True, f"The invoice bills {CATEGORY_WORDS[category]} (BT-23 {framework}).", values
        )
    stated = (
        "does not state its billing framework (BT-23)"
        if framework is None
        else f"states a billing framework (BT-23) {framework!r} the French rules do not list"
    )
    return Verdict(
        False,
        f"This French B2B e-invoice {stated}, so its category of operation (goods B, "
        "services S, or both M) is not given (official rule BR-FR-08): ask the supplier for "
        "a corrected invoice.",
        values,
    )


@rule(
    id="FR-DELIVERY-ADDRESS",
    category=ExceptionCategory.MISSING_FIELD,
    fields=(),
    official=("BR-57",),
)
def delivery_address(context: RuleContext) -> Verdict | None:
    """A French B2B e-invoice for goods delivered elsewhere states where (BG-15).

    The delivery address is mandatory when it differs from the buyer's. An e-invoice that
    names a place of delivery (BT-70 name or BT-71 location) must give its address, with
    its city and country (BT-77, BT-80; EN 16931 BR-57 asks for the country, and where it
    reports the same fault this rule's result is information). An invoice that names no
    other place is taken as delivered to the buyer's address. Does not apply to services
    only (BT-23 S...).
    """
    mentions = domestic_einvoice(context)
    if mentions is None or mentions.operation_category is OperationCategory.SERVICES:
        return None
    place, address = mentions.delivery_place, mentions.delivery_address
    values = {"delivery_place": place, "delivery_address": _one_line(address)}
    if address is None:
        if place is None:
            return Verdict(
                True, "No place of delivery other than the buyer's address is stated.", values
            )
        return Verdict(
            False,
            f"The invoice names a place of delivery ({place}) but not its address (BG-15): "
            "ask the supplier for a corrected invoice.",
            values,
        )
    parts = (("city", address.city), ("country", address.country))
    lacking = [name for name, value in parts if not value]
    if lacking:
        return Verdict(
            False,
            f"The delivery address (BG-15) lacks its {' and '.join(lacking)}: ask the "
            "supplier for a corrected invoice.",
            values,
        )
    buyer = mentions.buyer_address
    where = (
        "the buyer's address"
        if buyer is not None and buyer.key() == address.key()
        else "an address other than the buyer's"
    )
    return Verdict(True, f"The goods are delivered to {where}: {_one_line(address)}.", values)


@rule(id="FR-VAT-ON-DEBITS", category=ExceptionCategory.MISSING_FIELD, fields=())
def vat_on_debits(context: RuleContext) -> Verdict | None:
    """A French B2B e-invoice of a supplier that opted for VAT on debits says so in BT-8.

    VAT on services is due when they are paid, unless the supplier opted to pay it "d'après
    les débits" (on invoicing); the invoice must then say so, which an e-invoice does with
    its VAT point date code (BT-8: 5 in CII, 3 in UBL). No official rule checks it. The rule
    fails when the invoice states the option in a note but not in BT-8; it passes, saying
    when the VAT becomes deductible, otherwise. Does not apply to goods only (BT-23 B...).
    """
    mentions = domestic_einvoice(context)
    if mentions is None or mentions.operation_category is OperationCategory.GOODS:
        return None
    code, statement = mentions.vat_point_code, mentions.debits_statement
    values = {"vat_point_code": code, "debits_statement": statement}
    if mentions.vat_on_debits:
        return Verdict(
            True,
            f"The supplier opted for VAT on debits (BT-8 {code}): the VAT is deductible "
            "from the invoice date.",
            values,
        )
    if statement is not None:
        return Verdict(
            False,
            f"A note says the supplier opted for VAT on debits ({statement!r}), but the VAT "
            f"point date code (BT-8) is {code or 'absent'} instead of the debits code "
            f"({DEBITS_CODES}): ask the supplier for a corrected invoice.",
            values,
        )
    coded = "" if code is None else f" (BT-8 {code})"
    if code is not None and mentions.vat_on_debits is None:
        return Verdict(True, f"No option for VAT on debits is stated{coded}.", values)
    return Verdict(
        True,
        f"No option for VAT on debits is stated{coded}: the VAT on the services becomes "
        "deductible when they are paid.",
        values,
    )


@rule(
    id="FR-REFORM-MENTIONS",
    category=ExceptionCategory.MISSING_FIELD,
    severity=Severity.INFO,
    fields=(),
)
def paper_reform_mentions(context: RuleContext) -> Verdict | None:
    """A French paper invoice prints the reform's mentions (information only).

    Looks in the page text of a French supplier's paper invoice (text layer or OCR) for the
    buyer's SIREN (a valid SIREN or SIRET after its label, not the seller's), the category
    of operation ("Livraison de biens", "Prestation de services"), a delivery address
    ("Adresse de livraison") and the option for VAT on debits ("option pour le paiement de
    la taxe d'après les débits"). The first two are mandatory on every domestic B2B invoice
    under the reform, the last two only when the goods go elsewhere or the supplier opted.
    Information: it never makes an exception, so operators see which mentions a supplier's
    paper invoices lack before the supplier must send e-invoices. Applies when the seller
    is French and the buyer is not known to be foreign.
    """
    mentions = context.extras.mentions
    if mentions is None or not mentions.printed or seller_country(context.fields) != "FR":
        return None
    vat_id = context.fields.buyer_vat_id
    if vat_id and vat_country(vat_id) != "FR":
        return None
    category = mentions.operation_category
    values = {
        "buyer_siren": mentions.buyer_siren,
        "operation_category": category.value if category else None,
        "delivery_address": "printed" if mentions.delivery_address_printed else None,
        "vat_on_debits": DEBITS_WORDS[mentions.vat_on_debits],
    }
    missing = [name for name in PAPER_MANDATORY if values[name] is None]
    found = _printed(mentions)
    if not missing:
        return Verdict(True, f"The page prints the reform's mentions: {found}.", values)
    lacks = " and ".join(PAPER_MANDATORY[name] for name in missing)
    return Verdict(
        False,
        f"This French paper invoice does not print {lacks}, mandatory under the e-invoicing "
        f"reform; {found}. For information: tell the supplier before it must send "
        "e-invoices.",
        {**values, "missing": ",".join(missing)},
    )


def _printed(mentions: ReformMentions) -> str:
    """Return what the page says of the conditional mentions, in words."""
    delivery = (
        "it prints a delivery address"
        if mentions.delivery_address_printed
        else "no delivery address (needed only for goods delivered elsewhere than the buyer's)"
    )
    debits = {
        True: "it states the option for VAT on debits",
        False: "it states VAT on receipts",
        None: "no option for VAT on debits (needed only when the supplier opted)",
    }[mentions.vat_on_debits]
    return f"{delivery}; {debits}"


def _one_line(address: PostalAddress | None) -> str | None:
    """Return an address on one line: ``2 allée des Pins, 38000 Grenoble, FR``."""
    if address is None:
        return None
    town = " ".join(part for part in (address.postcode, address.city) if part)
    return ", ".join(part for part in (*address.lines, town, address.country or "") if part)
