"""Requests exchanged with other States: the inbox and outbox of the user's authority, one
page per request (document, timeline, deadlines and the actions allowed now), the 24/7
console and the deadlines dashboard.

Every read and every action goes through ``hanoi.cases`` (:mod:`~hanoi.cases.access`,
:mod:`~hanoi.cases.queries`, :mod:`~hanoi.cases.acting`), which enforces need-to-know (the
user's own authority only) and the life cycle; these handlers only turn its answers into
pages. Handlers that touch the database are plain functions (FastAPI runs
them in its thread pool); the POST handler awaits the form, then hands over to a thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission, allowed
from hanoi.cases.access import get_request
from hanoi.cases.acting import act
from hanoi.cases.approval import awaiting_approval
from hanoi.cases.conditions import CONDITION_ARTICLES, CONDITION_KINDS
from hanoi.cases.deadlines import Deadline, next_due, overdue
from hanoi.cases.documents import document_model
from hanoi.cases.lifecycle import (
    Action,
    ActionRequest,
    LifecycleError,
    Side,
    Status,
    earliest_until,
    is_final,
)
from hanoi.cases.models import CaseRequest
from hanoi.cases.queries import (
    Box,
    TimelineItem,
    allowed_actions,
    case_state,
    event_leaf,
    list_requests,
    receipt_message,
    request_deadlines,
    timeline,
)
from hanoi.cases.status import status_name
from hanoi.cases.wording import condition_name, describe
from hanoi.config import Settings
from hanoi.convention import Ground, get_convention
from hanoi.db import Database
from hanoi.db.base import utcnow
from hanoi.directory.states import StateInfo
from hanoi.exchange.receipt_proofs import receipt_bundle
from hanoi.ledger.service import proof_for_leaf
from hanoi.web import auth, i18n
from hanoi.web.deps import Db, NodeServices, NodeSettings, Services, client_address
from hanoi.web.forms import fields_for
from hanoi.web.i18n import N_, Wording, wording
from hanoi.web.node import states
from hanoi.web.packages import PackageView, in_transit, package_views
from hanoi.web.problems import page_error
from hanoi.web.resume import Typed, resume
from hanoi.web.staging import staging_panel
from hanoi.web.templating import page

router = APIRouter()
LEAF_RE = re.compile(r"[0-9a-f]{64}")

#: The listing's tabs (the page names them in its language: requests/list.html).
BOXES: tuple[tuple[Box, str], ...] = (
    ("all", "All"),
    ("inbox", "Received"),
    ("outbox", "Sent"),
)

#: How a request relates to the one it follows (``CaseRequest.relation``), as pages say it.
RELATION_NAMES = {
    "follow-up": N_("follow-up"),
    "partial-disclosure": N_("partial disclosure"),
    "onward-transfer": N_("onward transfer"),
}


@dataclass(frozen=True)
class ActionForm:
    """How one action is offered on the request page: its button and the fields it needs.
    Whether a field is really required is still decided by the life cycle on submit. The
    words are message ids of the pages' catalogue, translated where the page shows them;
    ``confirm`` is the "I confirm" box of an action that cannot be undone."""

    label: str
    hint: str
    reason: Literal["required", "optional"] | None = None
    reason_label: str = N_("Reason")
    grounds: Literal["refusal", "postponement"] | None = None
    until: bool = False
    confirm: str = ""


ACTION_FORMS: dict[Action, ActionForm] = {
    Action.ACKNOWLEDGE: ActionForm(
        N_("Acknowledge receipt"),
        N_("Tells the requesting State that the request is being handled."),
    ),
    Action.START: ActionForm(N_("Start execution"), N_("The request is now being carried out.")),
    Action.EXECUTE: ActionForm(
        N_("Mark as executed"),
        N_("Everything asked for was done."),
        reason="optional",
        reason_label=N_("Note (optional)"),
    ),
    Action.EXECUTE_PARTIALLY: ActionForm(
        N_("Mark as partially executed"),
        N_("Part of what was asked for was done."),
        reason="required",
        reason_label=N_("What was not done, and why"),
    ),
    Action.REFUSE: ActionForm(
        N_("Refuse"),
        N_("A ground of the Convention and the reasons are sent."),
        reason="required",
        grounds="refusal",
        confirm=N_("I confirm: refuse"),
    ),
    Action.POSTPONE: ActionForm(
        N_("Postpone"),
        N_("Execution waits, e.g. for domestic proceedings."),
        reason="required",
        grounds="postponement",
    ),
    Action.PRESERVE: ActionForm(
        N_("Preserve the data"),
        N_("The data are kept until the date given."),
        reason="optional",
        reason_label=N_("Note (optional)"),
        until=True,
    ),
    Action.EXTEND: ActionForm(
        N_("Extend the preservation"),
        N_("Keep the data longer."),
        reason="optional",
        reason_label=N_("Note (optional)"),
        until=True,
    ),
    Action.RELEASE: ActionForm(
        N_("Release the data"),
        N_("The data need no longer be kept."),
        reason="required",
        confirm=N_("I confirm: release the data"),
    ),
    Action.WITHDRAW: ActionForm(
        N_("Withdraw the request"),
        N_("The requested State stops working on it."),
        reason="required",
        confirm=N_("I confirm: withdraw the request"),
    ),
    Action.INQUIRE: ActionForm(
        N_("Ask a question"),
        N_("Sent to the other State; the status does not change."),
        reason="required",
        reason_label=N_("Question"),
    ),
    Action.REPLY: ActionForm(
        N_("Reply"),
        N_("Answer the other State; the status does not change."),
        reason="required",
        reason_label=N_("Answer"),
    ),
    Action.CONSULT: ActionForm(
        N_("Consult before refusing"),
        N_("Discuss conditions with the requesting State before deciding (Art. 40)."),
        reason="required",
        reason_label=N_("What to discuss"),
    ),
}


#: Each action's name, as the console lists what there is to do.
ACTION_LABELS: dict[str, str] = {action.value: form.label for action, form in ACTION_FORMS.items()}


@dataclass(frozen=True)
class ConditionKindOption:
    """One kind of condition as the request page offers it (web/pages/conditions.py)."""

    value: str
    label: str
    article: str


KIND_LABELS: dict[str, str] = {
    "confidentiality": N_("Confidentiality"),
    "speciality": N_("Speciality (use only for the proceedings named)"),
    "data-protection": N_("Protection of personal data"),
    "onward-transfer": N_("Authorise passing the data on to a third State"),
}

KIND_OPTIONS: tuple[ConditionKindOption, ...] = tuple(
    ConditionKindOption(kind, KIND_LABELS[kind], CONDITION_ARTICLES[kind])
    for kind in CONDITION_KINDS
)


def third_states(settings: Settings, case: CaseRequest) -> list[StateInfo]:
    """The States an onward transfer may name: known to the verified directory, neither
    party to the request."""
    parties = {case.requesting_state, case.requested_state}
    return sorted(
        (s for s in states(settings).states if s.code not in parties), key=lambda s: s.code
    )


@dataclass(frozen=True)
class Row:
    """One request in a listing: what the tables show besides the request itself."""

    case: CaseRequest
    title: str
    received: bool
    other_state: str
    other_authority: str
    next: Deadline | None
    overdue: bool
    reminder: bool
    actions: tuple[Action, ...] = ()


def _reader(request: Request, db: Database) -> Any:
    return auth.require_permission(request, db, Permission.READ_REQUESTS)


def _title(kind: str) -> str:
    return get_convention().instrument(kind).title


def _deadlines(settings: Settings, case: CaseRequest) -> list[Deadline]:
    """The request's deadlines under this node's own 24/7 service level, so the pages agree
    with the reminders the worker records."""
    return request_deadlines(case, ack_hours_24_7=settings.ack_hours_24_7)


def _row(settings: Settings, case: CaseRequest, user: User, now: datetime) -> Row:
    received = case.side == Side.REQUESTED.value
    deadline = next_due(_deadlines(settings, case))
    return Row(
        case=case,
        title=_title(case.kind),
        received=received,
        other_state=case.requesting_state if received else case.requested_state,
        other_authority=case.requesting_authority if received else case.requested_authority,
        next=deadline,
        overdue=deadline is not None and deadline.is_overdue(now),
        reminder=deadline is not None and deadline.reminder_due(now),
        actions=tuple(allowed_actions(case, user, today=now.date())),
    )


def _rows(db: Database, settings: Settings, user: User, box: Box) -> list[Row]:
    with db.session() as session:
        cases = list_requests(session, user=user, box=box)
    now = utcnow()
    return [_row(settings, case, user, now) for case in cases]


def _awaiting(db: Database, user: User) -> list[CaseRequest] | None:
    """What waits for a supervisor at the user's authority, for those who approve; None for
    the others (their page does not mention approvals)."""
    if not allowed(user.role, Permission.APPROVE_REQUESTS):
        return None
    with db.session() as session:
        return awaiting_approval(session, user=user)


@router.get("/requests")
def list_page(request: Request, db: Db, settings: NodeSettings, box: Box = "all") -> Response:
    user = _reader(request, db)
    return page(
        request,
        "requests/list.html",
        {
            "user": user,
            "box": box,
            "boxes": BOXES,
            "rows": _rows(db, settings, user, box),
            "awaiting": _awaiting(db, user),
            "title_of": _title,
        },
    )


def _console_order(row: Row) -> tuple[bool, float, bool, float]:
    """Soonest deadline first (so overdue ones lead); then urgent requests without a
    deadline, most recently changed first."""
    due = row.next.due.timestamp() if row.next else 0.0
    return (row.next is None, due, not row.case.urgent, -row.case.updated_at.timestamp())


def _console_rows(db: Database, settings: Settings, user: User) -> list[Row]:
    rows = [r for r in _rows(db, settings, user, "all") if not is_final(Status(r.case.status))]
    return sorted(rows, key=_console_order)


@router.get("/console")
def console_page(request: Request, db: Db, settings: NodeSettings) -> Response:
    user = _reader(request, db)
    rows = _console_rows(db, settings, user)
    return page(
        request,
        "requests/console.html",
        {"user": user, "rows": rows, "now": utcnow(), "action_labels": ACTION_LABELS},
    )


def _queue_item(row: Row) -> dict[str, Any]:
    """One console row as static/console.js draws it: the same cells as the page's, with
    ``text``, what they say in the page's language (drawn inside ``i18n.speaking``)."""
    deadline = row.next
    return {
        "text": {
            "title": i18n.translate(row.title),
            "status": i18n.gettext(status_name(row.case.status)),
            "deadline": i18n.gettext(deadline.label) if deadline else None,
            "due": i18n.utc_time(deadline.due) if deadline else None,
            "actions": [i18n.gettext(ACTION_LABELS[a.value]) for a in row.actions],
        },
        "reference": row.case.reference,
        "url": f"/requests/{quote(row.case.reference, safe='')}",
        "title": row.title,
        "received": row.received,
        "state": row.other_state,
        "authority": row.other_authority,
        "status": row.case.status,
        "urgent": row.case.urgent,
        "deadline": {"label": deadline.label, "due": deadline.due.isoformat()}
        if deadline
        else None,
        "overdue": row.overdue,
        "reminder": row.reminder,
        "actions": [a.value for a in row.actions],
    }


