"""Sending a draft from the pages, and the supervisor's approval or return.

``/drafts/ID/send`` shows what will leave the State before it does: the requested State and
the authority that will receive it (from the verified directory), the kind, the urgency,
whether a supervisor must approve first, and the whole document the other side will read.
Confirming sends the draft through :func:`hanoi.cases.sending.send_draft` (one draft, one
request) and opens the request's page. On that page a supervisor approves or returns a
request awaiting approval (:mod:`hanoi.cases.approval`).

As in the other pages, the domain decides; these handlers only turn its answers into pages.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission
from hanoi.cases import drafts
from hanoi.cases.approval import approve, discard, return_request
from hanoi.cases.approval_policy import approval_required
from hanoi.cases.check import check_document
from hanoi.cases.documents import document_model, parse_document_obj
from hanoi.cases.errors import DocumentError, RequestError, RequestNotReady
from hanoi.cases.lifecycle import Action, LifecycleError, Status
from hanoi.cases.sending import Recipient, recipients, send_draft
from hanoi.convention import get_convention
from hanoi.db.base import utcnow
from hanoi.errors import HanoiError
from hanoi.web import auth
from hanoi.web.deps import NodeServices, Services, client_address
from hanoi.web.forms import fields_for
from hanoi.web.i18n import N_, Wording, wording
from hanoi.web.node import states
from hanoi.web.pages.requests import render_request_page
from hanoi.web.problems import page_error
from hanoi.web.resume import Typed, resume
from hanoi.web.templating import page

router = APIRouter()

NO_EXCHANGE = N_("This node has no identity: it cannot reach other States.")
NO_EXCHANGE_TITLE = N_("No exchange")
NO_SUCH_DRAFT = N_("No such draft")

#: A supervisor's decisions as a page shown back after the session ended names them.
DECISIONS = {
    "approve": (N_("Approve and send"), N_("Comment (optional)")),
    "return": (N_("Return for changes"), N_("What must change (required)")),
    "discard": (N_("Discard"), N_("Why (optional)")),
}


def _request_url(reference: str, done: str) -> str:
    return f"/requests/{quote(reference, safe='')}?done={done}"


@router.get("/drafts/{draft_id}/send")
def confirm_page(request: Request, draft_id: str, services: Services) -> Response:
    user = auth.require_permission(request, services.db, Permission.SEND_REQUESTS)
    return _confirm(request, services, user, draft_id)


def _confirm(
    request: Request,
    services: NodeServices,
    user: User,
    draft_id: str,
    *,
    error: str | Wording | None = None,
    problems: list[str] | None = None,
    chosen: str | None = None,
    status: int = 200,
) -> Response:
    if services.node is None:
        return page_error(request, 503, NO_EXCHANGE_TITLE, NO_EXCHANGE)
    try:
        with services.db.session() as session:
            draft = drafts.get_draft(
                session, user=user, draft_id=draft_id, remote_addr=client_address(request)
            )
            sent = drafts.request_of(session, draft)
            needs_approval = approval_required(session, user.authority_id, draft.kind)
    except drafts.DraftNotFound:
        return page_error(request, 404, NO_SUCH_DRAFT)
    if sent is not None and sent.status != Status.RETURNED.value:
        return RedirectResponse(f"/requests/{quote(sent.reference, safe='')}", status_code=303)
    document = draft.document
    known = states(services.settings)
    try:
        report = check_document(parse_document_obj(document), directory=known)
    except DocumentError as exc:
        return page_error(request, 422, N_("This draft cannot be read"), str(exc))
    requested = str(document.get("requested_state") or "")
    state = known.state(requested) if requested else None
    choices = _choices(services, draft.kind, requested)
    return page(
        request,
        "send.html",
        {
            "user": user,
            "draft": draft,
            "document": document,
            "instrument": get_convention().instrument(draft.kind),
            "fields": [f for f in fields_for(document_model(draft.kind)) if f.key != "kind"],
            "report": report,
            "state": state,
            "requested": requested,
            "choices": choices,
            "chosen": chosen or (choices[0].code if choices else None),
            "needs_approval": needs_approval,
            "resubmission": sent,
            "error": error,
            "problems": problems or [],
        },
        status_code=status,
    )


def _choices(services: NodeServices, kind: str, state: str) -> list[Recipient]:
    if services.node is None or not state:
        return []
    try:
        return recipients(services.node, kind, state, utcnow())
    except HanoiError:
        return []  # not in the verified directory: the check says so on the page


@router.post("/drafts/{draft_id}/send")
async def send(request: Request, draft_id: str, services: Services) -> Response:
    form = await auth.read_form(request)  # the token is checked in resume()
    return await run_in_threadpool(_send, request, services, draft_id, form)


def _send(request: Request, services: NodeServices, draft_id: str, form: FormData) -> Response:
    shown_back = resume(
        request, services.db, services.settings, form,
        what=wording("Send draft %(draft)s", draft=draft_id), permission=Permission.SEND_REQUESTS,
    )  # fmt: skip
    if shown_back is not None:
        return shown_back
    user = auth.require_permission(request, services.db, Permission.SEND_REQUESTS)
    node = services.node
    if node is None:
        return page_error(request, 503, NO_EXCHANGE_TITLE, NO_EXCHANGE)
    raw_version = auth.form_text(form, "version")
    expected = int(raw_version) if raw_version.isdigit() else None
    chosen = auth.form_text(form, "to_authority") or None

    def again(message: str | Wording, status: int, problems: list[str] | None = None) -> Response:
        return _confirm(
            request, services, user, draft_id,
            error=message, problems=problems, chosen=chosen, status=status,
        )  # fmt: skip

    try:
        with services.db.session() as session:
            draft = drafts.get_draft(session, user=user, draft_id=draft_id)
            requested = str(draft.document.get("requested_state") or "")
        offered = {c.code for c in _choices(services, draft.kind, requested)}
        if chosen is not None and chosen not in offered:
            return again(
                wording(
                    "%(authority)s does not take %(kind)s requests from here.",
                    authority=chosen[:40],
                    kind=draft.kind,
                ),
                422,
            )
        with services.db.session() as session:
            case = send_draft(
                session,
                node,
                user=user,
                draft_id=draft_id,
                expected_version=expected,
                to_authority=chosen,
            )
            reference, status = case.reference, case.status
    except drafts.DraftNotFound:
        return page_error(request, 404, NO_SUCH_DRAFT)
    except drafts.DraftAlreadySent as exc:
        return RedirectResponse(f"/requests/{quote(exc.reference, safe='')}", status_code=303)
    except drafts.DraftConflict:
        return again(
            N_(
                "Not sent: the draft was changed by someone else since you opened this page. "
                "Review it again below."
            ),
            409,
        )
    except RequestNotReady as exc:
        return again(N_("Not sent: the request does not pass the check."), 422, exc.problems)
    except (RequestError, DocumentError) as exc:
        return again(wording("Not sent: %(error)s", error=str(exc)), 422)
    if status == Status.AWAITING_APPROVAL.value:
        return RedirectResponse(_request_url(reference, "submit"), status_code=303)
    if services.worker is not None:
        services.worker.wake()  # it leaves now, not at the next poll
    return RedirectResponse(_request_url(reference, "send"), status_code=303)


@router.post("/requests/{reference}/approve")
async def approve_request(request: Request, reference: str, services: Services) -> Response:
    form = await auth.read_form(request)  # the token is checked in resume()
    return await run_in_threadpool(_decide, request, services, reference, form, "approve")


@router.post("/requests/{reference}/return")
async def return_to_drafters(request: Request, reference: str, services: Services) -> Response:
    form = await auth.read_form(request)  # the token is checked in resume()
    return await run_in_threadpool(_decide, request, services, reference, form, "return")


@router.post("/requests/{reference}/discard")
async def discard_request(request: Request, reference: str, services: Services) -> Response:
    form = await auth.read_form(request)  # the token is checked in resume()
    return await run_in_threadpool(_decide, request, services, reference, form, "discard")


def _decide(
    request: Request, services: NodeServices, reference: str, form: FormData, decision: str
) -> Response:
    what, label = DECISIONS[decision]
    typed = [Typed("comment", label)]
    if decision == "discard":
        typed.append(Typed("confirm", N_("I confirm: discard this request"), "checkbox"))
    doing = wording("%(action)s: request %(reference)s", action=Wording(what), reference=reference)
    shown_back = resume(
        request, services.db, services.settings, form, what=doing, typed=tuple(typed),
    )  # fmt: skip
    if shown_back is not None:
        return shown_back
    user = auth.require_user(request, services.db)
    node = services.node
    if node is None:
        return page_error(request, 503, NO_EXCHANGE_TITLE, NO_EXCHANGE)
    comment = auth.form_text(form, "comment")
    retry = {"action": decision, "reason": comment}
    try:
        with services.db.session() as session:
            if decision == "approve":
                approve(session, node, user=user, reference=reference, comment=comment or None)
            elif decision == "return":
                return_request(session, user=user, reference=reference, comment=comment)
            elif auth.form_text(form, "confirm") != "yes":  # final: asked again, as refusals are
                raise LifecycleError(
                    "tick the box to confirm: a discarded request is never sent",
                    check="action",
                    action=Action.DISCARD,
                )
            else:
                discard(session, user=user, reference=reference, reason=comment or None)
    except (LifecycleError, RequestNotReady) as exc:
        # Rolled back: nothing changed, nothing queued. What was typed comes back.
        return render_request_page(
            request, services, user, reference, error=str(exc), retry=retry, status=422
        )
    if decision == "approve" and services.worker is not None:
        services.worker.wake()
    return RedirectResponse(_request_url(reference, decision), status_code=303)
