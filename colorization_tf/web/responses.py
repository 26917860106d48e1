"""What the study's routers answer besides their JSON: error bodies, pages, CSV and PNG
responses, and their declarations in the OpenAPI schema.

Every error is ``{"detail": reason}`` (FastAPI's own validation errors: ``{"detail":
[...]}``), and every status and content type a route can answer is declared with
``responses=`` so that the schema (built with ``app.openapi()``, never published) is a
complete description the API fuzzing test (``tests/web/test_fuzz.py``) holds the server to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel

PAGES = Path(__file__).parent / "pages"

REASONS = {
    303: "Redirect (the token moved into a cookie)",
    307: "Redirect to the editor",
    400: "Malformed request body",
    401: "The experimenter's token is required",
    403: "The study is full",
    404: "Not found, or not this visitor's",
    409: "Already answered",
    413: "Request body too large",
    415: "Not an image",
    422: "Invalid request",
    429: "Too many new sessions from this address",
    503: "Busy or not available",
}


class ErrorOut(BaseModel):
    """An error reply: a one-line reason, or FastAPI's list of validation errors."""

    detail: str | list[dict[str, Any]]


class CSVResponse(Response):
    """A CSV file (``text/csv``)."""

    media_type = "text/csv"


class PNGResponse(Response):
    """A PNG image (``image/png``)."""

    media_type = "image/png"


class HTMLFileResponse(FileResponse):
    """One of the static pages (``text/html``)."""

    media_type = "text/html"


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries declaring the error statuses a route can answer, as JSON
    whatever the route's own content type (a PNG route's 404 is JSON, not a PNG). A 413
    may also be Starlette's plain-text one: its body limit answers before the route runs
    (``max_body_size`` of the app or route)."""
    body = {"application/json": {"schema": ErrorOut.model_json_schema()}}
    plain = {"text/plain": {"schema": {"type": "string"}}}
    return {status: {"description": REASONS[status],
                     "content": {**body, **plain} if status == 413 else body}
            for status in statuses}


def redirect(status: int) -> dict[int | str, dict[str, Any]]:
    """A ``responses=`` entry declaring a redirect (no body)."""
    return {status: {"description": REASONS[status], "content": {}}}


def error(status: int, reason: str, headers: dict | None = None) -> JSONResponse:
    """``{"detail": reason}`` with ``status``."""
    return JSONResponse({"detail": reason}, status_code=status, headers=headers)


def page(name: str) -> FileResponse:
    """A page of ``pages/`` (revalidated on every visit)."""
    return HTMLFileResponse(PAGES / name, media_type="text/html",
                            headers={"Cache-Control": "no-cache"})


def is_secure(request: Request, https: bool) -> bool:
    """Whether cookies must be ``Secure``: ``--https``, or the request came over HTTPS
    (``X-Forwarded-Proto`` counts only from a trusted proxy, see ``app``)."""
    return https or request.url.scheme == "https"


def upload_body() -> dict[str, Any]:
    """``openapi_extra=`` declaring the editor's multipart body (the routes read the form
    themselves, bounded while it streams in, so FastAPI cannot infer it): ``image``
    (required), ``reference`` (a photo) and ``hints`` (the hints JSON as text)."""
    photo = {"type": "string", "format": "binary"}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["image"], "properties": {
            "image": photo, "reference": photo, "hints": {"type": "string"}}}}}}}
