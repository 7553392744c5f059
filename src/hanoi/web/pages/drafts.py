"""Guided drafting: a form per instrument that lists missing elements as it is filled in,
saved drafts, and the rendered letter.

Handlers that touch the database or check documents are plain functions (FastAPI runs them
in its thread pool); the POST handlers only await the form, then hand over to a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hanoi.accounts.permissions import Permission
from hanoi.cases import drafts
from hanoi.cases.check import CheckReport, check_document
from hanoi.cases.documents import (
    KINDS,
    MAX_DOCUMENT_BYTES,
    document_model,
    new_document,
    parse_document_obj,
)
from hanoi.cases.errors import DocumentError
from hanoi.cases.render import SUPPORTED_LANGUAGES, LetterFormat, LetterLanguage
from hanoi.config import Settings
from hanoi.convention import get_convention
from hanoi.db import Database
from hanoi.web import auth, i18n, resume
from hanoi.web.deps import Db, NodeSettings, client_address
from hanoi.web.forms import (
    fields_for,
    form_to_document,
    generic_path,
    label_wording,
    labelled_issue,
    labels_by_path,
    pick_lists,
    problem_wording,
)
from hanoi.web.i18n import N_, Wording, wording
from hanoi.web.letters import letter_response
from hanoi.web.limits import MAX_BODY_BYTES
from hanoi.web.node import states
from hanoi.web.problems import page_error
from hanoi.web.templating import page

router = APIRouter()

UNKNOWN_KIND = wording("Choose one of: %(kinds)s.", kinds=", ".join(KINDS))
NO_SUCH_DRAFT = N_("No such draft")
UNKNOWN_KIND_TITLE = N_("Unknown request kind")
#: Parse issues said in the message at the top of the form; each is also beside its field.
MAX_LISTED_ISSUES = 5


def _drafter(request: Request, db: Database) -> Any:
    return auth.require_permission(request, db, Permission.DRAFT_REQUESTS)


@dataclass(frozen=True)
class _Issue:
    """A parse issue shown next to its field, as the template shows a checker's problem."""

    path: str
    message: str
    severity: str = "error"
    template: None = None  # said as it is: the parser's words, with the field's label
    article: str = ""
    confidence: str = "confirmed"
    basis: str = "convention"


def _required_paths(kind: str) -> frozenset[str]:
    """Generic paths of the elements the instrument always requires (conditional ones and
    warnings are left to the check: marking them would claim more than the rules say)."""
    instrument = get_convention().instrument(kind)
    return frozenset(
        e.field for e in instrument.required_elements if not e.conditional and e.severity == "error"
    )


def _form_page(
    request: Request,
    *,
    user: Any,
    kind: str,
    values: dict[str, Any],
    report: CheckReport | None,
    draft_id: str | None,
    settings: Settings,
    version: int | None = None,
    error: str | Wording | None = None,
    issues: tuple[_Issue, ...] = (),
    status: int = 200,
    saved: bool = False,
    notice: str | None = None,
    sign_in: resume.SignInBox | None = None,
) -> Response:
    fields = fields_for(document_model(kind))
    labels = labels_by_path(fields)
    problems_by_path: dict[str, list[Any]] = {}
    shown: list[Any] = [*(report.problems if report else []), *issues]
    for p in shown:
        problems_by_path.setdefault(p.path, []).append(p)
    return page(
        request,
        "draft_form.html",
        {
            "kind": kind,
            "instrument": get_convention().instrument(kind),
            "fields": fields,
            "label_of": lambda path: label_wording(labels, path),
            "generic_path": generic_path,
            "required_paths": _required_paths(kind),
            "picks": pick_lists(get_convention(), states(settings)),
            "values": values,
            "report": report,
            "problems_by_path": problems_by_path,
            "draft_id": draft_id,
            "version": version,
            "error": error,
            "saved": saved,
            "notice": notice,
            "sign_in": sign_in,
            "letters": _letter_choices(request, user, settings, values),
            "user": user,
            "max_document_bytes": MAX_DOCUMENT_BYTES,
            "max_body_bytes": MAX_BODY_BYTES,
        },
        status_code=status,
    )