@router.get("/console/queue")
def console_queue(request: Request, db: Db, settings: NodeSettings) -> Response:
    """The console's queue as JSON, for the page to refresh itself: the same session and the
    same need-to-know as the page. Signed out, a 401 (not the sign-in redirect a page gets:
    the script stops polling and offers the link)."""
    if auth.current_user(request, db) is None:
        return JSONResponse({"error": "sign-in required"}, status_code=401)
    user = _reader(request, db)
    rows = _console_rows(db, settings, user)
    now = utcnow()
    with i18n.speaking(i18n.choose_language(request, user, settings.default_language)):
        # The caption around the count, in the plural form the count asks for.
        caption = i18n.ngettext(
            "Queue: %(count)s open request", "Queue: %(count)s open requests", len(rows)
        )
        before, _mark, after = caption.partition("%(count)s")
        body = {
            "as_of": now.isoformat(),
            "as_of_text": i18n.utc_time(now),
            "count_text": i18n.number(len(rows)),
            "caption": [before, after],
            "rows": [_queue_item(r) for r in rows],
        }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/deadlines")
def deadlines_page(request: Request, db: Db, settings: NodeSettings) -> Response:
    user = _reader(request, db)
    with db.session() as session:
        cases = list_requests(session, user=user)
    now = utcnow()
    pairs = [(case, _deadlines(settings, case)) for case in cases]
    running = sorted(
        ((case, d) for case, found in pairs for d in found if not d.is_overdue(now)),
        key=lambda pair: pair[1].due,
    )
    return page(
        request,
        "requests/deadlines.html",
        {
            "user": user,
            "late": overdue(pairs, now),
            "running": running,
            "now": now,
            "title_of": _title,
        },
    )


