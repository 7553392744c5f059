"""The one place where errors become HTTP answers: RFC 9457 problem documents for the API,
error pages (or the sign-in redirect) for the web pages. Refusals are audited here too.

Every error of ours is answered by its decision (:mod:`hanoi.errors`), in the one table
:data:`ANSWERS`: its status, whether the refusal is audited here, and a fixed detail where
the message must not be shown. The title is the error class's own ``title``; the detail its
message. What the table leaves out (a :class:`~hanoi.errors.SetupError`, a bug) stays a
500 and is logged with its traceback. A database that is locked, full or unreachable
(:mod:`hanoi.db.errors`) is answered as the :class:`~hanoi.errors.Unavailable` it is: 503
with ``Retry-After``. Two answers are spelled out elsewhere: an
:class:`~hanoi.web.errors.ApiError` carries the status its route gives, and the witness
endpoint (``web/witness.py``) writes the plain-text bodies c2sp.org/tlog-witness fixes,
with the statuses of this table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from hanoi.db.errors import unavailable
from hanoi.errors import (
    Busy,
    Conflict,
    HanoiError,
    InvalidInput,
    Malformed,
    Misdirected,
    NotAllowed,
    NotAuthentic,
    NotFound,
    TooLarge,
    Unavailable,
    VerificationFailed,
)
from hanoi.i18n.languages import SOURCE_LANGUAGE, negotiate
from hanoi.web.deps import client_address, services_of
from hanoi.web.errors import ApiError, CsrfFailed, SignInRequired, TokenRequired
from hanoi.web.i18n import N_, Wording, gettext, speaking
from hanoi.web.landing import sign_in_url
from hanoi.web.templating import page

PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries declaring problem bodies for the given statuses."""
    return {status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}} for status in statuses}


def problem(status: int, title: str, detail: str | None = None) -> JSONResponse:
    body = Problem(title=title, status=status, detail=detail).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


#: The ``title`` of every error class of ours (:mod:`hanoi.errors`: the kind of failure, the
#: same every time), listed once here so that the ``pages`` catalogue holds them: the error
#: page shows the title in the page's language (``{{ title | t }}``), and so does an API
#: problem document when its caller's ``Accept-Language`` asks for one of the six. The
#: detail, ``str(exc)``, is one line in English, shown as it is (the table's fixed details
#: below are translated). A test holds this list to
#: every error class's title.
ERROR_TITLES = (
    N_("Action not possible"),
    N_("API token required"),
    N_("Bad signature"),
    N_("Busy"),
    N_("Conflict"),
    N_("Database unavailable"),
    N_("Does not verify"),
    N_("Draft already sent"),
    N_("Error"),
    N_("Evidence file does not match its manifest"),
    N_("Evidence not possible"),
    N_("File already staged"),
    N_("Form expired"),
    N_("Four eyes"),
    N_("Invalid file name"),
    N_("Invalid input"),
    N_("Invalid request"),
    N_("Invalid treaty record"),
    N_("Issued in the future"),
    N_("Letter in progress"),
    N_("Letter too large"),
    N_("Malformed glossary"),
    N_("Malformed message"),
    N_("Malformed upload"),
    N_("Malformed"),
    N_("Message expired"),
    N_("Message rejected"),
    N_("Message too large"),
    N_("Method not allowed"),
    N_("Misdirected"),
    N_("No room for the upload"),
    N_("No such evidence file"),
    N_("No such evidence package"),
    N_("No such request"),
    N_("No such upload"),
    N_("Not a regular file"),
    N_("Not allowed"),
    N_("Not authentic"),
    N_("Not found"),
    N_("Not set up"),
    N_("Not staged"),
    N_("Offset conflict"),
    N_("Payload digest mismatch"),
    N_("Payload hash mismatch"),
    N_("Replayed message"),
    N_("Request too large"),
    N_("Sign-in required"),
    N_("Signer key no longer valid"),
    N_("Token scope missing"),
    N_("Too large"),
    N_("Unavailable"),
    N_("Unknown authority"),
    N_("Unknown signer"),
    N_("Unsupported language"),
    N_("Upload busy"),
    N_("Upload closed"),
    N_("Upload too large"),
    N_("Wrong recipient"),
)


def page_error(
    request: Request, status: int, title: str | Wording, detail: str | Wording | None = None
) -> Response:
    """The error page: ``title`` and ``detail`` are message ids (or ``wording``) the page
    translates; text that is no message id (an exception's message) is shown as it is."""
    return page(request, "error.html", {"title": title, "detail": detail}, status_code=status)


@dataclass(frozen=True)
class Answer:
    """How one decision is answered over HTTP."""

    decision: type[HanoiError]
    status: int
    #: Audited here as ``access.denied`` with this reason (other refusals are audited where
    #: they happen, or not at all: a resuming sender's offset conflict is no refusal).
    audit: str | None = None
    #: Said instead of the message, which may tell a refused user more than they may know.
    detail: str | None = None
    #: Seconds sent as ``Retry-After``: when to come back.
    retry_after: int | None = None


#: When a client should come back after a 503: long enough for a lock to pass, short
#: enough that a person retrying by hand does not wait for nothing.
RETRY_AFTER_SECONDS = 5

