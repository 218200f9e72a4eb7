"""The CII of an approved invoice: what it states, what it derives, what it refuses; each
built XML is checked with the official EN 16931 rules (XSD and schematron, run by saxonche)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from extractors.einvoice import read_einvoice
from invoicebot.books.cii import (
    NAMESPACES,
    ExportInvoice,
    ExportLine,
    MissingTermsError,
    build_cii,
    country_of_vat_id,
    missing_terms,
)
from invoicebot.books.einvoices import split_failures
from validation.official import validate_xml


def line(description: str, quantity: str, price: str, net: str, rate: str) -> ExportLine:
    return ExportLine(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        net_amount=Decimal(net),
        tax_rate=Decimal(rate),
    )


def invoice(**changes: object) -> ExportInvoice:
    """Return an approved invoice of two lines at 20 % and 5.5 %, with ``changes``."""
    values: dict[str, object] = {
        "invoice_id": 7,
        "invoice_number": "F2026-0141",
        "invoice_date": date(2026, 3, 13),
        "due_date": date(2026, 4, 12),
        "currency": "EUR",
        "seller_name": "Traiteur Les Saveurs SARL",
        "seller_vat_id": "FR50464556810",
        "seller_siret": "46455681000065",
        "seller_iban": "FR7630004730664096567606071",
        "buyer_name": "Aurora Tech SAS",
        "po_number": "PO-88123",
        "total_net": Decimal("1324.80"),
        "total_tax": Decimal("239.59"),
        "total_gross": Decimal("1564.39"),
        "amount_due": Decimal("1564.39"),
        "lines": (
            line("Livraison et installation", "12", "95.82", "1149.84", "20"),
            line("Café en grains 1 kg", "12", "14.58", "174.96", "5.5"),
        ),
    }
    return ExportInvoice.model_validate(values | changes)


# The VAT breakdown (BG-23) of the header, the lines' net amounts and names.
BREAKDOWN = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
LINE_NET = "//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount"
LINE_NAME = "//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedTradeProduct/ram:Name"


def text(xml: bytes, path: str) -> list[str | None]:
    """Return the text of each element ``path`` finds in ``xml``."""
    root = etree.fromstring(xml)
    found = root.xpath(path, namespaces=dict(NAMESPACES))
    assert isinstance(found, list)
    return [node.text for node in found if isinstance(node, etree._Element)]


def assert_passes_en16931(xml: bytes) -> None:
    report = validate_xml(xml, file="built.xml")
    blocking, _french = split_failures(report)
    assert blocking == [], [f for f in report.failures if f.rule_id in blocking]
    assert "FACTUR-X_EN16931.xslt" in report.checked


def test_a_complete_invoice_passes_the_official_rules_and_reads_back() -> None:
    xml = build_cii(invoice(), buyer_country="FR")
    assert_passes_en16931(xml)
    assert text(xml, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == [
        "urn:cen.eu:en16931:2017"
    ]
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    # The VAT breakdown: one per rate, the largest base first, VAT = base x rate.
    assert text(xml, BREAKDOWN + "ram:BasisAmount") == ["1149.84", "174.96"]
    assert text(xml, BREAKDOWN + "ram:CalculatedAmount") == ["229.97", "9.62"]
    assert text(xml, "//ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID") == ["FR"]
    assert text(xml, "//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == [
        "464556810"
    ]
    reading = read_einvoice(xml).reading
    fields = reading.fields
    assert (fields.invoice_number, fields.invoice_date, fields.due_date) == (
        "F2026-0141",
        date(2026, 3, 13),
        date(2026, 4, 12),
    )
    assert (fields.seller_name, fields.seller_vat_id, fields.seller_siret) == (
        "Traiteur Les Saveurs SARL",
        "FR50464556810",
        "46455681000065",
    )
    assert (fields.total_net, fields.total_tax, fields.total_gross, fields.amount_due) == (
        Decimal("1324.80"),
        Decimal("239.59"),
        Decimal("1564.39"),
        Decimal("1564.39"),
    )
    assert (fields.seller_iban, fields.buyer_name, fields.po_number) == (
        "FR7630004730664096567606071",
        "Aurora Tech SAS",
        "PO-88123",
    )
    assert [(ln.description, ln.net_amount, ln.tax_rate) for ln in reading.lines] == [
        ("Livraison et installation", Decimal("1149.84"), Decimal("20")),
        ("Café en grains 1 kg", Decimal("174.96"), Decimal("5.5")),
    ]


def test_the_same_invoice_gives_the_same_bytes() -> None:
    assert build_cii(invoice(), buyer_country="FR") == build_cii(invoice(), buyer_country="FR")


def test_a_missing_buyer_name_is_listed_as_bt_44() -> None:
    with pytest.raises(MissingTermsError) as raised:
        build_cii(invoice(buyer_name=None), buyer_country="FR")
    assert [term.term for term in raised.value.missing] == ["BT-44"]
    assert raised.value.invoice_id == 7


def test_every_missing_term_is_listed_at_once() -> None:
    lacking = invoice(
        invoice_number=None,
        invoice_date=None,
        currency=None,
        seller_name=None,
        total_gross=None,
        due_date=None,
    )
    terms = [term.term for term in missing_terms(lacking, buyer_country="FR")]
    assert terms == ["BT-1", "BT-2", "BT-5", "BT-9", "BT-27", "BT-112"]
    assert missing_terms(invoice(), buyer_country="FR") == []


def test_vat_charged_needs_the_seller_vat_number() -> None:
    lacking = invoice(seller_vat_id=None)
    assert [term.term for term in missing_terms(lacking, buyer_country="FR")] == ["BT-31"]


def test_an_amount_due_needs_a_due_date() -> None:
    assert [t.term for t in missing_terms(invoice(due_date=None), buyer_country="FR")] == ["BT-9"]
    # Nothing left to pay: no due date needed (BR-CO-25).
    paid = invoice(due_date=None, amount_due=Decimal("0.00"))
    assert missing_terms(paid, buyer_country="FR") == []
    xml = build_cii(paid, buyer_country="FR")
    assert text(xml, "//ram:TotalPrepaidAmount") == ["1564.39"]
    assert_passes_en16931(xml)


def test_countries_come_from_vat_numbers_siret_or_the_buying_company() -> None:
    assert country_of_vat_id("EL094259216") == "GR"
    assert country_of_vat_id("DE811907980") == "DE"
    assert country_of_vat_id("12345") is None
    german = invoice(seller_vat_id="DE811907980", seller_siret=None, buyer_vat_id="FR44732829320")
    xml = build_cii(german)  # the buyer's VAT number gives its country
    assert text(xml, "//ram:SellerTradeParty/ram:PostalTradeAddress/ram:CountryID") == ["DE"]
    assert text(xml, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID") == ["FR"]
    assert_passes_en16931(xml)
    assert [t.term for t in missing_terms(invoice(), buyer_country=None)] == ["BT-55"]
    nowhere = invoice(seller_vat_id=None, seller_siret=None, total_tax=Decimal("0"))
    assert "BT-40" in [t.term for t in missing_terms(nowhere, buyer_country="FR")]


def test_a_french_buyer_vat_number_gives_the_buyer_siren_bt_47() -> None:
    buyer_siren = "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"
    xml = build_cii(invoice(buyer_vat_id="FR44732829320"))
    assert text(xml, buyer_siren) == ["732829320"]
    assert_passes_en16931(xml)
    assert text(build_cii(invoice(buyer_vat_id="DE811907980")), buyer_siren) == []
    assert text(build_cii(invoice(), buyer_country="FR"), buyer_siren) == []


def test_without_lines_one_line_carries_the_net_at_the_rate_of_the_totals() -> None:
    bare = invoice(
        lines=(),
        total_net=Decimal("1000.00"),
        total_tax=Decimal("200.00"),
        total_gross=Decimal("1200.00"),
        amount_due=Decimal("1200.00"),
    )
    xml = build_cii(bare, buyer_country="FR")
    assert_passes_en16931(xml)
    assert text(xml, LINE_NAME) == [
        "Total of invoice F2026-0141 at 20 % VAT (its line items were not read)"
    ]
    assert text(xml, LINE_NET) == ["1000.00"]
    assert text(xml, BREAKDOWN + "ram:RateApplicablePercent") == ["20"]
    # Several rates and no line: no single rate to state.
    mixed = bare.model_copy(
        update={"total_tax": Decimal("131.00"), "total_gross": Decimal("1131.00")}
    )
    assert [t.term for t in missing_terms(mixed, buyer_country="FR")] == ["BT-152"]


def test_the_rounding_cents_of_the_breakdown_go_to_the_largest_base() -> None:
    # Rounded per line, the seller's VAT is a cent above base x rate of each rate.
    lines = (
        line("A", "1", "10.04", "10.04", "20"),
        line("B", "1", "10.04", "10.04", "20"),
        line("C", "1", "3.10", "3.10", "5.5"),
    )
    rounded = invoice(
        lines=lines,
        total_net=Decimal("23.18"),
        total_tax=Decimal("4.19"),
        total_gross=Decimal("27.37"),
        amount_due=Decimal("27.37"),
    )
    xml = build_cii(rounded, buyer_country="FR")
    assert text(xml, BREAKDOWN + "ram:CalculatedAmount") == ["4.02", "0.17"]
    assert_passes_en16931(xml)


def test_a_negative_gross_is_a_credit_note_stated_positive() -> None:
    credit = invoice(
        lines=(line("Retour marchandise", "2", "50", "-100.00", "20"),),
        total_net=Decimal("-100.00"),
        total_tax=Decimal("-20.00"),
        total_gross=Decimal("-120.00"),
        amount_due=Decimal("-120.00"),
    )
    xml = build_cii(credit, buyer_country="FR")
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert text(xml, "//ram:GrandTotalAmount") == ["120.00"]
    assert text(xml, "//ram:BilledQuantity") == ["2"]
    assert_passes_en16931(xml)


def test_a_discount_line_is_a_negative_quantity_at_a_positive_price() -> None:
    with_discount = invoice(
        lines=(
            line("Livraison et installation", "12", "95.82", "1149.84", "20"),
            line("Café en grains 1 kg", "12", "14.58", "174.96", "5.5"),
            line("Remise fidélité", "1", "-49.84", "-49.84", "20"),
        ),
        total_net=Decimal("1274.96"),
        total_tax=Decimal("229.62"),
        total_gross=Decimal("1504.58"),
        amount_due=Decimal("1504.58"),
    )
    xml = build_cii(with_discount, buyer_country="FR")
    assert text(xml, "//ram:BilledQuantity") == ["12", "12", "-1"]
    assert text(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount")[-1] == "49.84"
    assert_passes_en16931(xml)


def test_a_line_without_quantity_or_price_is_one_unit_at_its_net_said_in_a_note() -> None:
    partial = invoice(
        lines=(
            ExportLine(
                description="Forfait installation",
                net_amount=Decimal("1149.84"),
                tax_rate=Decimal("20"),
            ),
            ExportLine(
                description="Café",
                quantity=Decimal("3"),
                net_amount=Decimal("174.96"),
                tax_rate=Decimal("5.5"),
            ),
        )
    )
    xml = build_cii(partial, buyer_country="FR")
    assert text(xml, "//ram:BilledQuantity") == ["1", "3"]
    assert text(xml, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["1149.84", "58.32"]
    notes = text(xml, "//ram:AssociatedDocumentLineDocument/ram:IncludedNote/ram:Content")
    assert notes == [
        "Quantity not printed: one unit at the line's net amount.",
        "Unit price not printed: the net amount divided by the quantity.",
    ]
    assert_passes_en16931(xml)


def test_a_line_without_name_amount_or_rate_is_listed() -> None:
    gaps = invoice(
        lines=(
            ExportLine(net_amount=Decimal("1149.84"), tax_rate=Decimal("20")),
            ExportLine(description="Café", tax_rate=Decimal("5.5")),
            ExportLine(description="Thé", net_amount=Decimal("174.96")),
        )
    )
    terms = [t.term for t in missing_terms(gaps, buyer_country="FR")]
    assert terms == ["BT-131", "BT-152", "BT-153"]


def test_zero_rates_are_zero_rated_with_a_vat_number_and_not_subject_without() -> None:
    zero = invoice(
        lines=(line("Livre", "1", "30.00", "30.00", "0"),),
        total_net=Decimal("30.00"),
        total_tax=Decimal("0.00"),
        total_gross=Decimal("30.00"),
        amount_due=Decimal("30.00"),
    )
    xml = build_cii(zero, buyer_country="FR")
    assert text(xml, "//ram:CategoryCode") == ["Z", "Z"]
    assert_passes_en16931(xml)
    small_trader = zero.model_copy(update={"seller_vat_id": None})
    xml = build_cii(small_trader, buyer_country="FR")
    assert text(xml, "//ram:CategoryCode") == ["O", "O"]
    assert text(xml, "//ram:ExemptionReason") == ["Not subject to VAT"]
    assert_passes_en16931(xml)


def test_lines_that_do_not_add_up_fail_the_official_rules() -> None:
    # The builder states what was read; the official rules judge it (BR-CO-10/13).
    wrong = invoice(
        total_net=Decimal("1300.00"),
        total_gross=Decimal("1539.59"),
        amount_due=Decimal("1539.59"),
    )
    report = validate_xml(build_cii(wrong, buyer_country="FR"))
    blocking, _french = split_failures(report)
    assert "BR-CO-13" in blocking


def test_characters_xml_forbids_are_dropped_from_what_was_read() -> None:
    # An OCR may leave a form feed or a NUL in a name: lxml refuses them in XML text.
    read = invoice(
        seller_name="Traiteur\x0c Les Saveurs\x00 SARL",
        lines=(
            line("Livraison\x0binstallation", "12", "95.82", "1149.84", "20"),
            line("Café en grains 1 kg", "12", "14.58", "174.96", "5.5"),
        ),
    )
    xml = build_cii(read, buyer_country="FR")
    assert text(xml, "//ram:SellerTradeParty/ram:Name") == ["Traiteur Les Saveurs SARL"]
    assert text(xml, LINE_NAME)[0] == "Livraison installation"
    assert_passes_en16931(xml)
    assert [t.term for t in missing_terms(invoice(buyer_name="\x0c "), buyer_country="FR")] == [
        "BT-44"
    ]