# --- one request ---------------------------------------------------------------------------


def _load(
    request: Request, services: NodeServices, user: User, reference: str
) -> tuple[CaseRequest, list[TimelineItem], list[PackageView]]:
    """The request, its timeline and its evidence, if the user's authority handles it."""
    node = services.node
    with services.db.session() as session:
        case = get_request(
            session, user=user, reference=reference, remote_addr=client_address(request)
        )
        items = timeline(session, case)
        packages = package_views(session, case, node.home if node is not None else None)
    return case, items, packages


def _grounds(kind: str, which: Literal["refusal", "postponement"] | None) -> list[Ground]:
    if which is None:
        return []
    convention = get_convention()
    instrument = convention.instrument(kind)
    if which == "refusal":
        return [convention.refusal_ground(g) for g in instrument.refusal_grounds]
    return [convention.postponement_ground(g) for g in instrument.postponement_grounds]


def _offered(case: CaseRequest, user: User, today: date) -> list[dict[str, Any]]:
    offered = []
    for action in allowed_actions(case, user, today=today):
        form = ACTION_FORMS[action]
        offered.append(
            {
                "action": action.value,
                "form": form,
                "grounds": _grounds(case.kind, form.grounds),
                "earliest": earliest_until(case_state(case), action, today=today)
                if form.until
                else None,
            }
        )
    return offered


