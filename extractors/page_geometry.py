"""Page geometry: a photographed page (a bright sheet shot at an angle on a darker surface)
flattened to an upright rectangle before OCR.

The sheet is found on a copy ``FIND_WIDTH`` pixels wide: blurred, split from its surround by
Otsu's threshold, the largest bright region's convex hull simplified to four corners. It is
taken for a page only when the quadrilateral is convex, covers at least ``MIN_PAGE_SHARE`` of
the frame, leaves at least ``MIN_SURROUND_SHARE`` of it outside, keeps its corners (all but
one) off the frame's edges, and is clearly brighter than what lies outside it. Anything else
(a scan whose page fills the frame, one with a coloured band across it, a receipt crop, a
page cut by the frame's edge) is returned unchanged, the same object.
"""

from __future__ import annotations

import math
from itertools import combinations

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

FloatArray = npt.NDArray[np.float32]
ByteArray = npt.NDArray[np.uint8]

# The page is looked for on a copy this wide (a photo is 1,400-4,000 px): 40 ms a page.
FIND_WIDTH = 800
# The quadrilateral must cover this share of the frame, and leave this share outside it.
MIN_PAGE_SHARE = 0.25
MIN_SURROUND_SHARE = 0.03
# The corners must stand this share of the frame's width or height inside its edges: a sheet
# photographed on a desk shows the desk around it, while a region touching the frame is a
# page's own filled band (a coloured header) on a scan, or a page the frame cuts. One corner
# may come closer: a tilted sheet that fills the frame brings one corner near its edge,
# while a band or a cut page meets the edge with two.
MIN_EDGE_MARGIN = 0.01
MAX_CORNERS_NEAR_EDGE = 1
# Median grey levels of the page and of its surround must differ by at least this much.
MIN_CONTRAST = 40.0
# Simplifying the page's outline: tolerances tried, as shares of its perimeter.
APPROX_TOLERANCES = (0.01, 0.02, 0.03, 0.04, 0.05)
# An outline of up to this many sides is a page with corners clipped (by a shadow) when four
# of its sides, extended, meet in a quadrilateral at most this share larger than it.
MAX_OUTLINE_SIDES = 6
MAX_CLIPPED_AREA = 0.1
# The corners are moved this share of the way towards the page's centre, so no strip of the
# surround (a dark edge that reads as a rule or a letter) comes back with the page.
CORNER_INSET = 0.004
# Evening the light of a flattened photo: the paper's brightness is estimated on a copy
# ``FIND_WIDTH`` wide by closing (a maximum, then a minimum) over this many pixels, which wipes
# out letters and thin rules but keeps broad filled bands, then blurred; each pixel is divided by
# it. Tesseract binarises a page with one global threshold, which a shadowed corner defeats.
LIGHT_KERNEL = 25
LIGHT_BLUR = 10.0


def flatten_page(image: Image.Image) -> Image.Image:
    """Return the photographed page in ``image`` warped to an upright rectangle of its own size,
    or ``image`` itself when no page quadrilateral stands out from a darker surround."""
    corners = find_page_corners(image)
    if corners is None:
        return image
    return warp_to_rectangle(image, corners)


def find_page_corners(image: Image.Image) -> FloatArray | None:
    """Return the page's corners in ``image`` pixels (top-left, top-right, bottom-right,
    bottom-left; 4 x 2 float32), or None when no clear page quadrilateral is found."""
    grey = _grey_pixels(image)
    height, width = grey.shape
    if width < 32 or height < 32:
        return None
    scale = min(1.0, FIND_WIDTH / width)
    small = _resized(grey, scale) if scale < 1.0 else grey
    blurred = np.asarray(cv2.GaussianBlur(small, (5, 5), 0), dtype=np.uint8)
    _, bright = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    frame_area = float(small.shape[0] * small.shape[1])
    largest = max(contours, key=cv2.contourArea)
    quad = _four_corners(np.asarray(cv2.convexHull(largest), dtype=np.int32))
    if quad is None:
        return None
    area = float(cv2.contourArea(quad))
    if area < MIN_PAGE_SHARE * frame_area or area > (1 - MIN_SURROUND_SHARE) * frame_area:
        return None
    if not _inside_frame(quad, small.shape[1], small.shape[0]) or not _stands_out(blurred, quad):
        return None
    corners = _ordered(quad.reshape(4, 2).astype(np.float32))
    centre = corners.mean(axis=0)
    corners = corners + (centre - corners) * CORNER_INSET
    return np.asarray(corners / scale, dtype=np.float32)


def _inside_frame(quad: npt.NDArray[np.int32], width: int, height: int) -> bool:
    """Return True when the corners of ``quad`` stand ``MIN_EDGE_MARGIN`` inside the frame,
    all but ``MAX_CORNERS_NEAR_EDGE`` of them, and none on its edge."""
    points = quad.reshape(-1, 2)
    x_margin, y_margin = MIN_EDGE_MARGIN * width, MIN_EDGE_MARGIN * height
    xs, ys = points[:, 0], points[:, 1]
    on_edge = (xs <= 0) | (xs >= width - 1) | (ys <= 0) | (ys >= height - 1)
    near_edge = (xs < x_margin) | (xs > width - 1 - x_margin)
    near_edge |= (ys < y_margin) | (ys > height - 1 - y_margin)
    return not on_edge.any() and int(near_edge.sum()) <= MAX_CORNERS_NEAR_EDGE


