"""An approved invoice as an EN 16931 e-invoice: UN/CEFACT CII D16B, Factur-X EN16931 profile.

Whatever the invoice was read from (a text PDF, a scan, a photo, an e-invoice), the store
holds the same fields and lines; this module turns them into the CII XML of the guideline
``urn:cen.eu:en16931:2017``, built with lxml. It states only what was read, plus what
follows from it, each derivation said here and in the README:

- **Countries** (BT-40, BT-55, mandatory): the prefix of the party's VAT number (``EL`` is
  Greece, ``XI`` Northern Ireland); for the seller, a SIRET or SIREN makes it French; for the
  buyer, otherwise the buying company's own country (``buyer_country``: the invoices an AP
  team exports are addressed to its company).
- **VAT categories** (BT-118, BT-151): a positive rate is ``S`` (standard rated); a zero rate
  is ``Z`` (zero rated) when the seller states a VAT number, ``O`` (not subject to VAT, with
  that exemption reason) when it states none.
- **Lines** (BG-25, at least one, BR-16): the lines read, in order. A line whose quantity was
  not printed is 1 unit at its net amount; a line whose unit price was not printed has the
  net amount divided by the quantity. A negative line (a discount) is a negative quantity at
  a positive price (BR-27). When no line was read, one line per VAT rate carries the net
  base at that rate, its name saying it is the invoice's total at that rate; the rate is then
  the one rate in force in the seller's country (``validation.config.DEFAULT_VAT_RATES``)
  that turns the net total into the VAT total to the cent, so an invoice without lines and
  with several rates cannot be exported (BT-152 is listed). Lines read without any rate take
  that rate too.
- **VAT breakdown** (BG-23): the lines' net amounts summed per rate; the VAT of each rate is
  its base times its rate, rounded to the cent, and the cents by which those miss the stated
  VAT total go to the rate of the largest base (BR-CO-14 wants the stated total, BR-CO-17
  allows the rounding).
- **Amounts**: the stated totals (BT-109 net, BT-110 VAT, BT-112 gross, BT-115 due; the
  prepaid amount BT-113 is what the gross exceeds the amount due by). A credit note read as
  one (type 381, ``DocumentType``) keeps its type and its positive amounts, with the invoice
  it credits (BG-3: BT-25, BT-26) when it names one; a negative gross is a credit note too
  (type 381) with its amounts stated positive.

An invoice that lacks a term EN 16931 makes mandatory (and that nothing above gives) is not
built: ``MissingTermsError`` lists the BT ids. Checking the built XML against the official
rules is ``validation.official``'s job. No Prefect, no store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree
from pydantic import BaseModel, ConfigDict

from invoicebot.model import DocumentType, InvoiceError
from validation.config import DEFAULT_VAT_RATES
from validation.identity import french_vat_siren, siren_of

GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NAMESPACES: Mapping[str, str] = {"rsm": RSM, "qdt": QDT, "ram": RAM, "udt": UDT}

INVOICE_TYPE = DocumentType.INVOICE.code  # UNTDID 1001: commercial invoice
CREDIT_NOTE_TYPE = DocumentType.CREDIT_NOTE.code
UNIT_ONE = "C62"  # UN/ECE Recommendation 20: "one", the unit when none is printed
SEPA_CREDIT_TRANSFER = "58"  # UNTDID 4461
VAT_ID_SCHEME = "VA"
SIREN_SCHEME = "0002"  # ISO 6523 ICD of the French SIRENE register
SIRET_SCHEME = "0009"
NOT_SUBJECT_REASON = "Not subject to VAT"
CENT = Decimal("0.01")
ZERO = Decimal("0")
# A unit price worked out from a net amount and a quantity keeps this many decimals.
PRICE_PLACES = Decimal("0.0001")

# Characters XML 1.0 does not allow in text.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Records a missing business term: its BT id and why.
_Lack = Callable[[str, str], None]

# The country a VAT number's prefix names, where it is not the ISO 3166 code itself.
VAT_PREFIX_COUNTRY: Mapping[str, str] = {"EL": "GR", "XI": "GB"}


class ExportLine(BaseModel):
    """One invoice line as stored: amounts net of VAT, ``tax_rate`` a percentage."""

    model_config = ConfigDict(frozen=True)

    description: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    net_amount: Decimal | None = None
    tax_rate: Decimal | None = None


class ExportInvoice(BaseModel):
    """An approved invoice as the e-invoice needs it, corrections applied (the store gives it)."""

    model_config = ConfigDict(frozen=True)

    invoice_id: int
    invoice_number: str | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    currency: str | None = None
    seller_name: str | None = None
    seller_vat_id: str | None = None
    seller_siret: str | None = None
    seller_iban: str | None = None
    buyer_name: str | None = None
    buyer_vat_id: str | None = None
    po_number: str | None = None
    total_net: Decimal | None = None
    total_tax: Decimal | None = None
    total_gross: Decimal | None = None
    amount_due: Decimal | None = None
    lines: tuple[ExportLine, ...] = ()
    # What kind of document it is (BT-3) and the earlier invoice it names (BT-25, BT-26).
    document_type: DocumentType = DocumentType.INVOICE
    preceding_invoice_number: str | None = None
    preceding_invoice_date: date | None = None


class ExportSource(BaseModel):
    """An approved invoice and the archived file it was read from (the store gives it)."""

    model_config = ConfigDict(frozen=True)

    invoice: ExportInvoice
    archived_path: str | None = None
    # Pages first..last (1-based) of the file, when it holds several invoices.
    first_page: int | None = None
    last_page: int | None = None


class MissingTerm(BaseModel):
    """A business term of EN 16931 the invoice lacks: its BT id and why it is needed."""

    model_config = ConfigDict(frozen=True)

    term: str
    reason: str


class MissingTermsError(InvoiceError):
    """The invoice lacks mandatory business terms: no valid e-invoice can be built from it."""

    def __init__(self, invoice: ExportInvoice, missing: Sequence[MissingTerm]) -> None:
        super().__init__(
            f"invoice {invoice.invoice_id}: " + "; ".join(term.reason for term in missing)
        )
        self.invoice_id = invoice.invoice_id
        self.missing = tuple(missing)


class _Line(BaseModel):
    """A line as written: every term it needs is known."""

    model_config = ConfigDict(frozen=True)

    name: str
    quantity: Decimal
    price: Decimal
    net: Decimal
    rate: Decimal
    note: str | None = None


class _Plan(BaseModel):
    """What the XML states, worked out and checked before any element is made."""

    model_config = ConfigDict(frozen=True)

    type_code: str
    sign: Decimal
    seller_country: str
    buyer_country: str
    lines: tuple[_Line, ...]
    categories: Mapping[Decimal, str]
    vat: tuple[tuple[Decimal, Decimal, Decimal], ...]  # (rate, base, tax), largest base first
    net: Decimal
    tax: Decimal
    gross: Decimal
    due: Decimal


def build_cii(invoice: ExportInvoice, *, buyer_country: str | None = None) -> bytes:
    """Return the CII XML (UTF-8, with its declaration) of ``invoice``, EN 16931 profile.

    ``buyer_country`` is the buying company's ISO 3166 country, for the buyer's address when
    the invoice states no buyer VAT number. The same invoice gives the same bytes.
    Raises ``MissingTermsError`` listing the mandatory business terms the invoice lacks.
    """
    invoice = xml_safe(invoice)
    plan = _plan(invoice, buyer_country)
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=dict(NAMESPACES))
    context = _sub(root, "rsm:ExchangedDocumentContext")
    _sub(
        _sub(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID"
    ).text = GUIDELINE_EN16931
    document = _sub(root, "rsm:ExchangedDocument")
    _sub(document, "ram:ID").text = invoice.invoice_number
    _sub(document, "ram:TypeCode").text = plan.type_code
    assert invoice.invoice_date is not None  # checked by _plan
    _date(_sub(document, "ram:IssueDateTime"), invoice.invoice_date)
    transaction = _sub(root, "rsm:SupplyChainTradeTransaction")
    for number, line in enumerate(plan.lines, start=1):
        _line_item(transaction, number, line, plan)
    _agreement(_sub(transaction, "ram:ApplicableHeaderTradeAgreement"), invoice, plan)
    _sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    _settlement(_sub(transaction, "ram:ApplicableHeaderTradeSettlement"), invoice, plan)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def missing_terms(invoice: ExportInvoice, *, buyer_country: str | None = None) -> list[MissingTerm]:
    """Return the mandatory business terms ``invoice`` lacks (empty when it can be built)."""
    try:
        _plan(xml_safe(invoice), buyer_country)
    except MissingTermsError as error:
        return list(error.missing)
    return []


def xml_safe(invoice: ExportInvoice) -> ExportInvoice:
    """Return ``invoice`` with its texts as XML 1.0 can carry them: characters it forbids
    (control characters an OCR may leave) removed, runs of white space made one space; a
    text left empty is None."""
    texts = {
        name: _clean_text(value)
        for name, value in invoice
        if isinstance(value, str) and value != _clean_text(value)
    }
    lines = tuple(
        line.model_copy(update={"description": _clean_text(line.description)})
        for line in invoice.lines
    )
    return invoice.model_copy(update={**texts, "lines": lines})


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    return " ".join(_NOT_XML.sub(" ", value).split()) or None


def country_of_vat_id(vat_id: str | None) -> str | None:
    """Return the ISO 3166 country a VAT number's prefix names, None without a prefix."""
    if not vat_id or len(vat_id) < 3 or not vat_id[:2].isalpha():
        return None
    prefix = vat_id[:2].upper()
    return VAT_PREFIX_COUNTRY.get(prefix, prefix)


