"""The participant's routes: the study page, its API and the images of their own trials.

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

The participant cookie is HttpOnly, SameSite=Lax, and Secure behind HTTPS; its value (a
random 128-bit id) is in no other visitor's response.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from colorization_tf.web import images as images_lib
from colorization_tf.web import limits, responses
from colorization_tf.web import storage as storage_lib
from colorization_tf.web import study as study_lib
from colorization_tf.web.options import ServerOptions

COOKIE = "participant"
COOKIE_MAX_AGE = 60 * 60 * 24 * 30
MAX_RESPONSE_MS = 24 * 60 * 60 * 1000
_ID = re.compile(r"[0-9a-f]{32}")

HexId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
# the crowd platform's ids in a study URL: declared for the schema, checked by
# ``study.ExternalIds.from_query`` (its one-line 422 names the parameter)
PlatformId = str | None


class AnswerIn(BaseModel):
    """The body of POST /api/answer; anything else is a 422."""

    model_config = ConfigDict(extra="forbid")

    trial_id: HexId
    answer: Literal["real", "colorized"] | Annotated[StrictInt, Field(ge=0, le=1)]
    response_ms: Annotated[float, Field(ge=0, le=MAX_RESPONSE_MS)] | None = None


def router(study: study_lib.Study, image_store: images_lib.ImageStore,
           options: ServerOptions, new_sessions: limits.RateLimiter) -> APIRouter:
    """The participant's routes over ``study`` and the pool ``image_store``."""
    routes = APIRouter(tags=["participant"])

    @routes.get("/", response_class=responses.HTMLFileResponse)
    def index_page() -> Response:
        """The study page (the platform's ids in its address are read by the page)."""
        return responses.page("index.html")

    @routes.get("/api/study")
    def study_info() -> dict[str, Any]:
        config = study.config
        return {"mode": config.mode, "trials": config.trials,
                "practice_trials": config.practice_trials, "total": config.total,
                "display_ms": config.display_ms}

    @routes.get("/api/trial", responses=responses.errors(403, 422, 429))
    def next_trial(request: Request, PROLIFIC_PID: PlatformId = None,  # noqa: N803
                   STUDY_ID: PlatformId = None, SESSION_ID: PlatformId = None,  # noqa: N803
                   participant: PlatformId = None) -> JSONResponse:
        try:
            external = study_lib.ExternalIds.from_query(request.query_params)
        except ValueError as err:
            return responses.error(422, str(err))
        cookie = participant_cookie(request)
        participant_id = study.find(cookie, external)
        if participant_id is None:
            if options.max_participants and study.participant_count() >= options.max_participants:
                return _study_full()
            address = request.client.host if request.client else "unknown"
            wait = new_sessions.take(address)
            if wait:
                minutes = max(1, math.ceil(wait / 60))
                return responses.error(429, f"Too many new sessions from your network "
                                            f"address; please try again in {minutes} minute"
                                            f"{'s' if minutes > 1 else ''}.",
                                       {"Retry-After": str(math.ceil(wait))})
            try:
                participant_id = study.create(external, options.max_participants)
            except study_lib.StudyFull:
                return _study_full()
        trial = study.next_trial(participant_id)
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
        reply = JSONResponse(body, headers={"Cache-Control": "no-store"})
        if participant_id != cookie:
            reply.set_cookie(COOKIE, participant_id, max_age=COOKIE_MAX_AGE, httponly=True,
                             samesite="lax", secure=responses.is_secure(request, options.https))
        return reply

    @routes.post("/api/answer", responses=responses.errors(400, 404, 409, 413, 422))
    def answer(body: AnswerIn, request: Request) -> JSONResponse:
        try:
            reply = study.answer(participant_cookie(request), body.trial_id, body.answer,
                                 body.response_ms)
        except study_lib.InvalidAnswer as err:
            return responses.error(422, str(err))
        except study_lib.UnknownTrial:
            return responses.error(404, "no such trial for this participant")
        except storage_lib.AlreadyAnswered:
            return responses.error(409, "this trial has already been answered")
        return JSONResponse(reply, headers={"Cache-Control": "no-store"})

    @routes.get("/img/{trial_id}/{slot}", response_class=responses.PNGResponse,
                responses=responses.errors(404, 422))
    def image(trial_id: Annotated[str, StringConstraints(max_length=64)], slot: int,
              request: Request) -> Response:
        image_id = None
        if _ID.fullmatch(trial_id):
            image_id = study.trial_image(participant_cookie(request), trial_id, slot)
        data = None if image_id is None else image_store.read_png(image_id)
        if data is None:
            return responses.error(404, "no such image")
        return responses.PNGResponse(data, headers={"Cache-Control": "private, max-age=86400"})

    return routes


def participant_cookie(request: Request) -> str | None:
    """The participant id the cookie names, if it is well formed."""
    value = request.cookies.get(COOKIE)
    return value if value and _ID.fullmatch(value) else None


def _study_full() -> JSONResponse:
    return responses.error(403, "This study is full: it has all the participants it needs. "
                                "Thank you for your interest.")
