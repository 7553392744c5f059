"""Drafts over the JSON API: create, read, update (with the version read), check and send.

The same services as the pages and the CLI (:mod:`hanoi.cases.drafts`,
:func:`hanoi.cases.sending.send_draft`): the same need-to-know (a draft of another
authority is a 404), the same one draft, one request, and the same four eyes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hanoi.cases import drafts
from hanoi.cases.check import check_document
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.drafting_models import Draft
from hanoi.cases.sending import send_draft
from hanoi.web.api.callers import Reader, Writer
from hanoi.web.api.requests import DOCUMENT_BODY, read_document
from hanoi.web.deps import NodeServices, Services
from hanoi.web.errors import ApiError
from hanoi.web.node import states
from hanoi.web.problems import problem_responses

router = APIRouter(prefix="/drafts", tags=["drafts"])

_READ = problem_responses(401, 403, 404)
_WRITE = problem_responses(400, 401, 403, 404, 409, 413, 422, 503)


class SendDraft(BaseModel):
    """How to send a draft: the version read (so a colleague's change is not sent unseen)
    and, optionally, the receiving authority (default: the first the State designated)."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1)
    to_authority: str | None = Field(default=None, min_length=4, max_length=32)


def _view(services: NodeServices, draft: Draft, *, with_document: bool) -> dict[str, Any]:
    document = draft.document
    report = check_document(parse_document_obj(document), directory=states(services.settings))
    view: dict[str, Any] = {
        "id": draft.id,
        "kind": draft.kind,
        "version": draft.version,
        "created_at": draft.created_at.isoformat(),
        "updated_at": draft.updated_at.isoformat(),
        "check": report.model_dump(mode="json"),
    }
    if with_document:
        view["document"] = document
    return view


@router.get("", responses=_READ)
def list_drafts(caller: Reader, services: Services) -> list[dict[str, Any]]:
    """The drafts of the caller's authority not yet sent, most recently changed first."""
    with services.db.session() as session:
        rows = drafts.list_drafts(session, user=caller.user)
    return [_view(services, d, with_document=False) for d in rows]


@router.post("", status_code=201, responses=_WRITE, openapi_extra=DOCUMENT_BODY)
async def create_draft(request: Request, caller: Writer, services: Services) -> JSONResponse:
    """Save a request document as a new draft (version 1) of the caller's authority."""
    document = await read_document(request)

    def save() -> dict[str, Any]:
        with services.db.session() as session:
            draft = drafts.save_draft(
                session,
                user=caller.user,
                kind=document.kind,
                document=document.model_dump(mode="json"),
            )
        return _view(services, draft, with_document=True)

    return JSONResponse(await run_in_threadpool(save), status_code=201)


@router.get("/{draft_id}", responses=_READ)
def get_draft(draft_id: str, caller: Reader, services: Services) -> dict[str, Any]:
    """One draft with its document and its check."""
    with services.db.session() as session:
        draft = drafts.get_draft(session, user=caller.user, draft_id=draft_id)
    return _view(services, draft, with_document=True)


@router.put("/{draft_id}", responses=_WRITE, openapi_extra=DOCUMENT_BODY)
async def update_draft(
    request: Request, draft_id: str, version: int, caller: Writer, services: Services
) -> dict[str, Any]:
    """Replace the document of a draft still at ``version`` (else 409, nothing stored)."""
    document = await read_document(request)

    def update() -> dict[str, Any]:
        with services.db.session() as session:
            current = drafts.get_draft(session, user=caller.user, draft_id=draft_id)
            if document.kind != current.kind:
                raise ApiError(422, "Wrong kind", f"this draft is a {current.kind} request")
            draft = drafts.update_draft(
                session,
                user=caller.user,
                draft_id=draft_id,
                document=document.model_dump(mode="json"),
                expected_version=version,
            )
        return _view(services, draft, with_document=True)

    return await run_in_threadpool(update)


@router.post("/{draft_id}/send", status_code=201, responses=_WRITE)
def send(draft_id: str, body: SendDraft, caller: Writer, services: Services) -> dict[str, Any]:
    """Send the draft to the requested State, or submit it for a supervisor's approval where
    the authority's rules say so. A draft is sent once (409 after that)."""
    node = services.node
    if node is None:
        raise ApiError(503, "No exchange", "this node has no identity: it reaches no State")
    with services.db.session() as session:
        case = send_draft(
            session,
            node,
            user=caller.user,
            draft_id=draft_id,
            expected_version=body.version,
            to_authority=body.to_authority,
        )
        reference, status = case.reference, case.status
    if services.worker is not None:
        services.worker.wake()
    return {"reference": reference, "status": status}
