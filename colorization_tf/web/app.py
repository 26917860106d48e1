"""The study server: a FastAPI app over a ``Study`` (storage + image pool) and the
colorize page.

Routes:
  GET  /                 the study page (pages/index.html)
  GET  /api/study        what the page needs before the first trial (mode, counts, timing)
  GET  /api/trial        the participant's current trial (a cookie names the participant)
  POST /api/answer       {"trial_id", "answer"}: 200 once, 409 again, 404 unknown/others',
                         422 malformed
  GET  /img/{id}         a pool image by opaque id (no Last-Modified/ETag: those would tell
                         originals, written first, from colorizations)
  GET  /api/results, /results, /results.csv    the figures (JSON, HTML page, CSV)
  GET  /colorize, /api/runs, POST /api/colorize   people's own photos through a run

Input is bounded everywhere: JSON bodies to ``MAX_JSON_BYTES`` (413), ids to 32 hex digits,
answers to the mode's values (422), uploads to ``max_upload_bytes`` (413) and
``max_pixels`` (413, against decompression bombs); an unreadable upload is 415 (not an
image) or 422 (damaged), each with a one-line reason.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from colorization_tf.web import images as images_lib
from colorization_tf.web import storage as storage_lib
from colorization_tf.web import study as study_lib

PAGES = Path(__file__).parent / "pages"
COOKIE = "participant"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30
MAX_JSON_BYTES = 16 * 1024
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 36_000_000
MULTIPART_OVERHEAD = 64 * 1024
COLORIZE_CONCURRENCY = 2
_ID = re.compile(r"[0-9a-f]{32}")

HexId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
ColorizeFn = Callable[[np.ndarray, str], np.ndarray]


class AnswerIn(BaseModel):
    """The body of POST /api/answer; anything else is a 422."""

    model_config = ConfigDict(extra="forbid")

    trial_id: HexId
    answer: Literal["real", "colorized"] | Annotated[StrictInt, Field(ge=0, le=1)]


class UploadError(Exception):
    """An upload the colorize page refuses: an HTTP status and a one-line reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def create_app(study_config: study_lib.StudyConfig, storage: storage_lib.Storage,
               image_store: images_lib.ImageStore, colorize_fn: ColorizeFn | None = None, *,
               max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
               max_pixels: int = DEFAULT_MAX_PIXELS, rng=None) -> FastAPI:
    """The app serving ``study_config`` from ``storage`` and ``image_store``;
    ``colorize_fn(rgb float [H,W,3] in [0,1], run name) -> uint8 [H,W,3]`` serves the
    colorize page (None: the page answers 503)."""
    missing = [run for run in study_config.runs if run not in image_store.runs]
    if missing:
        raise ValueError(f"the image pool holds no colorizations of {', '.join(missing)}")
    if max_upload_bytes < 1 or max_pixels < 1:
        raise ValueError("max_upload_bytes and max_pixels must be positive")
    study = study_lib.Study(study_config, storage, image_store.image_id, image_store.count,
                            rng=rng)
    app = FastAPI(title="colorization_tf visual Turing test", docs_url=None, redoc_url=None,
                  openapi_url=None, max_body_size=MAX_JSON_BYTES)
    app.state.study = study
    app.mount("/static", StaticFiles(directory=PAGES), name="static")
    colorize_slots = threading.BoundedSemaphore(COLORIZE_CONCURRENCY)

    # ------------------------------------------------------------------ pages

    @app.get("/", include_in_schema=False)
    def index_page() -> FileResponse:
        return _page("index.html")

    @app.get("/results", include_in_schema=False)
    def results_page() -> FileResponse:
        return _page("results.html")

    @app.get("/colorize", include_in_schema=False)
    def colorize_page() -> FileResponse:
        return _page("colorize.html")

    # ------------------------------------------------------------------ the study

    @app.get("/api/study")
    def study_info() -> dict:
        config = study.config
        return {"mode": config.mode, "trials": config.trials,
                "practice_trials": config.practice_trials, "total": config.total,
                "display_ms": config.display_ms}

    @app.get("/api/trial")
    def next_trial(request: Request) -> JSONResponse:
        participant, created = study.participant(_participant(request))
        trial = study.next_trial(participant)
        config = study.config
        body = {"mode": config.mode, "display_ms": config.display_ms}
        if trial is None:
            body.update(done=True, trial_id=None, images=[], practice=False,
                        index=config.total, total=config.total)
        else:
            body.update(done=False, trial_id=trial.trial_id,
                        images=[f"/img/{image}" for image in trial.images],
                        practice=trial.practice, index=trial.index, total=trial.total)
        response = JSONResponse(body, headers={"Cache-Control": "no-store"})
        if created:
            response.set_cookie(COOKIE, participant, max_age=COOKIE_MAX_AGE, httponly=True,
                                samesite="lax")
        return response

    @app.post("/api/answer")
    def answer(body: AnswerIn, request: Request) -> JSONResponse:
        try:
            reply = study.answer(_participant(request), body.trial_id, body.answer)
        except study_lib.InvalidAnswer as err:
            return _error(422, str(err))
        except study_lib.UnknownTrial:
            return _error(404, "no such trial for this participant")
        except storage_lib.AlreadyAnswered:
            return _error(409, "this trial has already been answered")
        return JSONResponse(reply, headers={"Cache-Control": "no-store"})

    @app.get("/img/{image_id}")
    def image(image_id: Annotated[str, StringConstraints(max_length=64)]) -> Response:
        data = image_store.read_png(image_id)
        if data is None:
            return _error(404, "no such image")
        return Response(data, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=86400"})

    @app.get("/api/results")
    def results() -> JSONResponse:
        return JSONResponse(study.results(), headers={"Cache-Control": "no-store"})

    @app.get("/results.csv")
    def results_csv() -> Response:
        return Response(results_to_csv(study.results()), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="results.csv"',
                                 "Cache-Control": "no-store"})

    # ------------------------------------------------------------------ colorize page

    @app.get("/api/runs")
    def runs() -> dict:
        return {"runs": list(study.config.runs) if colorize_fn else [],
                "max_upload_bytes": max_upload_bytes, "max_pixels": max_pixels}

    @app.post("/api/colorize", max_body_size=max_upload_bytes + MULTIPART_OVERHEAD)
    def colorize(image: Annotated[UploadFile, File()],
                 run: Annotated[str | None, Query(max_length=200)] = None) -> Response:
        if colorize_fn is None:
            return _error(503, "no run is loaded for colorizing")
        name = run if run is not None else study.config.runs[0]
        if name not in study.config.runs:
            return _error(422, f"unknown run {name!r}; loaded runs: "
                               f"{', '.join(study.config.runs)}")
        try:
            rgb = read_upload(image.file, max_upload_bytes, max_pixels)
        except UploadError as err:
            return _error(err.status, err.reason)
        with colorize_slots:
            colored = np.asarray(colorize_fn(rgb, name))
        if colored.shape != rgb.shape or colored.dtype != np.uint8:
            return _error(500, "the colorizer returned an image of the wrong size")
        return Response(images_lib.png_bytes(colored), media_type="image/png",
                        headers={"Cache-Control": "no-store"})

    return app