def term_order(term: str) -> int:
    """Return the number of a business term, to list BT-9 before BT-27."""
    digits = term.rsplit("-", 1)[-1]
    return int(digits) if digits.isdigit() else 0


# --- what the XML states ---------------------------------------------------------------------


def _plan(invoice: ExportInvoice, buyer_country: str | None) -> _Plan:
    missing: list[MissingTerm] = []

    def lack(term: str, reason: str) -> None:
        missing.append(MissingTerm(term=term, reason=f"{reason} ({term})"))

    if not invoice.invoice_number:
        lack("BT-1", "no invoice number")
    if invoice.invoice_date is None:
        lack("BT-2", "no invoice date")
    if not invoice.currency or len(invoice.currency) != 3:
        lack("BT-5", "no currency")
    if not invoice.seller_name:
        lack("BT-27", "no seller name")
    if not invoice.buyer_name:
        lack("BT-44", "no buyer name")
    seller_country = country_of_vat_id(invoice.seller_vat_id) or (
        "FR" if invoice.seller_siret else None
    )
    if seller_country is None:
        lack("BT-40", "no seller country: neither a VAT number nor a SIRET/SIREN gives it")
    customer_country = country_of_vat_id(invoice.buyer_vat_id) or buyer_country
    if customer_country is None:
        lack("BT-55", "no buyer country: no buyer VAT number and INVOICEBOT_COMPANY_COUNTRY unset")
    for value, term, name in (
        (invoice.total_net, "BT-109", "no net total"),
        (invoice.total_tax, "BT-110", "no VAT total"),
        (invoice.total_gross, "BT-112", "no gross total"),
    ):
        if value is None:
            lack(term, name)
    gross = invoice.total_gross or ZERO
    sign = Decimal(-1) if gross < 0 else Decimal(1)
    net = sign * (invoice.total_net or ZERO)
    tax = sign * (invoice.total_tax or ZERO)
    due = sign * (invoice.amount_due if invoice.amount_due is not None else gross)
    lines = _lines(invoice, sign, net, tax, seller_country, lack)
    rates = sorted({line.rate for line in lines})
    categories = _categories(invoice, rates, lack)
    if due > 0 and invoice.due_date is None:
        lack("BT-9", "no due date, and no payment terms (BT-20) were read (BR-CO-25)")
    if missing:
        raise MissingTermsError(
            invoice, sorted(missing, key=lambda lacking: term_order(lacking.term))
        )
    assert seller_country is not None and customer_country is not None
    return _Plan(
        type_code=_type_code(invoice.document_type, negative=sign < 0),
        sign=sign,
        seller_country=seller_country,
        buyer_country=customer_country.upper(),
        lines=tuple(lines),
        categories=categories,
        vat=tuple(_vat_breakdown(lines, tax)),
        net=net,
        tax=tax,
        gross=sign * gross,
        due=due,
    )


