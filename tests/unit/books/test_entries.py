"""Entry building: balanced entries, rates split, the rounding cent, credit notes, gaps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoicebot.books.entries import (
    BookAccounts,
    BookLine,
    Entry,
    EntryLine,
    PurchaseInvoice,
    UnbalancedEntryError,
    build_entry,
    build_journal,
    check_balanced,
)

ACCOUNTS = BookAccounts()


def invoice(**changes: object) -> PurchaseInvoice:
    """Return a 20 % invoice of 100.00 net from a supplier, with ``changes``."""
    values: dict[str, object] = {
        "invoice_id": 1,
        "invoice_number": "F-001",
        "invoice_date": date(2026, 11, 2),
        "currency": "EUR",
        "seller_name": "ACME Fournitures SAS",
        "seller_vat_id": "FR44732829320",
        "total_net": Decimal("100.00"),
        "total_tax": Decimal("20.00"),
        "total_gross": Decimal("120.00"),
        "approved_on": date(2026, 11, 5),
    }
    return PurchaseInvoice.model_validate(values | changes)


def amounts(entry: Entry) -> list[tuple[str, str, str]]:
    """Return each line's account, debit and credit as text."""
    return [(line.account, str(line.debit), str(line.credit)) for line in entry.lines]


def test_an_invoice_credits_the_supplier_and_debits_expense_and_vat() -> None:
    entry = build_entry(invoice(), ACCOUNTS, number="HA000001")
    assert amounts(entry) == [
        ("401", "0.00", "120.00"),
        ("607", "100.00", "0.00"),
        ("44566", "20.00", "0.00"),
    ]
    assert entry.debit == entry.credit == Decimal("120.00")
    supplier = entry.lines[0]
    assert supplier.auxiliary_account == "FR44732829320"
    assert supplier.auxiliary_label == "ACME Fournitures SAS"
    assert {line.entry_number for line in entry.lines} == {"HA000001"}
    assert {line.piece_ref for line in entry.lines} == {"F-001"}
    assert {line.valid_date for line in entry.lines} == {date(2026, 11, 5)}


def test_the_vendor_master_gives_the_auxiliary_account_and_the_expense_account() -> None:
    accounts = BookAccounts(expense_accounts={"V042": "6061"})
    entry = build_entry(invoice(vendor_id="V042", vendor_name="ACME"), accounts, number="HA000001")
    assert (entry.lines[0].auxiliary_account, entry.lines[0].auxiliary_label) == ("V042", "ACME")
    assert entry.lines[1].account == "6061"
    # The vendor master's own expense account comes first.
    entry = build_entry(
        invoice(vendor_id="V042", expense_account="6063"), accounts, number="HA000001"
    )
    assert entry.lines[1].account == "6063"


def test_lines_at_several_rates_split_expense_and_vat_by_rate() -> None:
    lines = (
        BookLine(net_amount=Decimal("100.00"), tax_rate=Decimal("20")),
        BookLine(net_amount=Decimal("40.00"), tax_rate=Decimal("5.5")),
        BookLine(net_amount=Decimal("10.00"), tax_rate=Decimal("20.00")),
    )
    entry = build_entry(
        invoice(
            lines=lines,
            total_net=Decimal("150.00"),
            total_tax=Decimal("24.20"),
            total_gross=Decimal("174.20"),
        ),
        ACCOUNTS,
        number="HA000001",
    )
    assert amounts(entry) == [
        ("401", "0.00", "174.20"),
        ("607", "110.00", "0.00"),
        ("607", "40.00", "0.00"),
        ("44566", "22.00", "0.00"),
        ("44566", "2.20", "0.00"),
    ]
    assert [line.account_label.rsplit(" ", 2)[1] for line in entry.lines[3:]] == ["20", "5,5"]
    check_balanced(entry)


def test_lines_that_do_not_add_up_to_the_net_give_one_expense_and_one_vat_line() -> None:
    lines = (BookLine(net_amount=Decimal("90.00"), tax_rate=Decimal("20")),)
    entry = build_entry(invoice(lines=lines), ACCOUNTS, number="HA000001")
    assert amounts(entry)[1:] == [("607", "100.00", "0.00"), ("44566", "20.00", "0.00")]
    assert entry.lines[2].account_label == ACCOUNTS.vat_label


def test_a_rounding_cent_goes_to_the_expense_and_the_stated_vat_is_kept() -> None:
    entry = build_entry(
        invoice(
            total_net=Decimal("33.33"), total_tax=Decimal("6.67"), total_gross=Decimal("40.01")
        ),
        ACCOUNTS,
        number="HA000001",
    )
    assert amounts(entry) == [
        ("401", "0.00", "40.01"),
        ("607", "33.34", "0.00"),
        ("44566", "6.67", "0.00"),
    ]


