"""The experimenter's routes: the results, behind the token (``admin``; 401 without it).

  GET /results       the results page; ``?token=T`` once sets the admin cookie and
                     redirects (303) to /results, keeping the token out of the address bar
  GET /api/results   the figures (``results.summarize``) as JSON
  GET /results.csv   one row per acknowledged answer (the codebook in docs/study.md)
  GET /summary.csv   one row per run and one for the originals, with and without exclusions
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from colorization_tf.web import admin, csv_export, responses
from colorization_tf.web import study as study_lib
from colorization_tf.web.options import ServerOptions


def router(study: study_lib.Study, options: ServerOptions) -> APIRouter:
    """The experimenter's routes over ``study``, opened by ``options.admin_token``."""
    routes = APIRouter(tags=["experimenter"])

    def is_admin(request: Request) -> bool:
        return admin.matches(options.admin_token, admin.presented_token(
            request.headers, request.cookies, request.query_params))

    @routes.get("/results", response_class=responses.HTMLFileResponse,
                responses={**responses.redirect(303), **responses.errors(401)})
    def results_page(request: Request, token: str | None = None) -> Response:
        if not is_admin(request):
            return _unauthorized()
        if token is not None:  # keep the token out of the address bar
            reply = RedirectResponse("/results", status_code=303)
            reply.set_cookie(admin.COOKIE, options.admin_token, httponly=True,
                             samesite="strict",
                             secure=responses.is_secure(request, options.https))
            return reply
        return responses.page("results.html")

    @routes.get("/api/results", responses=responses.errors(401))
    def results(request: Request) -> Response:
        if not is_admin(request):
            return _unauthorized()
        return JSONResponse(study.results(), headers={"Cache-Control": "no-store"})

    @routes.get("/results.csv", response_class=responses.CSVResponse,
                responses=responses.errors(401))
    def results_csv(request: Request) -> Response:
        if not is_admin(request):
            return _unauthorized()
        return _csv(csv_export.answers_to_csv(study.results()), "results.csv")

    @routes.get("/summary.csv", response_class=responses.CSVResponse,
                responses=responses.errors(401))
    def summary_csv(request: Request) -> Response:
        if not is_admin(request):
            return _unauthorized()
        return _csv(csv_export.results_to_csv(study.results()), "summary.csv")

    return routes


def _csv(text: str, name: str) -> Response:
    return responses.CSVResponse(text, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _unauthorized() -> JSONResponse:
    return responses.error(401, "the experimenter's token is required (Authorization: "
                                "Bearer TOKEN, or open /results?token=TOKEN)",
                           {"WWW-Authenticate": "Bearer"})
