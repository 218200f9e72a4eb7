"""Scans and photos: the text PDF rasterised and degraded like a paper copy."""

from __future__ import annotations

import io
import random
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

# ----------------------------------------------------------------------------------------
# Scans and photos: the text PDF rasterised and degraded like a paper copy
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanLook:
    """How one paper copy came out of the scanner."""

    paper: int
    ink: int
    blur: float
    angle: float
    noise: float
    speckle: float
    quality: int

    @classmethod
    def draw(cls, rng: random.Random, *, white_balanced: bool) -> ScanLook:
        """Return a random look: greyish paper unless the scanner balanced it to white,
        soft focus, a skew within ±1.5°, mild noise and a JPEG quality of 60-75."""
        return cls(
            paper=255 if white_balanced else rng.randint(236, 248),
            ink=rng.randint(18, 40),
            blur=rng.uniform(0.35, 0.7),
            angle=rng.uniform(-1.5, 1.5),
            noise=rng.uniform(2.0, 3.0) if white_balanced else rng.uniform(2.5, 4.5),
            speckle=rng.uniform(0.0002, 0.0008),
            quality=rng.randint(60, 75),
        )


def rasterise(pdf: bytes, dpi: int) -> Image.Image:
    """Return the first page of ``pdf`` as a grayscale image at ``dpi``."""
    document = pdfium.PdfDocument(pdf)
    try:
        bitmap = document[0].render(scale=dpi / 72, grayscale=True)
        image: Image.Image = bitmap.to_pil()
        return image.convert("L")
    finally:
        document.close()


def degrade(page: Image.Image, look: ScanLook, rng: random.Random) -> Image.Image:
    """Return the page as the scanner saw it: toned, softened, skewed (white corners),
    with gaussian sensor noise and a sprinkle of dust specks."""
    span = look.paper - look.ink
    toned = page.point(lambda value: look.ink + value * span // 255)
    softened = toned.filter(ImageFilter.GaussianBlur(look.blur))
    skewed = softened.rotate(look.angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    noise = np.random.default_rng(rng.getrandbits(64))
    pixels = np.asarray(skewed, dtype=np.float32)
    pixels = pixels + noise.normal(0.0, look.noise, pixels.shape).astype(np.float32)
    specks = noise.random(pixels.shape)
    pixels[specks < look.speckle / 2] = 40.0
    pixels[specks > 1 - look.speckle / 2] = 255.0
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def scanned_pdf(image: Image.Image, dpi: int, quality: int, title: str) -> bytes:
    """Return an image-only PDF (one JPEG page, no text layer) at ``dpi``."""
    stamp = time.gmtime(0)  # a fixed stamp: Pillow would otherwise write the current time
    buffer = io.BytesIO()
    image.save(
        buffer,
        "PDF",
        resolution=dpi,
        quality=quality,
        title=title,
        creator="invoicebot sample generator",
        creationDate=stamp,
        modDate=stamp,
    )
    return buffer.getvalue()


def encoded_image(
    image: Image.Image, image_format: Literal["png", "jpg"], dpi: int, quality: int
) -> bytes:
    """Return the page as a JPEG, or as a 16-grey PNG (what scanner software saves to keep
    a page image small)."""
    buffer = io.BytesIO()
    if image_format == "png":
        sixteen_greys = image.point(lambda value: round(value / 17) * 17)
        sixteen_greys.save(buffer, "PNG", dpi=(dpi, dpi))
    else:
        image.save(buffer, "JPEG", quality=quality, dpi=(dpi, dpi))
    return buffer.getvalue()
