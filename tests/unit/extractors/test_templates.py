"""Supplier templates in invoice2data's format: loading, matching and overriding fields."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from extractors import extract_document, ocr_reading
from extractors import ocr as ocr_module
from extractors.base import Deadline, ExtractOptions, PageWords, Word
from extractors.templates import (
    GIVEN_CONFIDENCE,
    INCOMPLETE_CONFIDENCE,
    READ_CONFIDENCE,
    LegacyField,
    RegexField,
    StaticField,
    TemplateError,
    layout_text_of_words,
    load_template,
    load_templates,
    parse_template_number,
    prepare_text,
    run_template,
)
from invoicebot.cli import app
from invoicebot.model import Extraction, Method
from tests.unit.extractors.test_text_layer import make_pdf, render_page

ACME_LINES = [
    "ACME Industrial Supplies Ltd",
    "INVOICE",
    "Ref. ACM-2026/0042",
    "Issued on 02.03.2026",
    "Payable by 01.04.2026",
    "VAT no: GB 123 4567 89",
    "Subtotal 1.234,56",
    "VAT 246,91",
    "Grand total 1.481,47 EUR",
]

ACME_TEMPLATE = r"""
issuer: ACME Industrial Supplies
keywords:
  - ACME Industrial
  - INVOICE
fields:
  invoice_number: Ref\.\s+(ACM-\S+)
  date: Issued on\s+(\d{2}\.\d{2}\.\d{4})
  date_due:
    parser: regex
    regex: Payable by\s+(\S+)
    type: date
  amount: Grand total\s+([\d.,]+)
  amount_untaxed:
    parser: regex
    regex: Subtotal\s+([\d.,]+)
    type: float
  amount_tax:
    parser: regex
    regex: VAT\s+([\d.,]+)
    type: float
  static_vat: GB123456789
  partner_name:
    parser: static
    value: ACME Industrial Supplies Ltd
options:
  currency: GBP
  decimal_separator: ","
  date_formats:
    - "%d.%m.%Y"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def pdf_document(tmp_path: Path, lines: list[str], name: str = "invoice.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(make_pdf([lines], font_size=10))
    return path


# --- loading -----------------------------------------------------------------------------------


def test_a_valid_template_loads_with_both_field_forms(tmp_path: Path) -> None:
    template = load_template(write(tmp_path, "acme.yml", ACME_TEMPLATE))
    assert template.issuer == "ACME Industrial Supplies"
    assert template.priority == 5
    assert template.options.decimal_separator == ","
    assert template.options.currency == "GBP"
    assert isinstance(template.fields["invoice_number"], LegacyField)
    assert isinstance(template.fields["date_due"], RegexField)
    assert isinstance(template.fields["static_vat"], StaticField)
    assert template.required_fields == ["date", "amount", "invoice_number", "issuer"]
    assert template.warnings == ()


def test_a_json_template_and_a_lone_keyword_load(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"keywords": "Globex", "fields": {"amount": r"Total (\d+)"}}))
    template = load_template(path)
    assert template.keywords == ["Globex"]
    assert template.issuer == "Globex"  # invoice2data's default: the first keyword


def test_a_misspelled_key_is_an_error_naming_file_key_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yml", "keywords: [A]\nfields: {amount: x}\noptons: {}\n")
    with pytest.raises(TemplateError) as raised:
        load_template(path)
    assert raised.value.path == path
    assert "optons: unknown key (did you mean 'options'?)" in raised.value.reason
    assert str(path) in str(raised.value)


def test_an_unknown_key_inside_a_field_or_the_options_is_an_error(tmp_path: Path) -> None:
    field_path = write(
        tmp_path, "f.yml", "keywords: [A]\nfields:\n  amount: {parser: regex, regx: 'T (\\d+)'}\n"
    )
    with pytest.raises(TemplateError, match=r"fields\.amount\.regx: unknown key"):
        load_template(field_path)
    options_path = write(
        tmp_path, "o.yml", "keywords: [A]\nfields: {amount: x}\noptions: {decimal_seperator: ','}\n"
    )
    with pytest.raises(TemplateError, match=r"options\.decimal_seperator: unknown key"):
        load_template(options_path)


def test_a_regex_that_does_not_compile_is_an_error_naming_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "r.yml", "keywords: [A]\nfields:\n  amount: Total (\\d+\n")
    with pytest.raises(TemplateError, match=r"fields\.amount\.regex: .*bad regex 'Total"):
        load_template(path)


