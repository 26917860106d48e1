"""The study server: a FastAPI app composed of one router per visitor.

- ``participant``: the study page, its API (``/api/study``, ``/api/trial``,
  ``/api/answer``) and the images of the participant's own trials (``/img/...``);
- ``experimenter``: the results (``/results``, ``/api/results``, ``/results.csv``,
  ``/summary.csv``) behind the experimenter's token (``admin``);
- ``editor_routes``: with ``--colorize_page``, the colorize editor (``colorize_api``);
  with ``--colorize_page`` and no runs (or ``--nostudy``) the editor alone is served
  (``create_editor_app``): no study, no database, ``/`` leads to ``/colorize``.

Cookies are HttpOnly, SameSite=Lax, and Secure when the server runs behind HTTPS
(``https``, or ``X-Forwarded-Proto: https`` from an address in ``forwarded_allow_ips``,
whose ``X-Forwarded-For`` then also names the client for the rate limit). No response
carries a participant's id except to that participant: results name participants by
pseudonym. JSON bodies are bounded to ``MAX_JSON_BYTES`` (413), ids to 32 hex digits and
answers to the mode's values (422). Every route declares the statuses and content types
it answers (``responses``); the OpenAPI schema is built (``app.openapi()``) but not
published.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from colorization_tf.web import (
    admin,
    colorize_api,
    editor_routes,
    experimenter,
    limits,
    participant,
)
from colorization_tf.web import images as images_lib
from colorization_tf.web import storage as storage_lib
from colorization_tf.web import study as study_lib
from colorization_tf.web.options import ServerOptions
from colorization_tf.web.runs import ColorizeFn
from colorization_tf.web.study_config import StudyConfig

__all__ = ["ServerOptions", "build_editor_app", "build_study_app", "create_app",
           "create_editor_app", "serve"]

PAGES = Path(__file__).parent / "pages"
MAX_JSON_BYTES = 16 * 1024


def create_app(study_config: StudyConfig, storage: storage_lib.Storage,
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
    app = _base_app("colorization_tf visual Turing test", options.forwarded_allow_ips)
    app.state.study = study
    app.state.storage = storage
    app.state.new_sessions = limits.RateLimiter(options.new_sessions_per_hour)
    app.include_router(participant.router(study, image_store, options,
                                          app.state.new_sessions))
    app.include_router(experimenter.router(study, options))
    if options.colorize_page:
        routes, app.state.colorize_gate = editor_routes.router(
            study.config.runs, colorize_fn, options.uploads, editor)
        app.include_router(routes)
    return app


def create_editor_app(editor: colorize_api.Editor,
                      uploads: colorize_api.UploadLimits | None = None,
                      forwarded_allow_ips: tuple[str, ...] = ()) -> FastAPI:
    """An app serving only the colorize editor (no study): ``/`` redirects to
    ``/colorize``."""
    app = _base_app("colorization_tf colorize editor", forwarded_allow_ips)
    routes, app.state.colorize_gate = editor_routes.router(
        (), None, uploads or colorize_api.UploadLimits(), editor, home=True)
    app.include_router(routes)
    return app


def _base_app(title: str, forwarded_allow_ips: tuple[str, ...]) -> FastAPI:
    """An app with no published schema or docs, JSON bodies bounded, the static files,
    and the proxy headers of ``forwarded_allow_ips`` (only) believed."""
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None,
                  max_body_size=MAX_JSON_BYTES)
    if forwarded_allow_ips:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(forwarded_allow_ips))
    app.mount("/static", StaticFiles(directory=PAGES), name="static")
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
    config = StudyConfig(
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
