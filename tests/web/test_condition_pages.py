"""Conditions on use and onward-transfer authorisations attached from the request page, and
what the request and States pages say, over real HTTP against the running demo federation.

Each federation start-up costs a second or two, so each test plays a whole story.
"""

from __future__ import annotations

import base64
import html
import re
from importlib.metadata import version

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from hanoi.audit import list_events
from hanoi.cases.models import CaseRequest, RequestEvent
from hanoi.db.base import utcnow
from hanoi.demo.scenario import example_document
from hanoi.ledger.keys import NodeLogKeys
from tests.federation import Running
from tests.web.conftest import csrf_of
from tests.web.test_pages import _new_draft
from tests.web.test_request_pages import (
    outbox_size,
    post_action,
    send,
    signed_in,
    status_on,
    wait_delivered,
)

TO_OPTIONS_RE = re.compile(r'<select id="condition-to" name="to">(.*?)</select>', re.S)


def _condition(client: httpx.Client, reference: str, **fields: str) -> httpx.Response:
    token = csrf_of(client.get(f"/requests/{reference}").text)
    return client.post(f"/requests/{reference}/conditions", data={"csrf_token": token, **fields})


def _conditions_on(running: Running, state: str, reference: str) -> list[dict[str, object]]:
    with running.node(state).runtime.db.session() as session:
        case = session.scalars(select(CaseRequest).where(CaseRequest.reference == reference)).one()
        return list(case.conditions)


def _condition_events(running: Running, state: str, reference: str) -> int:
    with running.node(state).runtime.db.session() as session:
        return len(
            session.scalars(
                select(RequestEvent.id)
                .join(CaseRequest, CaseRequest.id == RequestEvent.request_id)
                .where(CaseRequest.reference == reference, RequestEvent.action == "condition")
            ).all()
        )


def test_conditions_and_an_onward_transfer_are_attached_from_the_request_page(
    running: Running,
) -> None:
    today = utcnow().date().isoformat()
    ref = send(running, "XA", "officer", example_document("mla", date_of_request=today))
    terms = "The data may go to Cascadia's prosecutor for the joint investigation only."

    with signed_in(running, "XB", "officer") as officer:
        page = officer.get(f"/requests/{ref}")
        assert page.status_code == 200
        assert 'action="/requests/' + ref + '/conditions"' in page.text
        assert "No condition on use" in page.text
        for kind in ("confidentiality", "speciality", "data-protection", "onward-transfer"):
            assert f'<option value="{kind}"' in page.text
        # Only third States of the verified directory: neither XA nor XB.
        (options,) = TO_OPTIONS_RE.findall(page.text)
        assert re.findall(r'<option value="([A-Z]{2})"', options) == ["XC"]

        queued = outbox_size(running, "XB")
        no_csrf = officer.post(
            f"/requests/{ref}/conditions", data={"kind": "speciality", "text": "Only this case."}
        )
        assert no_csrf.status_code == 403

        refused = {
            "no text": ({"kind": "speciality", "text": "   "}, "a condition needs its text"),
            "no State": ({"kind": "onward-transfer", "text": terms}, "choose the third State"),
            "a party": (
                {"kind": "onward-transfer", "text": terms, "to": "XA"},
                "is not a third State",
            ),
            "unknown State": (
                {"kind": "onward-transfer", "text": terms, "to": "QQ"},
                "is not a third State",
            ),
            "State on a condition": (
                {"kind": "confidentiality", "text": terms, "to": "XC"},
                "names no third State",
            ),
            "unknown kind": ({"kind": "telepathy", "text": terms}, "unknown condition"),
            "control characters": (
                {"kind": "speciality", "text": "Only\x07 this"},
                "control characters",
            ),
        }
        for case, (fields, message) in refused.items():
            response = _condition(officer, ref, **fields)
            assert response.status_code == 422, case
            assert message in html.unescape(response.text), case
            if fields["text"].strip() and "\x07" not in fields["text"]:
                assert fields["text"] in html.unescape(response.text), "what was typed is kept"
            if fields["kind"] == "onward-transfer":
                assert '<option value="onward-transfer" selected>' in response.text, case
        assert _conditions_on(running, "XB", ref) == []
        assert _condition_events(running, "XB", ref) == 0
        assert outbox_size(running, "XB") == queued, "nothing was sent"

        done = _condition(officer, ref, kind="onward-transfer", text=terms, to="XC")
        assert done.status_code == 303
        assert done.headers["location"] == f"/requests/{ref}?done=condition#conditions"
        after = officer.get(done.headers["location"])
        assert "Condition recorded." in after.text
        assert "onward transfer</strong> to XC" in after.text
        assert terms in html.unescape(after.text)
        speciality = _condition(officer, ref, kind="speciality", text="Only for case 123.")
        assert speciality.status_code == 303

    stored = _conditions_on(running, "XB", ref)
    assert [(c["kind"], c["to"], c["state"]) for c in stored] == [
        ("onward-transfer", "XC", "XB"),
        ("speciality", None, "XB"),
    ]
    with running.node("XB").runtime.db.session() as session:
        audited = list_events(session, actor="officer", action="request.condition")
    assert len(audited) == 2

    # The other node is told: the requesting State sees both on its page.
    wait_delivered(running, "XB", ref)
    assert [c["kind"] for c in _conditions_on(running, "XA", ref)] == [
        "onward-transfer",
        "speciality",
    ]
    with signed_in(running, "XA", "officer") as sender:
        page = sender.get(f"/requests/{ref}")
        assert terms in html.unescape(page.text) and "Only for case 123." in page.text

    # Need-to-know and roles: XB's 24/7 point does not see the central authority's request;
    # an auditor does not act.
    with signed_in(running, "XB", "duty") as duty:
        token = csrf_of(duty.get("/requests").text)
        blind = duty.post(
            f"/requests/{ref}/conditions",
            data={"csrf_token": token, "kind": "speciality", "text": "x"},
        )
        assert blind.status_code == 404
    with signed_in(running, "XB", "auditor") as auditor:
        token = csrf_of(auditor.get("/audit").text)
        denied = auditor.post(
            f"/requests/{ref}/conditions",
            data={"csrf_token": token, "kind": "speciality", "text": "x"},
        )
        assert denied.status_code == 403
    assert len(_conditions_on(running, "XB", ref)) == 2


