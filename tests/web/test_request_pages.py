"""The pages for requests exchanged with other States, over real HTTP against the running
demo federation: inbox and outbox, the request page with its timeline and actions, the 24/7
console and the deadlines dashboard, need-to-know, roles and CSRF.

Each federation start-up costs a second or two, so each test plays a whole story.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from hanoi.accounts.lookup import get_user_by_username
from hanoi.audit import list_events
from hanoi.cases.access import get_request
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.lifecycle import APPROVAL_ACTIONS, SYSTEM_ACTIONS, Action
from hanoi.cases.models import CaseRequest
from hanoi.cases.queries import allowed_actions
from hanoi.cases.sending import send_request
from hanoi.convention import get_convention
from hanoi.db.base import utcnow
from hanoi.demo import DEMO_PASSWORD
from hanoi.demo.scenario import example_document
from hanoi.exchange.models import DeliveryState, OutboxMessage
from hanoi.web.pages.requests import ACTION_FORMS
from tests.exchange.helpers import approve_if_waiting
from tests.federation import Running
from tests.web.conftest import csrf_of

#: How long to wait for the other node to have a message before failing the test.
DELIVERY_WAIT = 30.0
ACTIONS_RE = re.compile(r'name="action" value="([^"]+)"')


# --- helpers shared with tests/browser/test_exchange.py -------------------------------------


def send(
    running: Running,
    state: str,
    username: str,
    document: dict[str, Any],
    conditions: tuple[tuple[str, str], ...] = (),
) -> str:
    """Send ``document`` from ``state`` as ``username`` through the service API and wait
    until the other node has it. Returns the reference."""
    runtime = running.node(state).runtime
    assert runtime.node is not None
    with runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        case = send_request(
            session,
            runtime.node,
            user=user,
            document=parse_document_obj(document),
            conditions=conditions,
        )
        approve_if_waiting(session, runtime.node, case)
        reference = case.reference
    wait_delivered(running, state, reference)
    return reference


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DELIVERY_WAIT
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.05)


def wait_delivered(running: Running, state: str, reference: str) -> None:
    """Until every message ``state`` queued about the request has its receipt."""
    runtime = running.node(state).runtime
    assert runtime.worker is not None

    def delivered() -> bool:
        assert runtime.worker is not None
        runtime.worker.wake()
        with runtime.db.session() as session:
            states = list(
                session.scalars(
                    select(OutboxMessage.status)
                    .join(CaseRequest, CaseRequest.id == OutboxMessage.request_id)
                    .where(CaseRequest.reference == reference)
                )
            )
        assert DeliveryState.QUARANTINED.value not in states, f"{reference}: quarantined"
        return all(s == DeliveryState.DELIVERED.value for s in states)

    wait_until(delivered, f"{state}'s messages about {reference} delivered")


def status_on(running: Running, state: str, reference: str) -> str | None:
    with running.node(state).runtime.db.session() as session:
        return session.scalar(select(CaseRequest.status).where(CaseRequest.reference == reference))


def received_ago(running: Running, state: str, reference: str, ago: timedelta) -> None:
    """Move the request's arrival into the past, as if it had waited that long."""
    with running.node(state).runtime.db.session() as session:
        session.execute(
            update(CaseRequest)
            .where(CaseRequest.reference == reference)
            .values(received_at=utcnow() - ago)
        )


def outbox_size(running: Running, state: str) -> int:
    with running.node(state).runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


