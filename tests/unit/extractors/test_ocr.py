"""OCR with the real tesseract: words from page images, image loading, deskew, table rules,
time limit."""

from __future__ import annotations

import io
import math
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pypdfium2
import pytesseract
import pytest
from PIL import Image, ImageDraw, ImageFile

from extractors.base import Deadline, DocumentKind, ExtractOptions, SourceDocument, Word
from extractors.ocr import (
    TESSERACT,
    UNIFORM_BLOCK_MODE,
    OcrEngineUnavailableError,
    _profile_sharpness,
    estimate_skew,
    load_image_pages,
    ocr_images,
    read_page_image,
    remove_rules,
    render_pdf_pages,
    without_rules_read_as_words,
)
from extractors.ocr_reading import OcrExtractor
from extractors.unread_ink import on_long_run
from invoicebot.model import DocumentError, ErrorCode, Method
from tests.unit.extractors.test_tesseract_api import OneMillisecondLeft
from tests.unit.extractors.test_text_layer import (
    INVOICE_LINES,
    make_pdf,
    render_page,
    scanned_pdf,
)

FAST_OCR = ExtractOptions(ocr_languages="eng", ocr_dpi=150)
# Tesseract's page segmentation mode for an image holding one line of text.
SINGLE_LINE_MODE = 7


def deadline_in(seconds: float) -> Deadline:
    return Deadline(at=time.monotonic() + seconds, source="scan.png")


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def invoice_image() -> Image.Image:
    """A page of large typed text, rendered as a scanner would see it."""
    return render_page(make_pdf([["INVOICE 4711", "TOTAL 1481.47 EUR"]], font_size=24), dpi=150)


def test_ocr_reads_words_with_pixel_positions(invoice_image: Image.Image) -> None:
    page = read_page_image(invoice_image, 1, FAST_OCR, deadline_in(60))

    assert (page.number, page.method) == (1, "ocr")
    assert (page.width, page.height) == invoice_image.size
    texts = [word.text for word in page.words]
    assert "INVOICE" in texts
    assert "4711" in texts
    for word in page.words:
        assert word.text.strip()
        assert 0 <= word.confidence <= 1
        assert 0 <= word.x0 < word.x1 <= page.width
        assert 0 <= word.top < word.bottom <= page.height


def test_pages_come_back_in_order(invoice_image: Image.Image) -> None:
    blank = Image.new("L", (400, 600), 255)

    pages = ocr_images([(1, invoice_image), (2, blank)], FAST_OCR, deadline_in(60))

    assert [(page.number, len(page.words) > 0) for page in pages] == [(1, True), (2, False)]


def test_the_time_limit_stops_tesseract(invoice_image: Image.Image) -> None:
    # Deterministic, no wall clock: tesseract is granted one millisecond, in which no page is
    # laid out (tests/unit/extractors/test_tesseract_api.py explains the flaky 0.5-s version).
    deadline = OneMillisecondLeft(at=time.monotonic() - 1, source="scan.png")

    with pytest.raises(DocumentError) as raised:
        read_page_image(invoice_image, 1, FAST_OCR, deadline)

    assert raised.value.code is ErrorCode.TIMEOUT


def test_no_page_is_started_after_the_deadline(invoice_image: Image.Image) -> None:
    with pytest.raises(DocumentError) as raised:
        ocr_images([(1, invoice_image)], FAST_OCR, deadline_in(-1))

    assert raised.value.code is ErrorCode.TIMEOUT


def test_a_missing_tesseract_names_the_package_to_install(
    invoice_image: Image.Image, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TESSERACT, "in_process", False)  # the command line, the fallback
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")

    with pytest.raises(OcrEngineUnavailableError, match="tesseract-ocr"):
        read_page_image(invoice_image, 1, FAST_OCR, deadline_in(60))


def test_a_missing_language_model_names_its_package(invoice_image: Image.Image) -> None:
    options = ExtractOptions(ocr_languages="eng+xyz")

    with pytest.raises(OcrEngineUnavailableError, match="tesseract-ocr-xyz"):
        ocr_images([(1, invoice_image)], options, deadline_in(60))


