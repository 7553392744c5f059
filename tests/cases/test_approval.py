"""Four eyes and one draft, one request: sending a draft, a supervisor's approval or return,
the authority's rules, through the service API between running nodes (both engines)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hanoi.accounts.lookup import get_authority_by_code, get_user_by_username
from hanoi.accounts.models import User
from hanoi.accounts.service import add_user
from hanoi.audit.models import AuditEvent
from hanoi.cases import drafts
from hanoi.cases.acting import act
from hanoi.cases.approval import OwnApproval, approve, awaiting_approval, discard, return_request
from hanoi.cases.approval_policy import approval_required, approval_rules, set_approval_rule
from hanoi.cases.errors import RequestForbidden, RequestNotFound
from hanoi.cases.lifecycle import Action, ActionRequest, LifecycleError, Status
from hanoi.cases.models import CaseRequest, RequestEvent
from hanoi.cases.sending import send_draft
from hanoi.convention.errors import UnknownInstrumentError
from hanoi.demo.scenario import example_document
from hanoi.demo.serving import ServedNode
from tests.exchange.conftest import Running
from tests.exchange.helpers import outbox, preservation, status, wait_delivered
from tests.raising import raises_check


def _user(session: Any, name: str) -> User:
    user = get_user_by_username(session, name)
    assert user is not None
    return user


def _draft(node: ServedNode, username: str, document: dict[str, Any]) -> str:
    with node.runtime.db.session() as session:
        draft = drafts.save_draft(
            session, user=_user(session, username), kind=document["kind"], document=document
        )
        return draft.id


def _mla(**changes: Any) -> dict[str, Any]:
    return example_document("mla", date_of_request=date.today().isoformat(), **changes)


def _send(node: ServedNode, username: str, draft_id: str, **kwargs: Any) -> CaseRequest:
    assert node.runtime.node is not None
    with node.runtime.db.session() as session:
        case = send_draft(
            session, node.runtime.node, user=_user(session, username), draft_id=draft_id, **kwargs
        )
        session.expunge(case)
        return case


def _approve(node: ServedNode, username: str, reference: str, comment: str | None = None) -> None:
    assert node.runtime.node is not None
    with node.runtime.db.session() as session:
        approve(
            session,
            node.runtime.node,
            user=_user(session, username),
            reference=reference,
            comment=comment,
        )


def _return(node: ServedNode, username: str, reference: str, comment: str) -> None:
    with node.runtime.db.session() as session:
        return_request(session, user=_user(session, username), reference=reference, comment=comment)


def _timeline(node: ServedNode, reference: str) -> list[tuple[str, str, str, dict[str, str]]]:
    with node.runtime.db.session() as session:
        case = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
        assert case is not None
        events = session.scalars(
            select(RequestEvent).where(RequestEvent.request_id == case.id).order_by(RequestEvent.id)
        )
        return [(e.action, e.actor, e.to_status, e.detail) for e in events]


def _audited(node: ServedNode, reference: str) -> list[tuple[str, str]]:
    with node.runtime.db.session() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.target_id == reference).order_by(AuditEvent.id)
        )
        return [(r.action, r.actor) for r in rows]


def test_mla_waits_for_a_supervisor_and_leaves_only_when_approved(running: Running) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    case = _send(xa, "officer", _draft(xa, "officer", _mla()))
    reference = case.reference
    assert case.status == Status.AWAITING_APPROVAL and case.submitted_by == "officer"
    assert outbox(xa) == [] and status(xb, reference) is None  # nothing left the State

    with xa.runtime.db.session() as session:
        waiting = awaiting_approval(session, user=_user(session, "supervisor"))
        assert [c.reference for c in waiting] == [reference]
    # Officers cannot approve; a supervisor of another authority does not even see it.
    for officer in ("officer", "duty"):
        with pytest.raises(RequestForbidden):
            _approve(xa, officer, reference)
    with xa.runtime.db.session() as session:
        other = get_authority_by_code(session, "XA-247")
        assert other is not None
        add_user(
            session,
            username="night-supervisor",
            password="night supervisor pass 1",
            role="supervisor",
            authority_code="XA-247",
        )
    with pytest.raises(RequestNotFound):
        _approve(xa, "night-supervisor", reference)  # another authority's: need-to-know
    # The approval actions are not life-cycle actions anyone may take.
    assert xa.runtime.node is not None
    with xa.runtime.db.session() as session, raises_check(LifecycleError, "action"):
        act(
            session,
            xa.runtime.node,
            user=_user(session, "supervisor"),
            reference=reference,
            request=ActionRequest(Action.APPROVE),
        )
    assert outbox(xa) == []

    _approve(xa, "supervisor", reference, comment="Checked against the file.")
    wait_delivered(xa)
    assert status(xa, reference) == "received" == status(xb, reference)
    steps = [(action, actor, to) for action, actor, to, _ in _timeline(xa, reference)]
    assert steps[:3] == [
        ("submit", "officer", "awaiting_approval"),
        ("approve", "supervisor", "awaiting_approval"),
        ("send", "supervisor", "sent"),
    ]
    assert _timeline(xa, reference)[1][3] == {"reason": "Checked against the file."}
    assert ("request.submit", "officer") in _audited(xa, reference)
    assert ("request.approve", "supervisor") in _audited(xa, reference)
    # Approved once: a second approval is refused by the life cycle.
    with raises_check(LifecycleError, "action"):
        _approve(xa, "supervisor", reference)


def test_the_submitter_never_approves_their_own_request(running: Running) -> None:
    xa = running.node("XA")
    reference = _send(xa, "supervisor", _draft(xa, "supervisor", _mla())).reference
    with pytest.raises(OwnApproval):
        _approve(xa, "supervisor", reference)
    assert status(xa, reference) == "awaiting_approval" and outbox(xa) == []


def test_returned_with_a_comment_the_draft_reopens_and_resubmits_the_same_request(
    running: Running,
) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    draft_id = _draft(xa, "officer", _mla())
    reference = _send(xa, "officer", draft_id).reference
    with xa.runtime.db.session() as session:
        assert draft_id not in [
            d.id for d in drafts.list_drafts(session, user=_user(session, "officer"))
        ]
    # While it waits, the draft is the request: no edit, no second send.
    with xa.runtime.db.session() as session, pytest.raises(drafts.DraftAlreadySent):
        drafts.update_draft(
            session, user=_user(session, "officer"), draft_id=draft_id, document=_mla()
        )
    with pytest.raises(drafts.DraftAlreadySent):
        _send(xa, "officer", draft_id)

    with raises_check(LifecycleError, "reason-required"):
        _return(xa, "supervisor", reference, "  ")
    _return(xa, "supervisor", reference, "Name the provider in the description.")
    assert status(xa, reference) == "returned" and outbox(xa) == []
    with xa.runtime.db.session() as session:
        officer = _user(session, "officer")
        assert draft_id in [d.id for d in drafts.list_drafts(session, user=officer)]
        changed = _mla(urgent=True)
        draft = drafts.update_draft(session, user=officer, draft_id=draft_id, document=changed)
        version = draft.version
    with pytest.raises(drafts.DraftConflict):
        _send(xa, "officer", draft_id, expected_version=version - 1)

    again = _send(xa, "officer", draft_id, expected_version=version)
    assert again.reference == reference and again.status == Status.AWAITING_APPROVAL
    assert again.urgent  # the document as the draft holds it now
    _approve(xa, "supervisor", reference)
    wait_delivered(xa)
    assert status(xb, reference) == "received"
    actions = [action for action, *_ in _timeline(xa, reference)]
    assert actions[:5] == ["submit", "return", "submit", "approve", "send"]
    assert _timeline(xa, reference)[1][3] == {"reason": "Name the provider in the description."}


def test_a_draft_makes_one_request_and_the_database_holds_to_it(running: Running) -> None:
    xa = running.node("XA")
    draft_id = _draft(xa, "duty", preservation())
    case = _send(xa, "duty", draft_id)  # preservation: no approval by default
    assert case.status == Status.SENT
    wait_delivered(xa)
    with pytest.raises(drafts.DraftAlreadySent):
        _send(xa, "duty", draft_id)
    with xa.runtime.db.session() as session:
        assert drafts.list_drafts(session, user=_user(session, "duty")) == []
    # Even written behind the service's back, a second request from the draft is refused.
    with pytest.raises(IntegrityError), xa.runtime.db.session() as session:
        first = session.scalar(select(CaseRequest).where(CaseRequest.draft_id == draft_id))
        assert first is not None
        session.add(
            CaseRequest(
                reference="XA-1999-000001",
                kind=first.kind,
                side=first.side,
                status="sent",
                requesting_state="XA",
                requesting_authority=first.requesting_authority,
                requested_state=first.requested_state,
                requested_authority=first.requested_authority,
                authority_id=first.authority_id,
                document_json=first.document_json,
                document_sha256=first.document_sha256,
                draft_id=draft_id,
            )
        )
        session.flush()
    with xa.runtime.db.session() as session:
        count = session.scalars(select(CaseRequest).where(CaseRequest.draft_id == draft_id))
        assert len(list(count)) == 1


def test_each_authority_decides_per_kind_and_changes_are_audited(running: Running) -> None:
    xa = running.node("XA")
    with xa.runtime.db.session() as session:
        point = get_authority_by_code(session, "XA-247")
        central = get_authority_by_code(session, "XA-CA")
        assert point is not None and central is not None
        rules = approval_rules(session, point)
        assert rules["mla"] and rules["extradition"] and rules["confiscation"]
        assert not rules["preservation"] and not rules["traffic-disclosure"]
        with pytest.raises(UnknownInstrumentError):
            set_approval_rule(session, authority=point, kind="nope", required=True, actor="admin")
        set_approval_rule(session, authority=point, kind="preservation", required=True, actor="ops")
        set_approval_rule(session, authority=central, kind="mla", required=False, actor="ops")
        assert approval_required(session, point.id, "preservation")
        assert not approval_required(session, central.id, "mla")
        assert approval_required(session, central.id, "extradition")  # the default still
        audited = session.scalars(select(AuditEvent).where(AuditEvent.action == "approval.rule"))
        assert [(a.actor, a.target_id, json.loads(a.detail or "{}")) for a in audited] == [
            ("ops", "XA-247", {"kind": "preservation", "required": True}),
            ("ops", "XA-CA", {"kind": "mla", "required": False}),
        ]
    assert _send(xa, "duty", _draft(xa, "duty", preservation())).status == Status.AWAITING_APPROVAL
    assert _send(xa, "officer", _draft(xa, "officer", _mla())).status == Status.SENT


def test_a_request_that_should_not_leave_is_discarded_and_its_draft_closed(
    running: Running,
) -> None:
    xa = running.node("XA")
    draft_id = _draft(xa, "officer", _mla())
    reference = _send(xa, "officer", draft_id).reference
    _return(xa, "supervisor", reference, "Not needed: the provider answered a police request.")

    with xa.runtime.db.session() as session, pytest.raises(RequestNotFound):
        # Another authority's officer cannot even see it.
        discard(session, user=_user(session, "duty"), reference=reference)
    with xa.runtime.db.session() as session:
        discard(session, user=_user(session, "officer"), reference=reference, reason="Overtaken.")
    assert status(xa, reference) == "discarded" and outbox(xa) == []
    with xa.runtime.db.session() as session:
        officer = _user(session, "officer")
        assert draft_id not in [d.id for d in drafts.list_drafts(session, user=officer)]
        with pytest.raises(drafts.DraftAlreadySent):
            drafts.update_draft(session, user=officer, draft_id=draft_id, document=_mla())
    with pytest.raises(drafts.DraftAlreadySent):
        _send(xa, "officer", draft_id)
    # Final: neither discarded again nor approved.
    with xa.runtime.db.session() as session, raises_check(LifecycleError, "action"):
        discard(session, user=_user(session, "officer"), reference=reference)
    with raises_check(LifecycleError, "action"):
        _approve(xa, "supervisor", reference)
    assert [a for a, *_ in _timeline(xa, reference)] == ["submit", "return", "discard"]
    assert _timeline(xa, reference)[2][3] == {"reason": "Overtaken."}
    assert ("request.discard", "officer") in _audited(xa, reference)


def test_a_sent_request_is_withdrawn_not_discarded(running: Running) -> None:
    xa = running.node("XA")
    draft_id = _draft(xa, "duty", preservation())
    reference = _send(xa, "duty", draft_id).reference  # no approval: it left at once
    with xa.runtime.db.session() as session, raises_check(LifecycleError, "action"):
        discard(session, user=_user(session, "duty"), reference=reference)
    assert status(xa, reference) == "sent"
