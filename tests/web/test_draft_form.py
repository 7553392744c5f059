"""The draft form helps: lists to pick from, labels in every message, limits said and kept,
and a session that ends mid-form never loses what was typed."""

from __future__ import annotations

import re
from html import escape as html_escape
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from hanoi.accounts.lookup import get_user_by_username
from hanoi.audit import list_events
from hanoi.cases.documents import LONG, MAX_DOCUMENT_BYTES, MAX_ITEMS, SHORT
from hanoi.cases.drafting_models import Draft
from hanoi.convention import get_convention
from hanoi.db import Database
from hanoi.directory.fixture import load_fixture_directory
from hanoi.web.limits import MAX_BODY_BYTES
from tests.web.conftest import csrf_of

ORIGIN = {"origin": "http://127.0.0.1"}  # the test client's own origin (conftest base_url)
TYPED = "Les faits, tels que tapés : ‫نص عربي‬ — 事实"


def post_form(
    client: TestClient,
    url: str,
    fields: list[tuple[str, str]],
    headers: dict[str, str] | None = None,
) -> Any:
    return client.post(
        url,
        content=urlencode(fields),
        headers={"content-type": "application/x-www-form-urlencoded", **(headers or {})},
        follow_redirects=False,
    )


def _drafts(db: Database) -> list[Draft]:
    with db.session() as session:
        return list(session.query(Draft).all())