@dataclass(frozen=True)
class _Letters:
    """The letters the draft page offers: in each language the requested State accepts
    (the document's own language first), the first of them with the officer's page
    language beside it (``bilingual``), and the other languages, folded away."""

    state: str | None
    accepted: tuple[str, ...]
    main: tuple[str, ...]
    bilingual: tuple[tuple[str, str], ...]
    others: tuple[str, ...]


def _letter_choices(
    request: Request, user: Any, settings: Settings, document: dict[str, Any]
) -> _Letters:
    page_lang = i18n.choose_language(request, user, settings.default_language)
    requested = str(document.get("requested_state") or "")
    info = states(settings).state(requested) if requested else None
    accepted = tuple(
        code
        for code in (states(settings).acceptable_languages(requested) if info else ())
        if code in SUPPORTED_LANGUAGES
    )
    chosen = str(document.get("language") or "")
    main = tuple(sorted(accepted, key=lambda code: code != chosen)) or (page_lang,)
    bilingual = ((main[0], page_lang),) if main[0] != page_lang else ()
    others = tuple(code for code in SUPPORTED_LANGUAGES if code not in main)
    return _Letters(info.name if info else None, accepted, main, bilingual, others)


def _document_from_form(
    form: FormData, kind: str
) -> tuple[dict[str, Any], BaseModel | None, str | None, tuple[_Issue, ...]]:
    """The form as raw values, the parsed document (or None), the parse error said with
    field labels (or None) and its issues by field."""
    fields = fields_for(document_model(kind))
    values = form_to_document(form, fields)
    values["kind"] = kind  # the URL decides the kind, never a form field
    try:
        return values, parse_document_obj(values), None, ()
    except DocumentError as exc:
        labels = labels_by_path(fields)
        said = [labelled_issue(labels, path, message) for path, message in exc.issues]
        more = len(said) - MAX_LISTED_ISSUES
        summary = "; ".join(said[:MAX_LISTED_ISSUES]) + (f" (and {more} more)" if more > 0 else "")
        issues = tuple(_Issue(path, labelled_issue(labels, path, m)) for path, m in exc.issues)
        return values, None, summary, issues


def _resume(
    request: Request,
    db: Database,
    settings: Settings,
    form: FormData,
    *,
    kind: str | None,
    draft_id: str | None,
) -> tuple[Any, Response | None]:
    """The drafter behind a submitted form, or the form shown back with what was typed.

    A session may end while an officer types: the text is then never dropped (see
    :func:`hanoi.web.resume.decide`). The draft form is its own page to show back: the same
    form comes back, filled in, with a sign-in box inside it; signing in there saves the
    form in the same step. A draft of a kind not ours is refused, never drawn.
    """
    outcome = resume.decide(request, db, settings, form, showable=kind in KINDS)
    if not outcome.shown_back:
        return auth.require_permission(request, db, Permission.DRAFT_REQUESTS), None
    assert kind is not None
    values, _, _, _ = _document_from_form(form, kind)
    raw_version = str(form.get("version") or "")
    version = int(raw_version) if raw_version.isdigit() else None
    if outcome.sign_in is None:  # a live session, a stale token: show back, save next time
        user = auth.require_permission(request, db, Permission.DRAFT_REQUESTS)
        notice = N_("Not saved: this form was older than your session. Check it and save again.")
        return user, _form_page(
            request, user=user, kind=kind, values=values, report=None, draft_id=draft_id,
            settings=settings, version=version, error=notice, status=403,
        )  # fmt: skip
    return None, _form_page(
        request, user=None, kind=kind, values=values, report=None, draft_id=draft_id,
        settings=settings, version=version, status=outcome.status,
        error=N_("Not saved: your session ended. What you typed is below; sign in to save it."),
        sign_in=outcome.sign_in,
    )  # fmt: skip


def _not_saved(error: str | None) -> Wording:
    """Why a form was not saved; the reason (the parser's, with field labels) as it is."""
    return wording("Not saved: %(error)s", error=error or "")


