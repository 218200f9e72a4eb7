"""Master data in the store (vendors, purchase orders, goods receipts) and the look-ups the
rules make, on SQLite and on the local PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from invoicebot.model import Extraction, InvoiceFields, InvoiceStatus
from invoicebot.store import StoreHistory, init_store, make_engine
from invoicebot.store import master as master_data
from invoicebot.store.claims import claim_document
from invoicebot.store.master import MasterDataError, PurchaseOrderLine, Vendor
from invoicebot.store.repository import (
    SAME_SELLER_AND_GROSS,
    SAME_SELLER_AND_NUMBER,
    net_invoiced_on_order,
    record_invoice,
    same_seller_and_gross,
)
from validation import validate
from validation.context import RuleContext
from validation.registry import run_rules

VENDORS = (
    "\ufeffvendor_id;name;vat_id;siret;iban;bic;currency;payment_terms_days;po_required\n"
    "SUP-001;ACME Fournitures SAS;FR 44 732829320;732 829 320 00074;"
    "FR76 3000 6000 0112 3456 7890 189 | FR7630004730664096567606071;BNPAFRPP;eur;45;oui\n"
    "SUP-002;Northgate Systems Ltd;GB159972802;;GB18NWBK59595978911235;;EUR;;\n"
)
ORDERS = """po_number,vendor_id,currency,line,description,quantity,unit_price,ordered_on
PO-88123,SUP-001,EUR,1,Papier A4,"2,5",100,2026-11-01
PO-88123,SUP-001,EUR,2,Stylos,1,"1 000,50",01/11/2026
PO-2,SUP-002,EUR,,Audit,1,500,
"""
RECEIPTS = """po_number,line,quantity,received_on,receipt_id
po 88123,1,2,2026-11-10,GR-1
PO-88123,1,0.5,2026-11-12,GR-2
PO-88123,2,1,2026-11-12,
"""


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    init_store(engine)
    yield engine
    engine.dispose()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def import_all(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        master_data.import_vendors(session, path=write(tmp_path, "v.csv", VENDORS))
        master_data.import_orders(session, path=write(tmp_path, "o.csv", ORDERS))
        master_data.import_receipts(session, path=write(tmp_path, "r.csv", RECEIPTS))


def test_vendors_are_imported_compacted_and_found_by_identifier(
    engine: Engine, tmp_path: Path
) -> None:
    with Session(engine) as session:
        summary = master_data.import_vendors(session, path=write(tmp_path, "v.csv", VENDORS))
        assert (summary.added, summary.updated) == (2, 0)
        store = StoreHistory(session)
        assert store.has_vendors() and not store.has_orders()
        [acme] = store.vendors_by_identifier(vat_id=None, siren="732829320")
    assert acme.vendor_id == "SUP-001"
    assert acme.vat_id == "FR44732829320" and acme.siret == "73282932000074"
    assert acme.ibans == ("FR7630006000011234567890189", "FR7630004730664096567606071")
    assert (acme.bic, acme.currency, acme.payment_terms_days, acme.po_required) == (
        "BNPAFRPP", "EUR", 45, True,
    )  # fmt: skip
    with Session(engine) as session:
        store = StoreHistory(session)
        [northgate] = store.vendors_by_identifier(vat_id="GB159972802", siren=None)
        assert northgate.po_required is False and northgate.payment_terms_days is None
        assert store.vendor("SUP-002") == northgate
        assert store.vendor("SUP-404") is None
        assert store.vendors_by_identifier(vat_id=None, siren=None) == []


def test_reimporting_updates_suppliers_and_their_names(engine: Engine, tmp_path: Path) -> None:
    with Session(engine) as session:
        master_data.import_vendors(session, path=write(tmp_path, "v.csv", VENDORS))
        assert StoreHistory(session).vendor_names()["SUP-001"] == "acme fournitures"
    renamed = VENDORS.replace("ACME Fournitures SAS", "ACME Bureautique SAS")
    with Session(engine) as session:
        summary = master_data.import_vendors(session, path=write(tmp_path, "v2.csv", renamed))
        assert (summary.added, summary.updated) == (0, 2)
        assert StoreHistory(session).vendor_names()["SUP-001"] == "acme bureautique"
        assert len(session.exec(select(Vendor)).all()) == 2


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("FR 44 732829320", "FR45732829320"), "line 2: VAT number FR45732829320"),
        (("732 829 320 00074", "73282932000075"), "line 2: SIRET/SIREN 73282932000075"),
        (("FR 44 732829320;732 829 320 00074", "FR50464556810;73282932000074"),
         "is not that of SIREN 732829320"),
        (("FR7630004730664096567606071", "FR7630004730664096567606070"), "IBAN FR76300047306"),
        (("BNPAFRPP", "BNPA1RPP"), "BIC BNPA1RPP"),
        (("eur", "euro"), "'euro' is not a currency code"),
        (("45;oui", "45;peut-être"), "'peut-être' is not yes or no"),
        (("SUP-002;", "SUP-001;"), "line 3: vendor SUP-001 appears twice"),
        (("ACME Fournitures SAS", ""), "line 2: the name is empty"),
        (("bic;", "bik;"), "unknown column(s): bik"),
        (("vendor_id;name;", "vendor_id;nom;"), "missing column(s): name"),
    ],
)  # fmt: skip
def test_a_wrong_vendor_file_imports_nothing(
    sqlite_engine: Engine, tmp_path: Path, change: tuple[str, str], problem: str
) -> None:
    path = write(tmp_path, "v.csv", VENDORS.replace(*change))
    with Session(sqlite_engine) as session, pytest.raises(MasterDataError) as raised:
        master_data.import_vendors(session, path=path)
    assert problem in str(raised.value)
    assert "nothing imported" in str(raised.value)
    with Session(sqlite_engine) as session:
        assert session.exec(select(Vendor)).all() == []
        assert not StoreHistory(session).has_vendors()


def test_orders_and_receipts_give_each_line_its_received_quantity(
    engine: Engine, tmp_path: Path
) -> None:
    import_all(engine, tmp_path)
    with Session(engine) as session:
        store = StoreHistory(session)
        assert store.has_orders()
        order = store.purchase_order("PO88123")
        assert store.purchase_order("PO404") is None
        single = store.purchase_order("PO2")
    assert order is not None and single is not None
    assert (order.po_number, order.vendor_id, order.currency) == ("PO-88123", "SUP-001", "EUR")
    assert [(line.line, line.quantity, line.unit_price, line.received) for line in order.lines] == [
        (1, Decimal("2.5"), Decimal(100), Decimal("2.5")),
        (2, Decimal(1), Decimal("1000.50"), Decimal(1)),
    ]
    assert order.amount == Decimal("1250.50")
    assert [(line.line, line.received) for line in single.lines] == [(1, Decimal(0))]


def test_reimports_replace_order_lines_and_do_not_count_receipts_twice(
    engine: Engine, tmp_path: Path
) -> None:
    import_all(engine, tmp_path)
    with Session(engine) as session:
        again = master_data.import_receipts(session, path=write(tmp_path, "r.csv", RECEIPTS))
        assert (again.added, again.updated) == (0, 3)
        fewer = ORDERS.replace('PO-88123,SUP-001,EUR,2,Stylos,1,"1 000,50",01/11/2026\n', "")
        master_data.import_orders(session, path=write(tmp_path, "o2.csv", fewer))
        order = StoreHistory(session).purchase_order("PO88123")
        assert len(session.exec(select(PurchaseOrderLine)).all()) == 2
    assert order is not None
    assert [(line.line, line.received) for line in order.lines] == [(1, Decimal("2.5"))]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (ORDERS.replace(",2,Stylos", ",1,Stylos"), "PO PO-88123 line 1 appears twice"),
        (ORDERS.replace("PO-88123,SUP-001,EUR,2", "PO-88123,SUP-002,EUR,2"),
         "another vendor_id or currency"),
        (ORDERS.replace('"2,5"', "deux"), "'deux' is not a number"),
        (ORDERS.replace('"2,5"', "0"), "quantity must be positive"),
        (ORDERS.replace("01/11/2026", "2026-13-01"), "is not a date"),
    ],
)  # fmt: skip
def test_a_wrong_order_file_imports_nothing(
    sqlite_engine: Engine, tmp_path: Path, text: str, problem: str
) -> None:
    with (
        Session(sqlite_engine) as session,
        pytest.raises(MasterDataError, match="nothing imported") as raised,
    ):
        master_data.import_orders(session, path=write(tmp_path, "o.csv", text))
    assert problem in str(raised.value)
    with Session(sqlite_engine) as session:
        assert not StoreHistory(session).has_orders()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (RECEIPTS.replace("po 88123", "PO-404"), "PO 'PO-404' is not on file"),
        (RECEIPTS.replace("PO-88123,2,1", "PO-88123,3,1"), "PO PO-88123 has no line 3"),
        (RECEIPTS.replace("GR-2", "GR-1").replace("2026-11-12,GR-1", "2026-11-10,GR-1"),
         "receipt GR-1 of PO PO-88123 line 1 appears twice"),
    ],
)  # fmt: skip
def test_a_wrong_receipt_file_imports_nothing(
    sqlite_engine: Engine, tmp_path: Path, text: str, problem: str
) -> None:
    with Session(sqlite_engine) as session:
        master_data.import_orders(session, path=write(tmp_path, "o.csv", ORDERS))
        with pytest.raises(MasterDataError) as raised:
            master_data.import_receipts(session, path=write(tmp_path, "r.csv", text))
    assert problem in str(raised.value)


def test_unreadable_and_empty_files(tmp_path: Path, sqlite_engine: Engine) -> None:
    (tmp_path / "latin1.csv").write_bytes("name\nSoci\xe9t\xe9\n".encode("latin-1"))
    with Session(sqlite_engine) as session:
        with pytest.raises(MasterDataError, match="not UTF-8"):
            master_data.import_vendors(session, path=tmp_path / "latin1.csv")
        with pytest.raises(MasterDataError, match="empty"):
            master_data.import_vendors(session, path=write(tmp_path, "e.csv", ""))
        with pytest.raises(MasterDataError, match="no data rows"):
            master_data.import_vendors(session, path=write(tmp_path, "h.csv", "name\n\n"))
        with pytest.raises(MasterDataError, match="cannot read"):
            master_data.import_vendors(session, path=tmp_path / "absent.csv")


def store_invoice(
    session: Session, name: str, *, number: str, gross: str, day: date, po: str | None = None
) -> int:
    claim = claim_document(
        session, sha256=name * 8, source=name, file_name=name, size_bytes=1, batch_id=None,
        stale_after=timedelta(hours=1),
    )  # fmt: skip
    fields = InvoiceFields(
        invoice_number=number,
        invoice_date=day,
        seller_vat_id="FR44732829320",
        total_net=Decimal(gross) / Decimal("1.2"),
        total_gross=Decimal(gross),
        po_number=po,
    )
    extraction = Extraction(source=name, sha256=name * 8, fields=fields)
    record_invoice(
        session, document_id=claim.document_id, extraction=extraction,
        status=InvoiceStatus.APPROVED, results=[], archived_path="", seconds=0.0,
    )  # fmt: skip
    return claim.document_id


def test_same_seller_and_gross_within_the_window(engine: Engine) -> None:
    seller = "vat:FR44732829320"
    with Session(engine) as session:
        first = store_invoice(
            session, "aaaaaaaa", number="F-1", gross="120.00", day=date(2026, 3, 10)
        )
        store_invoice(session, "bbbbbbbb", number="F-2", gross="120.00", day=date(2026, 5, 10))
        store_invoice(session, "cccccccc", number="F-3", gross="99.00", day=date(2026, 3, 10))

        def found(**changes: object) -> list[str]:
            query = {
                "seller_key": seller, "total_gross": Decimal("120.00"),
                "first_date": date(2026, 3, 5), "last_date": date(2026, 3, 15),
                "exclude_number_key": None, "exclude_document_id": None,
            } | changes  # fmt: skip
            return [p.source for p in same_seller_and_gross(session, **query)]  # type: ignore[arg-type]

        assert found() == ["aaaaaaaa"]
        assert found(exclude_number_key="F1") == []
        assert found(exclude_number_key="F9") == ["aaaaaaaa"]
        assert found(exclude_document_id=first) == []
        assert found(total_gross=Decimal("120.01")) == []
        assert found(seller_key="vat:FR50464556810") == []


def test_net_invoiced_on_an_order(engine: Engine) -> None:
    with Session(engine) as session:
        store_invoice(session, "aaaaaaaa", number="F-1", gross="120.00", day=date(2026, 3, 10),
                      po="PO-1")  # fmt: skip
        store_invoice(session, "bbbbbbbb", number="F-2", gross="240.00", day=date(2026, 3, 11),
                      po="PO 1")  # fmt: skip
        store_invoice(session, "cccccccc", number="F-3", gross="60.00", day=date(2026, 3, 12),
                      po="PO-2")  # fmt: skip

        def net(po_numbers: list[str], exclude: str | None = None) -> Decimal:
            return net_invoiced_on_order(
                session, po_numbers=po_numbers, exclude_number_key=exclude,
                exclude_document_id=None,
            )  # fmt: skip

        assert net(["PO-1", "PO 1"]) == Decimal("300.00")
        assert net(["PO-1", "PO 1"], exclude="F2") == Decimal("100.00")
        assert net(["PO-404"]) == Decimal(0)


@pytest.mark.parametrize(
    ("statement", "index", "parameters"),
    [
        (SAME_SELLER_AND_NUMBER, "ix_invoice_seller_number",
         {"seller_key": "vat:X", "invoice_number_key": "F1", "exclude_document_id": -1}),
        (SAME_SELLER_AND_GROSS, "ix_invoice_seller_gross_date",
         {"seller_key": "vat:X", "total_gross": Decimal(1), "first_date": date(2026, 1, 1),
          "last_date": date(2026, 1, 9), "exclude_number_key": "#", "exclude_document_id": -1}),
    ],
)  # fmt: skip
def test_duplicate_look_ups_use_their_index(
    tmp_path: Path, statement: object, index: str, parameters: dict[str, object]
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    init_store(engine)
    compiled = statement.compile(engine)  # type: ignore[attr-defined]
    values = compiled.construct_params(parameters)
    positional = [
        float(value) if isinstance(value, Decimal) else value
        for value in (values[name] for name in compiled.positiontup)
    ]
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", tuple(positional))
        details = " ".join(str(row[-1]) for row in plan)
    assert f"USING INDEX {index}" in details


@pytest.mark.postgres
def test_prefetch_answers_the_rules_look_ups_in_one_round_trip(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = make_engine(postgres_url)
    init_store(engine)
    try:
        import_all(engine, tmp_path)
        with Session(engine) as session:
            store_invoice(session, "aaaaaaaa", number="F-1", gross="120.00", day=date(2026, 3, 10))
        invoice = Extraction(
            source="b.pdf",
            sha256="b" * 64,
            fields=InvoiceFields(
                invoice_number="F 1",
                invoice_date=date(2026, 3, 12),
                seller_name="ACME Fournitures SAS",
                seller_vat_id="FR44732829320",
                total_net=Decimal("100.00"),
                total_tax=Decimal("20.00"),
                total_gross=Decimal("120.00"),
                po_number="PO-88123",
            ),
        )
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        with Session(engine) as session:
            session.connection()
            statements.clear()
            store = StoreHistory(session)
            prefetched = validate(invoice, history=store, master=store)
            after_prefetch = list(statements)
            statements.clear()
            lazy = run_rules(RuleContext(extraction=invoice, history=StoreHistory(session),
                                         master=StoreHistory(session)))  # fmt: skip
        assert prefetched == lazy
        assert len(statements) >= 5  # the same look-ups one by one
        # Only the PO's invoiced total (its PO number comes from the PO found) is left.
        assert len(after_prefetch) == 1 and "sum(" in after_prefetch[0]
        assert "invoice.total_net" in after_prefetch[0]
        rules = {result.rule: result for result in prefetched}
        assert not rules["DUPLICATE-INVOICE-NUMBER"].passed
        assert rules["VENDOR-UNKNOWN"].passed and rules["PO-UNKNOWN"].passed
    finally:
        SQLModel.metadata.drop_all(engine)
        engine.dispose()