def test_a_refused_request_says_it_is_closed_not_in_the_other_states_hands(
    running: Running,
) -> None:
    today = utcnow().date().isoformat()
    ref = send(running, "XA", "officer", example_document("mla", date_of_request=today))
    with signed_in(running, "XB", "officer") as officer:
        refused = post_action(
            officer,
            ref,
            action="refuse",
            ground="domestic-law-bar",
            reason="Our law bars it.",
            confirm="yes",
        )
        assert refused.status_code == 303
        page = officer.get(f"/requests/{ref}").text
        assert "Nothing to do on this request now: it is refused (final)." in page
    wait_delivered(running, "XB", ref)
    assert status_on(running, "XA", ref) == "refused"
    with signed_in(running, "XA", "officer") as sender:
        page = sender.get(f"/requests/{ref}").text
        assert "in the hands of" not in page
        assert "Nothing to do on this request now: it is refused (final)." in page


def test_the_states_pages_show_contacts_and_the_directory_address_answers(
    running: Running,
) -> None:
    with signed_in(running, "XB", "officer") as officer:
        listing = officer.get("/states")
        assert listing.status_code == 200
        assert "Contact (24/7 point of contact)" in listing.text
        for code in ("xa", "xb", "xc"):
            assert f"{code}-247@{code}.example" in listing.text
        state = officer.get("/states/XA").text
        assert "xa-ca@xa.example" in state and "xa-247@xa.example" in state
        assert "+1 555 01" in state
        assert "not given in the entry" not in state
        # XA's node keys and its log's key strings, as the verifier commands take them.
        xa_keys = NodeLogKeys.from_home(running.federation.nodes["XA"].home)
        assert xa_keys.log_verifier().key_string() in state
        assert xa_keys.witness_verifier().key_string() in state
        xa_node = running.node("XA").runtime.node
        assert xa_node is not None
        raw = xa_node.signing_key.key.public_key().public_bytes_raw()
        assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() in state

    # The address `hanoi demo` prints for the directory is a page, and the files below it
    # are still served as they are.
    url = running.federation.directory_url
    index = httpx.get(url)
    assert index.status_code == 200, url
    assert index.headers["content-type"].startswith("text/html")
    assert "Directory of States" in index.text
    for code in ("XA", "XB", "XC"):
        assert f"<td>{code}</td>" in index.text
    timestamp = httpx.get(url + "metadata/timestamp.json")
    assert timestamp.status_code == 200
    assert timestamp.headers["content-type"].startswith("application/json")


def test_the_footer_shows_hanoi_s_version_even_on_a_draft_page(alice: TestClient) -> None:
    draft_id = _new_draft(alice, "mla", "FOOT-1")
    token = csrf_of(alice.get(f"/drafts/{draft_id}").text)
    saved = alice.post(
        f"/drafts/{draft_id}",
        data={"csrf_token": token, "version": "1", "reference": "FOOT-2"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    page = alice.get(f"/drafts/{draft_id}").text
    assert 'name="version" value="2"' in page, "the draft is at version 2"
    footer = page[page.index("<footer>") :]
    assert f"Hanoi {version('hanoi')} —" in footer
    assert "Hanoi 2 —" not in footer
