"""Purchase-journal entries of approved invoices: one balanced entry per invoice (pure code).

An invoice posts as a French accountant books a supplier invoice: the supplier account
(``401`` with the supplier's auxiliary account) is credited with the gross total, the expense
account debited with the net amount and the deductible VAT account (``44566``) with the VAT,
one expense and one VAT line per rate when the invoice's lines give the rates. A credit note
gives the reversed entry: the supplier account debited, the expense and the deductible VAT
credited. A credit note states its amounts positive (its type, ``DocumentType``, says they
are owed to the buyer); a paper one read with a negative gross is reversed all the same.

Rounding: the supplier is owed exactly the stated gross and only the VAT the invoice states
can be deducted, so a cent by which the stated net + VAT misses the gross goes to the
expense account (the one of the largest base), as the Plan comptable général's charge
absorbs it. A larger gap is not a rounding difference: the invoice is not exported.

No Prefect, no SQL: the store gives ``PurchaseInvoice`` objects, this module gives entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field

from invoicebot.model import DocumentType, InvoiceError
from validation.identity import compact, fold_company_name

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# A FEC account or auxiliary account number: kept short, as accounting software expects.
AUXILIARY_MAX = 17


class BookLine(BaseModel):
    """What an invoice line gives the books: its net amount and its VAT rate (percent)."""

    model_config = ConfigDict(frozen=True)

    net_amount: Decimal | None = None
    tax_rate: Decimal | None = None


class PurchaseInvoice(BaseModel):
    """An approved invoice as the books need it, corrections applied (the store gives it)."""

    model_config = ConfigDict(frozen=True)

    invoice_id: int
    invoice_number: str | None = None
    invoice_date: date | None = None
    currency: str | None = None
    seller_name: str | None = None
    seller_vat_id: str | None = None
    seller_siret: str | None = None
    total_net: Decimal | None = None
    total_tax: Decimal | None = None
    total_gross: Decimal | None = None
    lines: tuple[BookLine, ...] = ()
    # The supplier of the vendor master it was matched to, None when none matched.
    vendor_id: str | None = None
    vendor_name: str | None = None
    # The vendor master's expense account of that supplier, None when it gives none.
    expense_account: str | None = None
    # When it was approved (straight through, or by an operator's last decision).
    approved_on: date | None = None
    # What kind of document it is (a credit note's amounts are stated positive) and the
    # number of the invoice a credit note credits (BT-25), for the entry's label.
    document_type: DocumentType = DocumentType.INVOICE
    preceding_invoice_number: str | None = None

    def as_booked(self) -> PurchaseInvoice:
        """Return the invoice with its amounts signed by their effect on what the supplier is
        owed: a credit note's stated (positive) amounts negated."""
        if not self.document_type.is_credit:
            return self
        return self.model_copy(
            update={
                "total_net": _negated(self.total_net),
                "total_tax": _negated(self.total_tax),
                "total_gross": _negated(self.total_gross),
                "lines": tuple(
                    line.model_copy(update={"net_amount": _negated(line.net_amount)})
                    for line in self.lines
                ),
            }
        )


class BookAccounts(BaseModel):
    """The journal and the accounts entries post to (settings ``INVOICEBOT_FEC_*``)."""

    model_config = ConfigDict(frozen=True)

    journal_code: str = "HA"
    journal_label: str = "Journal des achats"
    supplier_account: str = "401"
    supplier_label: str = "Fournisseurs"
    expense_account: str = "607"
    expense_label: str = "Achats"
    vat_account: str = "44566"
    vat_label: str = "TVA déductible sur autres biens et services"
    currency: str = "EUR"
    # Expense account by vendor id, for suppliers whose vendor-master row gives none.
    expense_accounts: Mapping[str, str] = Field(default_factory=dict)


class EntryLine(BaseModel):
    """One line of an entry: the 18 columns of a FEC record, typed."""

    model_config = ConfigDict(frozen=True)

    journal_code: str
    journal_label: str
    entry_number: str
    entry_date: date
    account: str
    account_label: str
    auxiliary_account: str = ""
    auxiliary_label: str = ""
    piece_ref: str
    piece_date: date
    label: str
    debit: Decimal
    credit: Decimal
    lettering: str = ""
    lettering_date: date | None = None
    valid_date: date
    currency_amount: Decimal | None = None
    currency_code: str = ""


