"""The life cycle across two nodes: conditions on use, onward transfer (Art. 36), Art. 43
disclosure, follow-ups that hold a preservation, lapsing, withdrawal, reminders."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hanoi.accounts.lookup import get_user_by_username
from hanoi.cases.access import get_request
from hanoi.cases.acting import act, attach_condition
from hanoi.cases.conditions import ConditionError
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.lifecycle import (
    Action,
    ActionRequest,
    CaseState,
    LifecycleError,
    Side,
    Status,
    apply_action,
)
from hanoi.cases.models import CaseRequest
from hanoi.cases.queries import timeline
from hanoi.cases.sending import send_request
from hanoi.cases.timers import lapse_due, remind_due
from hanoi.crypto.canonical import canonical_json
from hanoi.crypto.envelope import MessageClaims, Party, new_message_id, seal_message
from hanoi.demo.serving import ServedNode
from hanoi.exchange.peers import FEDERATION_PATH
from tests.exchange.conftest import Running
from tests.exchange.helpers import approve_if_waiting, preservation, status, wait_delivered
from tests.raising import raises_check

REQUESTS = Path(__file__).resolve().parents[1] / "data" / "requests"
TODAY = date.today().isoformat()


def _doc(name: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REQUESTS / f"{name}.json").read_text())
    return data | {"date_of_request": TODAY} | changes


def _send(node: ServedNode, username: str, document: dict[str, Any], **kwargs: Any) -> str:
    assert node.runtime.node is not None
    with node.runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        case = send_request(
            session, node.runtime.node, user=user, document=parse_document_obj(document), **kwargs
        )
        reference = case.reference
        approve_if_waiting(session, node.runtime.node, case)
    wait_delivered(node)
    return reference


def _act(node: ServedNode, username: str, reference: str, action: Action, **fields: Any) -> None:
    assert node.runtime.node is not None
    with node.runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        act(
            session,
            node.runtime.node,
            user=user,
            reference=reference,
            request=ActionRequest(action, **fields),
        )
    wait_delivered(node)


def _condition(
    node: ServedNode, username: str, reference: str, kind: str, text: str, to: str | None = None
) -> None:
    assert node.runtime.node is not None
    with node.runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        attach_condition(
            session, node.runtime.node, user=user, reference=reference, kind=kind, text=text, to=to
        )
    wait_delivered(node)


def _conditions(node: ServedNode, username: str, reference: str) -> list[dict[str, Any]]:
    with node.runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        return get_request(session, user=user, reference=reference, record_view=False).conditions


def _days_pass(running: Running, reference: str, days: int) -> None:
    """Move a preservation's period back by ``days`` on both nodes, as if they had passed."""
    for code in ("XA", "XB"):
        with running.node(code).runtime.db.session() as session:
            case = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
            assert case is not None and case.preserved_until is not None
            case.preserved_until -= timedelta(days=days)


def _preserved(running: Running) -> str:
    xa, xb = running.node("XA"), running.node("XB")
    reference = _send(xa, "duty", preservation())
    _act(xb, "duty", reference, Action.ACKNOWLEDGE)
    _act(xb, "duty", reference, Action.PRESERVE, until=date.today() + timedelta(days=60))
    assert status(xa, reference) == status(xb, reference) == "preserved"
    return reference


def test_conditions_travel_and_onward_transfer_needs_the_sources_authorisation(
    running: Running,
) -> None:
    xa, xb, xc = running.node("XA"), running.node("XB"), running.node("XC")
    reference = _send(
        xa,
        "officer",
        _doc("mla"),
        conditions=[("data-protection", "Personal data of the victims: delete after the trial.")],
    )
    [sent] = _conditions(xb, "officer", reference)
    assert (sent["kind"], sent["state"]) == ("data-protection", "XA")

    _condition(
        xb, "officer", reference, "speciality", "Use only in the Arcadian fraud case 2026/17."
    )
    assert [c["kind"] for c in _conditions(xa, "officer", reference)] == [
        "data-protection",
        "speciality",
    ]
    with pytest.raises(ConditionError, match="unknown condition"):
        _condition(xb, "officer", reference, "secrecy", "x")

    onward = _doc("mla", requested_state="XC")
    with raises_check(ConditionError, "onward-transfer", match="XB has not authorised"):
        _send(xa, "officer", onward, forwards=reference)
    # An authorisation by XA itself is not XB's.
    _condition(xa, "officer", reference, "onward-transfer", "We allow it.", to="XC")
    with raises_check(ConditionError, "onward-transfer"):
        _send(xa, "officer", onward, forwards=reference)

    _condition(
        xb, "officer", reference, "onward-transfer", "XC may receive it for its own case.", to="XC"
    )
    forwarded = _send(xa, "officer", onward, forwards=reference)

    carried = _conditions(xc, "officer", forwarded)
    assert [(c["kind"], c["state"]) for c in carried] == [
        ("data-protection", "XA"),
        ("speciality", "XB"),
    ]
    with xc.runtime.db.session() as session:
        user = get_user_by_username(session, "officer")
        assert user is not None
        case = get_request(session, user=user, reference=forwarded, record_view=False)
        assert (case.relation, case.parent_reference) == ("onward-transfer", reference)