def _type_code(document_type: DocumentType, *, negative: bool) -> str:
    """Return BT-3: the document's own type; amounts being stated positive, a negative
    invoice is a credit note and a negative credit note an invoice."""
    if not negative:
        return document_type.code
    return INVOICE_TYPE if document_type.is_credit else CREDIT_NOTE_TYPE


def _lines(
    invoice: ExportInvoice,
    sign: Decimal,
    net: Decimal,
    tax: Decimal,
    country: str | None,
    lack: _Lack,
) -> list[_Line]:
    """Return the lines to write: those read, or one per VAT rate when none was read."""
    if not invoice.lines:
        rate = _rate_of_totals(net, tax, country)
        if rate is None:
            if invoice.total_net is not None and invoice.total_tax is not None:
                lack("BT-152", "no line was read and the totals give no single VAT rate")
            return []
        label = _format_decimal(rate)
        name = (
            f"Total of invoice {invoice.invoice_number} at {label} % VAT "
            "(its line items were not read)"
        )
        return [_Line(name=name, quantity=Decimal(1), price=abs(net), net=net, rate=rate)]
    read_rates = {line.tax_rate for line in invoice.lines if line.tax_rate is not None}
    default_rate = _rate_of_totals(net, tax, country) if not read_rates else None
    lines = []
    for position, line in enumerate(invoice.lines, start=1):
        if not line.description:
            lack("BT-153", f"line {position} has no item name")
        if line.net_amount is None:
            lack("BT-131", f"line {position} has no net amount")
            continue
        rate = line.tax_rate if line.tax_rate is not None else default_rate
        if rate is None:
            lack("BT-152", f"line {position} has no VAT rate")
            continue
        amount = sign * line.net_amount
        quantity, price, note = _quantity_and_price(line, amount)
        lines.append(
            _Line(
                name=line.description or "",
                quantity=quantity,
                price=price,
                net=amount,
                rate=rate,
                note=note,
            )
        )
    return lines


