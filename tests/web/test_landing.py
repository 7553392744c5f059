"""Where each role lands after signing in, over real HTTP against the running demo
federation; the return to the page that asked for a sign-in, and the open-redirect attempts
that must land on the role's own page instead; the supervisor's "awaiting approval" list."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from hanoi.accounts.lookup import get_user_by_username
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.sending import send_request
from hanoi.db.base import utcnow
from hanoi.demo import DEMO_PASSWORD
from hanoi.demo.scenario import example_document
from hanoi.web.landing import landing, safe_next, sign_in_url
from tests.federation import Running
from tests.web.conftest import csrf_of
from tests.web.test_request_pages import signed_in

#: Each demo user and the page their role's work is on.
LANDINGS = {
    "duty": "/console",
    "officer": "/requests",
    "supervisor": "/requests",
    "auditor": "/audit",
}

#: ``next`` values that must never be followed: other origins however spelled, and junk.
HOSTILE = (
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    " /requests",
    "javascript:alert(1)",
    "/javascript:alert(1)",
    "evil.example",
    "requests",
    "http:/requests",
    "/" + "a" * 1001,
    "/sign-in",
    "/sign-out",
    "",
)


@pytest.fixture
def backend() -> str:
    """SQLite only: landing is the web layer's decision; the pages on PostgreSQL are
    covered by tests/web/test_request_pages.py."""
    return "sqlite"


def sign_in(client: httpx.Client, username: str, next_page: str | None = None) -> httpx.Response:
    form = client.get("/sign-in", params={} if next_page is None else {"next": next_page})
    assert form.status_code == 200
    data = {"username": username, "password": DEMO_PASSWORD, "csrf_token": csrf_of(form.text)}
    if next_page is not None:
        data["next"] = next_page
    return client.post("/sign-in", data=data)


def test_each_role_lands_where_its_work_is(running: Running) -> None:
    url = running.federation.nodes["XB"].url
    for username, page in LANDINGS.items():
        with httpx.Client(base_url=url) as client:
            response = sign_in(client, username)
            assert response.status_code == 303, username
            assert response.headers["location"] == page, username
            assert client.get(page).status_code == 200, username
            # The node's front door sends a signed-in user to the same page.
            assert client.get("/").headers["location"] == page, username
    with httpx.Client(base_url=url) as anonymous:
        assert anonymous.get("/").headers["location"] == "/sign-in"


def test_sign_in_returns_to_the_page_asked_for(running: Running) -> None:
    url = running.federation.nodes["XB"].url
    wanted = "/requests?box=inbox"
    with httpx.Client(base_url=url) as client:
        asked = client.get(wanted)
        assert asked.status_code == 303
        assert asked.headers["location"] == "/sign-in?next=" + quote(wanted, safe="")
        form = client.get(asked.headers["location"])
        assert 'name="next" value="/requests?box=inbox"' in form.text
        data = {
            "username": "officer",
            "password": DEMO_PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/requests?box=inbox",
        }
        # A wrong password keeps the page asked for in the form that comes back.
        wrong = client.post("/sign-in", data={**data, "password": "not the password"})
        assert wrong.status_code == 401 and 'name="next" value="/requests?box=inbox"' in wrong.text
        done = client.post("/sign-in", data=data)
        assert done.status_code == 303 and done.headers["location"] == wanted
        assert 'aria-current="page">Received' in client.get(wanted).text

    # A form posted without a session is never replayed through ``next``: it comes back
    # as it was typed, to be signed in and sent again from that page (web/resume.py).
    with httpx.Client(base_url=url) as client:
        token = csrf_of(client.get("/sign-in").text)
        posted = client.post(
            "/requests/XA-2026-0001/act", data={"csrf_token": token, "action": "acknowledge"}
        )
        assert posted.status_code == 401 and "your session ended" in posted.text
        assert "location" not in posted.headers and "next=" not in posted.text

    # A page the role may not read is still where the user asked to go: the page refuses.
    with httpx.Client(base_url=url) as client:
        response = sign_in(client, "auditor", "/console")
        assert response.headers["location"] == "/console"
        assert client.get("/console").status_code == 403


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_open_redirect(hostile: str) -> None:
    assert safe_next(hostile) is None
    assert landing("duty_officer", hostile) == "/console"
    assert sign_in_url(hostile) == "/sign-in"


def test_same_origin_paths_are_kept() -> None:
    for path in ("/console", "/requests/XA-2026-0001?done=acknowledge", "/audit?actor=a%2Fb"):
        assert safe_next(path) == path
        assert landing("auditor", path) == path
    assert landing("someone_new", None) == "/states"


def test_open_redirect_attempts_land_on_the_role_page(running: Running) -> None:
    url = running.federation.nodes["XB"].url
    for hostile in HOSTILE:
        with httpx.Client(base_url=url) as client:
            form = client.get("/sign-in", params={"next": hostile})
            assert form.status_code == 200
            assert 'name="next"' not in form.text, hostile  # not even carried into the form
            response = sign_in(client, "duty", hostile)
            assert response.status_code == 303, hostile
            assert response.headers["location"] == "/console", hostile


def test_supervisor_sees_what_awaits_approval_first(running: Running) -> None:
    runtime = running.node("XA").runtime
    assert runtime.node is not None
    document = example_document("mla", date_of_request=utcnow().date().isoformat())
    with runtime.db.session() as session:
        officer = get_user_by_username(session, "officer")
        assert officer is not None
        case = send_request(
            session, runtime.node, user=officer, document=parse_document_obj(document)
        )
        reference = case.reference
        assert case.status == "awaiting_approval"

    with signed_in(running, "XA", "supervisor") as supervisor:
        page = supervisor.get("/requests").text
        waiting = page.split("</section>", 1)[0]
        assert "Awaiting approval (1)" in waiting
        assert f'href="/requests/{reference}"' in waiting and "submitted by officer" in waiting
        assert supervisor.get(f"/requests/{reference}").status_code == 200
    with signed_in(running, "XA", "officer") as officer_client:
        assert "Awaiting approval" not in officer_client.get("/requests").text
    # Need-to-know: another State's supervisor lists nothing of XA's.
    with signed_in(running, "XB", "supervisor") as other:
        page = other.get("/requests").text
        assert "Awaiting approval (0)" in page and reference not in page