def _select(html: str, name: str) -> str:
    match = re.search(rf'<select [^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no select named {name}"
    return match.group(0)


def test_lists_come_from_the_directory_and_the_convention(alice: TestClient) -> None:
    html = alice.get("/requests/new/preservation").text
    directory = load_fixture_directory()
    states = _select(html, "requested_state")
    for info in directory.states:
        assert f'<option value="{info.code}"' in states
        assert f'data-languages="{" ".join(info.languages)}"' in states
    languages = _select(html, "language")
    for code in {c for info in directory.states for c in info.languages}:
        assert f'<option value="{code}" data-states=' in languages
    offences = _select(html, "offences.0.code")
    for offence in get_convention().offences:
        assert f'<option value="{offence.code}">{offence.code} — ' in offences
    categories = _select(html, "data_items.0.category")
    for category in get_convention().data_categories:
        assert f'<option value="{category.id}">{category.title}' in categories


def test_a_value_outside_the_lists_is_kept(alice: TestClient, seeded_db: Database) -> None:
    token = csrf_of(alice.get("/requests/new/preservation").text)
    fields = [("csrf_token", token), ("requested_state", "QQ"), ("offences.0.code", "UNCC-ZZ")]
    saved = post_form(alice, "/requests/new/preservation", fields)
    assert saved.status_code == 303
    html = alice.get(saved.headers["location"]).text
    assert '<option value="QQ" selected>QQ (not in the list)</option>' in _select(
        html, "requested_state"
    )
    assert '<option value="UNCC-ZZ" selected>' in _select(html, "offences.0.code")


def test_blank_form_marks_required_fields_and_shows_no_errors(
    alice: TestClient, seeded_db: Database
) -> None:
    html = alice.get("/requests/new/preservation").text
    assert 'class="problem' not in html
    assert "Save, or fill in a field and move on" in html
    required = {
        e.field
        for e in get_convention().instrument("preservation").required_elements
        if not e.conditional and e.severity == "error"
    }
    assert "summary_of_facts" in required
    assert re.search(r'<textarea id="f-summary_of_facts"[^>]*aria-required="true"', html)
    assert re.search(
        r'Summary of the facts<span class="required"|Summary of the facts <span class="required"',
        html,
    )
    assert not re.search(r'id="f-data_items-0-custodian"[^>]*aria-required', html)
    # The officer's own authority is filled in from the node's records.
    with seeded_db.session() as session:
        user = get_user_by_username(session, "alice")
        assert user is not None
        own = user.authority.name
    assert re.search(
        rf'id="f-requesting_authority-name"[^>]*value="{re.escape(html_escape(own))}"', html, re.S
    )


def test_free_text_is_direction_neutral_and_bounded_as_the_models_are(alice: TestClient) -> None:
    html = alice.get("/requests/new/mla").text
    for tag in re.findall(r"<textarea [^>]*>|<input [^>]*type=\"text\"[^>]*>", html, re.S):
        assert 'dir="auto"' in tag, tag
    assert re.search(rf'id="f-summary_of_facts"[^>]*maxlength="{LONG}"', html)
    assert re.search(rf'id="f-reference"[^>]*maxlength="{SHORT}"', html, re.S)
    assert f"Up to {LONG:,} characters." in html
    assert re.search(
        rf'id="f-offences-0-optional_elements"[^>]*maxlength="{MAX_ITEMS * (SHORT + 1)}"', html
    )


def test_parse_errors_name_the_field_and_keep_the_text(
    alice: TestClient, seeded_db: Database
) -> None:
    token = csrf_of(alice.get("/requests/new/preservation").text)
    long = "x" * (LONG + 1)
    fields = [
        ("csrf_token", token),
        ("summary_of_facts", TYPED),
        ("offences.0.description", long),
        ("preservation_days", "ninety"),
    ]
    before = len(_drafts(seeded_db))
    page = post_form(alice, "/requests/new/preservation", fields)
    assert page.status_code == 422
    assert "Description of the conduct (1): String should have at most" in page.text
    assert "Preservation period (days):" in page.text
    assert "offences.0.description:" not in page.text
    assert "preservation_days:" not in page.text
    assert TYPED in page.text and long in page.text
    assert len(_drafts(seeded_db)) == before


def test_a_document_over_1_mib_comes_back_with_its_text(
    alice: TestClient, seeded_db: Database
) -> None:
    token = csrf_of(alice.get("/requests/new/preservation").text)
    rows = MAX_DOCUMENT_BYTES // LONG + 2
    fields = [("csrf_token", token), ("summary_of_facts", TYPED)]
    fields += [(f"offences.{i}.description", chr(ord("a") + i % 26) * LONG) for i in range(rows)]
    before = len(_drafts(seeded_db))
    page = post_form(alice, "/requests/new/preservation", fields)
    assert page.status_code == 422
    assert "the limit is 1,048,576 (1 MiB)" in page.text
    assert TYPED in page.text
    assert "z" * LONG in page.text
    assert len(_drafts(seeded_db)) == before


def test_live_check_speaks_in_labels(alice: TestClient) -> None:
    token = csrf_of(alice.get("/requests/new/preservation").text)
    result = alice.post("/requests/check-form/preservation", data={"csrf_token": token}).json()
    assert result["problems"]
    for problem in result["problems"]:
        assert problem["label"] and "." not in problem["label"].split(" (")[0]
    bad = {"csrf_token": token, "preservation_days": "ninety"}
    result = alice.post("/requests/check-form/preservation", data=bad).json()
    assert result["parse_error"].startswith("Preservation period (days):")
    assert result["issues"] == [{"path": "preservation_days", "message": result["parse_error"]}]


def test_platform_requirements_are_shown_as_the_platforms(alice: TestClient) -> None:
    """Art. 43 lists no contents: a missing element of a traffic-disclosure request is the
    platform's requirement, and the page and the live check say so."""
    token = csrf_of(alice.get("/requests/new/traffic-disclosure").text)
    fields = [("csrf_token", token)]
    saved = post_form(alice, "/requests/new/traffic-disclosure", fields)
    assert saved.status_code == 303
    html = alice.get(saved.headers["location"]).text
    listed = re.findall(r'<li class="error">.*?</li>', html, re.S)
    assert listed
    assert all("platform requirement</span>" in item for item in listed)
    assert "Convention lists it or the platform asks for it" in html
    form = {"csrf_token": csrf_of(html)}
    result = alice.post("/requests/check-form/traffic-disclosure", data=form).json()
    assert {p["basis"] for p in result["problems"]} == {"platform"}
    # Art. 42(3) lists what a preservation request contains: not the platform's.
    token = csrf_of(alice.get("/requests/new/preservation").text)
    saved = post_form(alice, "/requests/new/preservation", [("csrf_token", token)])
    html = alice.get(saved.headers["location"]).text
    authority = re.search(
        r'<li class="error"><a href="#f-requesting_authority-name">.*?</li>', html, re.S
    )
    assert authority is not None and "platform requirement" not in authority.group(0)
    assert "<cite>Art. 42(3)(a)</cite>" in authority.group(0)


def _end_session_keeping_cookie(client: TestClient) -> str:
    """Sign out elsewhere (the server ends the session) while this page keeps its cookie:
    as a session that expired mid-form. Returns the form's token."""
    token = csrf_of(client.get("/requests/new/preservation").text)
    copied = dict(client.cookies)
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 200
    client.cookies.clear()
    for name, value in copied.items():
        client.cookies.set(name, value)
    return token


def test_a_session_that_ended_keeps_the_text_and_signing_in_saves_it(
    alice: TestClient, seeded_db: Database, seed_password: str
) -> None:
    token = _end_session_keeping_cookie(alice)
    fields = [("csrf_token", token), ("summary_of_facts", TYPED), ("reference", "REF-9")]
    before = len(_drafts(seeded_db))
    page = post_form(alice, "/requests/new/preservation", fields)
    assert page.status_code == 401
    assert "your session ended" in page.text
    assert TYPED in page.text and 'value="REF-9"' in page.text
    assert 'id="sign-in-again"' in page.text
    assert len(_drafts(seeded_db)) == before

    fresh = csrf_of(page.text)
    wrong = [("csrf_token", fresh), ("username", "alice"), ("password", "nope"), *fields[1:]]
    again = post_form(alice, "/requests/new/preservation", wrong)
    assert again.status_code == 401
    assert "Wrong user name, password or code." in again.text and TYPED in again.text
    assert len(_drafts(seeded_db)) == before

    right = [("csrf_token", csrf_of(again.text)), ("username", "alice")]
    right += [("password", seed_password), *fields[1:]]
    saved = post_form(alice, "/requests/new/preservation", right)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"].startswith("/drafts/")
    stored = _drafts(seeded_db)
    assert len(stored) == before + 1
    assert any(d.document.get("summary_of_facts") == TYPED for d in stored)


def test_an_edit_whose_session_ended_keeps_its_text(
    alice: TestClient, seeded_db: Database, seed_password: str
) -> None:
    token = csrf_of(alice.get("/requests/new/preservation").text)
    created = post_form(
        alice, "/requests/new/preservation", [("csrf_token", token), ("reference", "ONE")]
    )
    url = created.headers["location"].split("?")[0]
    token = _end_session_keeping_cookie(alice)
    fields = [
        ("csrf_token", token),
        ("kind", "preservation"),
        ("version", "1"),
        ("reference", "TWO"),
        ("summary_of_facts", TYPED),
    ]
    page = post_form(alice, url, fields)
    assert page.status_code == 401
    assert TYPED in page.text and 'value="TWO"' in page.text
    assert f'action="{url}"' in page.text
    right = [
        ("csrf_token", csrf_of(page.text)),
        ("username", "alice"),
        ("password", seed_password),
        *fields[1:],
    ]
    assert post_form(alice, url, right).status_code == 303
    assert {d.document.get("reference") for d in _drafts(seeded_db)} == {"TWO"}


def test_a_cookie_gone_entirely_keeps_the_text_for_our_own_page_only(
    client: TestClient, seeded_db: Database
) -> None:
    fields = [("csrf_token", "x" * 43), ("summary_of_facts", TYPED)]
    ours = post_form(client, "/requests/new/preservation", fields, ORIGIN)
    assert ours.status_code == 401 and TYPED in ours.text
    fetched = post_form(
        client, "/requests/new/preservation", fields, {"sec-fetch-site": "same-origin"}
    )
    assert fetched.status_code == 401 and TYPED in fetched.text
    # A cross-site page (or one that says nothing of its origin) is refused as before, and
    # gets no form of ours filled with its text.
    for headers in (
        {"origin": "https://elsewhere.example"},
        {"sec-fetch-site": "cross-site", **ORIGIN},
        {},
    ):
        refused = post_form(client, "/requests/new/preservation", fields, headers)
        assert refused.status_code == 403, headers
        assert TYPED not in refused.text
    assert _drafts(seeded_db) == []


def test_a_stale_token_in_a_live_session_shows_the_form_back(
    alice: TestClient, seeded_db: Database
) -> None:
    html = alice.get("/requests/new/preservation").text
    fields = [("csrf_token", "y" * 43), ("summary_of_facts", TYPED)]
    page = post_form(alice, "/requests/new/preservation", fields, ORIGIN)
    assert page.status_code == 403
    assert TYPED in page.text and "Check it and save again" in page.text
    assert 'id="sign-in-again"' not in page.text
    assert _drafts(seeded_db) == []
    with seeded_db.session() as session:  # shown back, and still a refusal on the record
        refused = list_events(session, action="access.denied", actor="alice")
        assert [(e.detail_data or {}).get("reason") for e in refused] == ["csrf"]
    fresh = csrf_of(page.text)
    assert fresh == csrf_of(html)
    assert (
        post_form(
            alice, "/requests/new/preservation", [("csrf_token", fresh), *fields[1:]]
        ).status_code
        == 303
    )


def test_signing_in_through_a_form_needs_its_token(
    client: TestClient, seeded_db: Database, seed_password: str
) -> None:
    """No login CSRF: credentials in a form whose token does not match sign no one in."""
    fields = [("csrf_token", "z" * 43), ("username", "alice"), ("password", seed_password)]
    page = post_form(client, "/requests/new/preservation", fields, ORIGIN)
    assert page.status_code == 401
    assert client.get("/drafts", follow_redirects=False).status_code == 303
    assert _drafts(seeded_db) == []


def test_a_body_over_the_cut_off_gets_a_page_that_says_go_back(alice: TestClient) -> None:
    token = csrf_of(alice.get("/requests/new/preservation").text)
    fields = [("csrf_token", token), ("summary_of_facts", "x" * (MAX_BODY_BYTES + 1))]
    page = post_form(alice, "/requests/new/preservation", fields)
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert "Go back: your browser still has what you typed" in page.text
