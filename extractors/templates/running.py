"""Applying templates to a document: the one whose keywords match, its fields read from
the text, coerced and mapped to the contract's fields with confidences.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from extractors.base import DocumentKind, ExtractOptions, PageWords, SourceDocument
from extractors.normalize import compact_identifier, parse_amount, parse_currency, parse_date
from extractors.templates.spec import (
    AMBIGUOUS_CONFIDENCE,
    CONTRACT_FIELDS,
    GIVEN_CONFIDENCE,
    IDENTIFIER_FIELDS,
    INCOMPLETE_CONFIDENCE,
    LAYOUT_MODULES,
    NUMBER_TOKEN,
    READ_CONFIDENCE,
    LegacyField,
    LinesField,
    RegexField,
    StaticField,
    TableSpec,
    Template,
    TemplateOptions,
    TemplateSet,
    load_templates,
)
from extractors.templates.texts import DocumentTexts, pdfium_text
from invoicebot.model import DATE_FIELDS, DocumentError, Extraction, InvoiceFields, Method

logger = logging.getLogger(__name__)


@dataclass
class _Reading:
    """invoice2data-named values a template read, with each one's confidence."""

    values: dict[str, Any] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)

    def put(self, name: str, value: Any, confidence: float) -> None:
        if value is None or value == "" or value == []:
            return
        self.values[name] = value
        self.confidence[name] = confidence


@dataclass(frozen=True)
class TemplateMatch:
    """The template that applied to a document and the contract fields it read."""

    template: Template
    fields: dict[str, Any]
    confidence: dict[str, float]
    complete: bool


def apply_templates(
    document: SourceDocument, extraction: Extraction, options: ExtractOptions
) -> Extraction:
    """Return ``extraction`` with the fields of the supplier template that matches the document
    put over the generic ones; unchanged when no template matches or none is configured.

    Raises ``TemplateError`` when the templates folder is invalid (a setup problem).
    """
    if options.templates_dir is None or extraction.method not in (Method.TEXT, Method.OCR):
        return extraction
    templates = load_templates(options.templates_dir)
    try:
        found = match_document(document, templates, options, page_words=extraction.page_words)
    except DocumentError as error:  # out of time reading it: keep the generic reading
        logger.warning("%s: supplier templates not tried: %s", document.source, error.reason)
        return extraction
    if found is None:
        return extraction
    logger.info(
        "%s: template %s read %s",
        document.source,
        found.template.template_name,
        ", ".join(sorted(found.fields)) or "nothing",
    )
    values = extraction.fields.model_dump()
    values.update(found.fields)
    confidence = {**extraction.confidence, **found.confidence}
    # A template reads text patterns, not positions: its fields have no box.
    boxes = extraction.boxes and extraction.boxes.without(
        sorted(found.fields), f"read by the supplier template {found.template.template_name}"
    )
    return extraction.model_copy(
        update={
            "fields": InvoiceFields.model_validate(values),
            "confidence": confidence,
            "boxes": boxes,
        }
    )


def match_document(
    document: SourceDocument,
    templates: TemplateSet,
    options: ExtractOptions,
    *,
    page_words: Sequence[PageWords] = (),
) -> TemplateMatch | None:
    """Return what the first template matching one of the document's texts reads, preferring
    a text on which the template finds all its required fields (invoice2data's cascade).

    ``page_words`` are the words the extractor already read: a scan's text is laid out from
    them rather than OCR'd again (none given: the pages are OCR'd here).

    Unlike invoice2data, a PDF whose PDFium text no template matches is not laid out again to
    try once more: that costs a pdfminer pass (0.5 s a page) on every document of a supplier
    without a template, for keywords that rarely depend on the layout.
    """
    texts = DocumentTexts(document, options, page_words)
    best: TemplateMatch | None = None
    for backend in texts.backends():
        text = texts.text(backend)
        template = templates.match(text)
        if template is None:
            break
        if backend == "pdfium" and template.input_module in LAYOUT_MODULES:
            # Written for a laid-out text: use one when the keywords still match on it.
            laid_out = texts.text("layout")
            layout_template = templates.match(laid_out)
            if layout_template is not None:
                backend, text, template = "layout", laid_out, layout_template
        found = run_template(template, text, document=document)
        if found.complete:
            return found
        logger.info(
            "%s: template %s misses required fields on the %s text",
            document.source,
            template.template_name,
            backend,
        )
        if best is None or len(found.fields) > len(best.fields):
            best = found
    return best