def test_an_unknown_parser_and_a_bad_option_value_are_errors(tmp_path: Path) -> None:
    parser = write(tmp_path, "p.yml", "keywords: [A]\nfields: {amount: {parser: regexp}}\n")
    with pytest.raises(TemplateError, match="'regexp' is not one of"):
        load_template(parser)
    language = write(
        tmp_path, "l.yml", "keywords: [A]\nfields: {amount: x}\noptions: {languages: [fra]}\n"
    )
    with pytest.raises(TemplateError, match="two-letter code"):
        load_template(language)


def test_bad_yaml_and_a_template_that_is_not_a_mapping_are_errors(tmp_path: Path) -> None:
    broken = write(tmp_path, "y.yml", "keywords: [A\nfields: {}\n")
    with pytest.raises(TemplateError, match="not valid YAML"):
        load_template(broken)
    listed = write(tmp_path, "l.yml", "- keywords: [A]\n")
    with pytest.raises(TemplateError, match="a template is a mapping"):
        load_template(listed)


def test_missing_keywords_or_fields_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "k.yml", "issuer: A\nfields: {amount: x}\n")
    with pytest.raises(TemplateError, match="keywords: Field required"):
        load_template(path)


def test_a_field_indented_at_the_wrong_level_is_a_warning_as_invoice2data_ignores_it(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "w.yml",
        """\
        keywords: [A]
        fields:
          partner_street:
            parser: static
            value: Main Street 1
            partner_email:
          amount: x
        country_code: US
        """,
    )
    template = load_template(path)
    assert len(template.warnings) == 2
    assert "'country_code' is a field set outside 'fields'" in template.warnings[0]


def test_a_folder_loads_once_per_content_in_priority_then_path_order(tmp_path: Path) -> None:
    write(tmp_path, "b.yml", "keywords: [B]\nfields: {amount: x}\n")
    write(tmp_path, "sub/a.yml", "keywords: [A]\nfields: {amount: x}\n")
    write(tmp_path, "c.yml", "keywords: [C]\nfields: {amount: x}\npriority: 9\n")
    write(tmp_path, "notes.txt", "not a template")
    first = load_templates(tmp_path)
    assert [t.keywords[0] for t in first.templates] == ["C", "B", "A"]
    assert load_templates(tmp_path) is first
    write(tmp_path, "b.yml", "keywords: [B2]\nfields: {amount: x}\n")
    assert [t.keywords[0] for t in load_templates(tmp_path).templates] == ["C", "B2", "A"]


def test_a_bad_template_in_a_folder_or_a_missing_folder_fails_the_load(tmp_path: Path) -> None:
    write(tmp_path, "good.yml", "keywords: [A]\nfields: {amount: x}\n")
    bad = write(tmp_path, "bad.yml", "keywords: [A]\nfields: {amount: '('}\n")
    with pytest.raises(TemplateError) as raised:
        load_templates(tmp_path)
    assert raised.value.path == bad
    with pytest.raises(TemplateError, match="not a folder"):
        load_templates(tmp_path / "missing")


# --- matching ----------------------------------------------------------------------------------


def test_all_keywords_must_match_and_no_exclude_keyword(tmp_path: Path) -> None:
    template = load_template(
        write(
            tmp_path,
            "t.yml",
            "keywords: [ACME, '(?i)invoice']\nexclude_keywords: Credit note\nfields: {amount: x}\n",
        )
    )
    assert template.matches("ACME ... Invoice")  # a keyword may be a regex
    assert not template.matches("ACME only")
    assert not template.matches("ACME Invoice Credit note")


def test_the_highest_priority_matching_template_wins(tmp_path: Path) -> None:
    write(tmp_path, "a_generic.yml", "keywords: [ACME]\nfields: {amount: x}\n")
    write(tmp_path, "b_special.yml", "keywords: [ACME]\nfields: {amount: x}\npriority: 6\n")
    write(tmp_path, "c_other.yml", "keywords: [Globex]\nfields: {amount: x}\npriority: 9\n")
    templates = load_templates(tmp_path)
    matched = templates.match("ACME invoice")
    assert matched is not None and matched.template_name == "b_special.yml"
    assert templates.match("Initech") is None


# --- reading and overriding --------------------------------------------------------------------


