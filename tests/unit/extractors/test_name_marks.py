"""The parties' names read again for the accents the page's OCR models lack."""

from __future__ import annotations

import time

from PIL import Image

from extractors.base import Deadline, ExtractOptions, FieldReading, Word
from extractors.boxes import box_of_words
from extractors.name_marks import ACCEPT_FROM, with_name_marks, without_marks
from extractors.ocr import name_line_reader, read_page_image
from invoicebot.model import Box, InvoiceFields
from tests.unit.extractors.test_text_layer import make_pdf, render_page

PAGE = Image.new("L", (1000, 800), 255)
SELLER_BOX = Box(page=1, x0=0.1, top=0.1, x1=0.4, bottom=0.125)
BUYER_BOX = Box(page=1, x0=0.5, top=0.3, x1=0.8, bottom=0.325)


class FakeLine:
    """Reads every crop as the words given, and keeps the crops' sizes."""

    def __init__(self, *texts: str, confidence: float = 0.95) -> None:
        self.words = [
            Word(text=text, x0=10 * i, top=0, x1=10 * i + 8, bottom=10, confidence=confidence)
            for i, text in enumerate(texts)
        ]
        self.crops: list[tuple[int, int]] = []

    def __call__(self, line: Image.Image) -> list[Word]:
        self.crops.append(line.size)
        return self.words


def reading(seller: str | None, buyer: str | None = None) -> FieldReading:
    boxes = {"seller_name": SELLER_BOX} if seller else {}
    if buyer:
        boxes["buyer_name"] = BUYER_BOX
    return FieldReading(
        fields=InvoiceFields(seller_name=seller, buyer_name=buyer, invoice_number="F-1"),
        boxes=boxes,
    )


def test_a_name_takes_the_marks_of_its_sure_rereading() -> None:
    read = FakeLine("Suministros", "García", "S.L.")

    marked = with_name_marks(reading("Suministros Garcia S.L."), {1: PAGE}, read)

    assert marked.fields.seller_name == "Suministros García S.L."
    assert marked.fields.invoice_number == "F-1"
    # The crop is the name's box with paper around it, not the page.
    ((width, height),) = read.crops
    assert 300 < width < 400
    assert 20 < height < 60


def test_a_rereading_of_other_letters_changes_nothing() -> None:
    read = FakeLine("Suministros", "Garcfa", "S.L.")

    assert with_name_marks(reading("Suministros Garcia S.L."), {1: PAGE}, read).fields == (
        reading("Suministros Garcia S.L.").fields
    )


def test_an_unsure_rereading_changes_nothing() -> None:
    read = FakeLine("Gebāudeservice", confidence=ACCEPT_FROM - 0.01)

    assert with_name_marks(reading("Gebaudeservice"), {1: PAGE}, read).fields.seller_name == (
        "Gebaudeservice"
    )


def test_names_without_a_box_or_a_page_image_are_not_read_again() -> None:
    read = FakeLine("Lefèvre")

    unread = reading(None, "Lefevre")
    assert with_name_marks(unread, {2: PAGE}, read) == unread
    unboxed = unread.model_copy(update={"boxes": {}})
    assert with_name_marks(unboxed, {1: PAGE}, read) == unboxed
    assert read.crops == []


def test_each_party_is_read_on_its_own_box() -> None:
    read = FakeLine("Groupe", "Lefèvre")

    marked = with_name_marks(reading("Acme SARL", "Groupe Lefevre"), {1: PAGE}, read)

    assert (marked.fields.seller_name, marked.fields.buyer_name) == ("Acme SARL", "Groupe Lefèvre")
    assert len(read.crops) == 2


def test_marks_are_taken_off_and_the_rest_kept() -> None:
    assert without_marks("García Lefèvre Gebäude Muñoz") == "Garcia Lefevre Gebaude Munoz"
    assert without_marks("S.L.") == "S.L."


def test_tesseract_s_latin_model_gives_a_scanned_name_its_accent() -> None:
    image = render_page(make_pdf([["Suministros García S.L."]], font_size=12), dpi=200)
    deadline = Deadline(time.monotonic() + 60, "test")
    page = read_page_image(image, 1, ExtractOptions(), deadline)
    # fra+eng+deu hold no "í": the page's reading has lost it.
    assert [word.text for word in page.words] == ["Suministros", "Garcia", "S.L."]
    box = box_of_words(page, page.words)
    assert box is not None
    read = FieldReading(
        fields=InvoiceFields(seller_name="Suministros Garcia S.L."), boxes={"seller_name": box}
    )
    read_line = name_line_reader(deadline)
    assert read_line is not None

    marked = with_name_marks(read, {1: image}, read_line)

    assert marked.fields.seller_name == "Suministros García S.L."
