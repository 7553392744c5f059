"""Requests as plain data (JSON-ready dicts): what the CLI's ``--json`` and the JSON API show.

One shape for both, so a case-management system reading the API and an operator scripting
the CLI see the same fields. Reading goes through :mod:`hanoi.cases.access` and
:mod:`hanoi.cases.queries` as everywhere else; nothing here decides who may see what.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from hanoi.accounts.models import User
from hanoi.cases.deadlines import Deadline
from hanoi.cases.models import CaseRequest
from hanoi.cases.queries import allowed_actions, request_deadlines, timeline
from hanoi.db.base import utcnow


def request_summary(case: CaseRequest, *, ack_hours_24_7: int | None = None) -> dict[str, Any]:
    """One line of a listing: who, what, where it stands, and the next deadline."""
    upcoming = request_deadlines(case, ack_hours_24_7=ack_hours_24_7)
    return {
        "reference": case.reference,
        "kind": case.kind,
        "side": case.side,
        "status": case.status,
        "urgent": case.urgent,
        "requesting_authority": case.requesting_authority,
        "requested_authority": case.requested_authority,
        "parent_reference": case.parent_reference,
        "relation": case.relation,
        "preserved_until": case.preserved_until.isoformat() if case.preserved_until else None,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "next_deadline": deadline_view(upcoming[0]) if upcoming else None,
    }


def request_detail(
    session: Session, case: CaseRequest, user: User, *, ack_hours_24_7: int | None = None
) -> dict[str, Any]:
    """The whole request as ``user`` may see it: document, conditions, deadlines, the
    actions allowed to them now, and the timeline, oldest first."""
    return request_summary(case, ack_hours_24_7=ack_hours_24_7) | {
        "document": case.document,
        "document_sha256": case.document_sha256,
        "conditions": case.conditions,
        "submitted_by": case.submitted_by,
        "deadlines": [
            deadline_view(d) for d in request_deadlines(case, ack_hours_24_7=ack_hours_24_7)
        ],
        "actions": [a.value for a in allowed_actions(case, user, today=utcnow().date())],
        "timeline": [
            {
                "at": i.at.isoformat(),
                "what": i.what,
                "actor": i.actor,
                "status": i.status,
                "detail": i.detail,
            }
            for i in timeline(session, case)
        ],
    }


def deadline_view(deadline: Deadline) -> dict[str, Any]:
    return {
        "rule": deadline.rule,
        "label": deadline.label,
        "due": deadline.due.isoformat(),
        "article": deadline.article,
        "confidence": deadline.confidence,
    }