def test_a_matching_template_overrides_the_fields_it_defines(tmp_path: Path) -> None:
    templates_dir = tmp_path / "templates"
    write(templates_dir, "acme.yml", ACME_TEMPLATE)
    document = pdf_document(tmp_path, ACME_LINES)
    generic = extract_document(document, ExtractOptions())
    extraction = extract_document(document, ExtractOptions(templates_dir=templates_dir))
    assert extraction.method is Method.TEXT
    fields = extraction.fields
    assert fields.invoice_number == "ACM-2026/0042"
    assert fields.invoice_date == date(2026, 3, 2)
    assert fields.due_date == date(2026, 4, 1)
    assert fields.total_gross == Decimal("1481.47")
    assert fields.total_net == Decimal("1234.56")
    assert fields.total_tax == Decimal("246.91")
    assert fields.currency == "GBP"  # the template's option, over the EUR printed
    assert fields.seller_vat_id == "GB123456789"
    assert fields.seller_name == "ACME Industrial Supplies Ltd"
    assert extraction.confidence["total_gross"] == READ_CONFIDENCE
    assert extraction.confidence["seller_name"] == GIVEN_CONFIDENCE
    # A field the template does not define keeps the generic reading.
    assert fields.buyer_name == generic.fields.buyer_name
    assert extraction.lines == generic.lines


def test_a_template_applies_to_a_scan_on_its_ocr_text(tmp_path: Path) -> None:
    templates_dir = tmp_path / "templates"
    write(templates_dir, "acme.yml", ACME_TEMPLATE)
    scan = tmp_path / "scan.png"
    render_page(make_pdf([ACME_LINES], font_size=12), dpi=200).save(scan)
    extraction = extract_document(scan, ExtractOptions(templates_dir=templates_dir))
    assert extraction.method is Method.OCR
    assert extraction.fields.invoice_number == "ACM-2026/0042"
    assert extraction.fields.total_gross == Decimal("1481.47")
    assert extraction.fields.currency == "GBP"


class CountingEngine:
    """Tesseract, counting the page images it is asked to read."""

    def __init__(self, engine: ocr_module.TesseractEngine) -> None:
        self.engine = engine
        self.name = engine.name
        self.calls = 0

    def available(self) -> bool:
        return self.engine.available()

    def read_words(self, image: Image.Image, languages: str, deadline: Deadline) -> list[Word]:
        self.calls += 1
        return self.engine.read_words(image, languages, deadline)

    def __getattr__(self, name: str) -> object:
        # The rest is tesseract's own: its in-process API reads the names' lines again.
        return getattr(self.engine, name)


def test_a_scan_with_templates_is_ocred_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    templates_dir = tmp_path / "templates"
    write(templates_dir, "acme.yml", ACME_TEMPLATE)
    scan = tmp_path / "scan.png"
    render_page(make_pdf([ACME_LINES], font_size=12), dpi=200).save(scan)
    engine = CountingEngine(ocr_module.TESSERACT)
    monkeypatch.setattr(ocr_module, "TESSERACT", engine)
    # The second engine reads only poorly read scans; here it would only add calls of its own.
    monkeypatch.setattr(ocr_reading, "SECOND_ENGINE", None)
    extraction = extract_document(scan, ExtractOptions(templates_dir=templates_dir))
    assert engine.calls == 1  # the template read the extractor's words, not a second OCR
    assert extraction.fields.invoice_number == "ACM-2026/0042"
    assert extraction.fields.currency == "GBP"
    # The words stay inside the cascade: not in the result, nor in its contract JSON.
    assert extraction.page_words == ()


def test_page_words_are_never_dumped() -> None:
    page = PageWords(number=1, width=100, height=100, method="ocr", words=[])
    bare = Extraction(source="a.png", sha256="0" * 64)
    carrying = bare.with_page_words([page])
    assert carrying.page_words == (page,)
    assert bare.page_words == ()
    assert carrying.to_contract() == bare.to_contract()
    assert carrying.model_dump_json() == bare.model_dump_json()


def test_a_template_whose_keywords_do_not_match_changes_nothing(tmp_path: Path) -> None:
    templates_dir = tmp_path / "templates"
    write(templates_dir, "globex.yml", "keywords: [Globex]\nfields: {amount: 'Total (\\d+)'}\n")
    document = pdf_document(tmp_path, ACME_LINES)
    assert extract_document(document, ExtractOptions(templates_dir=templates_dir)) == (
        extract_document(document, ExtractOptions())
    )


def test_a_template_missing_a_required_field_is_applied_with_low_confidence(
    tmp_path: Path,
) -> None:
    templates_dir = tmp_path / "templates"
    write(
        templates_dir,
        "acme.yml",
        "keywords: [ACME]\nfields:\n  amount: Grand total\\s+([\\d.,]+)\n  date: Nowhere (\\d+)\n"
        "options: {decimal_separator: ','}\n",
    )
    extraction = extract_document(
        pdf_document(tmp_path, ACME_LINES), ExtractOptions(templates_dir=templates_dir)
    )
    assert extraction.fields.total_gross == Decimal("1481.47")
    assert extraction.confidence["total_gross"] == INCOMPLETE_CONFIDENCE