def read_upload(stream, max_bytes: int, max_pixels: int) -> np.ndarray:
    """An uploaded image file as float32 sRGB ``[H, W, 3]`` in [0, 1] (the package's
    reader: EXIF orientation, ICC profile, alpha on white). Raises ``UploadError``: 413
    over ``max_bytes`` or ``max_pixels`` (checked from the header, before decoding),
    415 not an image, 422 truncated or damaged."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(413, f"file larger than {max_bytes} bytes")
    if not data:
        raise UploadError(415, "empty file, not an image")
    to_rgb = _to_rgb_reader()
    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
            if width * height > max_pixels:
                raise UploadError(413, f"image of {width}x{height} pixels is larger than "
                                       f"{max_pixels} pixels")
            picture.load()
            return to_rgb(picture)
    except Image.DecompressionBombError as err:
        raise UploadError(413, f"image too large: {_one_line(err)}") from err
    except Image.UnidentifiedImageError as err:
        raise UploadError(415, "not an image (the format is not recognised)") from err
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise UploadError(422, f"truncated or damaged image: {_one_line(err)}") from err


def results_to_csv(results: dict) -> str:
    """The results table as CSV: one row per run, then the originals."""
    buffer = io.StringIO()
    columns = ["group", "name", "shown", "accuracy", "fooled_rate", "ci_low", "ci_high"]
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    for row in study_lib.summary_rows(results):
        writer.writerow({key: "" if row[key] is None else row[key] for key in columns})
    return buffer.getvalue()


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serves ``app`` with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info")


def _to_rgb_reader():
    """The package's robust reader (``to_rgb``), imported on first use (it brings no
    TensorFlow, but keeps the app's import light)."""
    from colorization_tf.inference.user_images import to_rgb

    return to_rgb


def _participant(request: Request) -> str | None:
    value = request.cookies.get(COOKIE)
    return value if value and _ID.fullmatch(value) else None


def _page(name: str) -> FileResponse:
    return FileResponse(PAGES / name, media_type="text/html",
                        headers={"Cache-Control": "no-cache"})


def _error(status: int, reason: str) -> JSONResponse:
    return JSONResponse({"detail": reason}, status_code=status)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:200] or type(err).__name__


def build_study_app(run_dirs, dataset: str, split: str, images: int, database: str,
                    image_size: int = 256, mode: str = "single", trials: int = 40,
                    practice_trials: int = 10, attention_checks: float = 0.1,
                    display_ms: int = 0, max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
                    max_pixels: int = DEFAULT_MAX_PIXELS):
    """What ``colorization-web`` serves: loads the runs, prepares the image pool on the
    database (computing only what is not cached) and returns ``(app, storage)``; close the
    storage after serving. Raises ValueError/StorageError with a one-line reason."""
    run_dirs = list(run_dirs)
    if not run_dirs:
        raise ValueError("--run_dirs is required: the run directories to judge")
    source = f"{dataset}:{split}:{image_size}"
    config = study_lib.StudyConfig(
        runs=tuple(images_lib.run_name(run_dir) for run_dir in run_dirs), source=source,
        images=images, mode=mode, trials=trials, practice_trials=practice_trials,
        attention_checks=attention_checks, display_ms=display_ms)
    config.validate()
    colorizers = images_lib.load_colorizers(run_dirs)
    config = dataclasses.replace(config, runs=tuple(colorizers))
    storage = storage_lib.Storage(database)
    try:
        pool = images_lib.build_pool(
            storage, images_lib.cache_dir_for(database), source, images, colorizers,
            lambda: images_lib.load_originals(dataset, split, images, image_size))
        app = create_app(config, storage, pool, images_lib.colorize_with(colorizers),
                         max_upload_bytes=max_upload_bytes, max_pixels=max_pixels)
    except BaseException:
        storage.close()
        raise
    return app, storage
