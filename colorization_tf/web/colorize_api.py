"""The colorize page (``--colorize_page``): ``GET /colorize``, ``GET /api/runs`` and
``POST /api/colorize`` (multipart field ``image``, query ``run``) -> PNG at the upload's size.

What a client controls is bounded before it costs memory or threads:
- at most ``workers + queue`` uploads are in the server at once; one more is answered 503
  with ``Retry-After`` before its body is read;
- the body is counted while it streams in (413 past ``max_upload_bytes``) and spooled to a
  temporary file past 1 MiB, so waiting uploads hold disk, not memory;
- the header's pixel count is checked before decoding (413 past ``max_pixels``);
- decoding, colorizing and PNG encoding run only in a pool of ``workers`` threads of their
  own, so uploads never take the threads that serve the study's requests.

The endpoint lives here, alone, so a richer request (e.g. user hints as a form field) is
added in one place.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.datastructures import UploadFile

from colorization_tf.web import images, uploads
from colorization_tf.web.runs import ColorizeFn

PAGES = Path(__file__).parent / "pages"
MULTIPART_OVERHEAD = 64 * 1024


@dataclasses.dataclass(frozen=True)
class UploadLimits:
    """Bounds of the colorize endpoint (flags ``--max_upload_mb``, ``--max_megapixels``,
    ``--colorize_workers``, ``--colorize_queue``)."""

    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 36_000_000
    workers: int = 2
    queue: int = 8
    retry_after_s: int = 10

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


def add_routes(app: FastAPI, runs: Sequence[str], colorize_fn: ColorizeFn | None,
               limits: UploadLimits) -> None:
    """Adds the colorize page's routes to ``app``. ``colorize_fn(codes, run) -> uint8``
    colours a photo (None: the endpoint answers 503)."""
    limits.validate()
    runs = tuple(runs)
    gate = _Gate(limits)
    app.state.colorize_gate = gate

    @app.get("/colorize", include_in_schema=False)
    def colorize_page() -> FileResponse:
        return FileResponse(PAGES / "colorize.html", media_type="text/html",
                            headers={"Cache-Control": "no-cache"})

    @app.get("/api/runs")
    def loaded_runs() -> dict:
        return {"runs": list(runs) if colorize_fn else [],
                "max_upload_bytes": limits.max_upload_bytes, "max_pixels": limits.max_pixels}

    @app.post("/api/colorize", max_body_size=limits.max_upload_bytes + MULTIPART_OVERHEAD)
    async def colorize(request: Request,
                       run: Annotated[str | None, Query(max_length=200)] = None) -> Response:
        if colorize_fn is None:
            return _error(503, "no run is loaded for colorizing")
        name = run if run is not None else runs[0]
        if name not in runs:
            return _error(422, f"unknown run {name!r}; loaded runs: {', '.join(runs)}")
        try:
            with gate.entered():
                async with request.form(max_files=1, max_fields=8) as form:
                    upload = form.get("image")
                    if not isinstance(upload, UploadFile):
                        return _error(422, "expected a file in the multipart field 'image'")
                    if upload.size is not None and upload.size > limits.max_upload_bytes:
                        raise uploads.UploadError(
                            413, f"file larger than {limits.max_upload_bytes} bytes")
                    uploads.check_header(upload.file, limits.max_pixels)
                    png = await asyncio.get_running_loop().run_in_executor(
                        gate.pool, _colorize_file, upload.file, name, colorize_fn,
                        limits.max_pixels)
        except uploads.UploadError as err:
            headers = {"Retry-After": str(limits.retry_after_s)} if err.status == 503 else None
            return _error(err.status, err.reason, headers)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


def _colorize_file(stream, run: str, colorize_fn: ColorizeFn, max_pixels: int) -> bytes:
    """Decode, colorize, encode: the work done inside the limit (a colorize thread)."""
    codes = uploads.decode(stream, max_pixels)
    shape = codes.shape
    colored = np.asarray(colorize_fn(codes, run))
    del codes  # not needed while the PNG is encoded
    if colored.shape != shape or colored.dtype != np.uint8:
        raise uploads.UploadError(500, "the colorizer returned an image of the wrong size")
    return images.png_bytes(colored)


def _error(status: int, reason: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"detail": reason}, status_code=status, headers=headers)
