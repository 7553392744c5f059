"""The JSON API under /api/v1, including bad input: every refusal is a problem document."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hanoi.cases.documents import KINDS

EXAMPLES = Path(__file__).parents[1] / "data" / "requests"
PROBLEM = "application/problem+json"


def example(kind: str) -> bytes:
    return (EXAMPLES / f"{kind}.json").read_bytes()


def test_articles_lists_all_68(client: TestClient) -> None:
    response = client.get("/api/v1/convention/articles")
    assert response.status_code == 200
    numbers = [a["number"] for a in response.json()]
    assert numbers == list(range(1, 69))


def test_instruments_carry_articles_and_confidence(client: TestClient) -> None:
    instruments = client.get("/api/v1/convention/instruments").json()
    assert [i["kind"] for i in instruments] == list(KINDS)
    preservation = client.get("/api/v1/convention/instruments/preservation").json()
    assert preservation["elements"], "preservation has no elements"
    for element in preservation["elements"]:
        assert element["confidence"] in ("confirmed", "unconfirmed")
        assert element["article"]


def test_unknown_instrument_is_a_problem_document(client: TestClient) -> None:
    response = client.get("/api/v1/convention/instruments/telepathy")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 404


@pytest.mark.parametrize("kind", KINDS)
def test_complete_examples_pass_the_check(client: TestClient, kind: str) -> None:
    response = client.post(
        "/api/v1/requests/check",
        content=example(kind),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["ok"] is True, report["problems"]


def test_blank_preservation_lists_missing_elements(client: TestClient) -> None:
    blank = client.get("/api/v1/requests/templates/preservation").json()
    report = client.post("/api/v1/requests/check", json=blank).json()
    assert report["ok"] is False
    articles = {p["article"] for p in report["problems"]}
    assert any(a.startswith("Art. 42") for a in articles), articles


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "JSON"),
        (b'{"kind": "preservation", "surprise": 1}', "surprise"),
        (b'{"kind": "preservation", "urgent": "very"}', "urgent"),
        (b'{"kind": "telepathy"}', "kind"),
        (b"[]", ""),
        (b'{"kind": "preservation", "urgent": true, "urgent": false}', "duplicate key 'urgent'"),
        (b'{"kind": "preservation", "x": ' + b"[" * 40 + b"]" * 40 + b"}", "nested deeper"),
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 32 levels"),
    ],
)
def test_bad_documents_are_refused_with_one_line(
    client: TestClient, body: bytes, fragment: str
) -> None:
    response = client.post(
        "/api/v1/requests/check", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    detail = response.json()["detail"]
    assert "\n" not in detail
    assert fragment in detail


def test_oversized_document_is_refused(client: TestClient) -> None:
    doc = json.loads(example("mla"))
    doc["summary_of_facts"] = "x" * (1 << 20)
    response = client.post("/api/v1/requests/check", content=json.dumps(doc))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_render_html_and_pdf(alice: TestClient) -> None:
    html = alice.post("/api/v1/requests/render?lang=fr", content=example("preservation"))
    assert html.status_code == 200
    assert "article 42" in html.text
    assert "script-src" not in html.headers["content-security-policy"]
    assert "default-src 'none'" in html.headers["content-security-policy"]
    pdf = alice.post("/api/v1/requests/render?lang=en&format=pdf", content=example("preservation"))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_render_refuses_a_document_with_a_key_twice(alice: TestClient) -> None:
    doc = example("preservation").replace(b'"kind"', b'"kind": "mla", "kind"', 1)
    assert json.loads(doc)["kind"] == "preservation"  # what the last-wins rule would read
    response = alice.post("/api/v1/requests/render", content=doc)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "duplicate key 'kind'"


def test_render_needs_a_signed_in_officer(client: TestClient) -> None:
    response = client.post("/api/v1/requests/render", content=example("preservation"))
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


def test_oversized_body_is_cut_off(client: TestClient) -> None:
    response = client.post("/api/v1/requests/check", content=b"x" * (5 << 20))
    assert response.status_code == 413
    response = client.post("/sign-in", content=b"x" * (5 << 20))
    assert response.status_code == 413


def test_render_refuses_unknown_language(alice: TestClient) -> None:
    response = alice.post("/api/v1/requests/render?lang=xx", content=example("preservation"))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_security_headers(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.json() == {"status": "ok"}
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


#: Every route of a node without an identity that reads a body (the federation's are in
#: tests/exchange/test_delivery.py and tests/web/test_fuzz.py).
BODY_ROUTES = (
    "/api/v1/requests/check",
    "/api/v1/requests/render",
    "/sign-in",
    "/sign-out",
    "/requests/new/preservation",
    "/requests/check-form/preservation",
    "/drafts/01J00000000000000000000000",
    "/requests/XA-2026-000001/act",
)


def test_no_route_answers_a_deeply_nested_json_body_with_a_server_error(
    alice: TestClient,
) -> None:
    """Whatever reads a body (a handler, FastAPI, a form parser), JSON nested deeper than
    Python can recurse is refused as input: a 4xx, never a 500."""
    nested = b"[" * 100_000 + b"]" * 100_000
    for url in BODY_ROUTES:
        answer = alice.post(url, content=nested, headers={"content-type": "application/json"})
        assert 400 <= answer.status_code < 500, (url, answer.status_code, answer.text[:200])


def test_the_check_refuses_a_past_deadline_and_a_reversed_period_by_label(
    client: TestClient,
) -> None:
    """The API's check is the Convention check: the dates rules the CLI and pages apply."""
    today = date.today()
    yesterday = (today - timedelta(days=1)).isoformat()
    mla = json.loads(example("mla")) | {"date_of_request": today.isoformat()}
    report = client.post("/api/v1/requests/check", json=mla | {"deadline": yesterday}).json()
    assert report["ok"] is False
    (problem,) = report["problems"]
    assert (problem["rule"], problem["path"]) == ("deadline-not-past", "deadline")
    assert problem["message"] == (
        f"Requested deadline ({yesterday}) is already past: today is {today.isoformat()}."
    )
    period = {"start": "2026-03-01", "end": "2026-02-01"}
    report = client.post("/api/v1/requests/check", json=mla | {"time_period": period}).json()
    (problem,) = report["problems"]
    assert problem["rule"] == "period-order"
    assert problem["message"].startswith("Time period concerned: the period starts on 2026-03-01")
    assert client.post("/api/v1/requests/check", json=mla | {"deadline": today.isoformat()}).json()[
        "ok"
    ]