def run_template(
    template: Template, text: str, *, document: SourceDocument | None = None
) -> TemplateMatch:
    """Return the contract fields ``template`` reads from the document ``text``."""
    prepared = prepare_text(template.options, text)
    reading = _Reading()
    reading.put("issuer", template.issuer, GIVEN_CONFIDENCE)
    for name, spec in template.fields.items():
        if isinstance(spec, LinesField):
            continue
        if isinstance(spec, StaticField):
            value: Any = spec.value
            if spec.type is not None and isinstance(value, str):
                value = _coerce(template, value, spec.type)
            reading.put(name.removeprefix("static_"), value, GIVEN_CONFIDENCE)
        elif isinstance(spec, RegexField):
            source = prepared
            if spec.area is not None and document is not None:
                source = (
                    pdfium_text(document.data, spec.area)
                    if document.kind is DocumentKind.PDF
                    else prepared
                )
            _read_regex_field(template, name, spec, source, reading)
        else:
            _read_legacy_field(template, name, spec, prepared, reading)
    if "currency" not in reading.values and template.options.currency:
        reading.put("currency", template.options.currency, GIVEN_CONFIDENCE)
    for table in template.tables:
        _read_table(template, table, prepared, reading)
    complete = all(name in reading.values for name in template.required_fields)
    fields, confidence = _contract_fields(reading)
    if not complete:
        confidence = {name: min(value, INCOMPLETE_CONFIDENCE) for name, value in confidence.items()}
    return TemplateMatch(template=template, fields=fields, confidence=confidence, complete=complete)


def prepare_text(options: TemplateOptions, text: str) -> str:
    """Return ``text`` transformed as the template's options say, before regexes run."""
    if options.remove_whitespace:
        text = re.sub(" +", "", text)
    if options.remove_accents:
        text = re.sub("[\u0300-\u0362]", "", unicodedata.normalize("NFKD", text))
    if options.lowercase:
        text = text.lower()
    for pattern, replacement in options.replace:
        text = re.sub(pattern, replacement, text)
    return text


def _read_legacy_field(
    template: Template, name: str, spec: LegacyField, text: str, reading: _Reading
) -> None:
    """Read a ``field: regex`` field, typed by its name as invoice2data does."""
    regexes = spec.regex
    kind: Literal["float", "date"] | None = None
    group: Literal["sum"] | None = None
    if name.startswith("sum_amount") and len(regexes) > 1:
        name, kind, group = name[4:], "float", "sum"
    elif name.startswith("date") or name.endswith("date"):
        kind = "date"
    elif name.startswith("amount"):
        kind = "float"
    settings = RegexField(parser="regex", regex=regexes, type=kind, group=group)
    _read_regex_field(template, name, settings, text, reading)


def _read_regex_field(
    template: Template, name: str, spec: RegexField, text: str, reading: _Reading
) -> None:
    matches: list[str] = []
    for regex in spec.regex:
        found = re.findall(regex, text)
        if any(isinstance(match, tuple) for match in found):
            return  # several capturing groups: invoice2data reads nothing either
        matches.extend(found)
    for pattern, replacement in spec.replace:
        matches = [re.sub(pattern, replacement, match) for match in matches]
    if spec.extract_number:
        matches = [_first_number(match) for match in matches]
    values = [_coerce(template, match, spec.type) for match in matches]
    if spec.type is not None and any(value is None for value in values):
        logger.info("%s: field %s: unreadable value in %s", template.path, name, matches)
    present = [value for value in values if value is not None and value != ""]
    if not present:
        return
    if spec.group is not None:
        reading.put(name, _grouped(spec.group, present), READ_CONFIDENCE)
        return
    distinct = list(dict.fromkeys(present))
    # invoice2data gives a list for several different values; one is taken, doubtfully.
    reading.put(name, distinct[0], READ_CONFIDENCE if len(distinct) == 1 else AMBIGUOUS_CONFIDENCE)


def _first_number(value: str) -> str:
    match = NUMBER_TOKEN.search(value)
    return match.group() if match else value