def _not_found(request: Request, db: Database, user: Any, draft_id: str) -> Response:
    with db.session() as session:
        drafts.record_denied(
            session, user=user, draft_id=draft_id, remote_addr=client_address(request)
        )
    return page_error(request, 404, NO_SUCH_DRAFT)


@router.get("/drafts")
def list_page(request: Request, db: Db, settings: NodeSettings) -> Response:
    user = _drafter(request, db)
    with db.session() as session:
        rows = drafts.list_drafts(session, user=user, remote_addr=client_address(request))
    items = []
    known = states(settings)
    for d in rows:
        document = d.document
        report = check_document(parse_document_obj(document), directory=known)
        title = get_convention().instrument(d.kind).title
        items.append({"draft": d, "document": document, "report": report, "title": title})
    return page(
        request,
        "drafts.html",
        {"items": items, "instruments": get_convention().instruments.values(), "user": user},
    )


@router.get("/requests/new/{kind}")
def new_page(request: Request, kind: str, db: Db, settings: NodeSettings) -> Response:
    user = _drafter(request, db)
    if kind not in KINDS:
        return page_error(request, 404, UNKNOWN_KIND_TITLE, UNKNOWN_KIND)
    doc = new_document(kind, requesting_state=user.authority.state)
    values = doc.model_dump(mode="json")
    # The officer's own authority, as this node knows it: picked for them, still editable.
    values["requesting_authority"]["name"] = user.authority.name
    # No check on a blank form: nothing is "missing" before the officer has begun. The
    # check comes on saving, or live once a field is left (draft.js).
    return _form_page(
        request,
        user=user,
        kind=kind,
        values=values,
        report=None,
        draft_id=None,
        settings=settings,
    )


@router.post("/requests/new/{kind}")
async def create(request: Request, kind: str, db: Db, settings: NodeSettings) -> Response:
    form = await auth.read_form(request)  # the token is checked in _resume
    return await run_in_threadpool(_create, request, db, settings, kind, form)


def _create(
    request: Request, db: Database, settings: Settings, kind: str, form: FormData
) -> Response:
    user, shown_back = _resume(request, db, settings, form, kind=kind, draft_id=None)
    if shown_back is not None:
        return shown_back
    if kind not in KINDS:
        return page_error(request, 404, UNKNOWN_KIND_TITLE, UNKNOWN_KIND)
    values, doc, error, issues = _document_from_form(form, kind)
    if doc is None:
        return _form_page(
            request, user=user, kind=kind, values=values, report=None, draft_id=None,
            settings=settings, error=_not_saved(error), issues=issues, status=422,
        )  # fmt: skip
    try:
        with db.session() as session:
            draft = drafts.save_draft(
                session,
                user=user,
                kind=kind,
                document=doc.model_dump(mode="json"),
                remote_addr=client_address(request),
            )
    except drafts.InvalidDraft as exc:
        return _form_page(
            request, user=user, kind=kind, values=values, report=None, draft_id=None,
            settings=settings, error=_not_saved(str(exc)), status=422,
        )  # fmt: skip
    return RedirectResponse(f"/drafts/{draft.id}?saved=1", status_code=303)


@router.get("/drafts/{draft_id}")
def edit_page(request: Request, draft_id: str, db: Db, settings: NodeSettings) -> Response:
    user = _drafter(request, db)
    try:
        with db.session() as session:
            draft = drafts.get_draft(
                session, user=user, draft_id=draft_id, remote_addr=client_address(request)
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
        settings=settings,
        version=draft.version,
        saved=request.query_params.get("saved") == "1",
    )


@router.post("/drafts/{draft_id}")
async def update(request: Request, draft_id: str, db: Db, settings: NodeSettings) -> Response:
    form = await auth.read_form(request)  # the token is checked in _resume
    return await run_in_threadpool(_update, request, db, settings, draft_id, form)