@contextmanager
def signed_in(running: Running, state: str, username: str) -> Iterator[httpx.Client]:
    """A browser-like HTTP client signed in through the form on ``state``'s node."""
    url = running.federation.nodes[state].url
    with httpx.Client(base_url=url, follow_redirects=False) as client:
        token = csrf_of(client.get("/sign-in").text)
        response = client.post(
            "/sign-in",
            data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.text
        yield client


def offered(html: str) -> set[str]:
    return set(ACTIONS_RE.findall(html))


def post_action(client: httpx.Client, reference: str, **fields: str) -> httpx.Response:
    token = csrf_of(client.get(f"/requests/{reference}").text)
    return client.post(f"/requests/{reference}/act", data={"csrf_token": token, **fields})


def service_actions(running: Running, state: str, username: str, reference: str) -> set[str]:
    with running.node(state).runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        case = get_request(session, user=user, reference=reference, record_view=False)
        return {a.value for a in allowed_actions(case, user, today=utcnow().date())}


# --- tests ----------------------------------------------------------------------------------


def test_every_user_action_has_a_form() -> None:
    assert set(ACTION_FORMS) == set(Action) - SYSTEM_ACTIONS - APPROVAL_ACTIONS


def test_duty_officer_acknowledges_a_preservation(running: Running) -> None:
    today = utcnow().date()
    document = example_document("preservation", date_of_request=today.isoformat())
    ref = send(running, "XA", "duty", document)
    other = send(running, "XA", "duty", document)
    # The 24/7 point must acknowledge within 4 hours, reminded 1 hour ahead: one request
    # received 5 hours ago is overdue, the other, received 3.5 hours ago, is in its reminder.
    received_ago(running, "XB", ref, timedelta(hours=5))
    received_ago(running, "XB", other, timedelta(hours=3, minutes=30))

    with signed_in(running, "XB", "duty") as duty:
        inbox = duty.get("/requests?box=inbox")
        assert inbox.status_code == 200
        assert inbox.text.index(other) < inbox.text.index(ref), "newest first"
        assert "Expedited preservation" in inbox.text and "urgent" in inbox.text
        assert "Acknowledge receipt:" in inbox.text
        assert ">OVERDUE<" in inbox.text and ">reminder due<" in inbox.text
        assert 'aria-current="page">Received' in inbox.text
        assert ref not in duty.get("/requests?box=outbox").text
        assert duty.get("/requests?box=elsewhere").status_code == 422

        console = duty.get("/console")
        assert console.status_code == 200 and f"Act on {ref}" in console.text
        assert console.text.index(ref) < console.text.index(other), "overdue first"
        deadlines = duty.get("/deadlines").text
        overdue, running_part = deadlines.split("<h2>Running</h2>")
        assert ref in overdue and ">OVERDUE<" in overdue and other not in overdue
        assert other in running_part and ">reminder due<" in running_part

        page = duty.get(f"/requests/{ref}")
        assert page.status_code == 200
        assert "Received the request from Arcadia (XA-247)" in page.text
        assert "phish-host-7@mail.borealis.example" in page.text  # a data item
        assert "UNCC-13" in page.text  # an offence code
        assert "An organised group used a phishing website" in page.text
        # Only what the life cycle and the role allow: a duty officer never refuses.
        actions = offered(page.text)
        assert actions == service_actions(running, "XB", "duty", ref)
        assert {"acknowledge", "preserve"} <= actions
        assert not actions & {"refuse", "execute", "start", "withdraw"}

        # Refused before anything changes: no CSRF token, a role without refusal, a date
        # too soon for the minimum preservation period.
        no_csrf = duty.post(f"/requests/{ref}/act", data={"action": "acknowledge"})
        assert no_csrf.status_code == 403
        refuse = post_action(
            duty, ref, action="refuse", ground="essential-interests", reason="x", confirm="yes"
        )
        assert refuse.status_code == 403
        soon = (today + timedelta(days=1)).isoformat()
        too_soon = post_action(duty, ref, action="preserve", until=soon, reason="Keep it.")
        assert too_soon.status_code == 422
        assert "too soon" in too_soon.text and "Keep it." in too_soon.text
        assert status_on(running, "XB", ref) == "received"

        done = post_action(duty, ref, action="acknowledge")
        assert done.status_code == 303
        assert done.headers["location"] == f"/requests/{ref}?done=acknowledge"
        after = duty.get(done.headers["location"])
        assert "Done: Acknowledge receipt" in after.text
        assert "acknowledge" not in offered(after.text)
        assert status_on(running, "XB", ref) == "acknowledged"

    wait_delivered(running, "XB", ref)
    with signed_in(running, "XA", "duty") as sender:
        assert ref in sender.get("/requests?box=outbox").text
        page = sender.get(f"/requests/{ref}")
        assert 'class="status status-acknowledged"' in page.text
        assert "Borealis (XB-247) signed the receipt" in page.text
        assert offered(page.text) == service_actions(running, "XA", "duty", ref)
        assert "withdraw" in offered(page.text) and "acknowledge" not in offered(page.text)

    # Need-to-know: XB's central authority does not see its 24/7 point's request.
    with signed_in(running, "XB", "officer") as officer:
        assert ref not in officer.get("/requests").text
        assert ref not in officer.get("/console").text
        assert officer.get(f"/requests/{ref}").status_code == 404
        assert post_action_blind(officer, ref).status_code == 404
    with running.node("XB").runtime.db.session() as session:
        denied = list_events(session, actor="officer", action="request.denied")
    assert len(denied) == 2, "both refused look-ups are in the audit log"
    assert status_on(running, "XB", ref) == "acknowledged"

    with signed_in(running, "XB", "auditor") as auditor:
        for path in ("/requests", "/console", "/deadlines", f"/requests/{ref}"):
            assert auditor.get(path).status_code == 403, path
        assert 'href="/console"' not in auditor.get("/audit").text  # no link to what is refused

    with httpx.Client(base_url=running.federation.nodes["XB"].url) as anonymous:
        response = anonymous.get(f"/requests/{ref}")
        assert response.status_code == 303
        assert response.headers["location"] == f"/sign-in?next=%2Frequests%2F{ref}"


def post_action_blind(client: httpx.Client, reference: str) -> httpx.Response:
    """An action on a request the user cannot see: the token comes from another page."""
    token = csrf_of(client.get("/requests").text)
    return client.post(
        f"/requests/{reference}/act", data={"csrf_token": token, "action": "acknowledge"}
    )


def test_refusal_needs_a_ground(running: Running) -> None:
    today = utcnow().date().isoformat()
    confidential = "Do not disclose the request to the account holder."
    ref = send(
        running,
        "XA",
        "officer",
        example_document("mla", date_of_request=today),
        conditions=(("confidentiality", confidential),),
    )
    convention = get_convention()
    grounds = convention.instrument("mla").refusal_grounds

    with signed_in(running, "XB", "officer") as officer:
        page = officer.get(f"/requests/{ref}")
        assert "refuse" in offered(page.text)
        assert "Conditions on use" in page.text and confidential in page.text
        for ground in grounds:
            assert f'<option value="{ground}"' in page.text
        assert convention.refusal_ground(grounds[0]).text in html.unescape(page.text)
        # Received: the substance comes first, the actions beside it; refusing asks again
        # (a required "I confirm" box without JavaScript, a dialog with it).
        text = page.text
        assert text.index("The request document") < text.index('id="actions"')
        refuse_form = re.search(r'<form [^>]*id="act-refuse".*?</form>', text, re.S)
        assert refuse_form and "data-confirm=" in refuse_form.group(0)
        assert re.search(
            r'<input type="checkbox" [^>]*name="confirm"[^>]*required', refuse_form.group(0)
        )
        ack_form = re.search(r'<form [^>]*id="act-acknowledge".*?</form>', text, re.S)
        assert ack_form and "data-confirm=" not in ack_form.group(0)

        queued = outbox_size(running, "XB")
        reason = "Our law forbids this measure for the offence described."
        unconfirmed = post_action(
            officer, ref, action="refuse", ground="domestic-law-bar", reason=reason
        )
        assert unconfirmed.status_code == 422  # a hand-made post without "I confirm"
        assert "tick &#39;I confirm&#39; to refuse" in unconfirmed.text
        assert reason in unconfirmed.text
        missing = post_action(officer, ref, action="refuse", reason=reason, confirm="yes")
        assert missing.status_code == 422
        assert "refuse needs a ground" in missing.text
        assert reason in missing.text, "what was typed comes back"
        assert status_on(running, "XB", ref) == "received"
        assert outbox_size(running, "XB") == queued, "nothing was sent"

        refused = post_action(
            officer, ref, action="refuse", ground="domestic-law-bar", reason=reason, confirm="yes"
        )
        assert refused.status_code == 303
        assert status_on(running, "XB", ref) == "refused"
        assert offered(officer.get(f"/requests/{ref}").text) == set()

    wait_delivered(running, "XB", ref)
    assert status_on(running, "XA", ref) == "refused"
    with signed_in(running, "XA", "officer") as sender:
        page = sender.get(f"/requests/{ref}")
        assert 'class="status status-refused"' in page.text
        assert convention.refusal_ground("domestic-law-bar").text in html.unescape(page.text)
        assert reason in page.text
        console = sender.get("/console")
        assert ref not in console.text, "a final request leaves the queue"