def _approval(case: CaseRequest, user: User, items: list[TimelineItem]) -> dict[str, Any] | None:
    """What the page shows about four eyes (cases/approval.py); None once the request left."""
    if case.status == Status.AWAITING_APPROVAL.value:
        own = case.submitted_by == user.username
        may = allowed(user.role, Permission.APPROVE_REQUESTS)
        return {
            "waiting": True,
            "by": case.submitted_by,
            "own": own,
            "may_decide": may and not own,
            "may_discard": allowed(user.role, Permission.SEND_REQUESTS),
        }
    if case.status == Status.RETURNED.value:
        returned = [i for i in items if i.what == "return"]
        last = returned[-1] if returned else None
        return {
            "waiting": False,
            "by": last.actor if last else None,
            "comment": last.detail.get("reason") if last else None,
            "draft_id": case.draft_id,
            "may_discard": allowed(user.role, Permission.SEND_REQUESTS),
        }
    return None


def _moment(iso: str | None) -> datetime | None:
    """A moment kept as ISO text (a condition's), to be written the page's way."""
    try:
        return datetime.fromisoformat(iso) if iso else None
    except ValueError:
        return None


def _words(settings: Settings) -> Callable[[TimelineItem], Wording]:
    """A timeline item as a sentence, with the States' names from the verified directory."""
    names = {info.code: info.name for info in states(settings).states}
    return lambda item: describe(item, names)


def render_request_page(
    request: Request,
    services: NodeServices,
    user: User,
    reference: str,
    *,
    error: str | Wording | None = None,
    retry: dict[str, str] | None = None,
    condition_error: str | Wording | None = None,
    condition_retry: dict[str, str] | None = None,
    evidence_error: str | Wording | None = None,
    status: int = 200,
) -> Response:
    case, items, packages = _load(request, services, user, reference)
    now = utcnow()
    document = case.document
    return page(
        request,
        "requests/request.html",
        {
            "user": user,
            "case": case,
            "title": _title(case.kind),
            "received": case.side == Side.REQUESTED.value,
            "document": document,
            "fields": [f for f in fields_for(document_model(case.kind)) if f.key != "kind"],
            "timeline": items,
            "packages": packages,
            "followups": [i.detail["request"] for i in items if i.what == "follow-up"],
            "deadlines": _deadlines(services.settings, case),
            "now": now,
            "say": _words(services.settings),
            "condition_name": condition_name,
            "relation_names": RELATION_NAMES,
            "moment": _moment,
            "actions": _offered(case, user, now.date()),
            "confirmed": sorted(a.value for a in CONFIRMED_ACTIONS),
            "approval": _approval(case, user, items),
            "final": is_final(Status(case.status)),
            "error": error,
            "retry": retry or {},
            "done": _done_label(request.query_params.get("done")),
            "condition_kinds": KIND_OPTIONS,
            "third_states": third_states(services.settings, case),
            "condition_error": condition_error,
            "condition_retry": condition_retry or {},
            # Evidence staged here and delivered from the page (web/pages/staging.py).
            "staging": staging_panel(services, user, case),
            "evidence_error": evidence_error,
            "in_transit": in_transit(packages),
        },
        status_code=status,
    )