def _quantity_and_price(line: ExportLine, amount: Decimal) -> tuple[Decimal, Decimal, str | None]:
    """Return the quantity (BT-129) and net price (BT-146, never negative) of a line, and a
    note when either was not printed but worked out from the line's net amount."""
    quantity = abs(line.quantity) if line.quantity else None
    price = abs(line.unit_price) if line.unit_price is not None else None
    note = None
    if quantity is None:
        quantity, price = Decimal(1), abs(amount)
        note = "Quantity not printed: one unit at the line's net amount."
    elif price is None:
        price = (abs(amount) / quantity).quantize(PRICE_PLACES, ROUND_HALF_UP).normalize()
        note = "Unit price not printed: the net amount divided by the quantity."
    if amount < 0:
        quantity = -quantity
    return quantity, price, note


def _rate_of_totals(net: Decimal, tax: Decimal, country: str | None) -> Decimal | None:
    """Return the one VAT rate in force in the seller's country (any listed country's when
    its own is not listed) that turns the net total into the VAT total to the cent; None
    when no rate or several do (an invoice with several rates)."""
    if net == 0:
        return ZERO if tax == 0 else None
    rates = DEFAULT_VAT_RATES.get(country or "") or tuple(
        {rate for listed in DEFAULT_VAT_RATES.values() for rate in listed}
    )
    fitting = {
        rate.normalize() if rate else ZERO
        for rate in rates
        if (net * rate / 100).quantize(CENT, ROUND_HALF_UP) == tax.quantize(CENT)
    }
    return fitting.pop() if len(fitting) == 1 else None


def _categories(invoice: ExportInvoice, rates: list[Decimal], lack: _Lack) -> dict[Decimal, str]:
    """Return the VAT category code of each rate; a seller VAT number where one is needed."""
    categories: dict[Decimal, str] = {}
    for rate in rates:
        if rate > 0:
            categories[rate] = "S"
        elif invoice.seller_vat_id:
            categories[rate] = "Z"
        else:
            categories[rate] = "O"
    if "S" in categories.values() and not invoice.seller_vat_id:
        lack("BT-31", "VAT is charged but no seller VAT number was read (BR-S-02)")
    if "O" in categories.values() and not invoice.seller_siret:
        lack("BT-30", "no seller VAT number nor SIRET/SIREN identifies the seller (BR-CO-26)")
    return categories


