"""Guided drafting: a form per instrument that lists missing elements as it is filled in,
saved drafts, and the rendered letter.

Handlers that touch the database or check documents are plain functions (FastAPI runs them
in its thread pool); the POST handlers only await the form, then hand over to a thread.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hanoi.accounts.permissions import Permission
from hanoi.cases import drafts
from hanoi.cases.check import CheckReport, check_document
from hanoi.cases.documents import KINDS, document_model, new_document, parse_document_obj
from hanoi.cases.errors import DocumentError
from hanoi.cases.render import SUPPORTED_LANGUAGES, LetterFormat, LetterLanguage
from hanoi.config import Settings
from hanoi.convention import get_convention
from hanoi.db import Database
from hanoi.web import auth
from hanoi.web.deps import Db, NodeSettings
from hanoi.web.forms import fields_for, form_to_document, label_for, labels_by_path
from hanoi.web.letters import letter_response
from hanoi.web.node import states
from hanoi.web.problems import page_error
from hanoi.web.templating import page

router = APIRouter()

UNKNOWN_KIND = f"Choose one of: {', '.join(KINDS)}."


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _drafter(request: Request, db: Database) -> Any:
    return auth.require_permission(request, db, Permission.DRAFT_REQUESTS)


def _form_page(
    request: Request,
    *,
    user: Any,
    kind: str,
    values: dict[str, Any],
    report: CheckReport | None,
    draft_id: str | None,
    version: int | None = None,
    error: str | None = None,
    status: int = 200,
    saved: bool = False,
) -> Response:
    fields = fields_for(document_model(kind))
    labels = labels_by_path(fields)
    problems_by_path: dict[str, list[Any]] = {}
    for p in report.problems if report else []:
        problems_by_path.setdefault(p.path, []).append(p)
    return page(
        request,
        "draft_form.html",
        {
            "kind": kind,
            "instrument": get_convention().instrument(kind),
            "fields": fields,
            "label_of": lambda path: label_for(labels, path),
            "values": values,
            "report": report,
            "problems_by_path": problems_by_path,
            "draft_id": draft_id,
            "version": version,
            "error": error,
            "saved": saved,
            "languages": SUPPORTED_LANGUAGES,
            "user": user,
        },
        status_code=status,
    )


def _document_from_form(
    form: FormData, kind: str
) -> tuple[dict[str, Any], BaseModel | None, str | None]:
    """The form as raw values, the parsed document (or None) and the parse error (or None)."""
    values = form_to_document(form, fields_for(document_model(kind)))
    values["kind"] = kind  # the URL decides the kind, never a form field
    try:
        return values, parse_document_obj(values), None
    except DocumentError as exc:
        return values, None, str(exc)


def _not_found(request: Request, db: Database, user: Any, draft_id: str) -> Response:
    with db.session() as session:
        drafts.record_denied(session, user=user, draft_id=draft_id, remote_addr=_client(request))
    return page_error(request, 404, "No such draft")


@router.get("/drafts")
def list_page(request: Request, db: Db, settings: NodeSettings) -> Response:
    user = _drafter(request, db)
    with db.session() as session:
        rows = drafts.list_drafts(session, user=user, remote_addr=_client(request))
    items = []
    known = states(settings)
    for d in rows:
        document = d.document
        report = check_document(parse_document_obj(document), directory=known)
        items.append({"draft": d, "document": document, "report": report})
    return page(
        request,
        "drafts.html",
        {"items": items, "instruments": get_convention().instruments.values(), "user": user},
    )


@router.get("/requests/new/{kind}")
def new_page(request: Request, kind: str, db: Db, settings: NodeSettings) -> Response:
    user = _drafter(request, db)
    if kind not in KINDS:
        return page_error(request, 404, "Unknown request kind", UNKNOWN_KIND)
    doc = new_document(kind, requesting_state=user.authority.state)
    return _form_page(
        request,
        user=user,
        kind=kind,
        values=doc.model_dump(mode="json"),
        report=check_document(doc, directory=states(settings)),
        draft_id=None,
    )


@router.post("/requests/new/{kind}")
async def create(request: Request, kind: str, db: Db) -> Response:
    form = await auth.checked_form(request)
    return await run_in_threadpool(_create, request, db, kind, form)


def _create(request: Request, db: Database, kind: str, form: FormData) -> Response:
    user = _drafter(request, db)
    if kind not in KINDS:
        return page_error(request, 404, "Unknown request kind", UNKNOWN_KIND)
    values, doc, error = _document_from_form(form, kind)
    if doc is None:
        return _form_page(
            request,
            user=user,
            kind=kind,
            values=values,
            report=None,
            draft_id=None,
            error=f"Not saved: {error}",
            status=422,
        )
    try:
        with db.session() as session:
            draft = drafts.save_draft(
                session,
                user=user,
                kind=kind,
                document=doc.model_dump(mode="json"),
                remote_addr=_client(request),
            )
    except drafts.InvalidDraft as exc:
        return _form_page(
            request, user=user, kind=kind, values=values, report=None, draft_id=None,
            error=f"Not saved: {exc}", status=422,
        )  # fmt: skip
    return RedirectResponse(f"/drafts/{draft.id}?saved=1", status_code=303)


@router.get("/drafts/{draft_id}")
def edit_page(request: Request, draft_id: str, db: Db, settings: NodeSettings) -> Response:
    user = _drafter(request, db)
    try:
        with db.session() as session:
            draft = drafts.get_draft(
                session, user=user, draft_id=draft_id, remote_addr=_client(request)
            )
    except drafts.DraftNotFound:
        return _not_found(request, db, user, draft_id)
    document = draft.document
    return _form_page(
        request,
        user=user,
        kind=draft.kind,
        values=document,
        report=check_document(parse_document_obj(document), directory=states(settings)),
        draft_id=draft.id,
        version=draft.version,
        saved=request.query_params.get("saved") == "1",
    )


@router.post("/drafts/{draft_id}")
async def update(request: Request, draft_id: str, db: Db) -> Response:
    form = await auth.checked_form(request)
    return await run_in_threadpool(_update, request, db, draft_id, form)


def _update(request: Request, db: Database, draft_id: str, form: FormData) -> Response:
    user = _drafter(request, db)
    try:
        with db.session() as session:
            draft = drafts.get_draft(
                session, user=user, draft_id=draft_id, remote_addr=_client(request)
            )
    except drafts.DraftNotFound:
        return _not_found(request, db, user, draft_id)
    raw_version = str(form.get("version") or "")
    expected = int(raw_version) if raw_version.isdigit() else None
    values, doc, error = _document_from_form(form, draft.kind)

    def again(message: str, status: int) -> Response:
        # What the officer typed comes back with the message: nothing is lost.
        return _form_page(
            request, user=user, kind=draft.kind, values=values, report=None,
            draft_id=draft.id, version=expected, error=message, status=status,
        )  # fmt: skip

    if doc is None:
        return again(f"Not saved: {error}", 422)
    try:
        with db.session() as session:
            drafts.update_draft(
                session,
                user=user,
                draft_id=draft.id,
                document=doc.model_dump(mode="json"),
                expected_version=expected,
                remote_addr=_client(request),
            )
    except drafts.DraftConflict as exc:
        return again(f"Not saved: {exc}. Reload the draft to see the other changes.", 409)
    except drafts.InvalidDraft as exc:
        return again(f"Not saved: {exc}", 422)
    return RedirectResponse(f"/drafts/{draft.id}?saved=1", status_code=303)


@router.post("/requests/check-form/{kind}")
async def check_form(request: Request, kind: str, db: Db, settings: NodeSettings) -> Response:
    """Live check for the form's progressive enhancement: the problems, as JSON."""
    form = await auth.checked_form(request)
    return await run_in_threadpool(_check_form, request, db, settings, kind, form)


