"""Sending a draft from its page, after the confirmation summary, and the supervisor's
approval or return on the request's page, against running nodes."""

from __future__ import annotations

import re
from datetime import date

import httpx
from sqlalchemy import select

from hanoi.accounts.lookup import get_user_by_username
from hanoi.cases import drafts
from hanoi.cases.models import CaseRequest
from hanoi.demo.scenario import example_document
from tests.exchange.conftest import Running
from tests.web.conftest import csrf_of
from tests.web.test_request_pages import signed_in, status_on, wait_delivered

REFERENCE_RE = re.compile(r"/requests/(XA-\d{4}-\d{6})")


def _draft(running: Running, username: str, kind: str) -> str:
    document = example_document(kind, date_of_request=date.today().isoformat())
    with running.node("XA").runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        return drafts.save_draft(session, user=user, kind=kind, document=document).id


def _send(client: httpx.Client, draft_id: str, **fields: str) -> httpx.Response:
    confirm = client.get(f"/drafts/{draft_id}/send")
    assert confirm.status_code == 200, confirm.text
    version = re.search(r'name="version" value="(\d+)"', confirm.text)
    assert version is not None
    data = {"csrf_token": csrf_of(confirm.text), "version": version.group(1), **fields}
    return client.post(f"/drafts/{draft_id}/send", data=data)


def _decide(client: httpx.Client, reference: str, decision: str, comment: str) -> httpx.Response:
    token = csrf_of(client.get(f"/requests/{reference}").text)
    return client.post(
        f"/requests/{reference}/{decision}", data={"csrf_token": token, "comment": comment}
    )


def _requests_of(running: Running, draft_id: str) -> list[str]:
    with running.node("XA").runtime.db.session() as session:
        rows = session.scalars(
            select(CaseRequest.reference).where(CaseRequest.draft_id == draft_id)
        )
        return list(rows)


def test_an_officer_sends_a_draft_after_seeing_what_leaves_and_to_whom(running: Running) -> None:
    draft_id = _draft(running, "duty", "preservation")
    with signed_in(running, "XA", "duty") as duty:
        assert f"/drafts/{draft_id}/send" in duty.get(f"/drafts/{draft_id}").text
        confirm = duty.get(f"/drafts/{draft_id}/send")
        assert "Borealis (XB)" in confirm.text  # the State's name, from the verified directory
        assert 'value="XB-247"' in confirm.text  # the authorities that take preservations
        assert "Not needed: it leaves at once." in confirm.text
        assert "Send to Borealis" in confirm.text

        # Refused without changing anything: no CSRF token, an authority not offered, a
        # version someone else has moved past.
        no_csrf = duty.post(f"/drafts/{draft_id}/send", data={"to_authority": "XB-247"})
        assert no_csrf.status_code == 403
        stranger = _send(duty, draft_id, to_authority="XB-NOPE")
        assert stranger.status_code == 422 and "does not take preservation" in stranger.text
        stale = _send(duty, draft_id, to_authority="XB-247", version="0")
        assert stale.status_code == 409 and "changed by someone else" in stale.text
        assert _requests_of(running, draft_id) == []

        sent = _send(duty, draft_id, to_authority="XB-247")
        assert sent.status_code == 303, sent.text
        [reference] = _requests_of(running, draft_id)
        assert sent.headers["location"] == f"/requests/{reference}?done=send"
        assert "Sent. It leaves" in duty.get(sent.headers["location"]).text
        wait_delivered(running, "XA", reference)
        assert status_on(running, "XB", reference) == "received"
        # The timeline in plain words; the message's type and id only behind a disclosure.
        timeline = duty.get(f"/requests/{reference}").text
        assert "Delivered the request to Borealis (XB-247); receipt signed" in timeline
        assert "<summary>Technical detail</summary>" in timeline

        # The draft is its request now: gone from the list, and a second send opens it.
        assert draft_id not in duty.get("/drafts").text
        assert duty.get(f"/drafts/{draft_id}/send").headers["location"] == f"/requests/{reference}"
        token = csrf_of(duty.get("/drafts").text)
        again = duty.post(
            f"/drafts/{draft_id}/send", data={"csrf_token": token, "to_authority": "XB-247"}
        )
        assert again.status_code == 303
        assert again.headers["location"] == f"/requests/{reference}"
        assert _requests_of(running, draft_id) == [reference]


