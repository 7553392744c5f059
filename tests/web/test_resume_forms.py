"""A session that ends while an officer fills in a form never loses what was typed: acting on
a request with a reason, attaching a condition, returning a request with a comment, sending
a draft. Over real HTTP against the running demo federation; the session is ended behind
the page's back, on the server, as an administrator (or the clock) would end it.

Each federation start-up costs a second or two, so each test plays a whole story.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlencode

import httpx
from sqlalchemy import select

from hanoi.accounts.sessions import close_all_sessions
from hanoi.audit import list_events
from hanoi.cases.models import CaseRequest
from hanoi.db.base import utcnow
from hanoi.demo import DEMO_PASSWORD
from hanoi.demo.scenario import example_document
from hanoi.web.resume import ENDED, STALE
from tests.federation import Running
from tests.web.conftest import csrf_of
from tests.web.test_request_pages import send, signed_in, status_on
from tests.web.test_send_pages import _draft, _requests_of

#: Long, and in more than one script: it must come back exactly as typed.
REASON = (
    "Our law forbids this measure for the offence described; "
    "la mesure demandée est interdite — ‫نص عربي‬ — 事实. " * 25
).strip()
COMMENT = "Name the provider and the account; the dates of the logins are missing. " * 20


class _FormFields(HTMLParser):
    """The fields a browser would post from the page's form ``resume-form``."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._in_form = a.get("id") == "resume-form"
        elif self._in_form and tag == "input" and "name" in a:
            if a.get("type") != "checkbox" or "checked" in a:
                self.fields.append((a["name"], a.get("value", "")))
        elif self._in_form and tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, self._text))
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def posted_back(html: str, **sign_in: str) -> list[tuple[str, str]]:
    """What submitting the shown-back page sends, with the sign-in fields filled in."""
    parser = _FormFields()
    parser.feed(html)
    return [(k, sign_in.get(k, v)) for k, v in parser.fields]


def post_pairs(client: httpx.Client, url: str, pairs: list[tuple[str, str]]) -> httpx.Response:
    """POST fields as a browser does, in order and repeated names kept."""
    form = {"content-type": "application/x-www-form-urlencoded"}
    return client.post(url, content=urlencode(pairs), headers=form)


def end_sessions(running: Running, state: str, username: str) -> None:
    """The server ends every session of the user (as on expiry or revocation); the browser
    keeps its cookie and its open page."""
    with running.node(state).runtime.db.session() as session:
        assert close_all_sessions(session, username=username, actor="test") >= 1


def audited(running: Running, state: str, action: str, actor: str) -> list[str]:
    with running.node(state).runtime.db.session() as session:
        events = list_events(session, action=action, actor=actor)
        return [json.dumps(e.detail_data or {}, ensure_ascii=False) for e in events]


def resumes(
    running: Running,
    state: str,
    username: str,
    *,
    page_url: str,
    url: str,
    fields: dict[str, str],
    typed: str,
    unchanged: Callable[[], object],
) -> httpx.Response:
    """Play the story on one form: refused cross-site with nothing echoed; a stale token in
    a live session shown back, not done; the session ended on the server, the text shown
    back; a wrong password keeps it; signing in from that page finishes. Nothing is done
    before that last step. Returns the last answer."""
    before = unchanged()
    node_url = running.federation.nodes[state].url
    with httpx.Client(base_url=node_url, follow_redirects=False) as stranger:
        for headers in (
            {"origin": "https://elsewhere.example"},
            {"sec-fetch-site": "cross-site", "origin": node_url},
            {},
        ):
            data = {"csrf_token": "x" * 43, **fields}
            refused = stranger.post(url, data=data, headers=headers)
            assert refused.status_code == 403, (headers, refused.text)
            assert typed not in unescape(refused.text)
        refusals = audited(running, state, "access.denied", "(anonymous)")
        # Audited as every CSRF refusal is (repeats counted into one row), with no text.
        assert any('"csrf"' in r for r in refusals)
        assert all(typed[:20] not in r for r in refusals)
    assert unchanged() == before

    with signed_in(running, state, username) as client:
        data = {"csrf_token": "y" * 43, **fields}
        stale = client.post(url, data=data, headers={"sec-fetch-site": "same-origin"})
        assert stale.status_code == 403, stale.text
        assert STALE in unescape(stale.text) and typed in unescape(stale.text)
        assert 'id="sign-in-again"' not in stale.text
        assert unchanged() == before

        token = csrf_of(client.get(page_url).text)
        end_sessions(running, state, username)
        ended = client.post(url, data={"csrf_token": token, **fields})
        assert ended.status_code == 401, ended.text
        page = unescape(ended.text)
        assert ENDED in page and typed in page
        assert 'id="sign-in-again"' in page and f'action="{url}"' in page
        assert "location" not in ended.headers  # the text goes into no URL
        assert unchanged() == before

        wrong = post_pairs(client, url, posted_back(ended.text, username=username, password="no"))
        assert wrong.status_code == 401
        assert "Wrong user name, password or code." in wrong.text
        assert typed in unescape(wrong.text) and f'value="{username}"' in wrong.text
        assert unchanged() == before

        again = posted_back(wrong.text, username=username, password=DEMO_PASSWORD)
        return post_pairs(client, url, again)


