"""Every rule passes on a clean invoice and fails, with its category, on a faulty one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from extractors.einvoice import find_embedded_xml
from invoicebot.model import (
    ExceptionCategory,
    InvoiceFields,
    Line,
    Method,
    RuleResult,
    Severity,
)
from invoicebot.privacy import contains_iban
from tests.conftest import SAMPLES
from tests.unit.validation.support import (
    ACME,
    CLEAN_LINES,
    ORDER,
    OTHER_VENDOR,
    PRINTED_MENTIONS,
    FakeStore,
    credit_note_of_clean_invoice,
    extraction,
    master_store,
    mentions_changed,
    mentions_options,
    run,
)
from validation import (
    RULES,
    InvoiceExtras,
    OrderLineRecord,
    PriorInvoice,
    RuleConfig,
    VatSubtotal,
    validate,
)
from validation.registry import RuleRegistry, RuleSpec, Verdict, run_rules
from validation.rules.dates import latest_legal_due_date

Options = dict[str, Any]

TWO_RATE_LINES = [
    Line(description="Papier A4", quantity=Decimal(2), unit_price=Decimal(100),
         net_amount=Decimal("200.00"), tax_rate=Decimal(20)),
    Line(description="Repas", quantity=Decimal(1), unit_price=Decimal(100),
         net_amount=Decimal("100.00"), tax_rate=Decimal(10)),
]  # fmt: skip
PRIOR = PriorInvoice(
    7, "first.pdf", "F2026-0042", date(2026, 11, 14), Decimal("360.00"), "approved"
)
PRIOR_OTHER_NUMBER = replace(PRIOR, invoice_number="F2026-0043", source="again.pdf")
SELLER = "vat:FR44732829320"


def rated(rate: int) -> list[Line]:
    """Return the clean lines at another VAT rate."""
    return [line.model_copy(update={"tax_rate": Decimal(rate)}) for line in CLEAN_LINES]


def full_context() -> Options:
    """Return validate() options under which every rule but BR-CO-13 and BR-CO-14 applies."""
    # Pages 3-4 of a stack, cut surely: SPLIT-PAGES applies.
    invoice = extraction().model_copy(
        update={"page_range": [3, 4], "confidence": {"page_range": 0.97}}
    )
    return {
        "invoice": invoice,
        "store": master_store(),
        "page_fields": invoice.fields,
        "extras": InvoiceExtras(seller_bic="BNPAFRPPXXX"),
    }


def stated_amounts_context() -> Options:
    """Return options of an invoice stating allowances, prepaid and its VAT breakdown."""
    invoice = extraction(
        total_net=Decimal("290.00"),
        total_tax=Decimal("58.00"),
        total_gross=Decimal("348.00"),
        amount_due=Decimal("248.00"),
    )
    extras = InvoiceExtras(
        allowance_total=Decimal("10.00"),
        prepaid_amount=Decimal("100.00"),
        vat_breakdown=(VatSubtotal(Decimal(20), Decimal("290.00"), Decimal("58.00")),),
    )
    return {"invoice": invoice, "extras": extras}


def official_context() -> Options:
    """Return options of the clean invoice carrying a valid e-invoice XML (a committed
    Factur-X sample's): EINVOICE-OFFICIAL applies and passes."""
    sample = SAMPLES / "fr-classic-0004-facturx.pdf"
    found = find_embedded_xml(sample.read_bytes(), source=sample.name)
    assert found is not None
    return {"extras": InvoiceExtras(einvoice_xml=found[1])}


def credit_note_context() -> Options:
    """Return options of a credit note of the whole clean invoice, which is on file:
    CREDIT-NOTE-INVOICE applies and passes, and the invoice is no duplicate of it."""
    return {
        "invoice": credit_note_of_clean_invoice(),
        "store": FakeStore(invoices=[(PRIOR, SELLER, None)]),
    }


# Rules whose failures are results under other ids, or that need a credit note, each
# tested in its own module.
FAILING_ELSEWHERE = {
    "EINVOICE-OFFICIAL": "test_official_rule.py",
    "CREDIT-NOTE-INVOICE": "test_credit_notes.py",
}


def run_options(options: Options) -> dict[str, RuleResult]:
    options = dict(options)
    return run(options.pop("invoice", None), **options)


def test_clean_invoice_passes_every_rule() -> None:
    passed: set[str] = set()
    contexts = (
        full_context(),
        stated_amounts_context(),
        official_context(),
        mentions_options(),
        mentions_options(Method.TEXT, PRINTED_MENTIONS),
        credit_note_context(),
    )
    for options in contexts:
        results = run_options(options)
        assert all(r.passed for r in results.values()), [
            r.message for r in results.values() if not r.passed
        ]
        passed |= set(results)
    assert passed == {spec.id for spec in RULES.all()}


def with_lines(lines: list[Line], **changes: Any) -> Options:
    return {"invoice": extraction(lines=lines, **changes)}


def changed(**changes: Any) -> Options:
    return {"invoice": extraction(**changes)}


def with_store(store: FakeStore, **changes: Any) -> Options:
    return {"invoice": extraction(**changes), "store": store}


def with_order(**order_changes: Any) -> Options:
    return {"store": master_store(orders=[replace(ORDER, **order_changes)])}


FAIL_CASES: list[tuple[str, str, Callable[[], Options], str]] = [
    ("REQUIRED-FIELDS", "missing_field", lambda: changed(invoice_number=None), "invoice number"),
    ("FR-MANDATORY-MENTIONS", "missing_field", lambda: changed(seller_siret=None),
     "SIREN/SIRET"),
    ("FR-BUYER-SIREN", "missing_field", lambda: mentions_changed(buyer_siren=None),
     "does not state the buyer's SIREN (BT-47 with scheme 0002; official rule BR-FR-11)"),
    ("FR-OPERATION-CATEGORY", "missing_field",
     lambda: mentions_changed(business_process="urn:fdc:peppol.eu:2017:poacc:billing:01:1.0",
                              operation_category=None),
     "the French rules do not list"),
    ("FR-DELIVERY-ADDRESS", "missing_field", lambda: mentions_changed(delivery_address=None),
     "names a place of delivery (Entrepôt de Moirans) but not its address (BG-15)"),
    ("FR-VAT-ON-DEBITS", "missing_field",
     lambda: mentions_changed(vat_point_code=None, vat_on_debits=None,
                              debits_statement="TVA acquittée d'après les débits"),
     "the VAT point date code (BT-8) is absent instead of the debits code"),
    ("FR-REFORM-MENTIONS", "missing_field",
     lambda: mentions_changed(Method.TEXT, buyer_siren=None, operation_category=None),
     "does not print the buyer's SIREN and the category of operation"),
    ("BR-CO-10", "arithmetic",
     lambda: with_lines([*CLEAN_LINES, Line(description="Oubli", net_amount=Decimal(5))]),
     "difference -5.00"),
    ("BR-CO-13", "arithmetic",
     lambda: {"extras": InvoiceExtras(allowance_total=Decimal(10))},
     "= 290.00, but the net total is 300.00"),
    ("BR-CO-14", "arithmetic",
     lambda: with_lines(TWO_RATE_LINES, total_tax=Decimal(55), total_gross=Decimal(355)),
     "adds up to 50.00, but the total VAT is 55.00"),
    ("BR-CO-15", "arithmetic", lambda: changed(total_gross=Decimal(370), amount_due=None),
     "difference 10.00"),
    ("BR-CO-16", "arithmetic", lambda: changed(amount_due=Decimal(400)),
     "is more than the invoice's gross total"),
    ("BR-CO-17", "arithmetic", lambda: changed(total_tax=Decimal(61), total_gross=Decimal(361),
                                               amount_due=Decimal(361)),
     "VAT at 20 % on 300.00 should be 60.00, but the invoice shows 61.00"),
    ("BR-DEC", "arithmetic", lambda: changed(amount_due=Decimal("359.995")),
     "amount due 359.995"),
    ("VAT-RATE", "arithmetic",
     lambda: with_lines(rated(19),
                        total_tax=Decimal(57), total_gross=Decimal(357), amount_due=None),
     "19 % is not a French VAT rate"),
    ("IBAN-CHECK", "invalid_identifier",
     lambda: changed(seller_iban="FR7630006000011234567890188"), "IBAN FR76…0188 is not valid"),
    ("BIC-CHECK", "invalid_identifier",
     lambda: {"extras": InvoiceExtras(seller_bic="DEUTDEFF")}, "is a DE bank"),
    ("VAT-ID-CHECK", "invalid_identifier", lambda: changed(seller_vat_id="FR45732829320"),
     "supplier VAT number FR45732829320"),
    ("SIRET-CHECK", "invalid_identifier", lambda: changed(seller_siret="73282932000075"),
     "SIRET"),
    ("SIREN-CONSISTENCY", "invalid_identifier",
     lambda: changed(seller_siret="46455681000065"), "two different companies"),
    ("DUE-DATE-ORDER", "date", lambda: changed(due_date=date(2026, 11, 4)), "10 days before"),
    ("INVOICE-DATE-FUTURE", "date",
     lambda: changed(invoice_date=date(2026, 12, 1), due_date=date(2026, 12, 31)),
     "5 days after today"),
    ("INVOICE-DATE-AGE", "date",
     lambda: changed(invoice_date=date(2025, 6, 1), due_date=date(2025, 7, 1)),
     "543 days ago"),
    ("FR-PAYMENT-TERMS", "date", lambda: changed(due_date=date(2027, 2, 12)),
     "due 90 days after its date"),
    ("DUPLICATE-INVOICE-NUMBER", "duplicate",
     lambda: {"store": FakeStore(invoices=[(PRIOR, SELLER, None)]), "document_id": 9},
     "already received as first.pdf"),
    ("DUPLICATE-AMOUNT-DATE", "duplicate",
     lambda: {"store": FakeStore(invoices=[(PRIOR_OTHER_NUMBER, SELLER, None)])},
     "already invoiced 360.00 dated 2026-11-14 as F2026-0043"),
    ("VENDOR-UNKNOWN", "vendor", lambda: {"store": FakeStore(vendors=[OTHER_VENDOR])},
     "is not in the vendor master"),
    ("VENDOR-BANK-DETAILS", "vendor",
     lambda: {"store": master_store(vendors=[replace(ACME, ibans=(OTHER_VENDOR.ibans))])},
     "hold the payment"),
    ("VENDOR-IDENTIFIERS", "vendor",
     lambda: {"store": master_store(vendors=[replace(ACME, vat_id="FR50464556810",
                                                     siren="464556810")])},
     "VAT number FR44732829320 on the invoice, FR50464556810 in the master"),
    ("VENDOR-CURRENCY", "vendor",
     lambda: {"store": master_store(vendors=[replace(ACME, currency="USD")])},
     "invoices in USD"),
    ("VENDOR-PAYMENT-TERMS", "vendor",
     lambda: {"store": master_store(vendors=[replace(ACME, payment_terms_days=45)])},
     "45 days are agreed"),
    ("PO-MISSING", "purchase_order", lambda: with_store(master_store(), po_number=None),
     "quotes none"),
    ("PO-UNKNOWN", "purchase_order", lambda: with_store(master_store(), po_number="PO-99999"),
     "PO-99999, which is not on file"),
    ("PO-SUPPLIER", "purchase_order", lambda: with_order(vendor_id="SUP-002"),
     "was placed with Traiteur Les Saveurs SARL"),
    ("PO-AMOUNT", "purchase_order",
     lambda: {"store": master_store(invoiced_net={"PO-88123": Decimal(100)})},
     "400.00 is invoiced on it (with 100.00 invoiced before)"),
    ("PO-LINE-MATCH", "purchase_order",
     lambda: {**with_lines([*CLEAN_LINES, Line(description="Frais de port", quantity=Decimal(1),
                                                unit_price=Decimal(10), net_amount=Decimal(10),
                                                tax_rate=Decimal(20))],
                           total_net=Decimal(310), total_tax=Decimal(62),
                           total_gross=Decimal(372), amount_due=Decimal(372)),
              "store": master_store()},
     "line 3 (Frais de port)"),
    ("PO-RECEIVED-QUANTITY", "purchase_order",
     lambda: with_order(lines=(replace(ORDER.lines[0], received=Decimal(1)), ORDER.lines[1])),
     "line 1 (Papier A4): 2 invoiced, 1 received"),
    ("PO-UNIT-PRICE", "purchase_order",
     lambda: with_order(lines=(replace(ORDER.lines[0], unit_price=Decimal(90)), ORDER.lines[1])),
     "line 1 (Papier A4): 100 invoiced, 90 ordered"),
    ("PAGE-XML-MISMATCH", "low_confidence",
     lambda: {"page_fields": InvoiceFields(invoice_number="F2026-0042",
                                           total_gross=Decimal("3600.00"))},
     "gross total 360.00 in the XML, 3600.00 on the page"),
    ("SPLIT-PAGES", "low_confidence",
     lambda: {"invoice": extraction().model_copy(update={
         "page_range": [2, 3], "confidence": {"page_range": 0.6},
         "split_doubts": ["page 3 follows a totals block but shows no invoice header"]})},
     "Pages 2-3 of the file were read as one invoice, unsure (confidence 0.60): page 3"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule_id", "category", "options", "in_message"),
    FAIL_CASES,
    ids=[f"{case[0]}-{n}" for n, case in enumerate(FAIL_CASES)],
)
def test_rule_fails_with_its_category(
    rule_id: str, category: str, options: Callable[[], Options], in_message: str
) -> None:
    result = run_options(options()).get(rule_id)
    assert result is not None
    assert not result.passed
    assert result.category == ExceptionCategory(category)
    assert result.severity == RULES.get(rule_id).severity
    assert result.is_exception == (result.severity is not Severity.INFO)
    assert in_message in result.message


def test_every_rule_has_a_failing_case() -> None:
    assert {case[0] for case in FAIL_CASES} | set(FAILING_ELSEWHERE) == {
        spec.id for spec in RULES.all()
    }


def test_money_at_risk_is_critical() -> None:
    critical = {spec.id for spec in RULES.all() if spec.severity is Severity.CRITICAL}
    assert critical == {"VENDOR-BANK-DETAILS", "DUPLICATE-INVOICE-NUMBER", "DUPLICATE-AMOUNT-DATE"}


def test_br_co_15_tolerates_a_cent() -> None:
    result = run(extraction(total_gross=Decimal("360.01")))["BR-CO-15"]
    assert result.passed


def test_rules_that_do_not_apply_are_left_out() -> None:
    results = run(
        extraction(
            lines=[],
            total_tax=None,
            seller_iban=None,
            seller_siret=None,
            due_date=None,
            amount_due=None,
        )
    )
    assert not set(results) & {
        "BR-CO-10", "BR-CO-14", "BR-CO-15", "BR-CO-16", "BR-CO-17", "IBAN-CHECK", "SIRET-CHECK",
        "DUE-DATE-ORDER", "VAT-RATE", "SIREN-CONSISTENCY", "FR-PAYMENT-TERMS",
    }  # fmt: skip


def test_master_data_rules_do_not_apply_without_a_master() -> None:
    results = run(extraction(po_number="PO-UNKNOWN-1"), store=FakeStore())
    assert not {rule for rule in results if rule.startswith(("VENDOR-", "PO-"))}


def test_br_co_10_skipped_when_a_line_amount_is_unread() -> None:
    lines = [*CLEAN_LINES, Line(description="illisible")]
    assert "BR-CO-10" not in run(extraction(lines=lines))


def test_br_co_13_replaces_br_co_10_when_allowances_are_stated() -> None:
    results = run(**stated_amounts_context())
    assert results["BR-CO-13"].passed
    assert "BR-CO-10" not in results


def test_br_co_14_checks_the_vat_rebuilt_from_the_lines() -> None:
    results = run(extraction(lines=TWO_RATE_LINES, total_tax=Decimal(50), total_gross=Decimal(350),
                             amount_due=Decimal(350)))  # fmt: skip
    assert results["BR-CO-14"].passed
    assert "BR-CO-17" not in results  # two rates and no printed breakdown


def test_br_co_14_leaves_unreconciled_lines_to_br_co_10() -> None:
    lines = [*TWO_RATE_LINES, Line(net_amount=Decimal(50), tax_rate=Decimal(20))]
    results = run(extraction(lines=lines, total_tax=Decimal(50), total_gross=Decimal(350),
                             amount_due=Decimal(350)))  # fmt: skip
    assert not results["BR-CO-10"].passed
    assert "BR-CO-14" not in results


def test_br_co_17_allows_vat_rounded_per_line() -> None:
    # VAT per line: 10 x round(0.006) = 0.10; per rate: round(0.30 x 20 %) = 0.06.
    lines = [Line(net_amount=Decimal("0.03"), tax_rate=Decimal(20)) for _ in range(10)]
    per_line = Decimal("0.10")
    invoice = extraction(lines=lines, total_net=Decimal("0.30"), total_tax=per_line,
                         total_gross=Decimal("0.40"), amount_due=Decimal("0.40"))  # fmt: skip
    assert run(invoice)["BR-CO-17"].passed
    strict = RuleConfig.model_validate({"amounts": {"vat_rounding_per_line": False}})
    assert not run(invoice, config=strict)["BR-CO-17"].passed


def test_br_co_16_accepts_a_deposit_and_checks_a_stated_prepaid_amount() -> None:
    assert run(extraction(amount_due=Decimal("252.00")))["BR-CO-16"].passed
    stated = InvoiceExtras(prepaid_amount=Decimal(100))
    assert not run(extraction(amount_due=Decimal("250.00")), extras=stated)["BR-CO-16"].passed
    assert run(extraction(amount_due=Decimal("260.00")), extras=stated)["BR-CO-16"].passed


def test_br_co_16_handles_credit_notes() -> None:
    credit = extraction(lines=[], total_net=Decimal(-100), total_tax=Decimal(-20),
                        total_gross=Decimal(-120), amount_due=Decimal(-120))  # fmt: skip
    assert run(credit)["BR-CO-16"].passed
    reversed_sign = extraction(lines=[], total_net=Decimal(-100), total_tax=Decimal(-20),
                               total_gross=Decimal(-120), amount_due=Decimal(120))  # fmt: skip
    result = run(reversed_sign)["BR-CO-16"]
    assert not result.passed and "opposite sign" in result.message


def test_br_dec_accepts_trailing_zeros() -> None:
    assert run(extraction(amount_due=Decimal("360.0000")))["BR-DEC"].passed


def test_vat_rates_of_other_countries_and_unknown_ones() -> None:
    german = rated(19)
    invoice = extraction(
        lines=german,
        seller_vat_id="DE941622943",
        seller_siret=None,
        total_tax=Decimal(57),
        total_gross=Decimal(357),
        amount_due=None,
    )
    results = run(invoice)
    assert results["VAT-RATE"].passed
    swiss = run(extraction(seller_vat_id="CHE116281710", seller_siret=None))
    assert "VAT-RATE" not in swiss


def test_vat_rates_configurable_per_country() -> None:
    corsica = rated(13)
    invoice = extraction(lines=corsica, total_tax=Decimal(39), total_gross=Decimal(339),
                         amount_due=None)  # fmt: skip
    assert not run(invoice)["VAT-RATE"].passed
    config = RuleConfig.model_validate({"amounts": {"vat_rates": {"FR": [20, 13, 10, 2.1, 0]}}})
    assert run(invoice, config=config)["VAT-RATE"].passed
    assert config.amounts.vat_rates["DE"] == (Decimal(19), Decimal(7), Decimal(0))


def test_french_rules_do_not_apply_to_foreign_sellers() -> None:
    invoice = extraction(
        seller_vat_id="GB159972802",
        seller_siret=None,
        seller_iban="GB18NWBK59595978911235",
        due_date=date(2027, 3, 1),
    )
    results = run(invoice)
    assert "FR-MANDATORY-MENTIONS" not in results
    assert "FR-PAYMENT-TERMS" not in results


def test_french_mandatory_vat_number_only_when_vat_is_charged() -> None:
    exempt = extraction(
        seller_vat_id=None,
        total_tax=Decimal(0),
        total_gross=Decimal(300),
        amount_due=Decimal(300),
        lines=rated(0),
    )
    assert run(exempt)["FR-MANDATORY-MENTIONS"].passed
    charged = run(extraction(seller_vat_id=None))["FR-MANDATORY-MENTIONS"]
    assert not charged.passed and "supplier VAT number" in charged.message


def test_french_mentions_leave_required_fields_to_their_rule() -> None:
    results = run(extraction(invoice_number=None))
    assert not results["REQUIRED-FIELDS"].passed
    assert results["FR-MANDATORY-MENTIONS"].passed


@pytest.mark.parametrize(
    ("issued", "days", "allow_end_of_month", "latest"),
    [
        (date(2026, 3, 1), 60, False, date(2026, 4, 30)),
        (date(2026, 3, 1), 60, True, date(2026, 5, 15)),  # 31 March + 45 days
        (date(2026, 1, 20), 60, True, date(2026, 3, 31)),  # 20 Jan + 45 = 6 Mar -> 31 Mar
    ],
)
def test_latest_legal_due_date(
    issued: date, days: int, allow_end_of_month: bool, latest: date
) -> None:
    assert latest_legal_due_date(issued, days, allow_end_of_month) == latest


def test_future_dates_tolerate_one_day() -> None:
    tomorrow = extraction(invoice_date=date(2026, 11, 27), due_date=date(2026, 12, 27))
    assert run(tomorrow)["INVOICE-DATE-FUTURE"].passed


def test_siren_consistency_skips_invalid_identifiers() -> None:
    assert "SIREN-CONSISTENCY" not in run(extraction(seller_siret="73282932000075"))
    assert "SIREN-CONSISTENCY" not in run(extraction(seller_vat_id="FR45732829320"))


def test_bic_of_a_monaco_account_may_be_french() -> None:
    invoice = extraction(seller_iban="MC5811222000010123456789030")
    assert run(invoice, extras=InvoiceExtras(seller_bic="BNPAFRPPXXX"))["BIC-CHECK"].passed
    wrong = run(extras=InvoiceExtras(seller_bic="BNPA1RPP"))["BIC-CHECK"]
    assert not wrong.passed and "not valid" in wrong.message


def test_duplicate_number_found_in_history() -> None:
    store = FakeStore(invoices=[(PRIOR, SELLER, None)])
    result = run(store=store, document_id=9)["DUPLICATE-INVOICE-NUMBER"]
    assert result.category is ExceptionCategory.DUPLICATE
    assert result.values["duplicate_of"] == "first.pdf"
    assert (
        run(extraction(invoice_number="f 2026/0042"), store=store)[
            "DUPLICATE-INVOICE-NUMBER"
        ].values.get("duplicate_of")
        == "first.pdf"
    )


def test_same_amount_outside_the_window_is_not_a_duplicate() -> None:
    old = replace(PRIOR_OTHER_NUMBER, invoice_date=date(2026, 10, 14))
    assert run(store=FakeStore(invoices=[(old, SELLER, None)]))["DUPLICATE-AMOUNT-DATE"].passed


def test_vendor_matched_by_name_ignores_case_accents_and_legal_form() -> None:
    store = master_store(vendors=[replace(ACME, vat_id=None, siren=None, siret=None)])
    invoice = extraction(seller_name="ACME FOURNITURES", seller_vat_id=None, seller_siret=None)
    result = run(invoice, store=store)["VENDOR-UNKNOWN"]
    assert result.passed and result.values["matched_by"] == "name"


def test_unknown_vendor_message_names_the_closest_supplier() -> None:
    store = FakeStore(vendors=[replace(ACME, name="ACME Logistique", vat_id=None, siren=None)])
    invoice = extraction(seller_vat_id=None, seller_siret=None)
    result = run(invoice, store=store)["VENDOR-UNKNOWN"]
    assert not result.passed
    assert "the closest name is ACME Logistique" in result.message


def test_vendor_matched_by_identifier_before_name() -> None:
    store = master_store(vendors=[replace(ACME, name="ACME Group")])
    result = run(store=store)["VENDOR-UNKNOWN"]
    assert result.values["matched_by"] == "SIRET"


def test_bank_details_rule_leaves_an_invalid_iban_to_iban_check() -> None:
    results = run(extraction(seller_iban="FR7630006000011234567890188"), store=master_store())
    assert not results["IBAN-CHECK"].passed
    assert "VENDOR-BANK-DETAILS" not in results


def test_bank_details_accepts_any_iban_on_file() -> None:
    second = replace(ACME, ibans=("FR7630004730664096567606071", "FR7630006000011234567890189"))
    assert run(store=master_store(vendors=[second]))["VENDOR-BANK-DETAILS"].passed


def test_vendor_identifiers_rule_leaves_an_invalid_vat_number_to_its_check() -> None:
    results = run(extraction(seller_vat_id="FR45732829320"), store=master_store())
    assert not results["VAT-ID-CHECK"].passed
    assert results["VENDOR-IDENTIFIERS"].passed  # the SIREN still agrees
    assert list(results["VENDOR-IDENTIFIERS"].values) == ["SIREN (invoice / master)"]


def test_payment_terms_rule_is_information_only() -> None:
    store = master_store(vendors=[replace(ACME, payment_terms_days=45)])
    result = run(store=store)["VENDOR-PAYMENT-TERMS"]
    assert not result.passed and not result.is_exception


def test_unknown_po_of_a_supplier_without_po_is_not_flagged() -> None:
    store = master_store(vendors=[replace(ACME, po_required=False)])
    assert "PO-UNKNOWN" not in run(extraction(po_number="PO-99999"), store=store)
    assert "PO-MISSING" not in run(extraction(po_number=None), store=store)


def test_po_numbers_compared_without_punctuation() -> None:
    result = run(extraction(po_number="po 88123"), store=master_store())
    assert result["PO-UNKNOWN"].passed and result["PO-AMOUNT"].passed


def test_po_amount_has_a_tolerance_and_checks_the_currency() -> None:
    within = extraction(total_net=Decimal(305), total_tax=Decimal(61), total_gross=Decimal(366),
                        amount_due=Decimal(366))  # fmt: skip
    assert run(within, store=master_store())["PO-AMOUNT"].passed
    dollars = run(extraction(currency="USD"), store=master_store())["PO-AMOUNT"]
    assert not dollars.passed and "purchase order PO-88123 is in EUR" in dollars.message


def test_lines_paired_by_price_when_descriptions_differ() -> None:
    lines = [
        line.model_copy(update={"description": f"Article {n}"})
        for n, line in enumerate(CLEAN_LINES)
    ]
    order = replace(ORDER, lines=(
        OrderLineRecord(1, "Ramettes", Decimal(2), Decimal(100), Decimal(2)),
        OrderLineRecord(2, "Crayons", Decimal(1), Decimal("99.00"), Decimal(1)),
    ))  # fmt: skip
    results = run(extraction(lines=lines), store=master_store(orders=[order]))
    assert not results["PO-LINE-MATCH"].passed
    assert results["PO-LINE-MATCH"].values["unmatched"] == "2"
    assert results["PO-RECEIVED-QUANTITY"].passed


def test_lower_unit_price_passes() -> None:
    order = replace(ORDER, lines=(replace(ORDER.lines[0], unit_price=Decimal(120)), ORDER.lines[1]))
    assert run(store=master_store(orders=[order]))["PO-UNIT-PRICE"].passed


def test_three_way_match_can_be_switched_off() -> None:
    order = replace(ORDER, lines=(replace(ORDER.lines[0], received=Decimal(0)), ORDER.lines[1]))
    config = RuleConfig.model_validate({"purchase_orders": {"three_way_match": False}})
    results = run(store=master_store(orders=[order]), config=config)
    assert "PO-RECEIVED-QUANTITY" not in results


def test_page_reading_compares_only_what_it_read() -> None:
    page = InvoiceFields(invoice_number="F-2026-0042", invoice_date=date(2026, 11, 14))
    assert run(page_fields=page)["PAGE-XML-MISMATCH"].passed
    assert "PAGE-XML-MISMATCH" not in run(page_fields=InvoiceFields())


def test_configuration_switches_rules_off_and_changes_severities() -> None:
    config = RuleConfig.model_validate(
        {"rules": {"BR-CO-15": {"enabled": False}, "IBAN-CHECK": {"severity": "critical"}}}
    )
    results = run(extraction(total_gross=Decimal(370), seller_iban="FR7630006000011234567890188"),
                  config=config)  # fmt: skip
    assert "BR-CO-15" not in results
    assert results["IBAN-CHECK"].severity is Severity.CRITICAL


def test_a_defective_rule_makes_an_exception_instead_of_stopping() -> None:
    registry = RuleRegistry()

    def broken(_context: Any) -> Verdict:
        raise ZeroDivisionError("boom")

    registry.register(RuleSpec("BROKEN", ExceptionCategory.ARITHMETIC, Severity.ERROR, "x", broken))
    from validation.context import RuleContext

    [result] = run_rules(RuleContext(extraction=extraction()), registry)
    assert not result.passed and result.is_exception
    assert "could not be completed" in result.message


def test_registry_refuses_a_second_rule_with_the_same_id() -> None:
    registry = RuleRegistry()
    spec = RuleSpec(
        "X", ExceptionCategory.DATE, RULES.all()[0].severity, "x", lambda _: Verdict(True, "")
    )
    registry.register(spec)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(spec)


def test_every_rule_is_described_and_explained() -> None:
    for spec in RULES.all():
        assert spec.description and spec.description != spec.id, spec.id
        assert spec.description.endswith("."), spec.id
        assert len(spec.explanation) > 40, spec.id
        assert spec.family, spec.id


def test_validate_defaults_to_today() -> None:
    results = {r.rule: r for r in validate(extraction())}
    assert results["INVOICE-DATE-FUTURE"].values["processing_date"] == date.today().isoformat()


def test_an_invoice_without_any_supplier_data_is_left_to_required_fields() -> None:
    invoice = extraction(seller_name=None, seller_vat_id=None, seller_siret=None)
    results = run(invoice, store=master_store())
    assert not results["REQUIRED-FIELDS"].passed
    assert "VENDOR-UNKNOWN" not in results


def test_bank_rule_messages_mask_ibans_and_bics_and_keep_the_full_values() -> None:
    invalid = run(extraction(seller_iban="FR7630006000011234567890188"))["IBAN-CHECK"]
    changed_iban = run(store=master_store(vendors=[replace(ACME, ibans=OTHER_VENDOR.ibans)]))[
        "VENDOR-BANK-DETAILS"
    ]
    foreign_bic = run(extras=InvoiceExtras(seller_bic="DEUTDEFFXXX"))["BIC-CHECK"]
    for result in (invalid, changed_iban, foreign_bic):
        assert not result.passed
        assert not contains_iban(result.message), result.message
        assert "DEUTDEFF" not in result.message
    # The store keeps what was compared, in full.
    assert invalid.values["seller_iban"] == "FR7630006000011234567890188"
    assert changed_iban.values["master_ibans"] == ", ".join(OTHER_VENDOR.ibans)
    assert f"{OTHER_VENDOR.ibans[0][:4]}…{OTHER_VENDOR.ibans[0][-4:]}" in changed_iban.message
    assert "DE…FXXX" in foreign_bic.message


def test_a_failure_fed_by_a_doubtful_reading_says_low_confidence() -> None:
    invoice = extraction(total_gross=Decimal(370), amount_due=None)
    sure = run(invoice.model_copy(update={"confidence": {"total_gross": 0.99}}))["BR-CO-15"]
    doubtful = run(invoice.model_copy(update={"confidence": {"total_gross": 0.62}}))["BR-CO-15"]
    assert not sure.message.startswith("Read with low confidence")
    assert doubtful.category == "arithmetic" and not doubtful.passed
    assert doubtful.message.startswith("Read with low confidence: total_gross (0.62)")
    assert "difference 10.00" in doubtful.message
    assert doubtful.values["low_confidence"] == "total_gross"


def test_a_passed_rule_and_a_doubtful_field_it_does_not_read_stay_as_they_are() -> None:
    invoice = extraction(total_gross=Decimal(370), amount_due=None)
    results = run(invoice.model_copy(update={"confidence": {"po_number": 0.3}}))
    assert all("low_confidence" not in result.values for result in results.values())
    assert not results["BR-CO-15"].message.startswith("Read with low confidence")
