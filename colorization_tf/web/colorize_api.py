"""The colorize editor (``--colorize_page``): ``GET /colorize``, ``GET /api/runs``,
``POST /api/colorize`` (multipart ``image``, optional ``hints`` and ``reference``; query
``run``) -> PNG at the upload's size, and ``POST /api/suggest`` (the same fields; query
``run``, ``x``, ``y``) -> ``{"colors": ["#rrggbb", ...]}``, the colours a learned-hints run
offers at that pixel.

What a client controls is bounded before it costs memory or threads:
- at most ``workers + queue`` requests are in the server at once; one more is answered
  503 with ``Retry-After`` before its body is read;
- the body is counted while it streams in (413 past two uploads and the hints field), each
  file is checked against ``max_upload_bytes`` and spooled to a temporary file past
  1 MiB, so waiting uploads hold disk, not memory; the ``hints`` field is refused past
  ``max_hints_bytes`` while it streams in (413);
- the header's pixel count is checked before decoding (413 past ``max_pixels``);
- decoding, checking the hints (``inference.hints``: keys, colours, at most 10,000 points,
  coordinates inside the photo; 422 with the reason), colorizing and PNG encoding run only
  in a pool of ``workers`` threads of their own, so uploads never take the threads that
  serve the study's requests.

The methods come from an ``Editor`` (``web.editor``: real runs and the optimization, with
TensorFlow), or, for a plain ``colorize_fn`` (fake colorizers, no TensorFlow), from
``PlainEditor``, whose runs read no hints.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Protocol

import numpy as np
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from colorization_tf.web import images, responses, uploads
from colorization_tf.web.runs import ColorizeFn

PAGES = Path(__file__).parent / "pages"
MULTIPART_OVERHEAD = 64 * 1024
MAX_HINTS_BYTES = 1024 * 1024  # 10,000 points take under 1 MB of JSON
MAX_COORDINATE = 1_000_000.0


@dataclasses.dataclass(frozen=True)
class UploadLimits:
    """Bounds of the colorize endpoint (flags ``--max_upload_mb``, ``--max_megapixels``,
    ``--colorize_workers``, ``--colorize_queue``)."""

    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 36_000_000
    workers: int = 2
    queue: int = 8
    retry_after_s: int = 10
    max_hints_bytes: int = MAX_HINTS_BYTES

    def validate(self) -> None:
        """Raises ValueError naming the flag whose value cannot work."""
        if self.max_upload_bytes < 1:
            raise ValueError(f"--max_upload_mb: expected a positive size, got "
                             f"{self.max_upload_bytes} bytes")
        if self.max_pixels < 1:
            raise ValueError(f"--max_megapixels: expected a positive count, got "
                             f"{self.max_pixels} pixels")
        if self.workers < 1:
            raise ValueError(f"--colorize_workers={self.workers}: expected >= 1")
        if self.queue < 0:
            raise ValueError(f"--colorize_queue={self.queue}: expected >= 0")
        if self.max_hints_bytes < 1:
            raise ValueError(f"--max_hints_kb: expected a positive size, got "
                             f"{self.max_hints_bytes} bytes")

    @property
    def max_body_bytes(self) -> int:
        """The largest request body: the photo, a reference photo and the hints field."""
        return 2 * self.max_upload_bytes + self.max_hints_bytes + MULTIPART_OVERHEAD


class Editor(Protocol):
    """What the endpoints need of the methods they serve (``web.editor.Editor``)."""

    def methods(self) -> list[dict]:
        """``[{"name", "hints", "reference", "suggest"}]``, in the page's order."""

    def colorize(self, codes: np.ndarray, method: str, hints_text: str | None = None,
                 reference: np.ndarray | None = None) -> np.ndarray:
        """uint8 RGB of the codes' size; ValueError (one line) on bad hints."""

    def suggest(self, codes: np.ndarray, method: str, hints_text: str | None, x: float,
                y: float, reference: np.ndarray | None = None) -> list[str]:
        """``#rrggbb`` colours offered at photo pixel (x, y); ValueError if none."""