def test_art_43_disclosure_and_a_follow_up_hold_the_preservation(running: Running) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    preserved = _preserved(running)

    traffic = _send(xa, "duty", _doc("traffic-disclosure"), parent_reference=preserved)
    _act(xb, "duty", traffic, Action.ACKNOWLEDGE)
    _act(
        xb, "duty", traffic, Action.EXECUTE, reason="Provider identified: Cascadia Hosting (demo)."
    )
    for node in (xa, xb):
        with node.runtime.db.session() as session:
            case = session.scalar(select(CaseRequest).where(CaseRequest.reference == preserved))
            assert case is not None and case.disclosed  # Art. 43 data went out
            state = CaseState(case.kind, Status(case.status), case.preserved_until, disclosed=True)
    # ... so the preservation can no longer be refused.
    with raises_check(LifecycleError, "action"):
        apply_action(
            state,
            Side.REQUESTED,
            ActionRequest(Action.REFUSE, ground="essential-interests", reason="x"),
            today=date.today(),
        )

    follow_up = _send(xa, "officer", _doc("mla-stored-data"), parent_reference=preserved)
    assert xb.runtime.node is not None
    _days_pass(running, preserved, 61)
    with xb.runtime.db.session() as session:
        assert lapse_due(session, xb.runtime.node) == []  # held by the pending follow-up
    _act(xb, "officer", follow_up, Action.ACKNOWLEDGE)
    _act(xb, "officer", follow_up, Action.EXECUTE)
    with xb.runtime.db.session() as session:
        assert lapse_due(session, xb.runtime.node) == [preserved]
    wait_delivered(xb)
    assert status(xa, preserved) == status(xb, preserved) == "lapsed"


def test_withdrawal_and_reminders(running: Running) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    reference = _send(xa, "duty", preservation())
    received = datetime.now(UTC)

    with xb.runtime.db.session() as session:
        assert remind_due(session, now=received + timedelta(hours=3, minutes=30)) == [
            (reference, "reminder")
        ]
        assert remind_due(session, now=received + timedelta(hours=3, minutes=40)) == []
        assert remind_due(session, now=received + timedelta(hours=5)) == [(reference, "overdue")]
        assert remind_due(session, now=received + timedelta(hours=6)) == []
    with xb.runtime.db.session() as session:
        # A node configured with 8 hours for its 24/7 point: not overdue after 5 hours.
        assert remind_due(session, now=received + timedelta(hours=5), ack_hours_24_7=8) == []

    _act(
        xa, "duty", reference, Action.WITHDRAW, reason="The suspect was arrested; no longer needed."
    )
    assert status(xa, reference) == status(xb, reference) == "withdrawn"
    with xb.runtime.db.session() as session:
        user = get_user_by_username(session, "duty")
        assert user is not None
        case = get_request(session, user=user, reference=reference, record_view=False)
        whats = [item.what for item in timeline(session, case)]
    assert whats.count("reminder") == 1 and whats.count("overdue") == 1 and "withdraw" in whats


def test_the_receiver_checks_every_status_change_itself(running: Running) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    reference = _send(xa, "duty", preservation())
    node = xa.runtime.node
    assert node is not None
    now = datetime.now(UTC)
    payload = {
        "format": "hanoi-request-message/1",
        "reference": reference,
        "action": "preserve",
        "reason": None,
        "ground": None,
        "until": (date.today() + timedelta(days=90)).isoformat(),
        "status": "preserved",
    }
    claims = MessageClaims(
        new_message_id(),
        "request.action",
        Party("XA", "XA-247"),
        Party("XB", "XB-247"),
        now,
        now + timedelta(hours=1),
    )
    token = seal_message(
        canonical_json(payload),
        claims=claims,
        signing_key=node.signing_key,
        recipient_key=node.peers.peer("XB").encryption_key,
    )

    # Only the requested State preserves: XA's node cannot do it in XB's name.
    answer = httpx.post(running.federation.nodes["XB"].url + FEDERATION_PATH, content=token)

    assert answer.status_code == 422 and reference in answer.json()["detail"], answer.text
    assert status(xb, reference) == "received"