def test_a_refusal_reason_survives_the_session_and_signing_in_refuses(running: Running) -> None:
    today = utcnow().date().isoformat()
    ref = send(running, "XA", "officer", example_document("mla", date_of_request=today))
    fields = {"action": "refuse", "ground": "domestic-law-bar", "reason": REASON, "confirm": "yes"}
    done = resumes(
        running, "XB", "officer",
        page_url=f"/requests/{ref}", url=f"/requests/{ref}/act", fields=fields, typed=REASON,
        unchanged=lambda: status_on(running, "XB", ref),
    )  # fmt: skip
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/requests/{ref}?done=refuse"
    assert status_on(running, "XB", ref) == "refused"
    [event] = audited(running, "XB", "request.refuse", "officer")
    assert "domestic-law-bar" in event
    with signed_in(running, "XB", "officer") as officer:
        assert REASON in unescape(officer.get(f"/requests/{ref}").text)  # on the timeline


def test_the_confirmation_box_is_still_asked_for_after_signing_in(running: Running) -> None:
    today = utcnow().date().isoformat()
    ref = send(running, "XA", "officer", example_document("mla", date_of_request=today))
    fields = {"action": "refuse", "ground": "domestic-law-bar", "reason": REASON}
    with signed_in(running, "XB", "officer") as officer:
        token = csrf_of(officer.get(f"/requests/{ref}").text)
        end_sessions(running, "XB", "officer")
        ended = officer.post(f"/requests/{ref}/act", data={"csrf_token": token, **fields})
        assert ended.status_code == 401
        # The box is drawn, unticked, under its words; posting without it refuses nothing.
        assert re.search(r'<input type="checkbox" [^>]*name="confirm" value="yes">', ended.text)
        assert "I confirm: refuse" in ended.text
        data = posted_back(ended.text, username="officer", password=DEMO_PASSWORD)
        unticked = post_pairs(officer, f"/requests/{ref}/act", data)
        assert unticked.status_code == 422
        assert "tick &#39;I confirm&#39; to refuse" in unticked.text
        assert REASON in unescape(unticked.text)  # the request page keeps it too
        assert status_on(running, "XB", ref) == "received"
    # Another authority's officer signing in on the page gets no further than before.
    with signed_in(running, "XB", "duty") as duty:
        token = csrf_of(duty.get("/requests").text)
        end_sessions(running, "XB", "duty")
        data = {"csrf_token": token, **fields, "confirm": "yes"}
        ended = duty.post(f"/requests/{ref}/act", data=data)
        assert ended.status_code == 401
        data = posted_back(ended.text, username="duty", password=DEMO_PASSWORD)
        assert post_pairs(duty, f"/requests/{ref}/act", data).status_code in (403, 404)
    assert status_on(running, "XB", ref) == "received"


def _conditions(running: Running, state: str, reference: str) -> list[str]:
    with running.node(state).runtime.db.session() as session:
        case = session.scalars(select(CaseRequest).where(CaseRequest.reference == reference)).one()
        return [str(c.get("text")) for c in case.conditions]


def test_a_condition_survives_the_session_and_signing_in_attaches_it(running: Running) -> None:
    today = utcnow().date().isoformat()
    ref = send(running, "XA", "officer", example_document("mla", date_of_request=today))
    condition = REASON[:1900]
    fields = {"kind": "confidentiality", "text": condition, "to": ""}
    done = resumes(
        running, "XB", "officer",
        page_url=f"/requests/{ref}", url=f"/requests/{ref}/conditions", fields=fields,
        typed=condition, unchanged=lambda: _conditions(running, "XB", ref),
    )  # fmt: skip
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/requests/{ref}?done=condition#conditions"
    assert condition in _conditions(running, "XB", ref)
    assert len(audited(running, "XB", "request.condition", "officer")) == 1
    with signed_in(running, "XB", "officer") as officer:
        assert condition in unescape(officer.get(f"/requests/{ref}").text)


def test_a_return_comment_survives_the_session_and_signing_in_returns(running: Running) -> None:
    draft_id = _draft(running, "officer", "mla")
    with signed_in(running, "XA", "officer") as officer:
        confirm = officer.get(f"/drafts/{draft_id}/send").text
        version = re.search(r'name="version" value="(\d+)"', confirm)
        assert version is not None
        data = {"csrf_token": csrf_of(confirm), "version": version.group(1)}
        assert officer.post(f"/drafts/{draft_id}/send", data=data).status_code == 303
    [ref] = _requests_of(running, draft_id)
    done = resumes(
        running, "XA", "supervisor",
        page_url=f"/requests/{ref}", url=f"/requests/{ref}/return", fields={"comment": COMMENT},
        typed=COMMENT.strip(), unchanged=lambda: status_on(running, "XA", ref),
    )  # fmt: skip
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/requests/{ref}?done=return"
    assert status_on(running, "XA", ref) == "returned"
    assert len(audited(running, "XA", "request.return", "supervisor")) == 1
    with signed_in(running, "XA", "officer") as officer:
        assert COMMENT.strip() in unescape(officer.get(f"/requests/{ref}").text)


def test_sending_a_draft_survives_the_session_and_signing_in_sends(running: Running) -> None:
    draft_id = _draft(running, "duty", "preservation")
    with signed_in(running, "XA", "duty") as duty:
        confirm = duty.get(f"/drafts/{draft_id}/send").text
    version = re.search(r'name="version" value="(\d+)"', confirm)
    assert version is not None
    fields = {"version": version.group(1), "to_authority": "XB-247"}
    done = resumes(
        running, "XA", "duty",
        page_url=f"/drafts/{draft_id}/send", url=f"/drafts/{draft_id}/send", fields=fields,
        typed='name="to_authority" value="XB-247"',
        unchanged=lambda: _requests_of(running, draft_id),
    )  # fmt: skip
    assert done.status_code == 303, done.text
    [ref] = _requests_of(running, draft_id)
    assert done.headers["location"] == f"/requests/{ref}?done=send"
    assert len(audited(running, "XA", "request.send", "duty")) == 1