class PlainEditor:
    """An ``Editor`` over a plain ``colorize_fn(codes, run) -> uint8``: its runs read no
    hints and no reference photo, and suggest nothing."""

    def __init__(self, runs: Sequence[str], colorize_fn: ColorizeFn) -> None:
        self.runs = tuple(runs)
        self.colorize_fn = colorize_fn

    def methods(self) -> list[dict]:
        return [{"name": run, "hints": False, "reference": False, "suggest": False}
                for run in self.runs]

    def colorize(self, codes, method, hints_text=None, reference=None):
        if hints_text is not None:
            raise ValueError(f"hints: run {method} reads no hints")
        if reference is not None:
            raise ValueError(f"reference: run {method} reads no reference photo")
        return self.colorize_fn(codes, method)

    def suggest(self, codes, method, hints_text, x, y, reference=None):
        raise ValueError(f"run {method} suggests no colours (only learned-hints runs do)")


class _Gate:
    """Admission to the colorize work: a pool of ``workers`` threads (the semaphore: no
    more photos are decoded at once) and at most ``queue`` more uploads waiting."""

    def __init__(self, limits: UploadLimits) -> None:
        self.capacity = limits.workers + limits.queue
        self.inside = 0
        self._lock = threading.Lock()
        self.pool = concurrent.futures.ThreadPoolExecutor(limits.workers,
                                                          thread_name_prefix="colorize")

    @contextlib.contextmanager
    def entered(self):
        """Counts the request in, or raises ``uploads.UploadError`` (503) when full."""
        with self._lock:
            if self.inside >= self.capacity:
                raise uploads.UploadError(503, f"the server is busy colorizing {self.inside} "
                                               "photos; please try again shortly")
            self.inside += 1
        try:
            yield
        finally:
            with self._lock:
                self.inside -= 1


def default_method(methods: Sequence[dict]) -> str | None:
    """The method the editor opens on (and a request without ``run`` gets): the first that
    reads hints (``optimization`` always does), else the first; None when none is loaded."""
    return next((m["name"] for m in methods if m["hints"]),
                methods[0]["name"] if methods else None)


def add_routes(app: FastAPI | APIRouter, runs: Sequence[str], colorize_fn: ColorizeFn | None,
               limits: UploadLimits, editor: Editor | None = None) -> _Gate:
    """Adds the colorize editor's routes to ``app`` (``web.editor_routes``' router) and
    returns their admission gate. ``editor`` serves its methods; else
    ``colorize_fn(codes, run) -> uint8`` colours a photo with each of ``runs`` (hints
    refused); with neither, the endpoints answer 503."""
    limits.validate()
    if editor is None and colorize_fn is not None:
        editor = PlainEditor(runs, colorize_fn)
    methods = editor.methods() if editor is not None else []
    names = tuple(method["name"] for method in methods)
    default = default_method(methods)
    gate = _Gate(limits)

    @app.get("/colorize", response_class=responses.HTMLFileResponse)
    def colorize_page() -> FileResponse:
        return FileResponse(PAGES / "colorize.html", media_type="text/html",
                            headers={"Cache-Control": "no-cache"})

    @app.get("/api/runs")
    def loaded_runs() -> dict:
        return {"runs": list(names), "methods": methods, "default": default,
                "max_upload_bytes": limits.max_upload_bytes, "max_pixels": limits.max_pixels,
                "max_hints_bytes": limits.max_hints_bytes}

    async def handle(request: Request, run: str | None, work) -> Response:
        """Admission, the bounded form, then ``work(image, hints, reference)`` in a
        colorize thread; UploadError and ValueError become the reply's status."""
        if editor is None or not names:
            return _error(503, "no run is loaded for colorizing")
        name = run if run is not None else default
        if name not in names:
            return _error(422, f"unknown run {name!r}; loaded runs: {', '.join(names)}")
        try:
            with gate.entered():
                async with _form(request, limits) as form:
                    upload = form.get("image")
                    if not isinstance(upload, UploadFile):
                        return _error(422, "expected a file in the multipart field 'image'")
                    _check_file(upload, "file", limits)
                    reference = form.get("reference")
                    if reference is not None:
                        if not isinstance(reference, UploadFile):
                            return _error(422, "reference: expected a photo file")
                        _check_file(reference, "reference", limits)
                    hints_text = await _hints_text(form.get("hints"), limits)
                    return await asyncio.get_running_loop().run_in_executor(
                        gate.pool, _in_worker, work, name, upload.file,
                        None if reference is None else reference.file, hints_text,
                        limits.max_pixels)
        except uploads.UploadError as err:
            headers = {"Retry-After": str(limits.retry_after_s)} if err.status == 503 else None
            return _error(err.status, err.reason, headers)

    def colorize_work(codes, name, hints_text, reference) -> Response:
        colored = np.asarray(editor.colorize(codes, name, hints_text, reference))
        if colored.shape != codes.shape or colored.dtype != np.uint8:
            raise uploads.UploadError(500, "the colorizer returned an image of the wrong size")
        del codes  # not needed while the PNG is encoded
        return Response(images.png_bytes(colored), media_type="image/png",
                        headers={"Cache-Control": "no-store"})

    @app.post("/api/colorize", max_body_size=limits.max_body_bytes,
              response_class=responses.PNGResponse, openapi_extra=responses.upload_body(),
              responses=responses.errors(400, 413, 415, 422, 503))
    async def colorize(request: Request,
                       run: Annotated[str | None, Query(max_length=200)] = None) -> Response:
        return await handle(request, run, colorize_work)

    @app.post("/api/suggest", max_body_size=limits.max_body_bytes,
              openapi_extra=responses.upload_body(),
              responses=responses.errors(400, 413, 415, 422, 503))
    async def suggest(request: Request,
                      x: Annotated[float, Query(ge=-MAX_COORDINATE, le=MAX_COORDINATE)],
                      y: Annotated[float, Query(ge=-MAX_COORDINATE, le=MAX_COORDINATE)],
                      run: Annotated[str | None, Query(max_length=200)] = None) -> Response:
        def work(codes, name, hints_text, reference) -> Response:
            colors = editor.suggest(codes, name, hints_text, x, y, reference)
            return JSONResponse({"colors": list(colors)}, headers={"Cache-Control": "no-store"})

        return await handle(request, run, work)

    return gate