def test_a_supervisor_approves_or_returns_what_an_officer_submits(running: Running) -> None:
    draft_id = _draft(running, "officer", "mla")
    with signed_in(running, "XA", "officer") as officer:
        confirm = officer.get(f"/drafts/{draft_id}/send")
        assert "approves it before it leaves" in confirm.text
        submitted = _send(officer, draft_id)
        assert submitted.status_code == 303
        [reference] = _requests_of(running, draft_id)
        page = officer.get(submitted.headers["location"]).text
        assert "Submitted for approval" in page and "Awaiting a supervisor" in page
        assert 'id="approve"' not in page  # an officer has no approval form ...
        assert _decide(officer, reference, "approve", "").status_code == 403  # ... nor the right
    assert status_on(running, "XB", reference) is None  # nothing left XA

    with signed_in(running, "XA", "supervisor") as supervisor:
        page = supervisor.get(f"/requests/{reference}").text
        assert 'id="approve"' in page and 'id="return"' in page
        blank = _decide(supervisor, reference, "return", "  ")
        assert blank.status_code == 422 and "needs a reason" in blank.text
        returned = _decide(supervisor, reference, "return", "Name the provider, please.")
        assert returned.status_code == 303
    assert status_on(running, "XA", reference) == "returned"

    with signed_in(running, "XA", "officer") as officer:
        page = officer.get(f"/requests/{reference}").text
        assert "Name the provider, please." in page and f'href="/drafts/{draft_id}"' in page
        assert draft_id in officer.get("/drafts").text  # listed again, to be changed
        resubmitted = _send(officer, draft_id)
        assert resubmitted.status_code == 303
        assert _requests_of(running, draft_id) == [reference]  # the same request

    with signed_in(running, "XA", "supervisor") as supervisor:
        approved = _decide(supervisor, reference, "approve", "Good to go.")
        assert approved.status_code == 303
        assert "Approved and sent" in supervisor.get(approved.headers["location"]).text
    wait_delivered(running, "XA", reference)
    assert status_on(running, "XB", reference) == "received"


def test_an_officer_discards_a_returned_request_after_confirming(running: Running) -> None:
    draft_id = _draft(running, "officer", "mla")
    with signed_in(running, "XA", "officer") as officer:
        assert _send(officer, draft_id).status_code == 303
        [reference] = _requests_of(running, draft_id)
        assert 'id="discard"' in officer.get(f"/requests/{reference}").text
    with signed_in(running, "XA", "supervisor") as supervisor:
        assert _decide(supervisor, reference, "return", "Is this still needed?").status_code == 303

    with signed_in(running, "XA", "officer") as officer:
        page = officer.get(f"/requests/{reference}").text
        unconfirmed = _decide(officer, reference, "discard", "The suspect was arrested.")
        assert unconfirmed.status_code == 422 and "tick the box to confirm" in unconfirmed.text
        assert "The suspect was arrested." in unconfirmed.text  # what was typed comes back
        assert status_on(running, "XA", reference) == "returned"
        done = officer.post(
            f"/requests/{reference}/discard",
            data={"csrf_token": csrf_of(page), "comment": "Arrested.", "confirm": "yes"},
        )
        assert done.status_code == 303
        shown = officer.get(done.headers["location"]).text
        assert "Discarded: it will never be sent" in shown
        assert "Discarded before it was sent" in shown  # on the timeline, in plain words
        assert 'id="discard"' not in shown and draft_id not in officer.get("/drafts").text
    assert status_on(running, "XA", reference) == "discarded"
    assert status_on(running, "XB", reference) is None