class Entry(BaseModel):
    """The balanced entry of one invoice."""

    model_config = ConfigDict(frozen=True)

    invoice_id: int
    number: str
    lines: tuple[EntryLine, ...]

    @property
    def debit(self) -> Decimal:
        """Return the sum of the entry's debits."""
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        """Return the sum of the entry's credits."""
        return sum((line.credit for line in self.lines), ZERO)


class Unexportable(BaseModel):
    """An approved invoice left out of the books, with why (business terms of EN 16931)."""

    model_config = ConfigDict(frozen=True)

    invoice_id: int
    invoice_number: str | None
    reasons: tuple[str, ...]


class Journal(BaseModel):
    """The entries of an export, numbered in order, and the invoices left out."""

    model_config = ConfigDict(frozen=True)

    entries: tuple[Entry, ...]
    skipped: tuple[Unexportable, ...]

    @property
    def lines(self) -> list[EntryLine]:
        """Return every entry line, entry after entry."""
        return [line for entry in self.entries for line in entry.lines]


class NotExportableError(InvoiceError):
    """An invoice lacks what its entry needs; ``reasons`` says what."""

    def __init__(self, invoice: PurchaseInvoice, reasons: Sequence[str]) -> None:
        super().__init__(f"invoice {invoice.invoice_id}: " + "; ".join(reasons))
        self.invoice_id = invoice.invoice_id
        self.invoice_number = invoice.invoice_number
        self.reasons = tuple(reasons)


class UnbalancedEntryError(InvoiceError):
    """An entry's debits and credits differ: never written (a bug, not bad input)."""

    def __init__(self, number: str, debit: Decimal, credit: Decimal) -> None:
        super().__init__(f"entry {number} is not balanced: debit {debit}, credit {credit}")
        self.number = number
        self.debit = debit
        self.credit = credit


class RateGroup(BaseModel):
    """The net base and the VAT of one rate (``rate`` None: the rates are not known)."""

    model_config = ConfigDict(frozen=True)

    rate: Decimal | None
    base: Decimal
    tax: Decimal


def build_journal(invoices: Iterable[PurchaseInvoice], accounts: BookAccounts) -> Journal:
    """Return the entries of ``invoices`` in date order (then invoice id), numbered on one
    continuous sequence of the journal, and those that cannot be posted with why."""
    ordered = sorted(invoices, key=lambda i: (i.invoice_date or date.max, i.invoice_id))
    entries: list[Entry] = []
    skipped: list[Unexportable] = []
    for invoice in ordered:
        number = f"{accounts.journal_code}{len(entries) + 1:06d}"
        try:
            entries.append(build_entry(invoice, accounts, number=number))
        except NotExportableError as error:
            skipped.append(
                Unexportable(
                    invoice_id=error.invoice_id,
                    invoice_number=error.invoice_number,
                    reasons=error.reasons,
                )
            )
    return Journal(entries=tuple(entries), skipped=tuple(skipped))


