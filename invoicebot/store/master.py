"""Master data in the store: the vendor master, purchase orders and goods receipts.

Imported from the ERP's CSV exports (``invoicebot vendors import``, ``orders import``,
``receipts import``); read by the vendor and purchase-order rules through ``StoreHistory``.
An import checks every row first and writes nothing when one is wrong, so a half-imported
master never decides whether an IBAN is the supplier's.

CSV files: UTF-8 (an Excel BOM is fine), comma, semicolon or tab separated, a header row.
Amounts and quantities take a dot or a decimal comma; dates are ``YYYY-MM-DD`` or
``DD/MM/YYYY``; yes/no columns take yes, no, true, false, 1, 0, oui, non or nothing (no).
"""

from __future__ import annotations

import csv
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Numeric,
    UniqueConstraint,
    bindparam,
    delete,
    func,
    or_,
)
from sqlalchemy import select as core_select
from sqlalchemy.engine import Compiled
from sqlalchemy.sql.expression import ClauseElement
from sqlmodel import Field, Session, SQLModel, col, select
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from invoicebot.model import InvoiceError
from invoicebot.store.tables import utcnow
from validation.context import OrderLineRecord, PurchaseOrderRecord, VendorRecord
from validation.identity import (
    bic_problem,
    compact,
    fold_company_name,
    french_vat_siren,
    iban_problem,
    reference_key,
    vat_id_problem,
)

# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def quantity_column() -> Any:
    """Return a required exact-decimal column (18 digits, 4 decimals)."""
    return Field(sa_column=Column(Numeric(18, 4), nullable=False))


class Vendor(SQLModel, table=True):
    """A supplier of the vendor master."""

    __tablename__ = "vendor"

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: str = Field(unique=True, max_length=60)
    name: str
    name_key: str
    vat_id: str | None = Field(default=None, index=True, max_length=40)
    siren: str | None = Field(default=None, index=True, max_length=9)
    siret: str | None = Field(default=None, max_length=14)
    ibans: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    bic: str | None = Field(default=None, max_length=11)
    currency: str | None = Field(default=None, max_length=3)
    payment_terms_days: int | None = None
    po_required: bool = False
    # The account its invoices' net is posted to in the FEC export (PCG: 3 digits first).
    expense_account: str | None = Field(default=None, max_length=20)
    updated_at: datetime = Field(default_factory=utcnow)


