"""The parties' names read again for the accents the page's OCR models lack or lost.

Tesseract's fra, eng and deu models hold no "í": "García" comes out "Garcia", on a clean
page too; and a scan's small print loses marks they do hold ("Lefèvre" read "Lefevre").
Its Latin script model reads both, but reads other print worse ("%" as "$", "1" as "Ł")
and a page 12-25 % slower (measured 2026-12-07), so it reads only the line each party's
name was read on. Its reading is taken only where it has the very letters of the name read
before, marks aside, every word read surely: it can add or change an accent, nothing else.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from PIL import Image

from extractors.base import FieldReading
from extractors.uncertain_words import ReadLine

# The tesseract model the names are read again with (Debian: tesseract-ocr-script-latn).
MARKS_LANGUAGE = "Latin"
NAME_FIELDS = ("seller_name", "buyer_name")
# Every word of the re-reading is read at least this surely, or it is not taken.
ACCEPT_FROM = 0.8
# Paper kept around the name, in its height: tesseract sizes a line by its surroundings.
MARGIN = 0.5


def with_name_marks(
    reading: FieldReading, images: Mapping[int, Image.Image], read_line: ReadLine
) -> FieldReading:
    """Return ``reading`` with each party's name as ``read_line`` reads it on the box it was
    read from, where that reading differs from it in marks alone and is sure; ``images``:
    the page images the words were read on, by page number (a page missing is not read)."""
    names: dict[str, str] = {}
    for field in NAME_FIELDS:
        name = getattr(reading.fields, field)
        box = reading.boxes.get(field)
        image = images.get(box.page) if box is not None else None
        if not isinstance(name, str) or box is None or image is None:
            continue
        height = (box.bottom - box.top) * image.height
        crop = image.crop(
            (
                max(0, int(box.x0 * image.width - MARGIN * height)),
                max(0, int(box.top * image.height - MARGIN * height)),
                min(image.width, int(box.x1 * image.width + MARGIN * height) + 1),
                min(image.height, int(box.bottom * image.height + MARGIN * height) + 1),
            )
        )
        words = read_line(crop)
        marked = " ".join(word.text for word in words)
        if (
            words
            and min(word.confidence for word in words) >= ACCEPT_FROM
            and marked != name
            and without_marks(marked) == without_marks(name)
        ):
            names[field] = marked
    if not names:
        return reading
    return reading.model_copy(update={"fields": reading.fields.model_copy(update=names)})


def without_marks(text: str) -> str:
    """Return ``text`` without its diacritics ("García" gives "Garcia"), case kept."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