def _vat_breakdown(lines: Sequence[_Line], tax: Decimal) -> list[tuple[Decimal, Decimal, Decimal]]:
    """Return (rate, base, VAT) per rate, the largest base first; the VAT of the rates adds up
    to the stated VAT total (the rounding cents on the largest base)."""
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        bases[line.rate] = bases.get(line.rate, ZERO) + line.net
    if not bases:
        return []
    order = sorted(bases, key=lambda rate: (-abs(bases[rate]), rate))
    taxes = {rate: (bases[rate] * rate / 100).quantize(CENT, ROUND_HALF_UP) for rate in order}
    taxes[order[0]] += tax - sum(taxes.values(), ZERO)
    return [(rate, bases[rate], taxes[rate]) for rate in order]


# --- elements --------------------------------------------------------------------------------


def _sub(parent: etree._Element, name: str, **attributes: str) -> etree._Element:
    prefix, local = name.split(":")
    return etree.SubElement(parent, f"{{{NAMESPACES[prefix]}}}{local}", attributes)


def _date(parent: etree._Element, day: date) -> None:
    _sub(parent, "udt:DateTimeString", format="102").text = day.strftime("%Y%m%d")


def _line_item(transaction: etree._Element, number: int, line: _Line, plan: _Plan) -> None:
    item = _sub(transaction, "ram:IncludedSupplyChainTradeLineItem")
    document = _sub(item, "ram:AssociatedDocumentLineDocument")
    _sub(document, "ram:LineID").text = str(number)
    if line.note:
        _sub(_sub(document, "ram:IncludedNote"), "ram:Content").text = line.note
    _sub(_sub(item, "ram:SpecifiedTradeProduct"), "ram:Name").text = line.name
    agreement = _sub(item, "ram:SpecifiedLineTradeAgreement")
    price = _sub(agreement, "ram:NetPriceProductTradePrice")
    _sub(price, "ram:ChargeAmount").text = _format_decimal(line.price, places=2)
    delivery = _sub(item, "ram:SpecifiedLineTradeDelivery")
    _sub(delivery, "ram:BilledQuantity", unitCode=UNIT_ONE).text = _format_decimal(line.quantity)
    settlement = _sub(item, "ram:SpecifiedLineTradeSettlement")
    _tax(settlement, line.rate, plan.categories[line.rate])
    totals = _sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    _sub(totals, "ram:LineTotalAmount").text = _amount(line.net)


def _tax(
    parent: etree._Element,
    rate: Decimal,
    category: str,
    *,
    base: Decimal | None = None,
    amount: Decimal | None = None,
) -> None:
    tax = _sub(parent, "ram:ApplicableTradeTax")
    if amount is not None:
        _sub(tax, "ram:CalculatedAmount").text = _amount(amount)
    _sub(tax, "ram:TypeCode").text = "VAT"
    if base is not None and category == "O":
        _sub(tax, "ram:ExemptionReason").text = NOT_SUBJECT_REASON
    if base is not None:
        _sub(tax, "ram:BasisAmount").text = _amount(base)
    _sub(tax, "ram:CategoryCode").text = category
    if category != "O":
        _sub(tax, "ram:RateApplicablePercent").text = _format_decimal(rate)