@contextlib.asynccontextmanager
async def _form(request: Request, limits: UploadLimits):
    """The multipart form, its text fields bounded by ``max_hints_bytes`` as they stream
    in (Starlette's 400 for an oversize part becomes a 413 with the reason)."""
    try:
        form = await request.form(max_files=2, max_fields=8,
                                  max_part_size=limits.max_hints_bytes)
    except HTTPException as err:
        if "exceeded maximum size" in str(err.detail):
            raise uploads.UploadError(413, f"hints: the field is larger than "
                                           f"{limits.max_hints_bytes} bytes") from None
        raise uploads.UploadError(err.status_code if err.status_code >= 400 else 422,
                                  f"malformed form: {err.detail}") from None
    try:
        yield form
    finally:
        await form.close()


def _check_file(upload: UploadFile, field: str, limits: UploadLimits) -> None:
    if upload.size is not None and upload.size > limits.max_upload_bytes:
        raise uploads.UploadError(413, f"{field} larger than {limits.max_upload_bytes} bytes")
    try:
        uploads.check_header(upload.file, limits.max_pixels)
    except uploads.UploadError as err:
        if field == "file":
            raise
        raise uploads.UploadError(err.status, f"{field}: {err.reason}") from None


async def _hints_text(value, limits: UploadLimits) -> str | None:
    """The hints field as text (a plain field, or a file as ``curl -F hints=@h.json``
    sends it), at most ``max_hints_bytes``; None when absent."""
    if value is None:
        return None
    if isinstance(value, UploadFile):
        data = await value.read(limits.max_hints_bytes + 1)
        if len(data) > limits.max_hints_bytes:
            raise uploads.UploadError(413, f"hints: the field is larger than "
                                           f"{limits.max_hints_bytes} bytes")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise uploads.UploadError(422, "hints: not UTF-8 text") from None
    return str(value)


def _in_worker(work, name: str, stream, reference_stream, hints_text: str | None,
               max_pixels: int) -> Response:
    """Decode, colorize, encode: the work done inside the limit (a colorize thread). A
    ValueError (bad hints, a run that reads none) is a 422 with its one-line reason."""
    codes = uploads.decode(stream, max_pixels)
    reference = None if reference_stream is None else uploads.decode(reference_stream,
                                                                     max_pixels)
    try:
        return work(codes, name, hints_text, reference)
    except ValueError as err:
        raise uploads.UploadError(422, " ".join(str(err).split())[:500]) from None


def _error(status: int, reason: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"detail": reason}, status_code=status, headers=headers)