def build_entry(invoice: PurchaseInvoice, accounts: BookAccounts, *, number: str) -> Entry:
    """Return the balanced entry of one invoice; raise ``NotExportableError`` saying what is
    missing or inconsistent, rather than post half an entry."""
    invoice = invoice.as_booked()
    reasons = missing_terms(invoice, accounts)
    if reasons:
        raise NotExportableError(invoice, reasons)
    gross = _cents(invoice.total_gross)
    groups = balance(invoice, rate_groups(invoice, gross), gross)
    assert invoice.invoice_date is not None and invoice.invoice_number is not None  # checked
    auxiliary, auxiliary_label = auxiliary_account(invoice)
    entry_date = invoice.invoice_date
    common = {
        "journal_code": accounts.journal_code,
        "journal_label": accounts.journal_label,
        "entry_number": number,
        "entry_date": entry_date,
        "piece_ref": clean_text(invoice.invoice_number),
        "piece_date": entry_date,
        "label": clean_text(f"{auxiliary_label} {piece_label(invoice)}"),
        "valid_date": max(invoice.approved_on or entry_date, entry_date),
    }
    expense = invoice.expense_account or accounts.expense_accounts.get(
        invoice.vendor_id or "", accounts.expense_account
    )
    # Signed amounts, debit positive: the supplier is owed the gross, the rest is debited.
    postings: list[tuple[str, str, str, str, Decimal]] = [
        (accounts.supplier_account, accounts.supplier_label, auxiliary, auxiliary_label, -gross)
    ]
    for group in groups:
        postings.append((expense, accounts.expense_label, "", "", group.base))
    for group in groups:
        label = accounts.vat_label
        if group.rate is not None:
            label = f"{label} {format_rate(group.rate)} %"
        postings.append((accounts.vat_account, label, "", "", group.tax))
    lines = tuple(
        EntryLine(
            **common,
            account=account,
            account_label=account_label,
            auxiliary_account=aux,
            auxiliary_label=aux_label,
            debit=max(amount, ZERO),
            credit=max(-amount, ZERO),
        )
        for account, account_label, aux, aux_label, amount in postings
        if amount != 0
    )
    entry = Entry(invoice_id=invoice.invoice_id, number=number, lines=lines)
    check_balanced(entry)
    return entry


def check_balanced(entry: Entry) -> None:
    """Raise ``UnbalancedEntryError`` unless the entry's debits equal its credits."""
    if entry.debit != entry.credit:
        raise UnbalancedEntryError(entry.number, entry.debit, entry.credit)


def missing_terms(invoice: PurchaseInvoice, accounts: BookAccounts) -> list[str]:
    """Return why the invoice cannot be posted (the EN 16931 business terms it lacks)."""
    reasons = []
    if invoice.total_gross is None:
        reasons.append("no gross total (BT-112)")
    elif _cents(invoice.total_gross) == 0:
        reasons.append("the gross total (BT-112) is zero: nothing to post")
    if invoice.invoice_date is None:
        reasons.append("no invoice date (BT-2)")
    if not invoice.invoice_number:
        reasons.append("no invoice number (BT-1) for the piece reference")
    if not (invoice.vendor_id or invoice.seller_name or invoice.seller_vat_id):
        reasons.append("no seller (BT-27 name, BT-31 VAT identifier)")
    if invoice.currency and invoice.currency.upper() != accounts.currency:
        reasons.append(
            f"currency {invoice.currency} (BT-5): the journal is kept in {accounts.currency} "
            "and no exchange rate is known"
        )
    if invoice.total_net is None and invoice.total_tax is None and not _line_nets(invoice):
        reasons.append("neither a net total (BT-109) nor a VAT total (BT-110)")
    return reasons


def rate_groups(invoice: PurchaseInvoice, gross: Decimal) -> list[RateGroup]:
    """Return the net and VAT per rate: from the lines when they give every net amount and
    rate and add up to the net total, else one group of the stated totals (rate unknown)."""
    net, tax = stated_totals(invoice, gross)
    nets = _line_nets(invoice)
    if nets is not None and all(line.tax_rate is not None for line in invoice.lines):
        bases: dict[Decimal, Decimal] = {}
        for line, amount in zip(invoice.lines, nets, strict=True):
            assert line.tax_rate is not None  # checked above
            rate = line.tax_rate.normalize()
            bases[rate] = bases.get(rate, ZERO) + amount
        if sum(bases.values(), ZERO) == net:
            taxes = {rate: _cents(base * rate / 100) for rate, base in bases.items()}
            difference = tax - sum(taxes.values(), ZERO)
            # VAT is stated per rate on the invoice (BG-23); a cent per rate between the
            # lines' VAT and the stated total is rounding, put on the largest base's VAT.
            if abs(difference) <= CENT * len(taxes):
                largest = _largest(bases)
                taxes[largest] += difference
                return [
                    RateGroup(rate=rate, base=bases[rate], tax=taxes[rate])
                    for rate in sorted(bases, reverse=True)
                ]
    return [RateGroup(rate=None, base=net, tax=tax)]


