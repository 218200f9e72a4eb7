"""Photographed pages flattened before OCR (``extractors.page_geometry``)."""

from __future__ import annotations

import io
import time

import cv2
import numpy as np
import pytest
from PIL import Image

from extractors.base import Deadline, ExtractOptions
from extractors.ocr import TESSERACT, deskew, load_image_pages, read_page_image, upright_page
from extractors.page_geometry import even_lighting, find_page_corners, flatten_page
from samples.randomised import generate_document
from tests.conftest import SAMPLES

PAGE_WIDTH, PAGE_HEIGHT = 600, 800
ROW_TOPS = tuple(range(80, 720, 60))
# Where the page's corners land in the photo: turned about 5° and pulled out of square.
PHOTO_SIZE = (900, 1100)
PHOTO_CORNERS = np.array([[170, 120], [760, 175], [725, 980], [120, 925]], dtype=np.float32)


def text_page() -> np.ndarray:
    """A white page with rows of dark text across it."""
    page = np.full((PAGE_HEIGHT, PAGE_WIDTH), 250, dtype=np.uint8)
    for number, top in enumerate(ROW_TOPS):
        cv2.putText(
            page, f"ROW {number} TOTAL 1481.47 EUR", (40, top + 30), 0, 1.0, 20, 2, cv2.LINE_AA
        )
    return page


def photographed(
    page: np.ndarray, desk_grey: int = 70, corners: np.ndarray = PHOTO_CORNERS
) -> Image.Image:
    """``page`` warped onto a dark desk, as a phone held at an angle sees it."""
    source = np.array(
        [[0, 0], [PAGE_WIDTH, 0], [PAGE_WIDTH, PAGE_HEIGHT], [0, PAGE_HEIGHT]], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(source, corners)
    desk = np.full((PHOTO_SIZE[1], PHOTO_SIZE[0]), desk_grey, dtype=np.uint8)
    warped = cv2.warpPerspective(page, matrix, PHOTO_SIZE, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full_like(page, 255), matrix, PHOTO_SIZE) > 127
    desk[mask] = warped[mask]
    return Image.fromarray(desk, mode="L")


def row_tilt(image: Image.Image, top: int, bottom: int) -> float:
    """Return how far (pixels) the ink between ``top`` and ``bottom`` sits lower at the right
    of the text than at its left."""
    ink = np.asarray(image)[top:bottom] < 128
    rows, columns = np.nonzero(ink)
    left, right = np.percentile(columns, [25, 75])
    return float(rows[columns >= right].mean() - rows[columns <= left].mean())


def test_a_photographed_page_is_found_by_its_corners() -> None:
    corners = find_page_corners(photographed(text_page()))

    assert corners is not None
    # Top-left, top-right, bottom-right, bottom-left, within a few pixels of the truth.
    assert np.abs(corners - PHOTO_CORNERS).max() < 12


def test_a_page_with_a_shadowed_corner_is_found_where_its_sides_meet() -> None:
    # A shadow over the top-left corner leaves it as dark as the desk: the bright region's
    # outline has a short fifth side there, which must not cut the page short.
    page = text_page()
    cv2.fillConvexPoly(page, np.array([[0, 0], [260, 0], [0, 220]], dtype=np.int32), 60)

    corners = find_page_corners(photographed(page))

    assert corners is not None
    assert np.abs(corners - PHOTO_CORNERS).max() < 12


def test_a_page_with_one_corner_near_the_frame_is_found_and_one_with_two_is_not() -> None:
    # A tilted sheet filling the frame brings one corner within a few pixels of its edge;
    # a region meeting the edge with two corners is a band, or a page the frame cuts.
    one = PHOTO_CORNERS.copy()
    one[3] = (5, 925)
    corners = find_page_corners(photographed(text_page(), corners=one))
    assert corners is not None
    assert np.abs(corners - one).max() < 12
    two = one.copy()
    two[0] = (5, 120)
    assert find_page_corners(photographed(text_page(), corners=two)) is None


def test_a_photographed_page_is_flattened_to_its_own_size_with_level_rows() -> None:
    photo = photographed(text_page())

    flat = flatten_page(photo)

    assert abs(flat.width - PAGE_WIDTH) < 0.03 * PAGE_WIDTH
    assert abs(flat.height - PAGE_HEIGHT) < 0.03 * PAGE_HEIGHT
    scale = flat.height / PAGE_HEIGHT
    for top in ROW_TOPS[:3]:
        band = round((top + 5) * scale), round((top + 40) * scale)
        assert abs(row_tilt(flat, *band)) < 2.5
    # Unflattened (on a white desk, so only the text is ink), the first row is far off level.
    assert abs(row_tilt(photographed(text_page(), desk_grey=250), 150, 215)) > 10
    # No strip of the dark desk comes back along the page's edges.
    pixels = np.asarray(flat)
    assert pixels[:, :3].min() > 150
    assert pixels[:, -3:].min() > 150
    assert pixels[:3].min() > 150
    assert pixels[-3:].min() > 150


@pytest.mark.parametrize(
    "size", [(PAGE_WIDTH, PAGE_HEIGHT), (300, 1400)], ids=["page", "receipt-crop"]
)
def test_a_scan_filling_its_frame_comes_back_unchanged(size: tuple[int, int]) -> None:
    scan = Image.fromarray(text_page(), mode="L").resize(size)

    assert flatten_page(scan) is scan
    assert np.array_equal(np.asarray(upright_page(scan)), np.asarray(deskew(scan)))


def test_an_even_grey_picture_comes_back_unchanged() -> None:
    grey = Image.new("L", (640, 480), 128)

    assert flatten_page(grey) is grey


def test_light_falling_off_across_a_page_is_evened() -> None:
    page = text_page().astype(np.float32)
    shade = np.linspace(1.0, 0.55, PAGE_WIDTH, dtype=np.float32)[None, :]
    shaded = Image.fromarray((page * shade).astype(np.uint8), mode="L")

    paper = np.asarray(even_lighting(shaded))[PAGE_HEIGHT - 60 :]

    assert paper.min() > 215
    assert np.asarray(shaded)[PAGE_HEIGHT - 60 :].min() < 150


@pytest.mark.skipif(not TESSERACT.available(), reason="tesseract is not installed")
def test_a_generated_photo_is_read_once_flattened() -> None:
    document = generate_document(0, 0, "photo")
    ((_, image),) = list(load_image_pages(document.data, document.filename))
    deadline = Deadline(at=time.monotonic() + 120, source=document.filename)

    page = read_page_image(image, 1, ExtractOptions(), deadline)

    texts = {word.text for word in page.words}
    assert document.truth["fields"]["invoice_number"] in texts
    # The page, not the desk: the words span most of a page narrower than the photo.
    assert page.width < Image.open(io.BytesIO(document.data)).width


def test_a_scan_with_a_coloured_band_across_its_top_comes_back_unchanged() -> None:
    # The committed boxed layout's dark header band reaches both edges of the frame: with the
    # white page below it, it once passed for a page photographed on a desk.
    scan = Image.open(SAMPLES / "fr-boxed-0039.png").convert("L")
    assert flatten_page(scan) is scan