#: The notices after sending and the four-eyes steps (web/pages/sending.py).
APPROVAL_NOTICES = {
    "send": N_("Sent. It leaves for the requested State now; the timeline shows the delivery."),
    "submit": N_("Submitted for approval. Nothing leaves the State until a supervisor approves."),
    "approve": N_("Approved and sent. The timeline shows the delivery."),
    "return": N_("Returned to its drafters with your comment."),
    "discard": N_("Discarded: it will never be sent, and its draft is closed."),
}


#: The notice after a condition is attached (web/pages/conditions.py).
CONDITION_NOTICE = N_("Condition recorded. The other State's node is told at once.")


#: The notices after delivering evidence from the page (web/pages/staging.py).
EVIDENCE_NOTICES = {
    "evidence": N_(
        "Sealed and offered. The package leaves for the other State now; its progress shows below."
    ),
    "unstaged": N_("Removed from the staging folder."),
}


def _done_label(done: str | None) -> str | Wording | None:
    """The notice after a redirect: only one of ours, never the query text."""
    if done in APPROVAL_NOTICES:
        return APPROVAL_NOTICES[done]
    if done in EVIDENCE_NOTICES:
        return EVIDENCE_NOTICES[done]
    if done == "condition":
        return CONDITION_NOTICE
    try:
        label = ACTION_FORMS[Action(done)].label if done else None
    except (ValueError, KeyError):
        return None
    if label is None:
        return None
    return wording(
        "Done: %(action)s. The other State's node is told at once; the timeline shows delivery.",
        action=Wording(label),
    )


@router.get("/requests/{reference}")
def request_page(request: Request, reference: str, services: Services) -> Response:
    return render_request_page(request, services, _reader(request, services.db), reference)