def _check_form(
    request: Request, db: Database, settings: Settings, kind: str, form: FormData
) -> Response:
    _drafter(request, db)
    if kind not in KINDS:
        return JSONResponse({"error": "unknown request kind"}, status_code=404)
    _, doc, error = _document_from_form(form, kind)
    if doc is None:
        return JSONResponse({"parse_error": error, "problems": []})
    report = check_document(doc, directory=states(settings))
    return JSONResponse({"parse_error": None, **report.model_dump(mode="json")})


@router.get("/drafts/{draft_id}/letter")
async def letter(
    request: Request,
    draft_id: str,
    db: Db,
    settings: NodeSettings,
    lang: LetterLanguage = LetterLanguage.EN,
    format: LetterFormat = LetterFormat.HTML,
) -> Response:
    """The formal letter of a draft, as a page or a PDF download."""

    def load() -> tuple[Any, Any]:
        user = _drafter(request, db)
        try:
            with db.session() as session:
                return user, drafts.get_draft(
                    session,
                    user=user,
                    draft_id=draft_id,
                    purpose="letter",
                    detail={"format": format.value, "lang": lang.value},
                    remote_addr=_client(request),
                )
        except drafts.DraftNotFound:
            return user, _not_found(request, db, user, draft_id)

    user, draft = await run_in_threadpool(load)
    if isinstance(draft, Response):
        return draft
    doc = parse_document_obj(draft.document)
    return await letter_response(
        request,
        user.id,
        doc,
        lang,
        format,
        states(settings),
        settings,
        filename=f"request-{draft.id}-{lang.value}",
    )
