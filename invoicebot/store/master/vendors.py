"""The vendor master: importing it, and the look-ups every invoice's validation makes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import (
    bindparam,
    or_,
)
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret

from invoicebot.store.master.csv_rows import (
    CsvRow,
    ImportSummary,
    MasterDataError,
    RowProblems,
    parse_account,
    parse_currency,
    parse_flag,
    read_csv,
)
from invoicebot.store.master.tables import MasterRevision, Vendor, bump_revision
from invoicebot.store.tables import utcnow
from validation.context import VendorRecord
from validation.identity import (
    bic_problem,
    compact,
    fold_company_name,
    french_vat_siren,
    iban_problem,
    vat_id_problem,
)

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
