"""Scans and photos of a rendered invoice: what OCR meets in an inbox.

Scans reuse the sample generator's look (toned paper, blur, skew, noise, specks, JPEG) on
every page; photos are the first page shot at an angle on a desk: perspective, uneven light,
focus blur, sensor noise and JPEG artefacts.
"""

from __future__ import annotations

import io
import random
import time

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

from samples.invoices.generate import ScanLook, degrade

SCAN_DPI = 200
PHOTO_DPI = 150
DESK_COLOURS = ((92, 74, 58), (150, 140, 128), (60, 62, 68), (180, 170, 150), (120, 96, 70))


def rasterise_pages(pdf: bytes, dpi: int, *, grey: bool) -> list[Image.Image]:
    """Return every page of ``pdf`` as an image at ``dpi``."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            image: Image.Image = page.render(scale=dpi / 72, grayscale=grey).to_pil()
            pages.append(image.convert("L" if grey else "RGB"))
        return pages
    finally:
        document.close()


def scanned_pdf(pdf: bytes, key: str, *, title: str) -> bytes:
    """Return an image-only PDF of every page, each degraded like a paper scan."""
    rng = random.Random(key)
    look = ScanLook.draw(rng, white_balanced=rng.random() < 0.4)
    pages = [degrade(page, look, rng) for page in rasterise_pages(pdf, SCAN_DPI, grey=True)]
    # One scan in five is black and white (office copiers' default): thresholded, no greys,
    # stored losslessly; the others are JPEG-compressed greys.
    quality: dict[str, int] = {"quality": look.quality}
    if rng.random() < 0.2:
        threshold = rng.randint(200, 215)  # high enough to keep grey labels
        pages = [page.point(lambda value: 255 if value > threshold else 0).convert("1")
                 for page in pages]  # fmt: skip
        quality = {}
    stamp = time.gmtime(0)  # a fixed stamp: Pillow would otherwise write the current time
    buffer = io.BytesIO()
    pages[0].save(
        buffer,
        "PDF",
        resolution=SCAN_DPI,
        title=title,
        creator="invoicebot randomised generator",
        creationDate=stamp,
        modDate=stamp,
        save_all=True,
        append_images=pages[1:],
        **quality,
    )
    return buffer.getvalue()


def perspective_coefficients(
    source: list[tuple[float, float]], target: list[tuple[float, float]]
) -> list[float]:
    """Return PIL's 8 perspective coefficients mapping output ``target`` points to
    ``source`` points (PIL transforms pull pixels from the source)."""
    matrix, vector = [], []
    for (sx, sy), (tx, ty) in zip(source, target, strict=True):
        matrix.append([tx, ty, 1, 0, 0, 0, -sx * tx, -sx * ty])
        matrix.append([0, 0, 0, tx, ty, 1, -sy * tx, -sy * ty])
        vector += [sx, sy]
    solution = np.linalg.solve(np.asarray(matrix, dtype=float), np.asarray(vector, dtype=float))
    return [float(value) for value in solution]


def lighting(rng: random.Random, width: float, height: float) -> np.ndarray:
    """Return a light map (about 0.7-1.1): a gradient from a random side and a vignette,
    computed coarse and smoothly enlarged (light varies slowly)."""
    coarse_w, coarse_h = max(2, int(width) // 16), max(2, int(height) // 16)
    ys, xs = np.mgrid[0:coarse_h, 0:coarse_w].astype(np.float32)
    xs, ys = xs / coarse_w, ys / coarse_h
    angle = rng.uniform(0, 2 * np.pi)
    gradient = (np.cos(angle) * xs + np.sin(angle) * ys) * rng.uniform(0.1, 0.3)
    vignette = ((xs - 0.5) ** 2 + (ys - 0.5) ** 2) * rng.uniform(0.2, 0.5)
    light = (1.0 - gradient + gradient.mean() - vignette).astype(np.float32)
    enlarged = Image.fromarray(light, mode="F").resize(
        (int(width), int(height)), Image.Resampling.BILINEAR
    )
    return np.asarray(enlarged, dtype=np.float32)


def photo_jpeg(pdf: bytes, key: str) -> bytes:
    """Return a JPEG photo of the first page: tilted on a desk, unevenly lit, soft."""
    rng = random.Random(key)
    page = rasterise_pages(pdf, PHOTO_DPI, grey=False)[0]
    width, height = page.size
    margin_x, margin_y = int(width * 0.08), int(height * 0.06)
    out_w, out_h = width + 2 * margin_x, height + 2 * margin_y
    spread = rng.uniform(0.01, 0.045)

    def corner(x: float, y: float) -> tuple[float, float]:
        return (
            x + rng.uniform(-spread, spread) * width,
            y + rng.uniform(-spread, spread) * height,
        )

    # The sheet turned by a few degrees about its centre, each corner a little off.
    turn = np.radians(rng.uniform(-3.5, 3.5))
    cx, cy = out_w / 2, out_h / 2

    def turned(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - cx, y - cy
        return cx + dx * np.cos(turn) - dy * np.sin(turn), cy + dx * np.sin(turn) + dy * np.cos(
            turn
        )

    target = [
        corner(*turned(margin_x, margin_y)),
        corner(*turned(margin_x + width, margin_y)),
        corner(*turned(margin_x + width, margin_y + height)),
        corner(*turned(margin_x, margin_y + height)),
    ]
    source = [(0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height))]
    coefficients = perspective_coefficients(source, target)
    desk = Image.new("RGB", (out_w, out_h), rng.choice(DESK_COLOURS))
    mask = Image.new("L", page.size, 255).transform(
        (out_w, out_h), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BILINEAR
    )
    warped = page.transform(
        (out_w, out_h), Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC
    )
    desk.paste(warped, (0, 0), mask)
    pixels = np.asarray(desk, dtype=np.float32)
    pixels *= lighting(rng, out_w, out_h)[..., None]
    pixels *= np.asarray([1.0, rng.uniform(0.95, 1.0), rng.uniform(0.85, 0.97)], np.float32)
    noise = np.random.default_rng(rng.getrandbits(64))
    pixels += noise.standard_normal(pixels.shape, dtype=np.float32) * rng.uniform(2.0, 5.0)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB")
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.1)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=rng.randint(70, 88), dpi=(PHOTO_DPI, PHOTO_DPI))
    return buffer.getvalue()