def test_groups_types_replace_and_text_options(tmp_path: Path) -> None:
    template = load_template(
        write(
            tmp_path,
            "t.yml",
            r"""
            keywords: [Shop]
            fields:
              amount:
                parser: regex
                regex: ['Item\s+([\d.]+)', 'Fee\s+([\d.]+)']
                type: float
                group: sum
              invoice_number:
                parser: regex
                regex: No\s+(\S+)
                replace: ['\W+', '']
                group: last
              date:
                parser: regex
                regex: Date\s+(\S+ \S+ \S+)
                type: date
              sum_amount_tax: ['Tax A\s+([\d.]+)', 'Tax B\s+([\d.]+)']
            options:
              lowercase: false
              replace: [['Fee:', 'Fee']]
              languages: [fr]
            """,
        )
    )
    text = "Shop\nNo A-1\nNo B.2\nItem 10.50\nItem 2.25\nFee: 1.00\nDate 2 mars 2026\n"
    text += "Tax A 1.10\nTax B 0.40\n"
    found = run_template(template, text)
    assert found.complete
    assert found.fields["total_gross"] == Decimal("13.75")
    assert found.fields["invoice_number"] == "B2"
    assert found.fields["invoice_date"] == date(2026, 3, 2)
    assert found.fields["total_tax"] == Decimal("1.50")
    assert found.fields["seller_name"] == "Shop"


def test_several_different_values_take_the_first_doubtfully(tmp_path: Path) -> None:
    template = load_template(
        write(tmp_path, "t.yml", "keywords: [S]\nfields: {invoice_number: 'No (\\S+)'}\n")
    )
    found = run_template(template, "S No 1 No 2 No 1")
    assert found.fields["invoice_number"] == "1"
    assert found.confidence["invoice_number"] < READ_CONFIDENCE


def test_prepare_text_applies_the_options_in_invoice2data_order(tmp_path: Path) -> None:
    template = load_template(
        write(
            tmp_path,
            "t.yml",
            "keywords: [A]\nfields: {amount: x}\noptions:\n  remove_whitespace: true\n"
            "  remove_accents: true\n  lowercase: true\n  replace: ['total', 'sum']\n",
        )
    )
    assert prepare_text(template.options, "Total  Été 12") == "sumete12"


@pytest.mark.parametrize(
    ("text", "separator", "expected"),
    [
        ("1.234,56", ",", "1234.56"),
        ("1,234.56", ".", "1234.56"),
        ("1 234,56", ",", "1234.56"),
        ("12", ".", "12"),
        ("€ 12,00", ",", "12.00"),
        ("-4.11", ".", "-4.11"),
        ("n/a", ".", None),
    ],
)
def test_numbers_are_read_with_the_template_separator(
    text: str, separator: str, expected: str | None
) -> None:
    value = parse_template_number(text, separator)
    assert value == (None if expected is None else Decimal(expected))


def test_layout_text_of_words_keeps_rows_and_columns() -> None:
    words = [
        Word(text="Total", x0=10, top=100, x1=60, bottom=110),
        Word(text="12.00", x0=300, top=101, x1=350, bottom=111),
        Word(text="Invoice", x0=10, top=50, x1=80, bottom=60),
    ]
    page = PageWords(number=1, width=600, height=800, method="ocr", words=words)
    lines = layout_text_of_words([page]).splitlines()
    assert lines[0].strip() == "Invoice"
    assert lines[1].split() == ["Total", "12.00"]
    assert "    " in lines[1]


def test_cli_extract_applies_templates_and_rejects_a_bad_one(tmp_path: Path) -> None:
    templates_dir = tmp_path / "templates"
    write(templates_dir, "acme.yml", ACME_TEMPLATE)
    document = pdf_document(tmp_path, ACME_LINES)
    runner = CliRunner()
    result = runner.invoke(
        app, ["extract", str(document), "--json", "--templates", str(templates_dir)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["fields"]["invoice_number"] == "ACM-2026/0042"
    write(templates_dir, "bad.yml", "keywords: [A]\nfields: {amount: '('}\n")
    result = runner.invoke(app, ["extract", str(document), "--templates", str(templates_dir)])
    assert result.exit_code == 2
    squeezed = "".join(result.output.replace("│", "").split())  # rich wraps the message
    assert "bad.yml" in squeezed and "badregex" in squeezed