class PurchaseOrder(SQLModel, table=True):
    """A purchase order; its lines are ``PurchaseOrderLine`` rows."""

    __tablename__ = "purchase_order"

    id: int | None = Field(default=None, primary_key=True)
    po_number: str
    po_key: str = Field(unique=True, max_length=200)
    vendor_id: str | None = Field(default=None, index=True, max_length=60)
    currency: str | None = Field(default=None, max_length=3)
    ordered_on: date | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class PurchaseOrderLine(SQLModel, table=True):
    """One line of a purchase order."""

    __tablename__ = "purchase_order_line"
    __table_args__ = (UniqueConstraint("order_id", "line"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="purchase_order.id", index=True)
    line: int
    description: str | None = None
    quantity: Decimal = quantity_column()
    unit_price: Decimal = quantity_column()


class GoodsReceipt(SQLModel, table=True):
    """A quantity received against one line of a purchase order.

    ``receipt_key`` (the receipt id, else its date) makes re-importing the same file
    harmless.
    """

    __tablename__ = "goods_receipt"
    __table_args__ = (UniqueConstraint("order_id", "line", "receipt_key"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="purchase_order.id", index=True)
    line: int
    receipt_key: str = Field(max_length=80)
    quantity: Decimal = quantity_column()
    received_on: date | None = None


class MasterRevision(SQLModel, table=True):
    """How many times each kind of master data was imported: ``vendors``, ``orders`` or
    ``receipts``. A row exists once that kind is on file; the rules read these rows to know
    whether the master-data rules apply, and the vendor names cache its revision."""

    __tablename__ = "master_revision"

    name: str = Field(primary_key=True, max_length=20)
    revision: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


def bump_revision(session: Session, *, name: str) -> None:
    """Count one more import of ``name`` (in the caller's transaction)."""
    row = session.get(MasterRevision, name) or MasterRevision(name=name)
    row.revision += 1
    row.updated_at = utcnow()
    session.add(row)


# --------------------------------------------------------------------------------------
# CSV parsing
# --------------------------------------------------------------------------------------


class MasterDataError(InvoiceError):
    """A master-data file could not be imported; ``problems`` lists every wrong row."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        shown = "\n".join(f"  {problem}" for problem in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{path}: nothing imported:\n{shown}{more}")
        self.path = path
        self.problems = list(problems)


@dataclass(frozen=True)
class CsvRow:
    """One data row of a CSV file: its line number in the file and its cells by column."""

    number: int
    cells: Mapping[str, str]

    def text(self, column: str) -> str | None:
        """Return the cell stripped, or None when empty or absent."""
        value = (self.cells.get(column) or "").strip()
        return value or None


def read_csv(path: Path, *, required: set[str], optional: set[str]) -> list[CsvRow]:
    """Return the rows of a CSV file whose header holds ``required`` columns and no column
    outside ``required | optional``; raise ``MasterDataError`` otherwise."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise MasterDataError(path, [f"cannot read the file: {error.strerror}"]) from error
    except UnicodeDecodeError as error:
        raise MasterDataError(path, ["the file is not UTF-8 text"]) from error
    lines = text.splitlines()
    if not lines:
        raise MasterDataError(path, ["the file is empty"])
    delimiter = max(",;\t", key=lines[0].count)
    reader = csv.reader(lines, delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    problems = []
    missing = sorted(required - set(header))
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    unknown = sorted(set(header) - required - optional)
    if unknown:
        problems.append(
            f"unknown column(s): {', '.join(unknown)} "
            f"(known: {', '.join(sorted(required | optional))})"
        )
    if problems:
        raise MasterDataError(path, problems)
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        rows.append(CsvRow(number, dict(zip(header, cells, strict=False))))
    if not rows:
        raise MasterDataError(path, ["the file has a header but no data rows"])
    return rows


class RowProblems:
    """The problems found in a file, each prefixed with its line number."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, row: CsvRow, message: str) -> None:
        """Record a problem of ``row``."""
        self.items.append(f"line {row.number}: {message}")


def parse_decimal(value: str) -> Decimal:
    """Return a number written ``1234.5``, ``1 234,50`` or ``1,234.50`` as a Decimal."""
    text = value.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else text.replace(".", "")
    text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"{value!r} is not a number") from error
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return number


def parse_date(value: str) -> date:
    """Return a date written ``2026-03-14`` or ``14/03/2026``."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


YES = {"yes", "y", "true", "1", "oui", "o", "x"}
NO = {"no", "n", "false", "0", "non", ""}


def parse_flag(value: str | None) -> bool:
    """Return a yes/no cell as a bool."""
    text = (value or "").strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"{value!r} is not yes or no")


def parse_account(value: str | None) -> str | None:
    """Return an account number of the French chart of accounts (its first three characters
    digits, at most 20), None for none; raise ``ValueError`` for anything else."""
    if value is None:
        return None
    account = compact(value)
    if not re.fullmatch(r"[0-9]{3}[0-9A-Z]{0,17}", account):
        raise ValueError(f"expense account {value!r} is not an account number (e.g. 6061)")
    return account


def parse_currency(value: str) -> str:
    """Return an ISO 4217 currency code, upper-cased."""
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"{value!r} is not a currency code such as EUR")
    return code


@dataclass(frozen=True)
class ImportSummary:
    """What an import did."""

    added: int
    updated: int

    @property
    def total(self) -> int:
        """Return the number of records imported."""
        return self.added + self.updated


# --------------------------------------------------------------------------------------
# Vendors
# --------------------------------------------------------------------------------------

VENDOR_COLUMNS = {"name"}
VENDOR_OPTIONAL = {
    "vendor_id",
    "vat_id",
    "siret",
    "iban",
    "bic",
    "currency",
    "payment_terms_days",
    "po_required",
    "expense_account",
}


def parse_vendor(row: CsvRow, problems: RowProblems) -> Vendor | None:
    """Return the vendor of a row, or None after recording what is wrong with it."""
    found = len(problems.items)
    name = row.text("name")
    if name is None:
        problems.add(row, "the name is empty")
    vat_id = compact(row.text("vat_id") or "") or None
    if vat_id and (reason := vat_id_problem(vat_id)):
        problems.add(row, f"VAT number {vat_id}: {reason}")
    siret = compact(row.text("siret") or "") or None
    siren = None
    if siret:
        module = fr_siret if len(siret) == 14 else fr_siren
        if module.is_valid(siret):
            siren = siret[:9]
        else:
            problems.add(row, f"SIRET/SIREN {siret} is not valid")
    if vat_id and siren and french_vat_siren(vat_id) not in (None, siren):
        problems.add(row, f"VAT number {vat_id} is not that of SIREN {siren}")
    ibans = []
    for part in (row.text("iban") or "").replace("|", ";").split(";"):
        value = compact(part)
        if not value:
            continue
        if reason := iban_problem(value):
            problems.add(row, f"IBAN {value}: {reason}")
        ibans.append(value)
    bic = compact(row.text("bic") or "") or None
    if bic and (reason := bic_problem(bic)):
        problems.add(row, f"BIC {bic}: {reason}")
    currency = terms = None
    po_required = False
    expense_account = None
    try:
        currency = parse_currency(row.text("currency") or "") if row.text("currency") else None
        terms_text = row.text("payment_terms_days")
        terms = int(terms_text) if terms_text else None
        if terms is not None and not 0 <= terms <= 365:
            raise ValueError(f"payment terms of {terms} days are not plausible")
        po_required = parse_flag(row.text("po_required"))
        expense_account = parse_account(row.text("expense_account"))
    except ValueError as error:
        problems.add(row, str(error))
    if len(problems.items) > found or name is None:
        return None
    vendor_id = row.text("vendor_id") or vat_id or siret or fold_company_name(name)
    return Vendor(
        vendor_id=vendor_id,
        name=name,
        name_key=fold_company_name(name),
        vat_id=vat_id,
        siren=siren,
        siret=siret if siret and len(siret) == 14 else None,
        ibans=ibans,
        bic=bic,
        currency=currency,
        payment_terms_days=terms,
        po_required=po_required,
        expense_account=expense_account,
    )


def import_vendors(session: Session, *, path: Path) -> ImportSummary:
    """Add or update (by ``vendor_id``) every supplier of a vendor-master CSV, in one
    transaction; raise ``MasterDataError`` listing every wrong row, importing nothing."""
    rows = read_csv(path, required=VENDOR_COLUMNS, optional=VENDOR_OPTIONAL)
    problems = RowProblems()
    vendors: dict[str, Vendor] = {}
    for row in rows:
        vendor = parse_vendor(row, problems)
        if vendor is None:
            continue
        if vendor.vendor_id in vendors:
            problems.add(row, f"vendor {vendor.vendor_id} appears twice in the file")
        vendors[vendor.vendor_id] = vendor
    if problems.items:
        raise MasterDataError(path, problems.items)
    existing = {
        vendor.vendor_id: vendor
        for vendor in session.exec(
            select(Vendor).where(col(Vendor.vendor_id).in_(list(vendors)))
        ).all()
    }
    for vendor_id, vendor in vendors.items():
        stored = existing.get(vendor_id)
        if stored is None:
            session.add(vendor)
            continue
        for name in VENDOR_FIELDS:
            setattr(stored, name, getattr(vendor, name))
        stored.updated_at = utcnow()
        session.add(stored)
    bump_revision(session, name="vendors")
    session.commit()
    return ImportSummary(added=len(vendors) - len(existing), updated=len(existing))


VENDOR_FIELDS = (
    "name",
    "name_key",
    "vat_id",
    "siren",
    "siret",
    "ibans",
    "bic",
    "currency",
    "payment_terms_days",
    "po_required",
    "expense_account",
)


# The look-ups below run for every invoice: their statements are built once (the compiled
# SQL is then cached) and return plain rows, not ORM objects.
VENDOR_RECORD_COLUMNS = (
    col(Vendor.vendor_id),
    col(Vendor.name),
    col(Vendor.vat_id),
    col(Vendor.siren),
    col(Vendor.siret),
    col(Vendor.ibans),
    col(Vendor.bic),
    col(Vendor.currency),
    col(Vendor.payment_terms_days),
    col(Vendor.po_required),
)
REVISIONS = core_select(
    col(MasterRevision.name), col(MasterRevision.revision), col(MasterRevision.updated_at)
)
VENDORS_BY_IDENTIFIER = core_select(*VENDOR_RECORD_COLUMNS).where(
    or_(col(Vendor.vat_id) == bindparam("vat_id"), col(Vendor.siren) == bindparam("siren"))
)
VENDOR_BY_ID = core_select(*VENDOR_RECORD_COLUMNS).where(
    col(Vendor.vendor_id) == bindparam("vendor_id")
)
VENDOR_NAMES = core_select(col(Vendor.vendor_id), col(Vendor.name_key))


def vendor_record(row: Sequence[Any]) -> VendorRecord:
    """Return the rules' view of a supplier from a row of ``VENDOR_RECORD_COLUMNS``."""
    return VendorRecord(
        vendor_id=row[0],
        name=row[1],
        vat_id=row[2],
        siren=row[3],
        siret=row[4],
        ibans=tuple(row[5] or ()),
        bic=row[6],
        currency=row[7],
        payment_terms_days=row[8],
        po_required=bool(row[9]),
    )


def master_revisions(session: Session) -> dict[str, str]:
    """Return a token of the last import of each kind of master data on file (one small
    query): its count and time, which change with every import."""
    return revisions_from_rows(session.connection().execute(REVISIONS).all())


def revisions_from_rows(rows: Sequence[Sequence[Any]]) -> dict[str, str]:
    """Return the revision tokens in the rows of ``REVISIONS``."""
    return {name: f"{revision}@{updated_at.isoformat()}" for name, revision, updated_at in rows}


def has_vendors(session: Session) -> bool:
    """Return True when a vendor master has been imported."""
    return "vendors" in master_revisions(session)


def vendors_by_identifier(
    session: Session, *, vat_id: str | None, siren: str | None
) -> list[VendorRecord]:
    """Return the suppliers with this VAT number or this SIREN (indexed look-ups)."""
    if not vat_id and not siren:
        return []
    rows = session.connection().execute(VENDORS_BY_IDENTIFIER, {"vat_id": vat_id, "siren": siren})
    return [vendor_record(row) for row in rows]


def vendor_by_id(session: Session, *, vendor_id: str) -> VendorRecord | None:
    """Return the supplier with this vendor id."""
    row = session.connection().execute(VENDOR_BY_ID, {"vendor_id": vendor_id}).first()
    return vendor_record(row) if row else None


_names_lock = threading.Lock()
_names_cache: dict[str, tuple[str, dict[str, str]]] = {}


def vendor_names(session: Session, *, revision: str | None = None) -> dict[str, str]:
    """Return every supplier's folded name by vendor id.

    Kept in memory per database and vendor-master revision (``revision``, read when not
    given), so that fuzzy matching does not read the whole master for every invoice.
    """
    connection = session.connection()
    if revision is None:
        revision = master_revisions(session).get("vendors", "")
    database = str(connection.engine.url)
    with _names_lock:
        cached = _names_cache.get(database)
        if cached is not None and cached[0] == revision:
            return cached[1]
    names: dict[str, str] = {row[0]: row[1] for row in connection.execute(VENDOR_NAMES)}
    with _names_lock:
        _names_cache[database] = (revision, names)
    return names


# --------------------------------------------------------------------------------------
# Purchase orders and goods receipts
# --------------------------------------------------------------------------------------

ORDER_COLUMNS = {"po_number", "quantity", "unit_price"}
ORDER_OPTIONAL = {"vendor_id", "currency", "line", "description", "ordered_on"}


@dataclass
class ParsedOrder:
    """A purchase order read from the CSV, before it is stored."""

    po_number: str
    vendor_id: str | None
    currency: str | None
    ordered_on: date | None
    lines: dict[int, tuple[str | None, Decimal, Decimal]]


def parse_orders(rows: Iterable[CsvRow], problems: RowProblems) -> dict[str, ParsedOrder]:
    """Return the purchase orders of the rows (one row per PO line), by PO key."""
    orders: dict[str, ParsedOrder] = {}
    for row in rows:
        po_number = row.text("po_number")
        if po_number is None or not reference_key(po_number):
            problems.add(row, "the PO number is empty")
            continue
        try:
            quantity = parse_decimal(row.text("quantity") or "")
            unit_price = parse_decimal(row.text("unit_price") or "")
            currency = parse_currency(row.text("currency") or "") if row.text("currency") else None
            ordered_on = (
                parse_date(row.text("ordered_on") or "") if row.text("ordered_on") else None
            )
            line_text = row.text("line")
            order = orders.get(reference_key(po_number))
            line = int(line_text) if line_text else (len(order.lines) + 1 if order else 1)
        except ValueError as error:
            problems.add(row, str(error))
            continue
        if quantity <= 0 or unit_price < 0 or line < 1:
            problems.add(row, "quantity must be positive, unit price and line not negative")
            continue
        vendor_id = row.text("vendor_id")
        if order is None:
            order = ParsedOrder(po_number, vendor_id, currency, ordered_on, {})
            orders[reference_key(po_number)] = order
        elif (order.vendor_id, order.currency) != (vendor_id, currency):
            problems.add(row, f"PO {po_number} has another vendor_id or currency on an earlier row")
            continue
        if line in order.lines:
            problems.add(row, f"PO {po_number} line {line} appears twice")
            continue
        order.lines[line] = (row.text("description"), quantity, unit_price)
    return orders


def import_orders(session: Session, *, path: Path) -> ImportSummary:
    """Add or replace (by PO number) every purchase order of a CSV with one row per PO
    line, in one transaction; raise ``MasterDataError``, importing nothing, on a wrong row."""
    rows = read_csv(path, required=ORDER_COLUMNS, optional=ORDER_OPTIONAL)
    problems = RowProblems()
    orders = parse_orders(rows, problems)
    if problems.items:
        raise MasterDataError(path, problems.items)
    stored = {
        order.po_key: order
        for order in session.exec(
            select(PurchaseOrder).where(col(PurchaseOrder.po_key).in_(list(orders)))
        ).all()
    }
    for po_key, parsed in orders.items():
        order = stored.get(po_key) or PurchaseOrder(po_number=parsed.po_number, po_key=po_key)
        order.po_number = parsed.po_number
        order.vendor_id = parsed.vendor_id
        order.currency = parsed.currency
        order.ordered_on = parsed.ordered_on
        order.updated_at = utcnow()
        session.add(order)
        session.flush()
        session.execute(
            delete(PurchaseOrderLine).where(col(PurchaseOrderLine.order_id) == order.id)
        )
        assert order.id is not None  # set by the flush
        for line, (description, quantity, unit_price) in sorted(parsed.lines.items()):
            session.add(
                PurchaseOrderLine(
                    order_id=order.id,
                    line=line,
                    description=description,
                    quantity=quantity,
                    unit_price=unit_price,
                )
            )
    bump_revision(session, name="orders")
    session.commit()
    return ImportSummary(added=len(orders) - len(stored), updated=len(stored))


RECEIPT_COLUMNS = {"po_number", "line", "quantity"}
RECEIPT_OPTIONAL = {"received_on", "receipt_id"}


def import_receipts(session: Session, *, path: Path) -> ImportSummary:
    """Add or update goods receipts (one row per PO line received), in one transaction.

    A row is identified by PO, line and ``receipt_id`` (else ``received_on``): importing
    the same file twice does not count the goods twice. Raise ``MasterDataError``,
    importing nothing, when a row is wrong or names a PO line not on file.
    """
    rows = read_csv(path, required=RECEIPT_COLUMNS, optional=RECEIPT_OPTIONAL)
    problems = RowProblems()
    keys = {reference_key(row.text("po_number") or "") for row in rows}
    orders = {
        order.po_key: order
        for order in session.exec(
            select(PurchaseOrder).where(col(PurchaseOrder.po_key).in_(list(keys)))
        ).all()
    }
    order_ids = [order.id for order in orders.values()]
    known_lines = set(
        session.exec(
            select(PurchaseOrderLine.order_id, PurchaseOrderLine.line).where(
                col(PurchaseOrderLine.order_id).in_(order_ids)
            )
        ).all()
    )
    receipts: dict[tuple[int, int, str], tuple[Decimal, date | None]] = {}
    for row in rows:
        po_number = row.text("po_number") or ""
        order = orders.get(reference_key(po_number))
        try:
            line = int(row.text("line") or "")
            quantity = parse_decimal(row.text("quantity") or "")
            received_on = (
                parse_date(row.text("received_on") or "") if row.text("received_on") else None
            )
        except ValueError as error:
            problems.add(row, str(error))
            continue
        if order is None or order.id is None:
            problems.add(row, f"PO {po_number!r} is not on file: import the orders first")
            continue
        if (order.id, line) not in known_lines:
            problems.add(row, f"PO {po_number} has no line {line}")
            continue
        receipt_key = row.text("receipt_id") or (received_on.isoformat() if received_on else "")
        key = (order.id, line, receipt_key)
        if key in receipts:
            problems.add(
                row,
                f"receipt {receipt_key or '(no id)'} of PO {po_number} line {line} appears twice",
            )
            continue
        receipts[key] = (quantity, received_on)
    if problems.items:
        raise MasterDataError(path, problems.items)
    existing = {
        (receipt.order_id, receipt.line, receipt.receipt_key): receipt
        for receipt in session.exec(
            select(GoodsReceipt).where(col(GoodsReceipt.order_id).in_(order_ids))
        ).all()
    }
    for (order_id, line, receipt_key), (quantity, received_on) in receipts.items():
        receipt = existing.get((order_id, line, receipt_key)) or GoodsReceipt(
            order_id=order_id, line=line, receipt_key=receipt_key, quantity=quantity
        )
        receipt.quantity = quantity
        receipt.received_on = received_on
        session.add(receipt)
    bump_revision(session, name="receipts")
    session.commit()
    updated = sum(1 for key in receipts if key in existing)
    return ImportSummary(added=len(receipts) - updated, updated=updated)


_received = (
    core_select(func.coalesce(func.sum(col(GoodsReceipt.quantity)), 0))
    .where(col(GoodsReceipt.order_id) == col(PurchaseOrderLine.order_id))
    .where(col(GoodsReceipt.line) == col(PurchaseOrderLine.line))
    .scalar_subquery()
)
ORDER_WITH_LINES = (
    core_select(
        col(PurchaseOrder.po_number),
        col(PurchaseOrder.vendor_id),
        col(PurchaseOrder.currency),
        col(PurchaseOrderLine.line),
        col(PurchaseOrderLine.description),
        col(PurchaseOrderLine.quantity),
        col(PurchaseOrderLine.unit_price),
        _received,
    )
    .select_from(PurchaseOrder)
    .outerjoin(PurchaseOrderLine, col(PurchaseOrderLine.order_id) == col(PurchaseOrder.id))
    .where(col(PurchaseOrder.po_key) == bindparam("po_key"))
    .order_by(col(PurchaseOrderLine.line))
)


def has_orders(session: Session) -> bool:
    """Return True when purchase orders have been imported."""
    return "orders" in master_revisions(session)


def purchase_order(session: Session, *, po_key: str) -> PurchaseOrderRecord | None:
    """Return the purchase order with this folded number, its lines and what was received
    against each (one query)."""
    return order_from_rows(session.connection().execute(ORDER_WITH_LINES, {"po_key": po_key}).all())


def order_from_rows(rows: Sequence[Sequence[Any]]) -> PurchaseOrderRecord | None:
    """Return the purchase order in the rows of ``ORDER_WITH_LINES`` (None: no rows)."""
    if not rows:
        return None
    po_number, vendor_id, currency = rows[0][:3]
    return PurchaseOrderRecord(
        po_number=po_number,
        vendor_id=vendor_id,
        currency=currency,
        lines=tuple(
            OrderLineRecord(
                line=line,
                description=description,
                quantity=quantity,
                unit_price=unit_price,
                received=Decimal(str(received)),
            )
            for *_order, line, description, quantity, unit_price, received in rows
            if line is not None
        ),
    )


# --------------------------------------------------------------------------------------
# Several look-ups in one round trip
# --------------------------------------------------------------------------------------

_compiled_lock = threading.Lock()
_compiled: dict[tuple[int, str], Compiled] = {}


def run_pipelined(
    session: Session, requests: Sequence[tuple[ClauseElement, Mapping[str, Any]]]
) -> list[list[tuple[Any, ...]]] | None:
    """Return the rows of every ``(statement, parameters)`` of ``requests``, sent to
    PostgreSQL at once in psycopg's pipeline mode (one round trip instead of one each).

    Return None on other databases: SQLite runs in this process, a round trip costs it
    nothing. The statements must be of the look-ups above (no expanding parameters); their
    rows come back as psycopg reads them (Decimal, date, parsed JSON), like SQLAlchemy's.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.dialect.driver != "psycopg":
        return None
    driver = connection.connection.driver_connection
    queries = []
    for statement, parameters in requests:
        key = (id(statement), connection.dialect.name)
        with _compiled_lock:
            compiled = _compiled.get(key)
            if compiled is None:
                compiled = _compiled[key] = statement.compile(dialect=connection.dialect)
        queries.append((str(compiled), compiled.construct_params(dict(parameters))))
    with driver.pipeline():  # type: ignore[union-attr]
        cursors = [driver.execute(sql, values) for sql, values in queries]  # type: ignore[union-attr]
    return [cursor.fetchall() for cursor in cursors]
