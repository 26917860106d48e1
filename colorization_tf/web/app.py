"""The study server: a FastAPI app over a ``Study`` (storage + image pool), the
experimenter's results behind a token, and (with ``--colorize_page``) the colorize page.

Routes for participants:
  GET  /                 the study page (pages/index.html); a crowd platform opens it with
                         ?PROLIFIC_PID=..&STUDY_ID=..&SESSION_ID=.. or ?participant=..
  GET  /api/study        what the page needs before the first trial (mode, counts, timing)
  GET  /api/trial        the participant's current trial (a cookie names the participant;
                         the page passes the platform ids on); when done, the completion
                         code and link. New sessions: 429 past the per-address rate, 403
                         when the study has its --max_participants
  POST /api/answer       {"trial_id", "answer", "response_ms"?}: 200 once, 409 again, 404
                         unknown/others', 422 malformed
  GET  /img/{trial}/{k}  image k of the participant's own trial (404 for anyone else's):
                         URLs differ between participants and trials, and carry no
                         Last-Modified/ETag (those would tell originals, written first)
For the experimenter (token: ``admin``; 401 without it):
  GET  /results, /api/results, /results.csv (one row per answer), /summary.csv (figures)
With --colorize_page: GET /colorize, GET /api/runs, POST /api/colorize, POST /api/suggest
(``colorize_api``). With --colorize_page and no runs (or --nostudy), the editor alone is
served (``create_editor_app``): no study, no database, ``/`` leads to ``/colorize``.

Cookies are HttpOnly, SameSite=Lax, and Secure when the server runs behind HTTPS
(``https``, or ``X-Forwarded-Proto: https`` from an address in ``forwarded_allow_ips``,
whose ``X-Forwarded-For`` then also names the client for the rate limit). No response
carries a participant's id except to that participant: results name participants by
pseudonym. JSON bodies are bounded to ``MAX_JSON_BYTES`` (413), ids to 32 hex digits and
answers to the mode's values (422).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import re
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from colorization_tf.web import admin, colorize_api, limits
from colorization_tf.web import images as images_lib
from colorization_tf.web import storage as storage_lib
from colorization_tf.web import study as study_lib
from colorization_tf.web.runs import ColorizeFn

PAGES = Path(__file__).parent / "pages"
COOKIE = "participant"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30
MAX_JSON_BYTES = 16 * 1024
MAX_RESPONSE_MS = 24 * 60 * 60 * 1000
_ID = re.compile(r"[0-9a-f]{32}")
_URL = re.compile(r"https?://[^\s\"'<>]{1,2000}")

HexId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class AnswerIn(BaseModel):
    """The body of POST /api/answer; anything else is a 422."""

    model_config = ConfigDict(extra="forbid")

    trial_id: HexId
    answer: Literal["real", "colorized"] | Annotated[StrictInt, Field(ge=0, le=1)]
    response_ms: Annotated[float, Field(ge=0, le=MAX_RESPONSE_MS)] | None = None


@dataclasses.dataclass(frozen=True)
class ServerOptions:
    """How the study is served (flags of ``colorization-web``; none is part of the study's
    identity, so they may change between starts)."""

    admin_token: str
    colorize_page: bool = False
    https: bool = False
    forwarded_allow_ips: tuple[str, ...] = ()
    completion_code: str = ""
    completion_url: str = ""
    max_participants: int = 0
    new_sessions_per_hour: int = limits.NEW_SESSIONS_PER_HOUR
    uploads: colorize_api.UploadLimits = colorize_api.UploadLimits()

    def validate(self) -> None:
        """Raises ValueError naming the flag whose value cannot work."""
        if len(self.admin_token) < admin.MIN_LENGTH:
            raise ValueError(f"--admin_token: expected at least {admin.MIN_LENGTH} characters")
        if self.completion_url and not _URL.fullmatch(self.completion_url):
            raise ValueError(f"--completion_url={self.completion_url}: expected an http(s) URL")
        if len(self.completion_code) > 200 or not self.completion_code.isprintable():
            raise ValueError("--completion_code: expected up to 200 printable characters")
        if self.max_participants < 0:
            raise ValueError(f"--max_participants={self.max_participants}: expected >= 0 "
                             "(0: no limit)")
        if self.new_sessions_per_hour < 1:
            raise ValueError(f"--new_sessions_per_hour={self.new_sessions_per_hour}: "
                             "expected >= 1")
        self.uploads.validate()


def create_app(study_config: study_lib.StudyConfig, storage: storage_lib.Storage,
               image_store: images_lib.ImageStore, options: ServerOptions,
               colorize_fn: ColorizeFn | None = None, rng=None,
               editor: colorize_api.Editor | None = None) -> FastAPI:
    """The app serving ``study_config`` from ``storage`` and ``image_store``;
    ``colorize_fn(codes uint8/uint16 [H,W,3], run name) -> uint8 [H,W,3]`` serves the
    colorize page when ``options.colorize_page`` (None: that page answers 503), or
    ``editor`` (``web.editor.Editor``: runs with hints, and the optimization)."""
    options.validate()
    missing = [run for run in study_config.runs if run not in image_store.runs]
    if missing:
        raise ValueError(f"the image pool holds no colorizations of {', '.join(missing)}")
    study = study_lib.Study(study_config, storage, image_store.image_id, image_store.count,
                            rng=rng)
    new_sessions = limits.RateLimiter(options.new_sessions_per_hour)
    app = FastAPI(title="colorization_tf visual Turing test", docs_url=None, redoc_url=None,
                  openapi_url=None, max_body_size=MAX_JSON_BYTES)
    app.state.study = study
    app.state.storage = storage
    app.state.new_sessions = new_sessions
    if options.forwarded_allow_ips:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware,
                           trusted_hosts=list(options.forwarded_allow_ips))
    app.mount("/static", StaticFiles(directory=PAGES), name="static")

    def secure(request: Request) -> bool:
        return options.https or request.url.scheme == "https"

    def is_admin(request: Request) -> bool:
        return admin.matches(options.admin_token, admin.presented_token(
            request.headers, request.cookies, request.query_params))

    # ------------------------------------------------------------------ the study

    @app.get("/", include_in_schema=False)
    def index_page() -> FileResponse:
        return _page("index.html")

    @app.get("/api/study")
    def study_info() -> dict:
        config = study.config
        return {"mode": config.mode, "trials": config.trials,
                "practice_trials": config.practice_trials, "total": config.total,
                "display_ms": config.display_ms}

    @app.get("/api/trial")
    def next_trial(request: Request) -> JSONResponse:
        try:
            external = study_lib.ExternalIds.from_query(request.query_params)
        except ValueError as err:
            return _error(422, str(err))
        cookie = _participant(request)
        participant = study.find(cookie, external)
        if participant is None:
            if options.max_participants and study.participant_count() >= options.max_participants:
                return _study_full()
            address = request.client.host if request.client else "unknown"
            wait = new_sessions.take(address)
            if wait:
                minutes = max(1, math.ceil(wait / 60))
                return _error(429, f"Too many new sessions from your network address; "
                                   f"please try again in {minutes} minute"
                                   f"{'s' if minutes > 1 else ''}.",
                              {"Retry-After": str(math.ceil(wait))})
            try:
                participant = study.create(external, options.max_participants)
            except study_lib.StudyFull:
                return _study_full()
        trial = study.next_trial(participant)
        config = study.config
        body = {"mode": config.mode, "display_ms": config.display_ms}
        if trial is None:
            body.update(done=True, trial_id=None, images=[], practice=False,
                        index=config.total, total=config.total,
                        completion_code=options.completion_code or None,
                        completion_url=options.completion_url or None)
        else:
            body.update(done=False, trial_id=trial.trial_id,
                        images=[f"/img/{trial.trial_id}/{k}" for k in range(len(trial.images))],
                        practice=trial.practice, index=trial.index, total=trial.total)
        response = JSONResponse(body, headers={"Cache-Control": "no-store"})
        if participant != cookie:
            response.set_cookie(COOKIE, participant, max_age=COOKIE_MAX_AGE, httponly=True,
                                samesite="lax", secure=secure(request))
        return response

    @app.post("/api/answer")
    def answer(body: AnswerIn, request: Request) -> JSONResponse:
        try:
            reply = study.answer(_participant(request), body.trial_id, body.answer,
                                 body.response_ms)
        except study_lib.InvalidAnswer as err:
            return _error(422, str(err))
        except study_lib.UnknownTrial:
            return _error(404, "no such trial for this participant")
        except storage_lib.AlreadyAnswered:
            return _error(409, "this trial has already been answered")
        return JSONResponse(reply, headers={"Cache-Control": "no-store"})

    @app.get("/img/{trial_id}/{slot}")
    def image(trial_id: Annotated[str, StringConstraints(max_length=64)], slot: int,
              request: Request) -> Response:
        image_id = None
        if _ID.fullmatch(trial_id):
            image_id = study.trial_image(_participant(request), trial_id, slot)
        data = None if image_id is None else image_store.read_png(image_id)
        if data is None:
            return _error(404, "no such image")
        return Response(data, media_type="image/png",
                        headers={"Cache-Control": "private, max-age=86400"})

    # ------------------------------------------------------------------ the experimenter

    @app.get("/results", include_in_schema=False)
    def results_page(request: Request) -> Response:
        if not is_admin(request):
            return _unauthorized()
        if "token" in request.query_params:  # keep the token out of the address bar
            response = RedirectResponse("/results", status_code=303)
            response.set_cookie(admin.COOKIE, options.admin_token, httponly=True,
                                samesite="strict", secure=secure(request))
            return response
        return _page("results.html")

    @app.get("/api/results")
    def results(request: Request) -> Response:
        if not is_admin(request):
            return _unauthorized()
        return JSONResponse(study.results(), headers={"Cache-Control": "no-store"})

    @app.get("/results.csv")
    def results_csv(request: Request) -> Response:
        if not is_admin(request):
            return _unauthorized()
        return _csv(answers_to_csv(study.results()), "results.csv")

    @app.get("/summary.csv")
    def summary_csv(request: Request) -> Response:
        if not is_admin(request):
            return _unauthorized()
        return _csv(results_to_csv(study.results()), "summary.csv")

    if options.colorize_page:
        colorize_api.add_routes(app, study.config.runs, colorize_fn, options.uploads,
                                editor)
    return app


def create_editor_app(editor: colorize_api.Editor,
                      uploads: colorize_api.UploadLimits | None = None,
                      forwarded_allow_ips: tuple[str, ...] = ()) -> FastAPI:
    """An app serving only the colorize editor (no study): ``/`` redirects to
    ``/colorize``."""
    uploads = uploads or colorize_api.UploadLimits()
    app = FastAPI(title="colorization_tf colorize editor", docs_url=None, redoc_url=None,
                  openapi_url=None, max_body_size=MAX_JSON_BYTES)
    if forwarded_allow_ips:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(forwarded_allow_ips))
    app.mount("/static", StaticFiles(directory=PAGES), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> RedirectResponse:
        return RedirectResponse("/colorize", status_code=307)

    colorize_api.add_routes(app, (), None, uploads, editor)
    return app


def build_editor_app(run_dirs=(), uploads: colorize_api.UploadLimits | None = None,
                     solve_size: int | None = None,
                     forwarded_allow_ips: tuple[str, ...] = ()) -> FastAPI:
    """What ``colorization-web --colorize_page`` serves without a study: the editor over
    the runs at ``run_dirs`` (none: ``optimization`` alone). Raises ValueError naming a
    run that cannot be loaded."""
    from colorization_tf.web import editor as editor_lib

    uploads = uploads or colorize_api.UploadLimits()
    uploads.validate()
    return create_editor_app(editor_lib.load_editor(list(run_dirs), solve_size), uploads,
                             forwarded_allow_ips)


ANSWER_COLUMNS = ("participant", "external_id", "external_study", "external_session",
                  "trial", "practice", "attention", "run", "truth", "answer", "correct",
                  "response_ms", "answered_at", "excluded_attention",
                  "excluded_straight_lining", "excluded_fast", "excluded")


def answers_to_csv(results: dict) -> str:
    """``results.csv``: one row per acknowledged answer (README's codebook)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ANSWER_COLUMNS)
    for answer in results["answers"]:
        row = dict(answer, trial=answer["index"])
        writer.writerow(["" if row[key] is None else _cell(row[key]) for key in ANSWER_COLUMNS])
    return buffer.getvalue()


def results_to_csv(results: dict) -> str:
    """``summary.csv``: one row per run, then the originals, with exclusions applied
    (``exclusions`` = applied) and without (``exclusions`` = none)."""
    buffer = io.StringIO()
    columns = ["exclusions", "group", "name", "shown", "accuracy", "fooled_rate", "ci_low",
               "ci_high"]
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    for label, figures in (("applied", results), ("none", results["without_exclusions"])):
        for row in study_lib.summary_rows(figures):
            writer.writerow({"exclusions": label, **{key: "" if row[key] is None else row[key]
                                                     for key in columns[1:]}})
    return buffer.getvalue()


def _cell(value) -> str:
    return str(int(value)) if isinstance(value, bool) else str(value)


def _csv(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


def _participant(request: Request) -> str | None:
    value = request.cookies.get(COOKIE)
    return value if value and _ID.fullmatch(value) else None


def _page(name: str) -> FileResponse:
    return FileResponse(PAGES / name, media_type="text/html",
                        headers={"Cache-Control": "no-cache"})


def _error(status: int, reason: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"detail": reason}, status_code=status, headers=headers)


def _unauthorized() -> JSONResponse:
    return _error(401, "the experimenter's token is required (Authorization: Bearer TOKEN, "
                       "or open /results?token=TOKEN)", {"WWW-Authenticate": "Bearer"})


def _study_full() -> JSONResponse:
    return _error(403, "This study is full: it has all the participants it needs. "
                       "Thank you for your interest.")


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serves ``app`` with uvicorn until interrupted. uvicorn's own proxy-header handling
    is off: only the app's ``forwarded_allow_ips`` decides whom to believe."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=False)


def build_study_app(run_dirs, dataset: str, split: str, images: int, database: str,
                    image_size: int = 256, mode: str = "single", trials: int = 40,
                    practice_trials: int = 10, attention_checks: float = 0.1,
                    display_ms: int = 0, exclusions=None, admin_token: str | None = None,
                    solve_size: int | None = None, **options):
    """What ``colorization-web`` serves: loads the runs, prepares the image pool on the
    database (computing only what is not cached), resolves the admin token and returns
    ``(app, storage)``; ``app.state.new_admin_token`` holds a token generated now (print it
    once), else None. Close the storage after serving. ``options``: the other
    ``ServerOptions`` fields. Raises ValueError/StorageError with a one-line reason."""
    from colorization_tf.web import runs as runs_lib

    run_dirs = list(run_dirs)
    if not run_dirs:
        raise ValueError("--run_dirs is required: the run directories to judge (or "
                         "--colorize_page alone for the colorize editor)")
    source = f"{dataset}:{split}:{image_size}"
    config = study_lib.StudyConfig(
        runs=tuple(runs_lib.run_name(run_dir) for run_dir in run_dirs), source=source,
        images=images, mode=mode, trials=trials, practice_trials=practice_trials,
        attention_checks=attention_checks, display_ms=display_ms,
        **({} if exclusions is None else {"exclusions": exclusions}))
    config.validate()
    ServerOptions(admin_token="x" * admin.MIN_LENGTH, **options).validate()
    if admin_token is not None:
        admin.resolve_token(None, admin_token)  # checks the flag before loading anything
    predictors = runs_lib.load_predictors(run_dirs)
    colorizers = runs_lib.colorizers_of(predictors)
    editor = None
    if options.get("colorize_page"):
        from colorization_tf.web import editor as editor_lib

        editor = editor_lib.Editor(predictors, solve_size)
    config = dataclasses.replace(config, runs=tuple(colorizers))
    storage = storage_lib.Storage(database)
    try:
        token, generated = admin.resolve_token(storage, admin_token)
        pool = images_lib.build_pool(
            storage, images_lib.cache_dir_for(database), source, images, colorizers,
            lambda: runs_lib.load_originals(dataset, split, images, image_size))
        app = create_app(config, storage, pool, ServerOptions(admin_token=token, **options),
                         runs_lib.colorize_with(colorizers), editor=editor)
        app.state.new_admin_token = token if generated else None
    except BaseException:
        storage.close()
        raise
    return app, storage
