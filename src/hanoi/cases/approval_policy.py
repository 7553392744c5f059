"""Which requests need a supervisor's approval before they leave the State (four eyes).

Central authorities have a second officer approve what goes abroad in their name; a 24/7
point of contact must act within hours and does not wait. Each authority decides per
request kind. Until it decides, :data:`DEFAULT_APPROVAL_KINDS` hold: mutual legal assistance
in all its forms, extradition and confiscation need approval; preservation, the disclosure
of traffic data that traces a path, police and spontaneous information do not.

Only departures from the default are stored (``approval_rules``), so a kind added to the
Convention data later follows the default until an authority says otherwise. Every change is
audited with who made it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.accounts.models import Authority
from hanoi.cases.drafting_models import ApprovalRule
from hanoi.convention import get_convention
from hanoi.db.base import utcnow

DEFAULT_APPROVAL_KINDS = frozenset(
    {"mla", "mla-stored-data", "realtime-traffic", "interception", "extradition", "confiscation"}
)


def approval_required(session: Session, authority_id: str, kind: str) -> bool:
    """Whether a request of ``kind`` from this authority waits for a supervisor."""
    rule = session.get(ApprovalRule, (authority_id, kind))
    return rule.required if rule is not None else kind in DEFAULT_APPROVAL_KINDS


def approval_rules(session: Session, authority: Authority) -> dict[str, bool]:
    """Every request kind of the Convention data → whether it needs approval here."""
    stored = {
        rule.kind: rule.required
        for rule in session.scalars(
            select(ApprovalRule).where(ApprovalRule.authority_id == authority.id)
        )
    }
    return {
        kind: stored.get(kind, kind in DEFAULT_APPROVAL_KINDS)
        for kind in get_convention().instruments
    }


def set_approval_rule(
    session: Session, *, authority: Authority, kind: str, required: bool, actor: str
) -> None:
    """Decide whether requests of ``kind`` from ``authority`` need approval; audited.

    Raises the Convention data's ``UnknownInstrumentError`` for a kind it does not know."""
    get_convention().instrument(kind)  # an unknown kind is refused, never stored
    now = utcnow()
    rule = session.get(ApprovalRule, (authority.id, kind))
    if rule is None:
        rule = ApprovalRule(authority_id=authority.id, kind=kind)
        session.add(rule)
    rule.required = required
    rule.changed_by = actor[:100]
    rule.changed_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="approval.rule",
        target_type="authority",
        target_id=authority.code,
        detail={"kind": kind, "required": required},
        at=now,
    )
