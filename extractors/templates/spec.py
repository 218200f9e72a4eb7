"""What a template is and how templates are loaded: invoice2data's field forms, options and
tables as strict pydantic models, validated when read, cached by the folder's state.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from extractors.normalize import parse_currency
from invoicebot.model import InvoiceError

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
