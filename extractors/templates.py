"""Supplier templates in invoice2data's format, which override the generic field finder.

A template (``.yml``, ``.yaml`` or ``.json``, one per file, in a folder and its subfolders) names
its supplier (``issuer``), the ``keywords`` that must all appear in a document's text for it to
apply, and per-field regexes; see https://github.com/invoice-x/invoice2data. Both field forms
are read: the legacy ``field: regex`` (or a list of regexes; ``static_*`` for fixed values) and
``field: {parser: regex|static, regex, type, group, ...}``. Templates are validated when loaded:
an unknown key or a regex that does not compile raises ``TemplateError`` naming the file and key.

The semantics follow invoice2data 1.0: templates are tried by descending ``priority`` (default
5), then by path; keywords and exclude keywords are matched against the raw text (as a
substring, or as a regex as in invoice2data before 1.0); ``options`` transform the text before
the field regexes run; a template missing one of its ``required_fields`` is not trusted.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import json
import logging
import re
import statistics
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import pdfplumber
import pypdfium2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractors.base import (
    PDFIUM_LOCK,
    DocumentKind,
    ExtractOptions,
    PageWords,
    SourceDocument,
    Word,
)
from extractors.normalize import compact_identifier, parse_amount, parse_currency, parse_date
from extractors.ocr import load_image_pages, ocr_images, ocr_pdf_pages
from invoicebot.model import (
    DATE_FIELDS,
    DocumentError,
    Extraction,
    InvoiceError,
    InvoiceFields,
    Method,
)

__all__ = [
    "Template",
    "TemplateError",
    "TemplateSet",
    "apply_templates",
    "load_template",
    "load_templates",
]

logger = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".yml", ".yaml", ".json")

# Confidence of a value a template gives. A template is written by hand for one supplier's
# layout and only applies when that supplier's keywords are all in the text, so a value its
# anchored regex reads is more certain than one the generic finder picks among candidates
# (which tops out near 0.9)...
READ_CONFIDENCE = 0.95
# ...a value the author wrote down (``static``, ``issuer``, ``options.currency``) is right
# whenever the right template matched, but is not read from the page...
GIVEN_CONFIDENCE = 0.9
# ...a regex that found several different values, of which the first is taken, is a guess...
AMBIGUOUS_CONFIDENCE = 0.6
# ...and so is anything from a template that missed one of its own required fields: its
# regexes evidently do not fit this variant of the supplier's document.
INCOMPLETE_CONFIDENCE = 0.7

# invoice2data's output names -> the contract's fields, first name found wins.
CONTRACT_FIELDS: dict[str, tuple[str, ...]] = {
    "invoice_number": ("invoice_number",),
    "invoice_date": ("date",),
    "due_date": ("date_due",),
    "currency": ("currency",),
    "seller_name": ("partner_name", "issuer"),
    "seller_vat_id": ("vat", "vatin"),
    "seller_siret": ("siren",),
    "seller_iban": ("iban", "IBAN"),
    "buyer_vat_id": ("company_vat",),
    "po_number": ("purchase_order_id", "customer_order_number"),
    "total_net": ("amount_untaxed",),
    "total_tax": ("amount_tax",),
    "total_gross": ("amount",),
}
IDENTIFIER_FIELDS = frozenset({"seller_vat_id", "seller_siret", "seller_iban", "buyer_vat_id"})

# invoice2data's canonical output names (its extract/schema.py). One of these at the top of a
# template or among a field's settings is a field indented at the wrong level, which
# invoice2data ignores: a warning, not an error (its own namecheap template has two).
INVOICE2DATA_FIELDS = frozenset(
    {
        "issuer", "vat", "partner_name", "partner_street", "partner_street2", "partner_street3",
        "partner_city", "partner_zip", "country_code", "state_code", "partner_email",
        "partner_website", "telephone", "mobile", "partner_ref", "siren", "partner_coc",
        "company_vat", "amount", "amount_untaxed", "amount_tax", "date", "date_due",
        "date_start", "date_end", "invoice_number", "currency", "currency_symbol", "bic", "iban",
        "note", "narration", "payment_reference", "payment_unece_code", "incoterm", "mandate_id",
        "lines", "tax_lines",
    }
)  # fmt: skip
DEFAULT_REQUIRED_FIELDS = ("date", "amount", "invoice_number", "issuer")
# Text backends that lay a page out in columns like ``pdftotext -layout``.
LAYOUT_MODULES = frozenset({"pdftotext", "pdfplumber"})
# A text with fewer letters and digits than this is no text (a scan).
MIN_TEXT_CHARS = 20
NUMBER_TOKEN = re.compile(r"[-+]?\d+(?:[.,\s']\d+)*")


class TemplateError(InvoiceError):
    """A template file cannot be used; carries the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _as_list(value: Any) -> Any:
    """Return a lone value as a one-item list (invoice2data accepts both forms)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_regex(pattern: str) -> str:
    """Return ``pattern``, or raise ``ValueError`` saying why it does not compile."""
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"bad regex {pattern!r}: {error}") from error
    return pattern


def _check_replacements(value: Any) -> list[tuple[str, str]]:
    """Return ``[pattern, replacement]`` pairs (one pair or a list of them), regexes checked."""
    items = _as_list(value)
    if len(items) == 2 and all(isinstance(item, str) for item in items):
        items = [items]
    pairs: list[tuple[str, str]] = []
    for item in items:
        if not (isinstance(item, list | tuple) and len(item) == 2):
            raise ValueError(f"a replacement must be a [pattern, replacement] pair, not {item!r}")
        pattern, replacement = (str(part) for part in item)
        pairs.append((_check_regex(pattern), replacement))
    return pairs


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateOptions(_Strict):
    """How the text is prepared and values are read (invoice2data's ``options``)."""

    currency: str | None = None
    date_formats: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    decimal_separator: str = "."
    remove_whitespace: bool = False
    remove_accents: bool = False
    lowercase: bool = False
    replace: list[tuple[str, str]] = Field(default_factory=list)
    strict_fields: bool = False
    extra_fields: list[str] = Field(default_factory=list)
    # Read by no version of invoice2data, but present in its bundled templates: accepted so
    # that those load, without effect.
    priority: int | None = None
    locale: str | None = None

    @field_validator("date_formats", "languages", "extra_fields", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("replace", mode="before")
    @classmethod
    def _replacements(cls, value: Any) -> list[tuple[str, str]]:
        return _check_replacements(value)

    @field_validator(
        "remove_whitespace", "remove_accents", "lowercase", "strict_fields", mode="before"
    )
    @classmethod
    def _flag(cls, value: Any) -> Any:
        """Return a flag left empty as False and ``[true]`` as True (invoice2data tests truth)."""
        if value is None:
            return False
        if isinstance(value, list) and len(value) == 1:
            return value[0]
        return value

    @field_validator("languages")
    @classmethod
    def _two_letters(cls, value: list[str]) -> list[str]:
        for language in value:
            if len(language) != 2:
                raise ValueError(f"a language is a two-letter code, not {language!r}")
        return value

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = parse_currency(value) or value.strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ValueError(f"not an ISO 4217 currency code: {value!r}")
        return code

    @field_validator("decimal_separator")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError(f"a decimal separator is one character, not {value!r}")
        return value


class Area(_Strict):
    """A region of the pages a field is read from: pixels at ``r`` dpi, pages ``f`` to ``l``."""

    f: int
    l: int  # noqa: E741 - invoice2data's (and pdftotext's) name
    r: float = 72.0
    x: float
    y: float
    W: float
    H: float


class RegexField(_Strict):
    """A field read by regexes, whose one capturing group (or whole match) is the value."""

    parser: Literal["regex"]
    regex: list[str]
    type: Literal["int", "float", "date", "datetime"] | None = None
    group: Literal["sum", "min", "max", "first", "last", "join"] | None = None
    replace: list[tuple[str, str]] = Field(default_factory=list)
    extract_number: bool = False
    area: Area | None = None

    @field_validator("regex", mode="before")
    @classmethod
    def _regexes(cls, value: Any) -> list[str]:
        regexes = _as_list(value)
        if not regexes or not all(isinstance(regex, str) for regex in regexes):
            raise ValueError("regex must be a regex or a list of regexes")
        return [_check_regex(regex) for regex in regexes]

    @field_validator("replace", mode="before")
    @classmethod
    def _replacements(cls, value: Any) -> list[tuple[str, str]]:
        return _check_replacements(value)


class LegacyField(_Strict):
    """A ``field: regex`` (or list of regexes) field, typed by its name as invoice2data does:
    ``date*``/``*date`` are dates, ``amount*`` amounts, ``sum_amount*`` summed amounts."""

    parser: Literal["legacy"] = "legacy"
    regex: list[str]

    @field_validator("regex", mode="before")
    @classmethod
    def _regexes(cls, value: Any) -> list[str]:
        return RegexField._regexes(value)


class StaticField(_Strict):
    """A fixed value the template's author gives (``type`` converts it like a read value)."""

    parser: Literal["static"]
    value: str | int | float | dt.date | None = None
    type: Literal["int", "float", "date", "datetime"] | None = None
    area: Area | None = None


class LinesField(BaseModel):
    """Line items (invoice2data's ``lines`` parser): accepted, not applied."""

    model_config = ConfigDict(extra="allow", frozen=True)

    parser: Literal["lines"]


FieldSpec = RegexField | LegacyField | StaticField | LinesField
PARSERS: dict[str, type[RegexField | StaticField | LinesField]] = {
    "regex": RegexField,
    "static": StaticField,
    "lines": LinesField,
}


def _field_spec(name: str, spec: Any) -> FieldSpec:
    """Return one entry of ``fields`` validated; raise ``ValueError`` naming its key."""
    if name.startswith("static_") and not isinstance(spec, dict):
        return StaticField(parser="static", value=spec)
    try:
        if not isinstance(spec, dict):
            return LegacyField(regex=spec)
        parser = PARSERS.get(str(spec.get("parser")))
        if parser is None:
            raise ValueError(
                f"fields.{name}.parser: {spec.get('parser')!r} is not one of {sorted(PARSERS)}"
            )
        return parser.model_validate(spec)
    except ValidationError as error:
        raise ValueError(_describe(error, prefix=("fields", name))) from None


class TableSpec(BaseModel):
    """invoice2data's ``tables`` plugin: named groups of ``body`` on each line between
    ``start`` and ``end`` become fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: str
    end: str
    body: str
    line_separator: str = r"\n"
    field_separator: str = r"\s+"
    types: dict[str, Literal["int", "float", "date", "datetime"]] = Field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("start", "end", "body", "line_separator")
    @classmethod
    def _regexes(cls, value: str) -> str:
        return _check_regex(value)


class Template(BaseModel):
    """One supplier template, validated; ``path`` is its file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path
    issuer: str
    keywords: list[str] = Field(min_length=1)
    exclude_keywords: list[str] = Field(default_factory=list)
    priority: int = 5
    fields: dict[str, FieldSpec] = Field(min_length=1)
    options: TemplateOptions = Field(default_factory=TemplateOptions)
    required_fields: list[str] = Field(default_factory=lambda: list(DEFAULT_REQUIRED_FIELDS))
    input_module: str | None = None
    lines: dict[str, Any] | list[dict[str, Any]] | None = None
    tables: list[TableSpec] = Field(default_factory=list)
    template_name: str | None = None
    warnings: tuple[str, ...] = ()

    @field_validator("keywords", "exclude_keywords", "tables", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("options", mode="before")
    @classmethod
    def _no_options(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {str(name): _field_spec(str(name), spec) for name, spec in value.items()}

    def matches(self, text: str) -> bool:
        """Return True when every keyword and no exclude keyword is in ``text``."""
        return all(_keyword_in(keyword, text) for keyword in self.keywords) and not any(
            _keyword_in(keyword, text) for keyword in self.exclude_keywords
        )


def _keyword_in(keyword: str, text: str) -> bool:
    """Return True when ``keyword`` is in ``text`` as a substring (invoice2data 1.0) or as a
    regex (earlier versions, and what bundled keywords like ``(?i)Accor`` are written for)."""
    if keyword in text:
        return True
    try:
        return re.search(keyword, text) is not None
    except re.error:
        return False


@dataclass(frozen=True)
class TemplateSet:
    """Templates in the order they are tried: highest priority first, then by path."""

    directory: Path
    templates: tuple[Template, ...]

    def match(self, text: str) -> Template | None:
        """Return the first template whose keywords match ``text``, or None."""
        return next((template for template in self.templates if template.matches(text)), None)


def load_templates(directory: Path) -> TemplateSet:
    """Return the templates of ``directory`` and its subfolders, loaded once per content.

    Raises ``TemplateError`` when the folder is missing or a template is invalid.
    """
    directory = directory.expanduser().resolve()
    if not directory.is_dir():
        raise TemplateError(directory, "not a folder of templates")
    files = sorted(
        path
        for path in directory.rglob("*")
        if path.suffix.lower() in TEMPLATE_SUFFIXES and path.is_file()
    )
    # Keyed by each file's size and modification time, so an edited template is reloaded while
    # a batch of documents reuses what was loaded for the first one.
    fingerprint = tuple((path, path.stat().st_mtime_ns, path.stat().st_size) for path in files)
    return _load_templates(directory, fingerprint)


@lru_cache(maxsize=8)
def _load_templates(directory: Path, fingerprint: tuple[tuple[Path, int, int], ...]) -> TemplateSet:
    templates = [load_template(path) for path, _, _ in fingerprint]
    for template in templates:
        for warning in template.warnings:
            logger.warning("%s: %s", template.path, warning)
    ordered = sorted(templates, key=lambda template: -template.priority)  # stable: path order
    logger.info("loaded %d templates from %s", len(ordered), directory)
    return TemplateSet(directory=directory, templates=tuple(ordered))


def load_template(path: Path) -> Template:
    """Return the validated template in the file at ``path``; raise ``TemplateError``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TemplateError(path, f"cannot read the file: {error}") from error
    try:
        raw = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as error:
        kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise TemplateError(path, f"not valid {kind}: {error}") from error
    if not isinstance(raw, dict):
        raise TemplateError(path, "a template is a mapping of keys (issuer, keywords, fields...)")
    raw, warnings = _set_aside_misplaced_fields(raw)
    raw.setdefault("template_name", path.name)
    keywords = _as_list(raw.get("keywords"))
    if "issuer" not in raw and keywords:
        raw["issuer"] = keywords[0]  # invoice2data's default
    try:
        template = Template.model_validate({**raw, "path": path})
    except ValidationError as error:
        raise TemplateError(path, _describe(error)) from error
    warnings += _regex_warnings(template)
    return template.model_copy(update={"warnings": tuple(warnings)})


def _regex_warnings(template: Template) -> list[str]:
    """Return a warning for each field regex with several capturing groups, which reads
    nothing (invoice2data's behaviour) instead of a value."""
    warnings = []
    for name, spec in template.fields.items():
        if isinstance(spec, RegexField | LegacyField):
            for regex in spec.regex:
                groups = re.compile(regex).groups
                if groups > 1:
                    warnings.append(
                        f"fields.{name}: regex {regex!r} has {groups} capturing groups, so it "
                        "reads nothing; keep one and make the others (?:...)"
                    )
    return warnings


def _set_aside_misplaced_fields(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Return the template without invoice2data field names set at the wrong level, which
    invoice2data ignores, and a warning for each."""
    warnings: list[str] = []
    top_keys = set(Template.model_fields) - {"path", "warnings"}
    cleaned = dict(raw)
    for key in list(cleaned):
        if key not in top_keys and key in INVOICE2DATA_FIELDS:
            warnings.append(f"{key!r} is a field set outside 'fields'; ignored")
            del cleaned[key]
    fields = cleaned.get("fields")
    if isinstance(fields, dict):
        cleaned["fields"] = dict(fields)
        for name, spec in fields.items():
            if not isinstance(spec, dict):
                continue
            known = {"static": StaticField.model_fields, "regex": RegexField.model_fields}
            allowed = known.get(str(spec.get("parser")))
            if allowed is None:
                continue
            stray = [key for key in spec if key not in allowed]
            misplaced = [key for key in stray if key in INVOICE2DATA_FIELDS]
            for key in misplaced:
                warnings.append(f"fields.{name}: {key!r} is a field indented too far; ignored")
            cleaned["fields"][name] = {k: v for k, v in spec.items() if k not in misplaced}
    return cleaned, warnings


def _describe(error: ValidationError, prefix: tuple[str, ...] = ()) -> str:
    """Return pydantic's errors as ``key.path: message``, with a suggestion for a misspelled
    key; ``prefix`` is where the model that raised them sits in the template."""
    messages: list[str] = []
    for item in error.errors():
        location = [*prefix, *(str(part) for part in item["loc"])]
        key = ".".join(location) or "template"
        if item["type"] == "value_error" and location == ["fields"]:
            messages.append(str(item["ctx"]["error"]))
            continue
        if item["type"] == "extra_forbidden":
            name = location[-1] if location else ""
            choices = _keys_at(location[:-1])
            close = difflib.get_close_matches(name, choices, n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            messages.append(f"{key}: unknown key{hint}")
        else:
            messages.append(f"{key}: {item['msg']}")
    return "; ".join(dict.fromkeys(messages))


def _keys_at(location: Sequence[str]) -> list[str]:
    """Return the keys that are valid at ``location`` in a template."""
    if not location:
        return [name for name in Template.model_fields if name not in {"path", "warnings"}]
    if location[0] == "options":
        return list(TemplateOptions.model_fields)
    if location[0] == "tables":
        return list(TableSpec.model_fields)
    if location[0] == "fields":
        return [*RegexField.model_fields, *StaticField.model_fields, *Area.model_fields]
    return []


# ---------------------------------------------------------------------------------------------
# Applying a template to a document


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
    texts = _DocumentTexts(document, options, page_words)
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


class _DocumentTexts:
    """The document's texts, each made once and only when asked for.

    PDFs: PDFium's text (invoice2data's default backend), then a laid-out text like
    ``pdftotext -layout``'s; scans and images: OCR'd words laid out the same way, those the
    extractor read (``page_words``) when it kept them.
    """

    def __init__(
        self,
        document: SourceDocument,
        options: ExtractOptions,
        page_words: Sequence[PageWords] = (),
    ) -> None:
        self.document = document
        self.options = options
        self.page_words = page_words
        self.deadline = document.deadline(options)
        self._texts: dict[str, str] = {}

    def backends(self) -> Iterator[str]:
        """Yield the names of the texts to try, in order."""
        if self.document.kind is DocumentKind.PDF and _is_text(self.text("pdfium")):
            yield from ("pdfium", "layout")
        elif self.document.kind in (DocumentKind.PDF, DocumentKind.IMAGE):
            yield "ocr"

    def text(self, backend: str) -> str:
        """Return the text ``backend`` gives."""
        if backend not in self._texts:
            self.deadline.remaining()
            self._texts[backend] = self._read(backend)
        return self._texts[backend]

    def _read(self, backend: str) -> str:
        if backend == "pdfium":
            return pdfium_text(self.document.data)
        if backend == "layout":
            return layout_text_of_pdf(self.document.data)
        if self.page_words:
            return layout_text_of_words(self.page_words)
        if self.document.kind is DocumentKind.IMAGE:
            images = load_image_pages(self.document.data, self.document.source)
            pages = ocr_images(images, self.options, self.deadline)
        else:
            pages = ocr_pdf_pages(self.document.data, None, self.options, self.deadline)
        return layout_text_of_words(pages)


def _is_text(text: str) -> bool:
    return sum(char.isalnum() for char in text) >= MIN_TEXT_CHARS


def pdfium_text(pdf: bytes, area: Area | None = None) -> str:
    """Return the PDF's text as PDFium reads it, pages joined by newlines (optionally only
    inside ``area``)."""
    texts: list[str] = []
    with PDFIUM_LOCK:
        try:
            document = pypdfium2.PdfDocument(pdf)
        except pypdfium2.PdfiumError:
            return ""
        try:
            first, last = (area.f - 1, min(area.l, len(document))) if area else (0, len(document))
            for index in range(first, last):
                page = document[index]
                textpage = page.get_textpage()
                if area is None:
                    texts.append(textpage.get_text_bounded())
                else:
                    factor = 72.0 / area.r
                    height = page.get_size()[1]
                    texts.append(
                        textpage.get_text_bounded(
                            left=area.x * factor,
                            bottom=height - (area.y + area.H) * factor,
                            right=(area.x + area.W) * factor,
                            top=height - area.y * factor,
                        )
                    )
                textpage.close()
                page.close()
        finally:
            document.close()
    text = "\n".join(texts).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\ufeff", "").replace("\ufffe", "")


def layout_text_of_pdf(pdf: bytes) -> str:
    """Return the PDF's text laid out in columns with spaces, as ``pdftotext -layout`` does."""
    try:
        with pdfplumber.open(io.BytesIO(pdf), raise_unicode_errors=False) as document:
            pages = []
            for page in document.pages:
                pages.append(page.extract_text(layout=True) or "")
                page.close()
    except Exception as error:  # pdfminer raises many kinds; the text layer already read it
        logger.info("no laid-out text: %r", error)
        return ""
    return "\n".join(_strip_lines(text) for text in pages)


def _strip_lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines())


def layout_text_of_words(pages: Sequence[PageWords]) -> str:
    """Return positioned words as text: a line per row, the words of a phrase one space apart
    and the phrases at their column, as ``pdftotext -layout`` lays a page out."""
    lines: list[str] = []
    for page in pages:
        words = sorted(page.words, key=lambda word: (word.top, word.x0))
        widths = [(w.x1 - w.x0) / len(w.text) for w in words if w.text and w.x1 > w.x0]
        char_width = statistics.median(widths) if widths else 1.0
        rows: list[tuple[float, float, list[Word]]] = []
        for word in words:
            middle = (word.top + word.bottom) / 2
            if rows and rows[-1][0] <= middle <= rows[-1][1]:
                rows[-1][2].append(word)
            else:
                rows.append((word.top, word.bottom, [word]))
        for top, bottom, row in rows:
            # A gap wider than the row's height (about one em) separates columns.
            column_gap = max(bottom - top, 2 * char_width)
            line = ""
            previous: Word | None = None
            for word in sorted(row, key=lambda word: word.x0):
                if previous is not None and word.x0 - previous.x1 <= column_gap:
                    line += " " + word.text
                else:
                    column = round(word.x0 / char_width)
                    line += " " * max(column - len(line), 2 if line else 0) + word.text
                previous = word
            lines.append(line)
    return "\n".join(lines)


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
