"""Generate the sample invoice set: realistic invoices beside the extraction they should give.

Each document ``X.pdf`` / ``X.png`` / ``X.jpg`` is written with ``X.json``: the contract's
extraction shape holding what is *printed* on the page, plus ``kind`` (``text-pdf``,
``scanned-pdf``, ``image`` or ``facturx``), ``faults`` (the validation rules that must fail
on that invoice) and, for a resubmitted duplicate, ``duplicate_of``.

Everything is drawn from ``random.Random(seed)``, reportlab runs in invariant mode and the
factur-x clock is frozen, so the same seed gives byte-identical files.

    python -m samples.invoices.generate --out samples/invoices --count 40 --seed 2026

The modules, bottom up: ``kinds`` (document kinds and faults), ``identifiers`` (numbers with
their check digits), ``parties`` (sellers, buyers and their catalogues), ``invoices`` (an
invoice and its arithmetic), ``formats`` (dates, amounts and legal mentions as each layout
prints them), ``sheet`` (the drawing toolkit), ``layouts_fr`` and ``layouts_en_de`` (the six
layouts), ``pdf`` (a text PDF), ``facturx`` (the CII XML embedded), ``scans`` (scans and
photos), ``planning`` (which documents the set holds) and ``writing`` (rendering, the master
data, the command line).
"""

from __future__ import annotations

from samples.invoices.generate.formats import ENGLISH_MONTHS, FRENCH_MONTHS
from samples.invoices.generate.identifiers import (
    BANKS,
    Bank,
    french_vat_id,
    make_be_vat_id,
    make_de_vat_id,
    make_gb_vat_id,
    make_iban,
    make_siret,
    random_digits,
)
from samples.invoices.generate.invoices import Invoice
from samples.invoices.generate.kinds import Fault, Kind, to_money
from samples.invoices.generate.parties import CATALOGUES, CatalogItem
from samples.invoices.generate.planning import DocumentPlan, plan_documents
from samples.invoices.generate.scans import ScanLook, degrade
from samples.invoices.generate.writing import (
    SAMPLES_REFERENCE_DATE,
    expected_extraction,
    generate,
    main,
    master_data,
    render_document,
    sample_record,
)

__all__ = [
    "BANKS",
    "CATALOGUES",
    "ENGLISH_MONTHS",
    "FRENCH_MONTHS",
    "SAMPLES_REFERENCE_DATE",
    "Bank",
    "CatalogItem",
    "DocumentPlan",
    "Fault",
    "Invoice",
    "Kind",
    "ScanLook",
    "degrade",
    "expected_extraction",
    "french_vat_id",
    "generate",
    "main",
    "make_be_vat_id",
    "make_de_vat_id",
    "make_gb_vat_id",
    "make_iban",
    "make_siret",
    "master_data",
    "plan_documents",
    "random_digits",
    "render_document",
    "sample_record",
    "to_money",
]
