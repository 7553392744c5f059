"""The one place where errors become HTTP answers: RFC 9457 problem documents for the API,
error pages (or the sign-in redirect) for the web pages. Refusals are audited here too."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from hanoi.cases.drafts import DraftForbidden
from hanoi.cases.evidence import EvidenceDeliveryError, PackageNotFound
from hanoi.cases.lifecycle import LifecycleError
from hanoi.cases.requests import RequestForbidden, RequestNotFound
from hanoi.crypto.envelope import (
    BadSignature,
    DigestMismatch,
    EnvelopeError,
    ExpiredMessage,
    IssuedInFuture,
    OversizedMessage,
    ReplayedMessage,
    UnknownSignerKey,
    WrongRecipient,
)
from hanoi.evidence.transfer import (
    BadUpload,
    PayloadMismatch,
    TransferError,
    UploadBusy,
    UploadConflict,
    UploadNotFound,
    UploadTooLarge,
)
from hanoi.exchange.errors import MessageRejected
from hanoi.web.deps import services_of
from hanoi.web.errors import ApiError, CsrfFailed, Forbidden, SignInRequired
from hanoi.web.templating import page

PROBLEM_MEDIA_TYPE = "application/problem+json"


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


def page_error(request: Request, status: int, title: str, detail: str | None = None) -> Response:
    return page(request, "error.html", {"title": title, "detail": detail}, status_code=status)


#: Refused messages from other nodes. A sender retries only 5xx, 408, 425 and 429, so every
#: status here is final for that message: it is quarantined with the detail as its reason.
ENVELOPE_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (OversizedMessage, 413, "Message too large"),
    (UnknownSignerKey, 403, "Unknown signer"),
    (BadSignature, 403, "Bad signature"),
    (WrongRecipient, 421, "Wrong recipient"),
    (ReplayedMessage, 409, "Replayed message"),
    (ExpiredMessage, 422, "Message expired"),
    (IssuedInFuture, 422, "Issued in the future"),
    (DigestMismatch, 422, "Payload digest mismatch"),
    (MessageRejected, 422, "Message rejected"),
    (EnvelopeError, 400, "Malformed message"),
)


#: Refused uploads of evidence payloads (tus-style HEAD/PATCH). A 409 or 422 tells the
#: sender to ask the offset again and go on, a 423 to come back later; the others are final.
UPLOAD_STATUS: tuple[tuple[type[Exception], int, str], ...] = (
    (UploadNotFound, 404, "No such upload"),
    (UploadConflict, 409, "Offset conflict"),
    (UploadBusy, 423, "Upload busy"),
    (UploadTooLarge, 413, "Upload too large"),
    (PayloadMismatch, 422, "Payload hash mismatch"),
    (BadUpload, 400, "Malformed upload"),
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/federation/"))


def _respond(request: Request, status: int, title: str, detail: str | None) -> Response:
    if _is_api(request):
        return problem(status, title, detail)
    return page_error(request, status, title, detail)


def _audit_refusal(request: Request, reason: str) -> None:
    """Record a refused access: who (if anyone) tried what."""
    from hanoi.audit import record
    from hanoi.web.auth import current_user

    db = services_of(request).db
    user = current_user(request, db)
    with db.session() as session:
        record(
            session,
            actor=user.username if user else "(anonymous)",
            action="access.denied",
            target_type="path",
            target_id=request.url.path[:200],
            detail={"reason": reason, "method": request.method},
            remote_addr=request.client.host if request.client else None,
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
    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _respond(request, exc.status, exc.title, exc.detail)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        titles = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}
        title = titles.get(exc.status_code, "Error")
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
        return _respond(request, 422, "Invalid request", detail)

    async def on_refused_message(request: Request, exc: Exception) -> Response:
        # Already audited by the exchange, which saw the whole message.
        for kind, status, title in ENVELOPE_STATUS:
            if isinstance(exc, kind):
                return problem(status, title, str(exc))
        return problem(400, "Malformed message", str(exc))

    async def on_refused_upload(request: Request, exc: Exception) -> Response:
        for kind, status, title in UPLOAD_STATUS:
            if isinstance(exc, kind):
                return problem(status, title, str(exc))
        return problem(400, "Malformed upload", str(exc))

    async def on_sign_in_required(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return problem(401, "Sign-in required", "sign in to this node first")
        return RedirectResponse("/sign-in", status_code=303)

    async def on_forbidden(request: Request, exc: Exception) -> Response:
        await run_in_threadpool(_audit_refusal, request, "role")
        return _respond(request, 403, "Not allowed", "Your role does not allow this.")

    async def on_request_not_found(request: Request, exc: Exception) -> Response:
        # Already audited by the requests service (request.denied); the same answer whether
        # the request exists at another authority or not at all.
        return _respond(request, 404, "No such request", str(exc))

    async def on_evidence_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, PackageNotFound):
            return _respond(request, 404, "No such evidence package", str(exc))
        return _respond(request, 422, "Evidence not possible", str(exc))

    async def on_lifecycle_error(request: Request, exc: Exception) -> Response:
        # Pages that offer the action re-show their form instead; this is the fallback.
        return _respond(request, 422, "Action not possible", str(exc))

    async def on_csrf_failed(request: Request, exc: Exception) -> Response:
        await run_in_threadpool(_audit_refusal, request, "csrf")
        return _respond(request, 403, "Form expired", "Reload the page and submit the form again.")

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(SignInRequired, on_sign_in_required)
    app.add_exception_handler(Forbidden, on_forbidden)
    app.add_exception_handler(DraftForbidden, on_forbidden)
    app.add_exception_handler(RequestForbidden, on_forbidden)
    app.add_exception_handler(RequestNotFound, on_request_not_found)
    app.add_exception_handler(LifecycleError, on_lifecycle_error)
    app.add_exception_handler(EvidenceDeliveryError, on_evidence_error)
    app.add_exception_handler(CsrfFailed, on_csrf_failed)
    app.add_exception_handler(EnvelopeError, on_refused_message)
    app.add_exception_handler(MessageRejected, on_refused_message)
    app.add_exception_handler(TransferError, on_refused_upload)
