"""The audit trail, read-only, for auditors and administrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hanoi.accounts.permissions import Permission
from hanoi.audit import list_events, record, verify_chain
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
        broken = verify_chain(session)
    return page(request, "audit.html", {"events": events, "broken": broken, "user": user})
