"""The audit trail, read-only, for auditors and administrators.

Each view verifies the hash chain from the last verified checkpoint on (the events added
since the last check), so a view costs what the trail grew by, not its whole length;
``hanoi audit verify --full`` re-verifies it from the first event."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hanoi.accounts.permissions import Permission
from hanoi.audit import list_events, record, summary_text, verify
from hanoi.web import auth
from hanoi.web.deps import Db
from hanoi.web.templating import page

router = APIRouter()


@router.get("/audit")
def audit_page(request: Request, db: Db) -> Response:
    user = auth.require_permission(request, db, Permission.READ_AUDIT)
    with db.session() as session:
        record(
            session,
            actor=user.username,
            action="audit.view",
            remote_addr=request.client.host if request.client else None,
        )
    with db.session() as session:
        events = list_events(session, limit=200)
        check = verify(session)
    rows = [(event, summary_text(event)) for event in events]
    return page(
        request,
        "audit.html",
        {"rows": rows, "broken": check.broken, "checkpoint": check.checkpoint, "user": user},
    )