def _agreement(agreement: etree._Element, invoice: ExportInvoice, plan: _Plan) -> None:
    seller = _sub(agreement, "ram:SellerTradeParty")
    siret = invoice.seller_siret
    if siret and len(siret) == 14:
        _sub(seller, "ram:GlobalID", schemeID=SIRET_SCHEME).text = siret
    _sub(seller, "ram:Name").text = invoice.seller_name
    if siret:
        legal = _sub(seller, "ram:SpecifiedLegalOrganization")
        _sub(legal, "ram:ID", schemeID=SIREN_SCHEME).text = siret[:9]
    _sub(_sub(seller, "ram:PostalTradeAddress"), "ram:CountryID").text = plan.seller_country
    if invoice.seller_vat_id:
        registration = _sub(seller, "ram:SpecifiedTaxRegistration")
        _sub(registration, "ram:ID", schemeID=VAT_ID_SCHEME).text = invoice.seller_vat_id
    buyer = _sub(agreement, "ram:BuyerTradeParty")
    _sub(buyer, "ram:Name").text = invoice.buyer_name
    # BT-47, a mention the French reform made mandatory (BR-FR-11): a French VAT number holds
    # the buyer's SIREN.
    buyer_siren = french_vat_siren(invoice.buyer_vat_id or "")
    if buyer_siren and siren_of(buyer_siren):
        legal = _sub(buyer, "ram:SpecifiedLegalOrganization")
        _sub(legal, "ram:ID", schemeID=SIREN_SCHEME).text = buyer_siren
    _sub(_sub(buyer, "ram:PostalTradeAddress"), "ram:CountryID").text = plan.buyer_country
    if invoice.buyer_vat_id:
        registration = _sub(buyer, "ram:SpecifiedTaxRegistration")
        _sub(registration, "ram:ID", schemeID=VAT_ID_SCHEME).text = invoice.buyer_vat_id
    if invoice.po_number:
        order = _sub(agreement, "ram:BuyerOrderReferencedDocument")
        _sub(order, "ram:IssuerAssignedID").text = invoice.po_number


def _settlement(settlement: etree._Element, invoice: ExportInvoice, plan: _Plan) -> None:
    assert invoice.currency is not None  # checked by _plan
    _sub(settlement, "ram:InvoiceCurrencyCode").text = invoice.currency.upper()
    if invoice.seller_iban:
        means = _sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        _sub(means, "ram:TypeCode").text = SEPA_CREDIT_TRANSFER
        account = _sub(means, "ram:PayeePartyCreditorFinancialAccount")
        _sub(account, "ram:IBANID").text = invoice.seller_iban
    for rate, base, amount in plan.vat:
        _tax(settlement, rate, plan.categories[rate], base=base, amount=amount)
    if invoice.due_date is not None:
        terms = _sub(settlement, "ram:SpecifiedTradePaymentTerms")
        _date(_sub(terms, "ram:DueDateDateTime"), invoice.due_date)
    totals = _sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _sub(totals, "ram:LineTotalAmount").text = _amount(sum((ln.net for ln in plan.lines), ZERO))
    _sub(totals, "ram:TaxBasisTotalAmount").text = _amount(plan.net)
    _sub(totals, "ram:TaxTotalAmount", currencyID=invoice.currency.upper()).text = _amount(plan.tax)
    _sub(totals, "ram:GrandTotalAmount").text = _amount(plan.gross)
    if plan.gross != plan.due:
        _sub(totals, "ram:TotalPrepaidAmount").text = _amount(plan.gross - plan.due)
    _sub(totals, "ram:DuePayableAmount").text = _amount(plan.due)
    if invoice.preceding_invoice_number:
        preceding = _sub(settlement, "ram:InvoiceReferencedDocument")
        _sub(preceding, "ram:IssuerAssignedID").text = invoice.preceding_invoice_number
        if invoice.preceding_invoice_date is not None:
            issued = _sub(preceding, "ram:FormattedIssueDateTime")
            _sub(
                issued, "qdt:DateTimeString", format="102"
            ).text = invoice.preceding_invoice_date.strftime("%Y%m%d")


def _amount(value: Decimal) -> str:
    """Return an amount with two decimals; one with more stays as it is (BR-DEC reports it)."""
    return _format_decimal(value, places=2)


def _format_decimal(value: Decimal, *, places: int | None = None) -> str:
    """Return ``value`` in plain notation: at least ``places`` decimals, no trailing zeros
    beyond them (``20`` for a rate of 20.00, ``5.5``)."""
    normal = value.normalize()
    if normal == normal.to_integral_value():
        normal = normal.quantize(Decimal(1))
    if places is not None and -normal.as_tuple().exponent < places:  # type: ignore[operator]
        normal = normal.quantize(Decimal(1).scaleb(-places))
    return format(normal, "f")
