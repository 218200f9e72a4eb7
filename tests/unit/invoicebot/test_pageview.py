"""The page view: outlined pages and original files of archived documents, to signed links
or the server's credential only, never a path from the request."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from extractors import extract_document
from extractors.base import ExtractOptions
from invoicebot.cli import app as cli
from invoicebot.docserver import create_app
from invoicebot.model import Box
from invoicebot.pageview import (
    FAILED_COLOUR,
    READ_COLOUR,
    LinkSigner,
    clear_page_cache,
    file_path,
    page_path,
)
from invoicebot.review import review_markdown, take_markdown
from invoicebot.settings import Settings
from invoicebot.store.engine import init_store, make_engine
from invoicebot.store.review_audit import load_case
from invoicebot.store.tables import Document
from tests.inbox import pick_samples
from tests.processing import store_exception

[(FAULTY_PDF, _)] = pick_samples(lambda t: t["faults"] == ["BR-CO-15"], 1)
KEY = b"a-key-for-the-tests"
CREDENTIAL = "invoicebot:s3cret"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return Settings(page_view_secret=KEY.decode(), page_view_width=600)


@pytest.fixture
def engine(settings: Settings) -> Engine:
    """Return the store holding the faulty sample as exception invoice 1, document 1, its
    file in the archive."""
    archived = settings.archive_dir / "exceptions" / FAULTY_PDF.name
    archived.parent.mkdir(parents=True)
    shutil.copy2(FAULTY_PDF, archived)
    extraction = extract_document(archived, ExtractOptions())
    store = make_engine(settings.resolved_database_url)
    init_store(store)
    store_exception(store, extraction, FAULTY_PDF, archived)
    return store


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, key=KEY, auth_string=CREDENTIAL)) as served:
        yield served


def signed(path: str, invoice_id: int | None = None) -> str:
    """Return the path and query of a signed link (the test client's base is its own)."""
    return LinkSigner(KEY, "", 60).link(path, invoice_id)


def test_a_signed_page_link_gives_the_page_outlined_the_failed_total_in_red(
    client: TestClient, engine: Engine
) -> None:
    answer = client.get(signed(page_path(1, 1), 1))
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(answer.content)).convert("RGB")
    assert image.width == 600
    with Session(engine) as session:
        boxes = load_case(session, invoice_id=1).boxes
    assert boxes is not None
    # BR-CO-15 concerns the totals: the gross is outlined in red, the number in green.
    assert _outline_colour(image, boxes.fields["total_gross"]) == FAILED_COLOUR
    assert _outline_colour(image, boxes.fields["invoice_number"]) == READ_COLOUR
    # Without an invoice, the bare page.
    bare = client.get(signed(page_path(1, 1)))
    assert bare.status_code == 200 and bare.content != answer.content


def _outline_colour(image: Image.Image, box: Box) -> tuple[int, ...]:
    """Return the colour drawn just outside a box's left edge, halfway down."""
    x = round(box.x0 * image.width) - 4  # pageview.MARGIN_PX
    y = round((box.top + box.bottom) / 2 * image.height)
    return tuple(image.getpixel((x, y)))  # type: ignore[arg-type]


def test_a_page_is_rendered_once_then_served_from_the_cache(
    client: TestClient, settings: Settings
) -> None:
    first = client.get(signed(page_path(1, 1), 1))
    cached = list(settings.page_cache_dir.glob("*.png"))
    assert len(cached) == 1 and cached[0].read_bytes() == first.content
    again = client.get(signed(page_path(1, 1), 1))
    assert again.content == first.content
    assert list(settings.page_cache_dir.glob("*.png")) == cached
    # A purge or an erasure of the document deletes its rendered pages too.
    sha256 = cached[0].name.split("-p1-")[0]
    assert clear_page_cache(settings, [sha256]) == 1 and not cached[0].exists()


def test_the_original_file_is_served_as_archived(client: TestClient) -> None:
    answer = client.get(signed(file_path(1)))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content == FAULTY_PDF.read_bytes()