def _update(
    request: Request, db: Database, settings: Settings, draft_id: str, form: FormData
) -> Response:
    # The kind a form is shown back as, should its session have ended, is the one it says
    # (the draft is not read for a stranger); once signed in, the stored draft's kind rules.
    said_kind = str(form.get("kind") or "")
    user, shown_back = _resume(request, db, settings, form, kind=said_kind, draft_id=draft_id)
    if shown_back is not None:
        return shown_back
    try:
        with db.session() as session:
            draft = drafts.get_draft(
                session, user=user, draft_id=draft_id, remote_addr=client_address(request)
            )
    except drafts.DraftNotFound:
        return _not_found(request, db, user, draft_id)
    raw_version = str(form.get("version") or "")
    expected = int(raw_version) if raw_version.isdigit() else None
    values, doc, error, issues = _document_from_form(form, draft.kind)

    def again(message: str | Wording, status: int, issues: tuple[_Issue, ...] = ()) -> Response:
        # What the officer typed comes back with the message: nothing is lost.
        return _form_page(
            request, user=user, kind=draft.kind, values=values, report=None,
            draft_id=draft.id, settings=settings, version=expected, error=message,
            issues=issues, status=status,
        )  # fmt: skip

    if doc is None:
        return again(_not_saved(error), 422, issues)
    try:
        with db.session() as session:
            drafts.update_draft(
                session,
                user=user,
                draft_id=draft.id,
                document=doc.model_dump(mode="json"),
                expected_version=expected,
                remote_addr=client_address(request),
            )
    except drafts.DraftConflict as exc:
        return again(
            wording(
                "Not saved: %(error)s. Reload the draft to see the other changes.", error=str(exc)
            ),
            409,
        )
    except drafts.InvalidDraft as exc:
        return again(_not_saved(str(exc)), 422)
    return RedirectResponse(f"/drafts/{draft.id}?saved=1", status_code=303)


@router.post("/requests/check-form/{kind}")
async def check_form(request: Request, kind: str, db: Db, settings: NodeSettings) -> Response:
    """Live check for the form's progressive enhancement: the problems, as JSON, each with
    its field's label (the script never shows a dotted path)."""
    form = await auth.checked_form(request)
    return await run_in_threadpool(_check_form, request, db, settings, kind, form)


def _check_form(
    request: Request, db: Database, settings: Settings, kind: str, form: FormData
) -> Response:
    user = _drafter(request, db)
    if kind not in KINDS:
        return JSONResponse({"error": "unknown request kind"}, status_code=404)
    _, doc, error, issues = _document_from_form(form, kind)
    if doc is None:
        said = [{"path": i.path, "message": i.message} for i in issues]
        return JSONResponse({"parse_error": error, "issues": said, "problems": []})
    report = check_document(doc, directory=states(settings))
    labels = labels_by_path(fields_for(document_model(kind)))
    body = report.model_dump(mode="json")
    # The label and the message ("said") in the language of the page the script runs on.
    with i18n.speaking(i18n.choose_language(request, user, settings.default_language)):
        for problem, found in zip(body["problems"], report.problems, strict=True):
            problem["label"] = _text(i18n.translate(label_wording(labels, problem["path"])))
            problem["said"] = _text(i18n.translate(problem_wording(found)))
    return JSONResponse({"parse_error": None, **body})


def _text(said: str) -> str:
    """Translated wording as plain text (the script sets it as text, never as HTML)."""
    return said.unescape() if isinstance(said, Markup) else said


@router.get("/drafts/{draft_id}/letter")
async def letter(
    request: Request,
    draft_id: str,
    db: Db,
    settings: NodeSettings,
    lang: LetterLanguage = LetterLanguage.EN,
    format: LetterFormat = LetterFormat.HTML,
    bilingual: LetterLanguage | None = None,
) -> Response:
    """The formal letter of a draft, as a page or a PDF download; with ``bilingual``, the
    same letter follows in that language too."""

    def load() -> tuple[Any, Any]:
        user = _drafter(request, db)
        try:
            with db.session() as session:
                return user, drafts.get_draft(
                    session,
                    user=user,
                    draft_id=draft_id,
                    purpose="letter",
                    detail={
                        "format": format.value,
                        "lang": lang.value,
                        **({"bilingual": bilingual.value} if bilingual else {}),
                    },
                    remote_addr=client_address(request),
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
        filename=f"request-{draft.id}-{lang.value}" + (f"-{bilingual.value}" if bilingual else ""),
        bilingual=bilingual,
    )
