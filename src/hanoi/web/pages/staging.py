"""Evidence delivered from a request's page: the files staged on the node for it, uploads
into the staging folder from the browser, and "Seal and deliver".

The services are :mod:`hanoi.cases.evidence_staging`'s, as for the JSON API
(``web/api/evidence.py``); this module adds what the page needs:

- ``POST /requests/REF/staging/deliver`` (form): seal the chosen files, deliver, back to
  the page (303) where the package shows; a refusal shows the page again with why (422);
- ``POST /requests/REF/staging/remove`` (form): remove one staged file;
- ``POST /requests/REF/staging/uploads`` (form, from ``static/upload.js``), then
  ``HEAD``/``PATCH /requests/REF/staging/uploads/ID``: the resumable upload of
  ``web/staging.py``, the CSRF token of a piece in the ``X-CSRF-Token`` header; refusals a
  script shows (a bad name, no room) come back as problem documents;
- ``GET /requests/REF/packages``: the request's packages and their progress as JSON, which
  ``static/evidence.js`` polls while one is on its way.

Without JavaScript the staged files and both forms work; uploading from the browser needs
the script (files then reach the folder by other means), and the page says so.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission
from hanoi.cases.access import get_request
from hanoi.cases.evidence_seal import EvidenceDeliveryError
from hanoi.cases.evidence_staging import (
    remove_staged,
    seal_and_deliver,
    start_upload,
    upload_state,
)
from hanoi.evidence.staging import StagingError
from hanoi.web import auth, i18n
from hanoi.web.deps import NodeServices, Services
from hanoi.web.packages import in_transit, package_views
from hanoi.web.pages import requests as request_pages
from hanoi.web.problems import answer_for, problem
from hanoi.web.staging import node_of, offset_answer, receive_piece, upload_json

router = APIRouter()


def _page(reference: str, done: str) -> RedirectResponse:
    return RedirectResponse(
        f"/requests/{quote(reference, safe='')}?done={done}#evidence-heading", status_code=303
    )


def _user(request: Request, services: NodeServices) -> User:
    user: User = auth.require_permission(request, services.db, Permission.READ_REQUESTS)
    return user


# --- forms ----------------------------------------------------------------------------------


@router.post("/requests/{reference}/staging/deliver")
async def deliver(request: Request, reference: str, services: Services) -> Response:
    form = await auth.checked_form(request)
    return await run_in_threadpool(_deliver, request, services, reference, form)


def _deliver(request: Request, services: NodeServices, reference: str, form: FormData) -> Response:
    user = _user(request, services)
    names = [n for n in form.getlist("files") if isinstance(n, str)]
    try:
        seal_and_deliver(
            services.db,
            node_of(services),
            user=user,
            reference=reference,
            names=names,
            remove_staged=form.get("remove_staged") == "yes",
        )
    except (EvidenceDeliveryError, StagingError) as exc:
        # Nothing sealed, nothing staged removed: the page again, saying why.
        return request_pages.render_request_page(
            request, services, user, reference, evidence_error=str(exc), status=422
        )
    if services.worker is not None:
        services.worker.wake()  # the offer leaves now, not at the next poll
    return _page(reference, "evidence")


@router.post("/requests/{reference}/staging/remove")
async def remove(request: Request, reference: str, services: Services) -> Response:
    form = await auth.checked_form(request)
    return await run_in_threadpool(_remove, request, services, reference, form)


def _remove(request: Request, services: NodeServices, reference: str, form: FormData) -> Response:
    user = _user(request, services)
    try:
        remove_staged(
            services.db,
            node_of(services),
            user=user,
            reference=reference,
            name=auth.form_text(form, "name"),
        )
    except (EvidenceDeliveryError, StagingError) as exc:
        return request_pages.render_request_page(
            request, services, user, reference, evidence_error=str(exc), status=422
        )
    return _page(reference, "unstaged")


# --- the upload script's requests -----------------------------------------------------------


def _refused(exc: StagingError | EvidenceDeliveryError) -> JSONResponse:
    """A refusal the script shows as it is (the other errors answer as pages do)."""
    answer = answer_for(exc)
    return problem(answer.status if answer is not None else 422, exc.title, str(exc))


@router.post("/requests/{reference}/staging/uploads")
async def start(request: Request, reference: str, services: Services) -> Response:
    form = await auth.checked_form(request)
    return await run_in_threadpool(_start, request, services, reference, form)


def _start(request: Request, services: NodeServices, reference: str, form: FormData) -> Response:
    user = _user(request, services)
    name, size = form.get("name"), form.get("size")
    if not isinstance(name, str) or not isinstance(size, str) or not size.isdigit():
        return problem(422, "Invalid upload", "a file name and a size in bytes are expected")
    try:
        pending = start_upload(
            services.db,
            node_of(services),
            user=user,
            reference=reference,
            name=name,
            size=int(size[:20]),
        )
    except (EvidenceDeliveryError, StagingError) as exc:
        return _refused(exc)
    return JSONResponse(upload_json(pending), status_code=201)


@router.api_route("/requests/{reference}/staging/uploads/{upload_id}", methods=["GET", "HEAD"])
def offset(request: Request, reference: str, upload_id: str, services: Services) -> Response:
    user = _user(request, services)
    try:
        pending = upload_state(
            services.db, node_of(services), user=user, reference=reference, upload_id=upload_id
        )
    except (EvidenceDeliveryError, StagingError) as exc:
        return _refused(exc)
    return offset_answer(pending)


@router.patch("/requests/{reference}/staging/uploads/{upload_id}")
async def append(request: Request, reference: str, upload_id: str, services: Services) -> Response:
    user = await run_in_threadpool(_user, request, services)
    auth.check_csrf_header(request)
    try:
        return await receive_piece(request, services, user, reference, upload_id)
    except (EvidenceDeliveryError, StagingError) as exc:
        return _refused(exc)


# --- live progress --------------------------------------------------------------------------


@router.get("/requests/{reference}/packages")
def packages(request: Request, reference: str, services: Services) -> dict[str, Any]:
    """The request's packages and their progress, for the page's script: what it shows
    is worded here, in the page's language."""
    user = _user(request, services)
    home = services.node.home if services.node is not None else None
    with services.db.session() as session:
        case = get_request(session, user=user, reference=reference, record_view=False)
        views = package_views(session, case, home)
    with i18n.speaking(i18n.choose_language(request, user, services.settings.default_language)):
        return {
            "in_transit": in_transit(views),
            "packages": [
                {
                    "id": v.id,
                    "status": v.status,
                    "status_text": str(i18n.translate(v.status_text)),
                    "bytes_done": v.bytes_done,
                    "bytes_total": v.bytes_total,
                    "percent": v.percent,
                    "percent_text": i18n.number(v.percent),
                    "progress_text": i18n.gettext("%(percent)s %% of %(total)s bytes")
                    % {"percent": i18n.number(v.percent), "total": i18n.number(v.bytes_total)},
                    "verification": str(i18n.translate(v.verification)),
                    "last_error": v.last_error,
                }
                for v in views
            ],
        }
