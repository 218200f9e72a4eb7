"""PDF/A-3b: the conversion a Factur-X file needs, and our own structural checks of one.

A Factur-X invoice is a PDF/A-3 file. The archived PDFs seldom are: text PDFs use the
standard fonts without embedding them, none has an OutputIntent. Ghostscript's ``pdfwrite``
device rewrites a PDF as PDF/A-3b (fonts embedded, colours converted to sRGB, an sRGB
OutputIntent), as OCRmyPDF does; factur-x then adds the XML, the Factur-X XMP (pdfaid part 3,
conformance B) and the /AF relationship.

veraPDF (Java) is not available here, so ``check_pdfa3`` checks what the conversion and the
embedding must get right, by walking every object reachable from the trailer with pypdf:
fonts embedded, the OutputIntent, the XMP identification, no encryption, the embedded
``factur-x.xml`` associated with the document, no JavaScript or launch actions. It is not a
full conformance check (no content-stream or ICC-profile analysis).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

from lxml import etree
from PIL import ImageCms
from pydantic import BaseModel, Field
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    PdfObject,
    StreamObject,
)

from invoicebot.model import InvoiceError

FACTURX_XML_NAME = "factur-x.xml"
# Where distributions put an sRGB (ICC v2) profile: Debian's ghostscript (libgs-common), then
# icc-profiles-free / colord. Without one, Pillow's littleCMS makes an sRGB profile (ICC v4).
SRGB_PROFILES = (
    Path("/usr/share/color/icc/ghostscript/srgb.icc"),
    Path("/usr/share/color/icc/sRGB.icc"),
    Path("/usr/share/color/icc/colord/sRGB.icc"),
)
GHOSTSCRIPT_TIMEOUT_S = 120
# The action types ISO 19005-3 (6.6.1) forbids.
FORBIDDEN_ACTIONS = frozenset(
    {
        "/Launch",
        "/Sound",
        "/Movie",
        "/ResetForm",
        "/ImportData",
        "/Hide",
        "/SetOCGState",
        "/Rendition",
        "/Trans",
        "/GoTo3DView",
        "/JavaScript",
    }
)
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
_PDFAID = "http://www.aiim.org/pdfa/ns/id/"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


class GhostscriptMissingError(InvoiceError):
    """Ghostscript (``gs``) is not installed: no PDF/A-3 file can be made."""

    def __init__(self) -> None:
        super().__init__(
            "Ghostscript (gs) is needed to write Factur-X PDF/A-3 files: install it "
            "(Debian: apt-get install ghostscript, or make setup)"
        )


class PdfaConversionError(InvoiceError):
    """A PDF could not be rewritten as PDF/A-3; carries the reason and Ghostscript's exit
    code (None when it did not fail but its result is not the document)."""

    def __init__(self, reason: str, returncode: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.returncode = returncode


class PdfaCheck(StrEnum):
    """One structural requirement of PDF/A-3b (and of Factur-X) that ``check_pdfa3`` checks."""

    READABLE = "readable"
    FONTS_EMBEDDED = "fonts-embedded"
    OUTPUT_INTENT = "output-intent"
    XMP_PDFA_ID = "xmp-pdfa-id"
    NOT_ENCRYPTED = "not-encrypted"
    FACTURX_ATTACHMENT = "facturx-attachment"
    NO_FORBIDDEN_ACTIONS = "no-forbidden-actions"


class PdfaProblem(BaseModel):
    """A requirement a file fails, and where."""

    check: PdfaCheck
    detail: str


class PdfaReport(BaseModel):
    """What ``check_pdfa3`` found in one file; it passes when no problem was found."""

    problems: list[PdfaProblem] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def failed_checks(self) -> list[str]:
        """Return the ids of the failed checks, sorted and once."""
        return sorted({problem.check.value for problem in self.problems})


def find_ghostscript() -> str:
    """Return the path of the ``gs`` command; raise ``GhostscriptMissingError`` without it."""
    path = shutil.which("gs")
    if path is None:
        raise GhostscriptMissingError()
    return path


def srgb_profile() -> bytes:
    """Return an sRGB ICC profile: the distribution's when there is one, else littleCMS's."""
    for path in SRGB_PROFILES:
        if path.is_file():
            return path.read_bytes()
    profile: bytes = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile


def convert_to_pdfa3(pdf: bytes) -> bytes:
    """Return ``pdf`` rewritten by Ghostscript as PDF/A-3b with an sRGB OutputIntent.
    Raises ``GhostscriptMissingError`` or ``PdfaConversionError``."""
    gs = find_ghostscript()
    with tempfile.TemporaryDirectory(prefix="invoicebot-pdfa-") as folder:
        work = Path(folder)
        icc = work / "srgb.icc"
        icc.write_bytes(srgb_profile())
        definition = work / "pdfa_def.ps"
        definition.write_text(_pdfa_definition(icc), encoding="ascii")
        source = work / "in.pdf"
        source.write_bytes(pdf)
        target = work / "out.pdf"
        command = [
            gs,
            "-q",
            "-dBATCH",
            "-dNOPAUSE",
            "-dSAFER",
            f"--permit-file-read={icc}",
            "-dPDFA=3",
            # 1: drop what PDF/A forbids and carry on, rather than write a non-PDF/A file.
            "-dPDFACompatibilityPolicy=1",
            "-sColorConversionStrategy=RGB",
            "-sDEVICE=pdfwrite",
            f"-sOutputFile={target}",
            str(definition),
            str(source),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=GHOSTSCRIPT_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise PdfaConversionError(
                f"Ghostscript timed out after {GHOSTSCRIPT_TIMEOUT_S} s"
            ) from error
        output = (done.stderr or done.stdout).strip()[-500:]
        if done.returncode != 0 or not target.is_file():
            raise PdfaConversionError(
                f"Ghostscript cannot make it PDF/A-3 (exit {done.returncode}): {output}",
                done.returncode,
            )
        result = target.read_bytes()
    # Ghostscript "repairs" a damaged PDF into blank pages and exits 0: the pages must all be
    # there, or the file is not the invoice.
    expected, got = _page_count(pdf), _page_count(result)
    if expected is None or got != expected:
        raise PdfaConversionError(
            f"Ghostscript made {got} page(s) of a PDF of {expected or 'unreadable'} page(s)"
            + (f": {output}" if output else "")
        )
    return result


def _page_count(pdf: bytes) -> int | None:
    """Return the number of pages of a PDF, None when pypdf cannot read it."""
    try:
        return len(PdfReader(io.BytesIO(pdf)).pages)
    except (PyPdfError, ValueError, KeyError, TypeError):
        return None


def _pdfa_definition(icc: Path) -> str:
    """Return the PostScript prefix that gives the PDF/A file its sRGB OutputIntent (a short
    form of Ghostscript's PDFA_def.ps, with the profile's path and its 3 components set)."""
    path = str(icc).replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"""%!
