"""Conditions on use, and authorisations to pass data on to a third State, attached from a
request's page: POST /requests/REF/conditions.

The domain (:func:`hanoi.cases.acting.attach_condition`) checks the condition, records it
and tells the other node, in one transaction; the CLI (``hanoi request condition``) and the
API (POST /api/v1/requests/REF/conditions) call the same function. This page adds only what
a form needs: the third States offered come from this node's verified directory (the two
States of the request are not third States), and a refused condition comes back with what
was typed.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from hanoi.accounts.models import User
from hanoi.accounts.permissions import Permission
from hanoi.cases.access import get_request
from hanoi.cases.acting import attach_condition
from hanoi.cases.conditions import CONDITION_KINDS, ConditionError
from hanoi.cases.wording import condition_name
from hanoi.web import auth
from hanoi.web.deps import NodeServices, Services
from hanoi.web.i18n import N_, Wording, wording
from hanoi.web.pages import requests as request_pages
from hanoi.web.problems import page_error
from hanoi.web.resume import Typed, resume

router = APIRouter()

#: The form's fields, as kept when a condition is refused.
FIELDS = ("kind", "text", "to")
#: What the page shows back, should the session end before the condition is recorded.
TYPED = (Typed("text", "The condition, or the terms of the authorisation"),)


@router.post("/requests/{reference}/conditions")
async def add_condition(request: Request, reference: str, services: Services) -> Response:
    form = await auth.read_form(request)  # the token is checked in resume()
    return await run_in_threadpool(_attach, request, services, reference, form)


def _third_state_slip(
    services: NodeServices, user: User, reference: str, kind: str, to: str | None
) -> Wording | None:
    """What is wrong with the third State chosen for ``kind`` (in the page's words), or None.
    Checked here because the States offered are this node's directory's."""
    if kind == "onward-transfer":
        with services.db.session() as session:
            case = get_request(session, user=user, reference=reference, record_view=False)
            offered = {s.code for s in request_pages.third_states(services.settings, case)}
        if to is None:
            return Wording(N_("choose the third State the data may be passed to"))
        if to not in offered:
            return wording(
                "%(state)s is not a third State of this node's directory of States",
                state=repr(to[:8]),
            )
    elif kind in CONDITION_KINDS and to is not None:
        # A State picked with another kind is a slip: say so rather than drop it.
        return wording(
            "a %(kind)s condition names no third State", kind=Wording(condition_name(kind))
        )
    return None


def _attach(request: Request, services: NodeServices, reference: str, form: FormData) -> Response:
    shown_back = resume(
        request, services.db, services.settings, form,
        what=f"Add a condition: request {reference}", typed=TYPED,
        permission=Permission.READ_REQUESTS,
    )  # fmt: skip
    if shown_back is not None:
        return shown_back
    user = auth.require_permission(request, services.db, Permission.READ_REQUESTS)
    typed = {name: auth.form_text(form, name) for name in FIELDS}
    node = services.node
    if node is None:
        return page_error(
            request, 503, "No exchange", "This node has no identity: it cannot reach other States."
        )
    kind = typed["kind"]
    to = typed["to"].strip() or None
    slip = _third_state_slip(services, user, reference, kind, to)
    if slip is not None:
        return request_pages.render_request_page(
            request, services, user, reference,
            condition_error=slip, condition_retry=typed, status=422,
        )  # fmt: skip
    try:
        with services.db.session() as session:
            attach_condition(
                session,
                node,
                user=user,
                reference=reference,
                kind=kind,
                text=typed["text"],
                to=to,
            )
    except ConditionError as exc:
        # Rolled back: nothing recorded, nothing queued. What was typed comes back.
        return request_pages.render_request_page(
            request,
            services,
            user,
            reference,
            condition_error=str(exc),
            condition_retry=typed,
            status=422,
        )
    worker = services.worker
    if worker is not None:
        worker.wake()  # the condition leaves for the other State now, not at the next poll
    return RedirectResponse(
        f"/requests/{quote(reference, safe='')}?done=condition#conditions", status_code=303
    )