def test_image_files_are_turned_upright_by_their_exif_orientation() -> None:
    landscape = Image.new("RGB", (300, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: display rotated 90° clockwise
    buffer = io.BytesIO()
    landscape.save(buffer, format="JPEG", exif=exif.tobytes())

    ((number, page),) = list(load_image_pages(buffer.getvalue(), "photo.jpg"))

    assert (number, page.size, page.mode) == (1, (200, 300), "L")


def test_each_frame_of_a_tiff_is_a_page() -> None:
    first, second = Image.new("L", (100, 150), 255), Image.new("1", (120, 160), 1)
    buffer = io.BytesIO()
    first.save(buffer, format="TIFF", save_all=True, append_images=[second])

    pages = list(load_image_pages(buffer.getvalue(), "fax.tif"))

    assert [(number, page.size, page.mode) for number, page in pages] == [
        (1, (100, 150), "L"),
        (2, (120, 160), "L"),
    ]


def test_transparent_areas_become_white() -> None:
    transparent = Image.new("RGBA", (10, 10), (0, 0, 0, 0))

    ((_, page),) = list(load_image_pages(png_bytes(transparent), "logo.png"))

    assert page.getpixel((5, 5)) == 255


def huge_blank_png(width: int, height: int) -> bytes:
    """Return a grayscale PNG of ``width`` x ``height`` white pixels, compressed to almost
    nothing (13,000 x 13,000: about 0.2 MB of file, 169 MB once decoded)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width  # filter type 0, then the row's pixels
    pixels = b"".join(packer.compress(row * 100) for _ in range(height // 100))
    pixels += packer.compress(row * (height % 100)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.fixture
def decoding_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any decoding of image data fail the test: a refusal must come from headers."""

    def decode(*_args: object) -> None:
        raise AssertionError("the image data was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)


@pytest.mark.usefixtures("decoding_forbidden")
# Pillow warns from its header above 89 M pixels; the cap refuses it before Pillow would raise.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_small_png_of_huge_dimensions_is_refused_undecoded() -> None:
    data = huge_blank_png(13_000, 13_000)
    assert len(data) < 512 * 1024

    with pytest.raises(DocumentError) as raised:
        list(load_image_pages(data, "bomb.png", max_pixels=50_000_000))

    assert raised.value.code is ErrorCode.TOO_LARGE
    assert "13000 x 13000 pixels" in raised.value.reason


@pytest.mark.usefixtures("decoding_forbidden")
def test_a_tiff_of_too_many_frames_is_refused_undecoded() -> None:
    frames = [Image.new("L", (8, 8), 255) for _ in range(500)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])

    with pytest.raises(DocumentError) as raised:
        list(load_image_pages(buffer.getvalue(), "fax.tif", max_frames=50))

    assert raised.value.code is ErrorCode.TOO_LARGE
    assert raised.value.reason == "500 frames, more than 50"


def test_the_extractor_applies_the_options_caps() -> None:
    data = png_bytes(Image.new("L", (300, 200), 255))
    document = SourceDocument(
        path=Path("scan.png"), source="scan.png", data=data, sha256="x", kind=DocumentKind.IMAGE
    )

    with pytest.raises(DocumentError) as raised:
        OcrExtractor().extract(document, ExtractOptions(max_image_pixels=300 * 200 - 1))

    assert raised.value.code is ErrorCode.TOO_LARGE


def test_a_corrupt_image_is_unreadable() -> None:
    data = png_bytes(Image.new("L", (200, 200), 128))

    with pytest.raises(DocumentError) as raised:
        list(load_image_pages(data[:60], "cut.png"))

    assert raised.value.code is ErrorCode.UNREADABLE


@pytest.mark.parametrize("angle", [-1.5, -0.75, 0.0, 1.25])
def test_skew_is_measured_to_a_quarter_degree(angle: float) -> None:
    page = render_page(make_pdf([INVOICE_LINES * 6], font_size=10), dpi=100)
    skewed = page.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)

    assert abs(estimate_skew(skewed) + angle) <= 0.25


def test_column_rules_are_whitened_and_text_kept() -> None:
    page = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(page)
    draw.line([(800, 300), (800, 700)], fill=0, width=2)  # a table's column rule
    draw.line([(100, 300), (1500, 300)], fill=0, width=3)  # a row rule, left alone
    draw.text((120, 400), "TOTAL 1481,47", fill=0, font_size=40)
    text_box = (110, 390, 700, 460)

    cleaned = remove_rules(page)

    assert cleaned.getpixel((800, 500)) == 255
    assert cleaned.getpixel((400, 300)) == 0
    assert cleaned.crop(text_box).tobytes() == page.crop(text_box).tobytes()


def test_the_profile_counts_only_ink_turned_onto_the_page() -> None:
    generator = np.random.default_rng(7)
    width, height = 80, 50
    # Ink in every corner, some of it turned off the page.
    across = generator.uniform(-width / 2, width / 2, 400)
    down = generator.uniform(-height / 2, height / 2, 400)
    for angle in (-2.0, -0.25, 0.0, 1.75):
        turn = math.radians(angle)
        rows = np.floor(height / 2 - across * math.sin(turn) + down * math.cos(turn)).astype(int)
        profile = np.array([np.count_nonzero(rows == row) for row in range(height)])
        changes = np.diff(profile)

        assert _profile_sharpness(across, down, width, height, angle) == float(changes @ changes)


def grey_scan(size: tuple[int, int]) -> Image.Image:
    """A grey page of print on noisy paper, as a scanner gives it."""
    generator = np.random.default_rng(size[0])
    page = Image.fromarray(generator.normal(235, 12, size[::-1]).clip(0, 255).astype(np.uint8))
    ImageDraw.Draw(page).text((60, 80), "INVOICE 4711 TOTAL 1481,47", fill=20, font_size=30)
    return page


def colour_scan(size: tuple[int, int]) -> Image.Image:
    """A yellowish page with red print: PDFium's grayscale mode greys it otherwise."""
    red, green, blue = grey_scan(size).convert("RGB").split()
    return Image.merge("RGB", (red, green, blue.point(lambda level: level * 4 // 5)))


@pytest.mark.parametrize(
    "picture",
    [grey_scan((1240, 1754)), grey_scan((827, 1170)), colour_scan((900, 1200))],
)
def test_pages_render_as_in_pdfiums_grayscale_mode(picture: Image.Image) -> None:
    # A 150 dpi scan drawn at 200 dpi, a 100 dpi one, and a colour one (grayscale mode kept).
    pdf = scanned_pdf([picture, INVOICE_LINES])
    document = pypdfium2.PdfDocument(pdf)
    try:
        expected = [
            document[index].render(scale=200 / 72, grayscale=True).to_pil().tobytes()
            for index in range(2)
        ]
    finally:
        document.close()

    rendered = render_pdf_pages(pdf, None, 200, deadline_in(60))

    assert [image.tobytes() for _, image in rendered] == expected


def runs_by_scanning(ink: np.ndarray, length: int) -> np.ndarray:
    """The plain definition: each vertical run of ink at least ``length`` long, marked."""
    marked = np.zeros_like(ink)
    for column in range(ink.shape[1]):
        start = None
        for row in [*range(ink.shape[0]), ink.shape[0]]:
            inked = row < ink.shape[0] and ink[row, column]
            if inked and start is None:
                start = row
            elif not inked and start is not None:
                if row - start >= length:
                    marked[start:row, column] = True
                start = None
    return marked


@pytest.mark.parametrize("length", [1, 2, 3, 7, 20, 61])
@pytest.mark.parametrize("density", [0.85, 0.05])
def test_long_runs_are_those_of_the_plain_definition(length: int, density: float) -> None:
    generator = np.random.default_rng(length)
    ink = generator.random((90, 70)) < density
    ink[5:80, 33] = True  # a rule down a page of specks
    ink[44, 2:60] = True  # and one across it

    down = on_long_run(ink, length, along_rows=False)
    along = on_long_run(ink.T.copy(), length, along_rows=True)

    assert np.array_equal(down, runs_by_scanning(ink, length))
    assert np.array_equal(along, runs_by_scanning(ink, length).T)


def test_no_run_is_longer_than_its_line() -> None:
    ink = np.ones((30, 30), dtype=np.bool_)

    assert not on_long_run(ink, 100, along_rows=True).any()
    assert not on_long_run(ink, 100, along_rows=False).any()


def test_the_extractor_reads_image_files(invoice_image: Image.Image) -> None:
    data = png_bytes(invoice_image)
    document = SourceDocument(
        path=Path("scan.png"), source="scan.png", data=data, sha256="x", kind=DocumentKind.IMAGE
    )

    extraction = OcrExtractor().extract(document, FAST_OCR)

    assert extraction is not None
    assert (extraction.method, extraction.pages, extraction.source) == (Method.OCR, 1, "scan.png")


def test_the_extractor_declines_a_pdf_with_a_text_layer() -> None:
    pdf = make_pdf([INVOICE_LINES])
    document = SourceDocument(
        path=Path("in.pdf"), source="in.pdf", data=pdf, sha256="x", kind=DocumentKind.PDF
    )

    assert OcrExtractor().extract(document, FAST_OCR) is None


def test_a_row_rule_read_as_a_word_is_dropped_and_print_is_kept() -> None:
    def word(text: str, x0: float, x1: float, top: float, bottom: float) -> Word:
        return Word(text=text, x0=x0, top=top, x1=x1, bottom=bottom, confidence=0.5)

    print_ = [word(text, 100 * i, 100 * i + 60, 50, 68) for i, text in enumerate(["Total", "HT"])]
    title = word("FACTURE", 300, 900, 10, 60)  # large, letter-spaced: 86 px a letter, 50 high
    rule = word("eee", 110, 1540, 80, 90)  # a table's row rule, 1,430 px wide, 10 high
    digits = word("1111001710101", 110, 1540, 120, 150)

    assert without_rules_read_as_words([*print_, title, rule, digits]) == [*print_, title]


@pytest.mark.parametrize("in_process", [True, False])
def test_a_page_segmentation_mode_given_reaches_tesseract_for_that_image_only(
    in_process: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TESSERACT, "in_process", in_process)
    image = Image.new("L", (300, 120), 255)
    draw = ImageDraw.Draw(image)
    draw.text((10, 10), "498,33", fill=0, font_size=24)
    draw.text((10, 70), "661,90", fill=0, font_size=24)

    def read(mode: int | None) -> list[str]:
        return [w.text for w in TESSERACT.read_words(image, "eng", deadline_in(60), mode=mode)]

    # Mode 7 takes the image for one line of text: two lines read as none.
    assert read(SINGLE_LINE_MODE) == []
    assert read(None) == read(UNIFORM_BLOCK_MODE) == ["498,33", "661,90"]