def stated_totals(invoice: PurchaseInvoice, gross: Decimal) -> tuple[Decimal, Decimal]:
    """Return the net and VAT totals, a missing one being the gross less the other (the
    lines' net sum standing in for a missing net when neither total is stated)."""
    net = None if invoice.total_net is None else _cents(invoice.total_net)
    tax = None if invoice.total_tax is None else _cents(invoice.total_tax)
    if net is None and tax is None:
        net = sum(_line_nets(invoice) or (), ZERO)
    if net is None:
        assert tax is not None  # one of them is set here
        net = gross - tax
    if tax is None:
        tax = gross - net
    return net, tax


def balance(invoice: PurchaseInvoice, groups: list[RateGroup], gross: Decimal) -> list[RateGroup]:
    """Return the groups with the rounding difference to the gross on the largest base's
    expense; raise ``NotExportableError`` when the difference is more than a cent a rate."""
    debits = sum((group.base + group.tax for group in groups), ZERO)
    difference = gross - debits
    if difference == 0:
        return groups
    if abs(difference) > CENT * len(groups):
        raise NotExportableError(
            invoice,
            [
                f"net (BT-109) + VAT (BT-110) = {debits}, not the gross total (BT-112) "
                f"{gross}: more than a rounding difference"
            ],
        )
    largest = max(range(len(groups)), key=lambda index: abs(groups[index].base))
    return [
        group.model_copy(update={"base": group.base + difference}) if index == largest else group
        for index, group in enumerate(groups)
    ]


def auxiliary_account(invoice: PurchaseInvoice) -> tuple[str, str]:
    """Return the supplier's auxiliary account and its label: the vendor master's id and
    name, else derived from the invoice's VAT number, SIREN or name."""
    name = clean_text(invoice.vendor_name or invoice.seller_name or "")
    if invoice.vendor_id:
        return clean_text(invoice.vendor_id)[:AUXILIARY_MAX], name or invoice.vendor_id
    if invoice.seller_vat_id:
        key = compact(invoice.seller_vat_id)
    elif invoice.seller_siret and len(invoice.seller_siret) >= 9:
        key = invoice.seller_siret[:9]
    else:
        key = compact(fold_company_name(invoice.seller_name or ""))
    return key[:AUXILIARY_MAX], name or key


def piece_label(invoice: PurchaseInvoice) -> str:
    """Return what the entry's label says of the piece: its number, a credit note's as
    such (``avoir AV-12 sur F-0042``, naming the invoice it credits when it does)."""
    if not invoice.document_type.is_credit:
        return invoice.invoice_number or ""
    credited = (
        f" sur {invoice.preceding_invoice_number}" if invoice.preceding_invoice_number else ""
    )
    return f"avoir {invoice.invoice_number}{credited}"


def format_rate(rate: Decimal) -> str:
    """Return a VAT rate as French text: ``5,5``, ``20``."""
    return format(rate.normalize(), "f").replace(".", ",")


def clean_text(value: str) -> str:
    """Return ``value`` on one line without tabs or pipes (the FEC's separators)."""
    return " ".join(value.replace("|", " ").split())


def _line_nets(invoice: PurchaseInvoice) -> list[Decimal] | None:
    """Return every line's net amount in cents, None when there are no lines or one lacks it."""
    if not invoice.lines or any(line.net_amount is None for line in invoice.lines):
        return None
    return [_cents(line.net_amount) for line in invoice.lines if line.net_amount is not None]


def _largest(bases: Mapping[Decimal, Decimal]) -> Decimal:
    """Return the rate of the largest base (the highest rate on a tie)."""
    return max(sorted(bases, reverse=True), key=lambda rate: abs(bases[rate]))


def _negated(value: Decimal | None) -> Decimal | None:
    return None if value is None else -value


def _cents(value: Decimal | None) -> Decimal:
    """Return an amount rounded to the cent (half up, as invoices round)."""
    return (value or ZERO).quantize(CENT, rounding=ROUND_HALF_UP)