[ /_objdef {{icc_PDFA}} /type /stream /OBJ pdfmark
[ {{icc_PDFA}} << /N 3 >> /PUT pdfmark
[ {{icc_PDFA}} ({path}) (r) file /PUT pdfmark
[ /_objdef {{OutputIntent_PDFA}} /type /dict /OBJ pdfmark
[ {{OutputIntent_PDFA}} <<
  /Type /OutputIntent
  /S /GTS_PDFA1
  /DestOutputProfile {{icc_PDFA}}
  /OutputConditionIdentifier (sRGB)
  /Info (sRGB IEC61966-2.1)
>> /PUT pdfmark
[ {{Catalog}} << /OutputIntents [ {{OutputIntent_PDFA}} ] >> /PUT pdfmark
"""


def check_pdfa3(data: bytes, *, facturx: bool = True) -> PdfaReport:
    """Check the structure of a PDF/A-3b file (with ``facturx``, also its embedded
    ``factur-x.xml``); return every problem found."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            return PdfaReport(
                problems=[
                    PdfaProblem(check=PdfaCheck.NOT_ENCRYPTED, detail="the file is encrypted")
                ]
            )
        catalog = _dict(reader.trailer.get("/Root"))
        problems = [
            *_object_problems(reader.trailer),
            *_output_intent_problems(catalog),
            *_xmp_problems(catalog),
        ]
        if facturx:
            problems.extend(_attachment_problems(catalog))
    except (PyPdfError, KeyError, ValueError, TypeError) as error:
        problems = [PdfaProblem(check=PdfaCheck.READABLE, detail=f"cannot read it: {error!r}")]
    return PdfaReport(problems=problems)


def _dict(item: PdfObject | None) -> DictionaryObject:
    """Return ``item`` resolved when it is a dictionary, else an empty one."""
    resolved = item.get_object() if item is not None else None
    return resolved if isinstance(resolved, DictionaryObject) else DictionaryObject()


def _array(item: PdfObject | None) -> ArrayObject:
    """Return ``item`` resolved when it is an array, else an empty one."""
    resolved = item.get_object() if item is not None else None
    return resolved if isinstance(resolved, ArrayObject) else ArrayObject()


def _walk(root: PdfObject) -> Iterator[DictionaryObject]:
    """Yield every dictionary (streams' included) reachable from ``root``, each once."""
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject] = [root]
    while stack:
        item: PdfObject | None = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            yield item
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)


def _object_problems(trailer: DictionaryObject) -> Iterator[PdfaProblem]:
    """Fonts not embedded, encryption and forbidden actions, anywhere in the file."""
    if "/Encrypt" in trailer:
        yield PdfaProblem(check=PdfaCheck.NOT_ENCRYPTED, detail="the trailer has /Encrypt")
    for item in _walk(trailer["/Root"]):
        if item.get("/Type") == "/Font":
            problem = _font_problem(item)
            if problem:
                yield problem
        action = item.get("/S")
        if action in FORBIDDEN_ACTIONS:
            yield PdfaProblem(check=PdfaCheck.NO_FORBIDDEN_ACTIONS, detail=f"a {action} action")
        if "/JS" in item or "/JavaScript" in item:
            yield PdfaProblem(check=PdfaCheck.NO_FORBIDDEN_ACTIONS, detail="JavaScript")


def _font_problem(font: DictionaryObject) -> PdfaProblem | None:
    """Return the problem of a font whose program is not in the file. A Type0 font's glyphs
    are in its descendant font (walked on its own); a Type3 font's are content streams."""
    subtype = font.get("/Subtype")
    if subtype in ("/Type0", "/Type3"):
        return None
    descriptor = _dict(font.get("/FontDescriptor"))
    if any(key in descriptor for key in _FONT_FILES):
        return None
    return PdfaProblem(
        check=PdfaCheck.FONTS_EMBEDDED,
        detail=f"{subtype} font {font.get('/BaseFont', '?')} is not embedded",
    )


def _output_intent_problems(catalog: DictionaryObject) -> Iterator[PdfaProblem]:
    for item in _array(catalog.get("/OutputIntents")):
        intent = _dict(item)
        profile = intent.get("/DestOutputProfile")
        if (
            intent.get("/S") == "/GTS_PDFA1"
            and profile is not None
            and isinstance(profile.get_object(), StreamObject)
        ):
            return
    yield PdfaProblem(
        check=PdfaCheck.OUTPUT_INTENT,
        detail="no /GTS_PDFA1 OutputIntent with a /DestOutputProfile",
    )


def _xmp_problems(catalog: DictionaryObject) -> Iterator[PdfaProblem]:
    metadata = catalog.get("/Metadata")
    stream = metadata.get_object() if metadata is not None else None
    if not isinstance(stream, StreamObject):
        yield PdfaProblem(check=PdfaCheck.XMP_PDFA_ID, detail="no XMP metadata")
        return
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(stream.get_data(), parser)
    except etree.XMLSyntaxError as error:
        yield PdfaProblem(check=PdfaCheck.XMP_PDFA_ID, detail=f"XMP not well-formed: {error}")
        return
    found: dict[str, str | None] = {}
    for name in ("part", "conformance"):
        # pdfaid properties are elements (factur-x) or attributes of rdf:Description.
        values = [element.text or "" for element in root.iter(f"{{{_PDFAID}}}{name}")]
        for description in root.iter(f"{{{_RDF}}}Description"):
            values.extend(
                value for key, value in description.attrib.items() if key == f"{{{_PDFAID}}}{name}"
            )
        found[name] = values[0].strip() if values else None
    if (found["part"], found["conformance"]) != ("3", "B"):
        yield PdfaProblem(
            check=PdfaCheck.XMP_PDFA_ID,
            detail=f"XMP pdfaid part={found['part']} conformance={found['conformance']}, not 3/B",
        )


def _attachment_problems(catalog: DictionaryObject) -> Iterator[PdfaProblem]:
    """The ``factur-x.xml`` file specification: embedded, with /AFRelationship, in /AF."""
    tree = _dict(catalog.get("/Names")).get("/EmbeddedFiles")
    specs = dict(_name_tree(_dict(tree)))
    spec = specs.get(FACTURX_XML_NAME)
    if spec is None:
        yield PdfaProblem(
            check=PdfaCheck.FACTURX_ATTACHMENT, detail=f"no embedded {FACTURX_XML_NAME}"
        )
        return
    if "/AFRelationship" not in spec:
        yield PdfaProblem(
            check=PdfaCheck.FACTURX_ATTACHMENT,
            detail=f"{FACTURX_XML_NAME} has no /AFRelationship",
        )
    if not any(_dict(item) is spec for item in _array(catalog.get("/AF"))):
        yield PdfaProblem(
            check=PdfaCheck.FACTURX_ATTACHMENT,
            detail=f"{FACTURX_XML_NAME} is not in the catalog's /AF",
        )


def _name_tree(node: DictionaryObject) -> Iterator[tuple[str, DictionaryObject]]:
    """Yield the (name, value) pairs of a PDF name tree, values resolved."""
    pairs = _array(node.get("/Names"))
    for index in range(0, len(pairs) - 1, 2):
        yield str(pairs[index]), _dict(pairs[index + 1])
    for kid in _array(node.get("/Kids")):
        yield from _name_tree(_dict(kid))