#: Every decision's answer; the first row that matches wins, so a narrow decision comes
#: before the one it refines (and before ``InvalidInput``, which some bases carry). Other
#: nodes act on these statuses: a sender of messages retries only 5xx, 408, 425 and 429
#: and quarantines the message on any other refusal (with the detail as its reason); an
#: uploading sender asks the offset again on 409, comes back later on 423 and 5xx, and
#: sends a payload again on 422.
ANSWERS: tuple[Answer, ...] = (
    Answer(
        TokenRequired,
        401,
        "token",
        N_("Send a live API token: Authorization: Bearer hanoi_... ('hanoi user token create')."),
    ),
    Answer(SignInRequired, 401, detail=N_("sign in to this node first")),  # pages: the form
    Answer(CsrfFailed, 403, "csrf", N_("Reload the page and submit the form again.")),
    Answer(NotAllowed, 403, "role", N_("Your role does not allow this.")),
    Answer(NotAuthentic, 403),
    Answer(NotFound, 404),
    Answer(Conflict, 409),
    Answer(TooLarge, 413),
    Answer(Misdirected, 421),
    Answer(Malformed, 400),
    Answer(VerificationFailed, 422),
    Answer(InvalidInput, 422),
    Answer(Busy, 423),
    Answer(Unavailable, 503, retry_after=RETRY_AFTER_SECONDS),
)


def answer_for(exc: HanoiError) -> Answer | None:
    """The table's answer to ``exc``; None for what it leaves out (a 500)."""
    return next((a for a in ANSWERS if isinstance(exc, a.decision)), None)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/federation/"))


def _respond(request: Request, status: int, title: str, detail: str | None) -> Response:
    if _is_api(request):
        return _api_problem(request, status, title, detail)
    return page_error(request, status, title, detail)


def _api_problem(request: Request, status: int, title: str, detail: str | None) -> Response:
    """A problem document, its title (and a fixed detail of the table) in the language the
    caller's ``Accept-Language`` asks for, said in ``Content-Language``; English when it asks
    for none of the six. Clients act on the status; the title is for the person reading the
    log of a case-management system. Other nodes ask for no language and read English."""
    lang = negotiate(request.headers.get("accept-language"))
    if lang is None or lang == SOURCE_LANGUAGE or request.url.path.startswith("/federation/"):
        return problem(status, title, detail)
    with speaking(lang):
        response = problem(status, gettext(title), gettext(detail) if detail else None)
    response.headers["Content-Language"] = lang
    return response


def _audit_refusal(request: Request, reason: str) -> None:
    """Record a refused access: who (if anyone) tried what; a flood of them from one address
    is counted into one row per interval (:func:`hanoi.audit.record_refusal`)."""
    from hanoi.audit import record_refusal
    from hanoi.web.auth import current_user

    services = services_of(request)
    user = current_user(request, services.db)
    with services.db.session() as session:
        record_refusal(
            session,
            action="access.denied",
            reason=reason,
            source=client_address(request),
            actor=user.username if user else "(anonymous)",
            target_type="path",
            # The column holds 64 characters (PostgreSQL refuses more); the detail the rest.
            target_id=request.url.path[:64],
            detail={"reason": reason, "method": request.method, "path": request.url.path[:200]},
            interval=services.settings.audit_refusal_interval,
        )


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's,
    and one path may have a route per method)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "OPTIONS"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    async def on_our_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HanoiError)
        if isinstance(exc, ApiError):
            return _respond(request, exc.status, exc.title, exc.detail)
        answer = answer_for(exc)
        if answer is None:
            raise exc  # a 500, logged with its traceback
        if isinstance(exc, SignInRequired) and not _is_api(request):
            # A page read comes back after signing in; a form post cannot be replayed.
            if request.method in ("GET", "HEAD"):
                target = sign_in_url(request.url.path, request.url.query)
            else:
                target = "/sign-in"
            return RedirectResponse(target, status_code=303)
        if answer.audit is not None:
            await run_in_threadpool(_audit_refusal, request, answer.audit)
        response = _respond(request, answer.status, exc.title, answer.detail or str(exc))
        if answer.retry_after is not None:
            response.headers["Retry-After"] = str(answer.retry_after)
        return response

    async def on_database_error(request: Request, exc: Exception) -> Response:
        # A locked, full or unreachable database passes by itself: the client is told to
        # come back (senders of messages retry on 503), not shown a bare 500.
        assert isinstance(exc, OperationalError)
        failure = unavailable(exc)
        if failure is None:
            raise exc  # a bug or a setup fault: a 500, logged with its traceback
        # The driver's class only: its message may name tables, values or hosts.
        logger.warning(
            "%s %s: %s (%s)", request.method, request.url.path, failure, type(exc.orig).__name__
        )
        return await on_our_error(request, failure)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        titles = {404: N_("Not found"), 405: N_("Method not allowed"), 413: N_("Request too large")}
        title = titles.get(exc.status_code, N_("Error"))
        detail = exc.detail if isinstance(exc.detail, str) else None
        response = _respond(request, exc.status_code, title, detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:
            response.headers["Allow"] = _allowed_methods(request)
        return response

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        detail = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        return _respond(request, 422, N_("Invalid request"), detail)

    app.add_exception_handler(HanoiError, on_our_error)
    app.add_exception_handler(OperationalError, on_database_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


def record_refused(request: Request, reason: str) -> None:
    """Audit a refusal a handler answers itself (a form shown back with its text rather
    than the error page), as the table's refusals are audited; call it from a thread."""
    _audit_refusal(request, reason)