@router.get("/requests/{reference}/proofs/{leaf}.tlog-proof")
def event_proof(
    request: Request, reference: str, leaf: str, db: Db, settings: NodeSettings
) -> Response:
    """The offline proof (C2SP tlog-proof) that one event of this request is in the node's
    transparency log, under its latest signed checkpoint: for a court, with the request."""
    user = _reader(request, db)
    with db.session() as session:
        case = get_request(
            session, user=user, reference=reference, remote_addr=client_address(request)
        )
        leaf_hash = event_leaf(session, case, leaf) if LEAF_RE.fullmatch(leaf) else None
    if leaf_hash is None:
        return page_error(request, 404, "No such event", "Not an event of this request.")
    proof = proof_for_leaf(db, leaf_hash, quorum=settings.ledger_quorum)
    if proof is None:
        return page_error(
            request, 404, "Not in a signed checkpoint yet", "Try again in a few seconds."
        )
    return Response(
        proof,
        media_type="text/plain; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{reference}-{leaf[:16]}.tlog-proof"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/requests/{reference}/receipts/{message_id}.tar")
def receipt_download(
    request: Request, reference: str, message_id: str, db: Db, settings: NodeSettings
) -> Response:
    """A delivered message's signed receipt with its offline proof and the entry's opening
    (``hanoi exchange verify-receipt`` checks the unpacked folder)."""
    user = _reader(request, db)
    with db.session() as session:
        case = get_request(
            session, user=user, reference=reference, remote_addr=client_address(request)
        )
        found = receipt_message(session, case, message_id) if len(message_id) == 26 else None
    if found is None:
        return page_error(request, 404, "No such receipt", "Not a receipt of this request.")
    bundle = receipt_bundle(db, found, quorum=settings.ledger_quorum)
    if not bundle.logged:
        return page_error(
            request, 404, "No proof for this receipt", "It was stored before receipts were logged."
        )
    if not bundle.proved:
        return page_error(
            request, 404, "Not cosigned yet", "The witnesses cosign within a minute: try again."
        )
    return Response(
        bundle.tar(),
        media_type="application/x-tar",
        headers={
            "Content-Disposition": f'attachment; filename="{reference}-receipt-{found}.tar"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/requests/{reference}/act")
async def act_on_request(request: Request, reference: str, services: Services) -> Response:
    form = await auth.read_form(request)  # the token is checked in resume()
    return await run_in_threadpool(_act, request, services, reference, form)


def _action_request(form: FormData) -> ActionRequest:
    """The form as the life cycle's request; ValueError names a field it cannot read."""
    raw_action = auth.form_text(form, "action")
    try:
        action = Action(raw_action)
    except ValueError:
        raise ValueError(f"unknown action {raw_action[:40]!r}") from None
    raw_until = auth.form_text(form, "until").strip()
    try:
        until = date.fromisoformat(raw_until) if raw_until else None
    except ValueError:
        raise ValueError(f"{raw_until[:20]!r} is not a date (YYYY-MM-DD)") from None
    return ActionRequest(
        action=action,
        reason=auth.form_text(form, "reason") or None,
        ground=auth.form_text(form, "ground") or None,
        until=until,
    )


#: Actions that end a request or its data for good: the page asks for an explicit "I confirm"
#: (a dialog with JavaScript, a required box without), and the server holds to it too.
CONFIRMED_ACTIONS = frozenset({Action.REFUSE, Action.RELEASE, Action.WITHDRAW})
#: What the page says when such an action comes without its "I confirm".
UNCONFIRMED = {
    Action.REFUSE: N_("tick 'I confirm' to refuse: it is final"),
    Action.RELEASE: N_("tick 'I confirm' to release: it is final"),
    Action.WITHDRAW: N_("tick 'I confirm' to withdraw: it is final"),
}


def _typed(form: FormData, reference: str) -> tuple[str, list[Typed]]:
    """What an action's form was doing and its fields the officer typed, as the page shows
    them back when the session ended (web/resume.py); an action not ours names none."""
    try:
        action = Action(auth.form_text(form, "action"))
        offer = ACTION_FORMS[action]
    except (ValueError, KeyError):
        return f"Act on request {reference}", [Typed("reason", "Reason")]
    typed = [Typed("reason", offer.reason_label)] if offer.reason else []
    if action in CONFIRMED_ACTIONS:
        typed.append(Typed("confirm", offer.confirm, "checkbox"))
    return f"{offer.label}: request {reference}", typed


def _act(request: Request, services: NodeServices, reference: str, form: FormData) -> Response:
    what, typed = _typed(form, reference)
    shown_back = resume(
        request, services.db, services.settings, form,
        what=what, typed=typed, permission=Permission.READ_REQUESTS,
    )  # fmt: skip
    if shown_back is not None:
        return shown_back
    user = _reader(request, services.db)
    retry = {k: auth.form_text(form, k) for k in ("action", "reason", "ground", "until")}
    node = services.node
    if node is None:
        return page_error(
            request, 503, "No exchange", "This node has no identity: it cannot reach other States."
        )
    try:
        action_request = _action_request(form)
    except ValueError as exc:
        return render_request_page(
            request, services, user, reference, error=str(exc), retry=retry, status=422
        )
    action = action_request.action
    if action in CONFIRMED_ACTIONS and auth.form_text(form, "confirm") != "yes":
        return render_request_page(
            request, services, user, reference,
            error=Wording(UNCONFIRMED[action]), retry=retry, status=422,
        )  # fmt: skip
    try:
        with services.db.session() as session:
            act(session, node, user=user, reference=reference, request=action_request)
    except LifecycleError as exc:
        # Rolled back: nothing changed, nothing queued. What was typed comes back.
        return render_request_page(
            request, services, user, reference, error=str(exc), retry=retry, status=422
        )
    worker = services.worker
    if worker is not None:
        worker.wake()  # the message to the other State leaves now, not at the next poll
    target = f"/requests/{quote(reference, safe='')}?done={action_request.action.value}"
    return RedirectResponse(target, status_code=303)