def test_requests_without_a_valid_signature_or_the_credential_are_refused(
    client: TestClient,
) -> None:
    page = page_path(1, 1)
    assert client.get(page).status_code == 401
    assert client.get(file_path(1)).status_code == 401
    assert client.get(page, auth=("invoicebot", "wrong")).status_code == 401
    assert client.get(page, auth=("invoicebot", "s3cret")).status_code == 200
    # Expired, forged, or a signature of another page or invoice.
    expired = LinkSigner(KEY, "", -1).link(page, 1)
    assert client.get(expired).status_code == 401
    forged = LinkSigner(b"another key", "", 60).link(page, 1)
    assert client.get(forged).status_code == 401
    other_page = signed(page_path(1, 2), 1).replace("/pages/2", "/pages/1")
    assert client.get(other_page).status_code == 401
    other_invoice = signed(page, 1).replace("invoice=1", "invoice=2")
    assert client.get(other_invoice).status_code == 401
    later = int(time.time()) + 10**6
    stretched = signed(page, 1).split("&expires=")[0] + f"&expires={later}&signature=00"
    assert client.get(stretched).status_code == 401
    refused = client.get(page)
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert "signed link" in refused.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/documents/..%2F..%2F..%2Fetc%2Fpasswd/file",
        "/documents/1/pages/..%2F..%2Fetc%2Fpasswd",
        "/documents/1/../../../../etc/passwd",
        "/documents/%2Fetc%2Fpasswd/file",
        "/etc/passwd",
    ],
)
def test_no_path_from_the_request_reaches_the_filesystem(client: TestClient, path: str) -> None:
    answer = client.get(path, auth=("invoicebot", "s3cret"))
    assert answer.status_code in (401, 404, 422)
    assert b"root:" not in answer.content


def test_a_document_outside_the_archive_unknown_or_purged_is_a_404_with_a_reason(
    client: TestClient, engine: Engine, settings: Settings
) -> None:
    unknown = client.get(signed(page_path(99, 1)))
    assert unknown.status_code == 404 and "no such document" in unknown.json()["detail"]
    assert client.get(signed(page_path(1, 7), 1)).json()["pages"] == 1
    with Session(engine) as session:
        document = session.get_one(Document, 1)
        document.archived_path = str(FAULTY_PDF)  # a file, but not in the archive
        session.add(document)
        session.commit()
    outside = client.get(signed(file_path(1)))
    assert outside.status_code == 404 and "not in the archive" in outside.json()["detail"]
    with Session(engine) as session:
        document = session.get_one(Document, 1)
        document.archived_path = str(settings.archive_dir / "exceptions" / FAULTY_PDF.name)
        session.add(document)
        session.commit()
    (settings.archive_dir / "exceptions" / FAULTY_PDF.name).unlink()  # erased
    purged = client.get(signed(page_path(1, 1), 1))
    assert purged.status_code == 404 and "no longer in the archive" in purged.json()["detail"]


def test_the_forms_embed_the_outlined_first_page_and_link_the_original(
    engine: Engine, settings: Settings
) -> None:
    signer = LinkSigner.from_settings(settings)
    assert signer is not None
    with Session(engine) as session:
        case = load_case(session, invoice_id=1)
    for text in (review_markdown(case, signer=signer), take_markdown(case, signer=signer)):
        assert "![page 1, outlined where the values were read](" in text
        assert f"{settings.page_view_base_url}{page_path(1, 1)}?invoice=1&expires=" in text
        assert f"{settings.page_view_base_url}{file_path(1)}?expires=" in text
        assert "file://" not in text
    # Without a served page view, the name only (a file:// link opens nowhere).
    assert "![" not in review_markdown(case) and "file://" not in review_markdown(case)


def test_review_show_writes_the_outlined_page(engine: Engine, tmp_path: Path) -> None:
    target = tmp_path / "page.png"
    done = CliRunner().invoke(cli, ["review", "show", "1", "--page-image", str(target)])
    assert done.exit_code == 0, done.output
    assert "page 1 written to" in done.output
    with Image.open(target) as image:
        assert image.format == "PNG" and image.width == 1000  # the default width
    missing = CliRunner().invoke(
        cli, ["review", "show", "1", "--page-image", str(target), "--page", "5"]
    )
    assert missing.exit_code == 1 and "no page image" in missing.output
