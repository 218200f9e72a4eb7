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

In ``spec`` what a template is and how it is loaded; in ``texts`` the texts it runs on; in
``running`` how it is applied to a document.
"""

from __future__ import annotations

from extractors.templates.running import (
    TemplateMatch,
    apply_templates,
    match_document,
    parse_template_date,
    parse_template_number,
    prepare_text,
    run_template,
)
from extractors.templates.spec import (
    GIVEN_CONFIDENCE,
    INCOMPLETE_CONFIDENCE,
    READ_CONFIDENCE,
    TEMPLATE_SUFFIXES,
    LegacyField,
    RegexField,
    StaticField,
    Template,
    TemplateError,
    TemplateSet,
    load_template,
    load_templates,
)
from extractors.templates.texts import layout_text_of_pdf, layout_text_of_words, pdfium_text

__all__ = [
    "GIVEN_CONFIDENCE",
    "INCOMPLETE_CONFIDENCE",
    "READ_CONFIDENCE",
    "TEMPLATE_SUFFIXES",
    "LegacyField",
    "RegexField",
    "StaticField",
    "Template",
    "TemplateError",
    "TemplateMatch",
    "TemplateSet",
    "apply_templates",
    "layout_text_of_pdf",
    "layout_text_of_words",
    "load_template",
    "load_templates",
    "match_document",
    "parse_template_date",
    "parse_template_number",
    "pdfium_text",
    "prepare_text",
    "run_template",
]
