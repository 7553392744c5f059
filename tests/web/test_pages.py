"""The web pages through HTTP: sign-in, guided drafting, need-to-know, CSRF, audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient

from hanoi.accounts.service import add_user
from hanoi.cases.documents import KINDS, document_model, parse_document_obj
from hanoi.cases.render import SUPPORTED_LANGUAGES
from hanoi.db import Database
from hanoi.web.forms import fields_for
from tests.formdata import form_fields
from tests.web.conftest import csrf_of, sign_in

EXAMPLES = Path(__file__).parents[1] / "data" / "requests"


def post_form(client: TestClient, url: str, fields: list[tuple[str, str]]) -> Any:
    """Post repeated fields in order, as a browser does (httpx's ``data`` takes a dict only)."""
    return client.post(
        url,
        content=urlencode(fields),
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


def draft_id_of(response: Any) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/drafts/")
    return location.removeprefix("/drafts/").split("?")[0]


def test_pages_need_sign_in(client: TestClient) -> None:
    for path in ("/drafts", "/requests/new/preservation", "/audit"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        # Back to the page after signing in (tests/web/test_landing.py follows it through).
        assert response.headers["location"] == "/sign-in?next=" + quote(path, safe="")


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    token = csrf_of(client.get("/sign-in").text)
    wrong = client.post(
        "/sign-in", data={"username": "alice", "password": "nope nope nope", "csrf_token": token}
    )
    unknown = client.post(
        "/sign-in", data={"username": "mallory", "password": "nope nope nope", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong user name, password or code." in wrong.text
    assert "Wrong user name, password or code." in unknown.text


def test_sign_in_without_csrf_token_is_refused(client: TestClient, seed_password: str) -> None:
    client.get("/sign-in")
    response = client.post("/sign-in", data={"username": "alice", "password": seed_password})
    assert response.status_code == 403
    assert client.get("/drafts", follow_redirects=False).status_code == 303


def test_repeated_failures_are_slowed(client: TestClient, seed_password: str) -> None:
    token = csrf_of(client.get("/sign-in").text)
    statuses = []
    for _ in range(8):
        r = client.post(
            "/sign-in",
            data={"username": "alice", "password": "wrong password!", "csrf_token": token},
        )
        statuses.append(r.status_code)
    assert 429 in statuses
    throttled = client.post(
        "/sign-in", data={"username": "alice", "password": seed_password, "csrf_token": token}
    )
    assert throttled.status_code == 429, "the right password must wait too while throttled"
    assert int(throttled.headers["retry-after"]) >= 1


def test_session_cookie_is_protected(client: TestClient, seed_password: str) -> None:
    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"username": "alice", "password": seed_password, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


def test_new_preservation_form_lists_missing_article_42_elements(alice: TestClient) -> None:
    page = alice.get("/requests/new/preservation")
    assert page.status_code == 200
    assert "Art. 42" in page.text
    # A blank form accuses no one: the missing elements are listed once it is saved.
    assert 'class="problem error"' not in page.text
    saved = post_form(alice, "/requests/new/preservation", [("csrf_token", csrf_of(page.text))])
    assert 'class="problem error"' in alice.get(saved.headers["location"]).text


@pytest.mark.parametrize("kind", KINDS)
def test_form_round_trip_keeps_every_field(alice: TestClient, kind: str) -> None:
    doc = json.loads((EXAMPLES / f"{kind}.json").read_text())
    token = csrf_of(alice.get(f"/requests/new/{kind}").text)
    data = [("csrf_token", token), *form_fields(fields_for(document_model(kind)), doc)]
    response = post_form(alice, f"/requests/new/{kind}", data)
    draft_id_of(response)
    page = alice.get(response.headers["location"])
    assert "Complete: every required element" in page.text, page.text
    assert "Draft saved." in page.text


def _stored(db: Database, draft_id: str) -> dict[str, Any]:
    from hanoi.cases.drafting_models import Draft

    with db.session() as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None
        return draft.document


def test_form_round_trip_stores_the_same_document(alice: TestClient, seeded_db: Database) -> None:
    doc = json.loads((EXAMPLES / "preservation.json").read_text())
    token = csrf_of(alice.get("/requests/new/preservation").text)
    data = [("csrf_token", token), *form_fields(fields_for(document_model("preservation")), doc)]
    draft_id = draft_id_of(post_form(alice, "/requests/new/preservation", data))
    assert _stored(seeded_db, draft_id) == parse_document_obj(doc).model_dump(mode="json")


def test_half_filled_draft_saves_and_wrong_type_does_not(
    alice: TestClient, seeded_db: Database
) -> None:
    token = csrf_of(alice.get("/requests/new/preservation").text)
    saved = alice.post(
        "/requests/new/preservation",
        data={"csrf_token": token, "reference": "XA-REF-1"},
        follow_redirects=False,
    )
    draft_id = draft_id_of(saved)
    page = alice.get(f"/drafts/{draft_id}").text
    assert "XA-REF-1" in page
    assert "error(s)" in page
    bad = alice.post(
        f"/drafts/{draft_id}",
        data={"csrf_token": token, "reference": "XA-REF-2", "date_of_request": "yesterday-ish"},
    )
    assert bad.status_code == 422
    assert "Not saved" in bad.text
    assert "XA-REF-2" in bad.text, "what the officer typed must come back, not be lost"
    assert _stored(seeded_db, draft_id)["reference"] == "XA-REF-1"


def test_post_without_csrf_changes_nothing(alice: TestClient, seeded_db: Database) -> None:
    token = csrf_of(alice.get("/requests/new/mla").text)
    draft_id = draft_id_of(
        alice.post(
            "/requests/new/mla",
            data={"csrf_token": token, "reference": "ONE"},
            follow_redirects=False,
        )
    )
    forged = alice.post(f"/drafts/{draft_id}", data={"reference": "TWO"})
    assert forged.status_code == 403
    forged = alice.post(f"/drafts/{draft_id}", data={"reference": "TWO", "csrf_token": "x" * 43})
    assert forged.status_code == 403
    assert _stored(seeded_db, draft_id)["reference"] == "ONE"


def test_other_authority_cannot_see_a_draft(client: TestClient, seed_password: str) -> None:
    sign_in(client, "alice", seed_password)
    token = csrf_of(client.get("/requests/new/mla").text)
    draft_id = draft_id_of(
        client.post(
            "/requests/new/mla",
            data={"csrf_token": token, "reference": "SECRET-REF"},
            follow_redirects=False,
        )
    )
    client.cookies.clear()
    sign_in(client, "bob", seed_password)
    assert client.get(f"/drafts/{draft_id}").status_code == 404
    assert client.get(f"/drafts/{draft_id}/letter").status_code == 404
    assert "SECRET-REF" not in client.get("/drafts").text
    assert client.get("/drafts/01ZZZZZZZZZZZZZZZZZZZZZZZZ").status_code == 404


def test_letter_from_a_draft(alice: TestClient) -> None:
    doc = json.loads((EXAMPLES / "preservation.json").read_text())
    token = csrf_of(alice.get("/requests/new/preservation").text)
    data = [("csrf_token", token), *form_fields(fields_for(document_model("preservation")), doc)]
    draft_id = draft_id_of(post_form(alice, "/requests/new/preservation", data))
    html = alice.get(f"/drafts/{draft_id}/letter?lang=fr")
    assert html.status_code == 200
    assert "42" in html.text
    pdf = alice.get(f"/drafts/{draft_id}/letter?lang=en&format=pdf")
    assert pdf.content.startswith(b"%PDF")
    assert alice.get(f"/drafts/{draft_id}/letter?lang=xx").status_code == 422
    draft_page = alice.get(f"/drafts/{draft_id}").text
    for lang in SUPPORTED_LANGUAGES:  # the six UN languages are offered
        assert f"/drafts/{draft_id}/letter?lang={lang}&amp;format=pdf" in draft_page
    arabic = alice.get(f"/drafts/{draft_id}/letter?lang=ar")
    assert arabic.status_code == 200 and '<html lang="ar" dir="rtl">' in arabic.text
    assert alice.get(f"/drafts/{draft_id}/letter?format=docx").status_code == 422


def test_live_check_endpoint(alice: TestClient) -> None:
    token = csrf_of(alice.get("/requests/new/preservation").text)
    result = alice.post("/requests/check-form/preservation", data={"csrf_token": token}).json()
    assert result["ok"] is False
    assert result["problems"]
    assert alice.post("/requests/check-form/preservation", data={}).status_code == 403


def test_auditor_reads_the_audit_log_but_no_drafts(
    client: TestClient, seeded_db: Database, seed_password: str
) -> None:
    with seeded_db.session() as session:
        add_user(
            session, username="aude", password=seed_password, role="auditor", authority_code="XA-CA"
        )
    sign_in(client, "alice", seed_password)
    client.get("/drafts")
    client.cookies.clear()
    sign_in(client, "aude", seed_password)
    assert client.get("/drafts").status_code == 403
    page = client.get("/audit")
    assert page.status_code == 200
    assert "Hash chain intact." in page.text
    assert "sign_in.success" in page.text
    assert "draft.list" in page.text


def test_officer_cannot_read_the_audit_log(alice: TestClient) -> None:
    assert alice.get("/audit").status_code == 403


def test_sign_out_ends_the_session_even_for_a_copied_cookie(alice: TestClient) -> None:
    token = csrf_of(alice.get("/drafts").text)
    copied = dict(alice.cookies)
    assert alice.post("/sign-out", data={}).status_code == 403
    response = alice.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert alice.get("/drafts", follow_redirects=False).status_code == 303
    alice.cookies.clear()
    for name, value in copied.items():
        alice.cookies.set(name, value)
    assert alice.get("/drafts", follow_redirects=False).status_code == 303


def test_totp_second_factor(client: TestClient, seeded_db: Database, seed_password: str) -> None:
    import pyotp

    from hanoi.accounts.service import enable_totp

    with seeded_db.session() as session:
        secret, _ = enable_totp(session, "alice")
    token = csrf_of(client.get("/sign-in").text)
    creds = {"username": "alice", "password": seed_password, "csrf_token": token}
    asked = client.post("/sign-in", data=creds)
    assert asked.status_code == 401
    assert 'name="totp_code"' in asked.text
    wrong = client.post("/sign-in", data={**creds, "totp_code": "000000"})
    assert wrong.status_code == 401
    assert client.get("/drafts", follow_redirects=False).status_code == 303
    code = pyotp.TOTP(secret).now()
    ok = client.post("/sign-in", data={**creds, "totp_code": code}, follow_redirects=False)
    assert ok.status_code == 303
    assert client.get("/drafts").status_code == 200


def test_sign_out_is_audited(alice: TestClient, seeded_db: Database) -> None:
    from hanoi.audit import list_events

    token = csrf_of(alice.get("/drafts").text)
    alice.post("/sign-out", data={"csrf_token": token})
    with seeded_db.session() as session:
        assert [e.actor for e in list_events(session, action="sign_out")] == ["alice"]


def _new_draft(client: TestClient, kind: str, reference: str) -> str:
    token = csrf_of(client.get(f"/requests/new/{kind}").text)
    return draft_id_of(
        client.post(
            f"/requests/new/{kind}",
            data={"csrf_token": token, "reference": reference},
            follow_redirects=False,
        )
    )


def test_yes_no_fields_keep_not_answered(alice: TestClient, seeded_db: Database) -> None:
    draft_id = _new_draft(alice, "preservation", "YN-1")
    assert _stored(seeded_db, draft_id).get("mla_to_follow") is None
    page = alice.get(f"/drafts/{draft_id}").text
    assert "Missing required element: Statement that a request for mutual legal" in page
    token = csrf_of(page)
    alice.post(
        f"/drafts/{draft_id}",
        data={"csrf_token": token, "reference": "YN-1", "mla_to_follow": "false"},
    )
    assert _stored(seeded_db, draft_id)["mla_to_follow"] is False


def test_concurrent_edit_is_refused_not_lost(
    client: TestClient, seeded_db: Database, seed_password: str
) -> None:
    sign_in(client, "alice", seed_password)
    draft_id = _new_draft(client, "mla", "V-1")
    page = client.get(f"/drafts/{draft_id}").text
    token = csrf_of(page)
    first = {"csrf_token": token, "version": "1", "reference": "V-first"}
    second = {"csrf_token": token, "version": "1", "reference": "V-second"}
    assert client.post(f"/drafts/{draft_id}", data=first, follow_redirects=False).status_code == 303
    late = client.post(f"/drafts/{draft_id}", data=second)
    assert late.status_code == 409
    assert "V-second" in late.text, "the late editor's text must come back to them"
    assert _stored(seeded_db, draft_id)["reference"] == "V-first"


def test_refusals_are_audited(client: TestClient, seeded_db: Database, seed_password: str) -> None:
    from hanoi.audit import list_events

    sign_in(client, "alice", seed_password)
    draft_id = _new_draft(client, "mla", "SECRET")
    client.post(f"/drafts/{draft_id}", data={"reference": "no token"})
    client.get("/audit")
    client.cookies.clear()
    sign_in(client, "bob", seed_password)
    client.get(f"/drafts/{draft_id}")
    with seeded_db.session() as session:
        denied = [
            (e.actor, e.detail_data["reason"]) for e in list_events(session, action="access.denied")
        ]
        drafts_denied = [
            (e.actor, e.target_id) for e in list_events(session, action="draft.denied")
        ]
    assert sorted(denied) == [("alice", "csrf"), ("alice", "role")]
    assert drafts_denied == [("bob", draft_id)]


def test_letter_downloads_are_audited_apart_from_views(
    alice: TestClient, seeded_db: Database
) -> None:
    from hanoi.audit import list_events

    draft_id = _new_draft(alice, "mla", "L-1")
    alice.get(f"/drafts/{draft_id}/letter?lang=fr&format=pdf")
    with seeded_db.session() as session:
        letters = [e.detail_data for e in list_events(session, action="draft.letter")]
    assert letters == [{"format": "pdf", "kind": "mla", "lang": "fr"}]
