"""The colorize editor's router (``--colorize_page``): the routes ``colorize_api``
defines (``GET /colorize``, ``GET /api/runs``, ``POST /api/colorize``, ``POST
/api/suggest``), gathered under one ``APIRouter`` so that ``app`` composes the editor like
the participant's and the experimenter's routes; for the editor alone, ``/`` leads to
``/colorize``."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from colorization_tf.web import colorize_api, responses
from colorization_tf.web.runs import ColorizeFn


def router(runs: Sequence[str], colorize_fn: ColorizeFn | None,
           uploads: colorize_api.UploadLimits, editor: colorize_api.Editor | None = None,
           home: bool = False):
    """``(router, gate)``: the editor's routes over ``editor`` (or the plain
    ``colorize_fn`` of ``runs``; with neither they answer 503) and their admission gate
    (``app.state.colorize_gate``); ``home``: ``/`` redirects (307) to ``/colorize``."""
    routes = APIRouter(tags=["editor"])
    if home:
        @routes.get("/", response_class=RedirectResponse, status_code=307,
                    responses=responses.redirect(307))
        def index() -> RedirectResponse:
            return RedirectResponse("/colorize", status_code=307)

    gate = colorize_api.add_routes(routes, runs, colorize_fn, uploads, editor)
    return routes, gate