def _grouped(group: str, values: list[Any]) -> Any:
    """Return the values combined as invoice2data's ``group`` says."""
    if group == "join":
        return " ".join(str(value) for value in values)
    if group == "first":
        return values[0]
    if group == "last":
        return values[-1]
    numbers = [value for value in values if isinstance(value, Decimal | int)]
    dates = [value for value in values if isinstance(value, dt.date)]
    if group == "sum":
        return sum(numbers) if numbers else values[0]
    pick = min if group == "min" else max
    if numbers:
        return pick(numbers)
    return pick(dates) if dates else values[0]


def _coerce(template: Template, value: str, kind: str | None) -> Any:
    """Return ``value`` as the type asked, or None when it is not one."""
    if kind is None:
        return value.strip()
    if kind in ("float", "int"):
        number = parse_template_number(value, template.options.decimal_separator)
        return number if number is None or kind == "float" else int(number)
    return parse_template_date(value, template.options)


def parse_template_number(value: str, decimal_separator: str = ".") -> Decimal | None:
    """Return the number in ``value`` read with the template's decimal separator, falling back
    on the project's amount parser (``1 234,56 €``); None when it is not a number."""
    text = value.strip()
    if not text:
        return None
    thousands = "," if decimal_separator == "." else "."
    if text.count(decimal_separator) < 2:
        plain = re.sub(r"[\s']", "", text.replace(thousands, "")).replace(decimal_separator, ".")
        try:
            return Decimal(plain)
        except InvalidOperation:
            pass
    return parse_amount(text)


def parse_template_date(value: str, options: TemplateOptions) -> dt.date | None:
    """Return the date in ``value``: the template's ``date_formats`` first, then the project's
    date parser in the template's languages."""
    text = value.strip()
    for date_format in options.date_formats:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    squeezed = " ".join(text.split())
    if options.languages:
        return parse_date(squeezed, options.languages)
    return parse_date(squeezed)


def _read_table(template: Template, table: TableSpec, text: str, reading: _Reading) -> None:
    """Read invoice2data's ``tables`` plugin: named groups of ``body`` become fields."""
    start = re.search(table.start, text)
    end = re.search(table.end, text)
    if start is None or end is None:
        return
    found: dict[str, list[Any]] = {}
    for line in re.split(table.line_separator, text[start.end() : end.start()]):
        if not line.strip():
            continue
        match = re.search(table.body, line)
        if match is None:
            continue
        for name, raw in match.groupdict().items():
            if raw is None:
                continue
            kind: str | None = table.types.get(name) or table.fields.get(name, {}).get("type")
            if name.startswith("date") or name.endswith("date"):
                kind = "date"
            elif name.startswith("amount"):
                kind = "float"
            value = _coerce(template, raw, kind)
            if value is not None:
                found.setdefault(name, []).append(value)
    for name, values in found.items():
        group = table.fields.get(name, {}).get("group")
        value = _grouped(str(group), values) if group else values[0]
        reading.put(name, value, READ_CONFIDENCE if len(values) == 1 else AMBIGUOUS_CONFIDENCE)


def _contract_fields(reading: _Reading) -> tuple[dict[str, Any], dict[str, float]]:
    """Return the contract fields a template's reading gives, typed, and their confidence."""
    fields: dict[str, Any] = {}
    confidence: dict[str, float] = {}
    for contract_name, names in CONTRACT_FIELDS.items():
        for name in names:
            if name not in reading.values:
                continue
            value = _contract_value(contract_name, reading.values[name])
            if value is not None:
                fields[contract_name] = value
                confidence[contract_name] = reading.confidence[name]
                break
    return fields, confidence


def _contract_value(name: str, value: Any) -> Any:
    """Return ``value`` as field ``name`` of the contract holds it, or None if it cannot."""
    if name in DATE_FIELDS:
        if isinstance(value, dt.datetime):
            return value.date()
        return value if isinstance(value, dt.date) else None
    if name in ("total_net", "total_tax", "total_gross"):
        if isinstance(value, Decimal | int):
            return Decimal(value)
        return parse_template_number(str(value))
    text = " ".join(str(value).split())
    if not text:
        return None
    if name == "currency":
        code = parse_currency(text) or text.upper()
        return code if re.fullmatch(r"[A-Z]{3}", code) else None
    if name in IDENTIFIER_FIELDS:
        return compact_identifier(text)
    return text
