"""The page view's HTTP server: `make serve` starts it beside the Prefect server.

``GET /documents/{id}/pages/{n}`` answers page ``n`` of an archived document as a PNG
(``?invoice=ID``: outlined where that invoice's values were read, the failed rules' fields
in red), ``GET /documents/{id}/file`` the original file. A request is let in with a valid
signature (``expires`` and ``signature``, the links the review forms carry: an ``<img>``
cannot send credentials) or with the Prefect server's basic-auth credential; any other
gets 401. The id is looked up in the store: nothing of the request reaches a file path.
An unknown or purged document, or a missing page, is a 404 with a JSON reason.

Run it with ``python -m invoicebot.docserver`` (listens on ``INVOICEBOT_PAGE_VIEW_HOST``,
127.0.0.1 by default, and ``INVOICEBOT_PAGE_VIEW_PORT``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import sys
import time
from typing import Annotated, Final

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from invoicebot.pageview import (
    DocumentNotFoundError,
    Outline,
    PageNotFoundError,
    find_document,
    page_png,
    signature_valid,
)
from invoicebot.review_page import invoice_outline
from invoicebot.settings import Settings
from invoicebot.store.engine import shared_engine
from validation import load_rule_config

# The environment variable the Prefect server reads its basic-auth credential from.
AUTH_VARIABLE: Final = "PREFECT_SERVER_API_AUTH_STRING"
# Rendered pages may be cached by the browser for a while; they never change for one URL.
CACHE_CONTROL: Final = "private, max-age=3600"


class AccessDeniedError(Exception):
    """A request with neither a valid signature nor the credential."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def create_app(settings: Settings, *, key: bytes, auth_string: str | None) -> FastAPI:
    """Return the page view's app for ``settings``, signing with ``key`` and accepting the
    basic-auth credential ``auth_string`` (``user:password``; None: signed links only)."""
    app = FastAPI(title="invoicebot page view", docs_url=None, redoc_url=None, openapi_url=None)
    engine: Engine = shared_engine(settings.resolved_database_url)
    # Read once: the outline of each request needs it (which fields a form offers).
    review_confidence = load_rule_config(settings.rules_config).review_confidence

    def allowed(
        request: Request,
        invoice: Annotated[int | None, Query(ge=1)] = None,
        expires: Annotated[int | None, Query()] = None,
        signature: Annotated[str | None, Query(max_length=128)] = None,
    ) -> None:
        if expires is not None and signature is not None:
            if signature_valid(key, request.url.path, invoice, expires, signature, time.time()):
                return
            raise AccessDeniedError("the link's signature is not valid or has expired")
        if auth_string is not None and _credential_matches(request, auth_string):
            return
        raise AccessDeniedError("a signed link or the server's credential is needed")

    @app.exception_handler(AccessDeniedError)
    def denied(_: Request, error: AccessDeniedError) -> JSONResponse:
        return JSONResponse(
            {"detail": error.reason},
            status_code=401,
            headers={"WWW-Authenticate": 'Basic realm="invoicebot"'},
        )

    @app.exception_handler(DocumentNotFoundError)
    def unknown_document(_: Request, error: DocumentNotFoundError) -> JSONResponse:
        return JSONResponse(
            {"detail": error.reason, "document_id": error.document_id}, status_code=404
        )

    @app.exception_handler(PageNotFoundError)
    def unknown_page(_: Request, error: PageNotFoundError) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error), "document_id": error.document_id, "pages": error.pages},
            status_code=404,
        )

    @app.get("/health")
    def health() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/documents/{document_id}/pages/{page}", dependencies=[Depends(allowed)])
    def page(
        document_id: Annotated[int, Path(ge=1)],
        page: Annotated[int, Path(ge=1)],
        invoice: Annotated[int | None, Query(ge=1)] = None,
    ) -> Response:
        with Session(engine) as session:
            document = find_document(session, settings, document_id)
            outline = Outline()
            if invoice is not None:
                outline = invoice_outline(
                    session, document_id, invoice, review_confidence=review_confidence
                )
        png = page_png(settings, document, page, outline)
        # A page is a few hundred kB: read at once rather than streamed in chunks.
        return Response(
            png.read_bytes(), media_type="image/png", headers={"Cache-Control": CACHE_CONTROL}
        )

    @app.get("/documents/{document_id}/file", dependencies=[Depends(allowed)])
    def original(document_id: Annotated[int, Path(ge=1)]) -> FileResponse:
        with Session(engine) as session:
            document = find_document(session, settings, document_id)
        return FileResponse(
            document.path,
            media_type=document.media_type,
            filename=document.file_name,
            content_disposition_type="inline",
        )

    return app


def _credential_matches(request: Request, auth_string: str) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(given, auth_string.encode())


def main() -> int:
    """Serve the page view until stopped; return an exit code."""
    import uvicorn

    settings = Settings()
    key = settings.page_view_key()
    if key is None:
        print(
            f"no page view key: set INVOICEBOT_PAGE_VIEW_SECRET or write "
            f"{settings.page_view_secret_file} (make serve does)",
            file=sys.stderr,
        )
        return 2
    app = create_app(settings, key=key, auth_string=os.environ.get(AUTH_VARIABLE) or None)
    uvicorn.run(
        app,
        host=settings.page_view_host,
        port=settings.page_view_port,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