def warp_to_rectangle(image: Image.Image, corners: FloatArray) -> Image.Image:
    """Return the quadrilateral ``corners`` (ordered as ``find_page_corners`` returns them) of
    ``image`` warped to an upright rectangle as wide and tall as its longer opposite sides."""
    top_left, top_right, bottom_right, bottom_left = corners
    width = round(max(_length(top_right - top_left), _length(bottom_right - bottom_left)))
    height = round(max(_length(bottom_left - top_left), _length(bottom_right - top_right)))
    target = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32
    )
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    pixels = np.asarray(image, dtype=np.uint8)
    fill = (255,) * (pixels.shape[2] if pixels.ndim == 3 else 1)
    warped = np.asarray(
        cv2.warpPerspective(
            pixels,
            matrix,
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=fill,
        ),
        dtype=np.uint8,
    )
    return Image.fromarray(warped, mode=image.mode)


def even_lighting(image: Image.Image) -> Image.Image:
    """Return grayscale ``image`` with its paper brought to an even white: each pixel divided by
    the local brightness of the paper around it."""
    pixels = _grey_pixels(image)
    height, width = pixels.shape
    scale = min(1.0, FIND_WIDTH / width)
    small = _resized(pixels, scale)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (LIGHT_KERNEL, LIGHT_KERNEL))
    paper = cv2.GaussianBlur(cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel), (0, 0), LIGHT_BLUR)
    paper = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
    ratio = pixels.astype(np.float32) * 255.0 / np.maximum(paper.astype(np.float32), 1.0)
    evened: ByteArray = np.clip(ratio, 0.0, 255.0).astype(np.uint8)
    return Image.fromarray(evened, mode="L")


def _four_corners(hull: npt.NDArray[np.int32]) -> npt.NDArray[np.int32] | None:
    """Return ``hull`` simplified to a convex quadrilateral, or None when it is no such thing.

    A corner cut off the bright region (a shadow on it) leaves a fifth side: the page's
    corner lies where the sides either side of it, extended, meet."""
    perimeter = cv2.arcLength(hull, True)
    for tolerance in APPROX_TOLERANCES:
        approx = np.asarray(cv2.approxPolyDP(hull, tolerance * perimeter, True), dtype=np.int32)
        if len(approx) < 4:
            return None
        quad = approx if len(approx) == 4 else _sides_met(approx.reshape(-1, 2))
        if quad is not None:
            return quad if cv2.isContourConvex(quad) else None
    return None


def _sides_met(outline: npt.NDArray[np.int32]) -> npt.NDArray[np.int32] | None:
    """Return the smallest convex quadrilateral four sides of ``outline`` (a convex polygon
    of up to ``MAX_OUTLINE_SIDES`` sides) make where they meet, or None when it adds more
    than ``MAX_CLIPPED_AREA`` to the outline's area (no corner was clipped)."""
    count = len(outline)
    if count > MAX_OUTLINE_SIDES:
        return None
    sides = [(outline[index], outline[(index + 1) % count]) for index in range(count)]
    best: npt.NDArray[np.int32] | None = None
    best_area = (1 + MAX_CLIPPED_AREA) * float(cv2.contourArea(outline.reshape(-1, 1, 2)))
    for chosen in combinations(range(count), 4):
        corners = [
            _meeting_point(sides[first], sides[second])
            for first, second in zip(chosen, [*chosen[1:], chosen[0]], strict=True)
        ]
        if any(corner is None for corner in corners):
            continue
        quad = np.rint(np.array(corners, dtype=np.float64)).astype(np.int32).reshape(-1, 1, 2)
        area = float(cv2.contourArea(quad))
        if cv2.isContourConvex(quad) and area <= best_area:
            best, best_area = quad, area
    return best


def _meeting_point(
    first: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]],
    second: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]],
) -> tuple[float, float] | None:
    """Return where the lines through two sides cross, or None when they run parallel."""
    (x1, y1), (x2, y2) = first[0].astype(float), first[1].astype(float)
    (x3, y3), (x4, y4) = second[0].astype(float), second[1].astype(float)
    denominator = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(denominator) < 1e-9:
        return None
    along = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / denominator
    return x1 + along * (x2 - x1), y1 + along * (y2 - y1)


def _stands_out(grey: ByteArray, quad: npt.NDArray[np.int32]) -> bool:
    """Return True when the page inside ``quad`` is clearly brighter than its surround."""
    mask = np.zeros(grey.shape, dtype=np.uint8)
    cv2.fillConvexPoly(mask, quad.reshape(-1, 2), 255)
    inside = grey[mask > 0]
    outside = grey[mask == 0]
    if not inside.size or not outside.size:
        return False
    return float(np.median(inside)) - float(np.median(outside)) >= MIN_CONTRAST


def _grey_pixels(image: Image.Image) -> ByteArray:
    """Return ``image``'s grey levels, without the copy converting a grey image would make
    (10 ms a page)."""
    grey = image if image.mode == "L" else image.convert("L")
    return np.asarray(grey, dtype=np.uint8)


def _resized(pixels: ByteArray, scale: float) -> ByteArray:
    """Return ``pixels`` scaled by ``scale`` (area-averaged)."""
    height, width = pixels.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _ordered(points: FloatArray) -> FloatArray:
    """Return four points as top-left, top-right, bottom-right, bottom-left."""
    sums = points.sum(axis=1)
    differences = points[:, 1] - points[:, 0]
    order = [
        int(np.argmin(sums)),
        int(np.argmin(differences)),
        int(np.argmax(sums)),
        int(np.argmax(differences)),
    ]
    if len(set(order)) < 4:
        # Turned near 45°: no corner is clearly the top-left one; order them by angle instead.
        centre = points.mean(axis=0)
        angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
        order = [int(index) for index in np.argsort(angles)]
        start = min(range(4), key=lambda position: float(sums[order[position]]))
        order = order[start:] + order[:start]
    return points[order].astype(np.float32)


def _length(vector: FloatArray) -> float:
    return math.hypot(float(vector[0]), float(vector[1]))