def test_more_than_a_rounding_difference_is_not_exported() -> None:
    journal = build_journal([invoice(total_gross=Decimal("121.00"))], ACCOUNTS)
    assert journal.entries == ()
    (skipped,) = journal.skipped
    assert "not the gross total (BT-112)" in skipped.reasons[0]


def test_a_credit_note_gives_the_reversed_entry() -> None:
    entry = build_entry(
        invoice(
            total_net=Decimal("-100.00"), total_tax=Decimal("-20.00"), total_gross=Decimal("-120")
        ),
        ACCOUNTS,
        number="HA000001",
    )
    assert amounts(entry) == [
        ("401", "120.00", "0.00"),
        ("607", "0.00", "100.00"),
        ("44566", "0.00", "20.00"),
    ]


def test_a_missing_total_is_the_gross_less_the_other() -> None:
    entry = build_entry(invoice(total_tax=None), ACCOUNTS, number="HA000001")
    assert amounts(entry)[2] == ("44566", "20.00", "0.00")
    entry = build_entry(invoice(total_net=None), ACCOUNTS, number="HA000001")
    assert amounts(entry)[1] == ("607", "100.00", "0.00")


def test_a_zero_rated_invoice_has_no_vat_line() -> None:
    entry = build_entry(
        invoice(total_tax=Decimal("0"), total_gross=Decimal("100")), ACCOUNTS, number="HA1"
    )
    assert [line.account for line in entry.lines] == ["401", "607"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"total_gross": None}, "no gross total (BT-112)"),
        ({"invoice_date": None}, "no invoice date (BT-2)"),
        ({"invoice_number": None}, "no invoice number (BT-1)"),
        ({"seller_name": None, "seller_vat_id": None}, "no seller"),
        ({"currency": "USD"}, "currency USD (BT-5)"),
        ({"total_gross": Decimal("0")}, "is zero"),
        ({"total_net": None, "total_tax": None}, "neither a net total (BT-109)"),
    ],
)
def test_an_invoice_lacking_a_term_is_listed_not_written_half(
    changes: dict[str, object], reason: str
) -> None:
    journal = build_journal([invoice(**changes)], ACCOUNTS)
    assert journal.entries == ()
    (skipped,) = journal.skipped
    assert skipped.invoice_id == 1
    assert any(reason in text for text in skipped.reasons), skipped.reasons


def test_the_journal_is_in_date_order_on_one_continuous_sequence() -> None:
    invoices = [
        invoice(invoice_id=3, invoice_date=date(2026, 11, 9)),
        invoice(invoice_id=1, invoice_date=date(2026, 11, 9)),
        invoice(invoice_id=2, invoice_date=None),
        invoice(invoice_id=4, invoice_date=date(2026, 11, 1)),
    ]
    journal = build_journal(invoices, ACCOUNTS)
    assert [(e.invoice_id, e.number) for e in journal.entries] == [
        (4, "HA000001"),
        (1, "HA000002"),
        (3, "HA000003"),
    ]
    assert [s.invoice_id for s in journal.skipped] == [2]
    assert journal == build_journal(list(reversed(invoices)), ACCOUNTS)
    for entry in journal.entries:
        check_balanced(entry)


def test_an_unbalanced_entry_is_refused_with_its_figures() -> None:
    entry = build_entry(invoice(), ACCOUNTS, number="HA000001")
    line: EntryLine = entry.lines[1].model_copy(update={"debit": Decimal("99.00")})
    broken = entry.model_copy(update={"lines": (entry.lines[0], line, entry.lines[2])})
    with pytest.raises(UnbalancedEntryError) as raised:
        check_balanced(broken)
    assert (raised.value.debit, raised.value.credit) == (Decimal("119.00"), Decimal("120.00"))


def test_the_stated_vat_stands_when_the_lines_vat_differs_by_a_rounding_cent() -> None:
    lines = (BookLine(net_amount=Decimal("20.02"), tax_rate=Decimal("20")),)
    entry = build_entry(
        invoice(
            lines=lines,
            total_net=Decimal("20.02"),
            total_tax=Decimal("4.01"),
            total_gross=Decimal("24.03"),
        ),
        ACCOUNTS,
        number="HA000001",
    )
    assert amounts(entry)[1:] == [("607", "20.02", "0.00"), ("44566", "4.01", "0.00")]
    assert entry.lines[2].account_label.endswith(" 20 %")
