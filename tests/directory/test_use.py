"""The verified directory in use: checks, letters and the web pages take the States from it."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import BaseModel

from hanoi.cases.check import check_document
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.render import render_html
from hanoi.config import load_settings
from hanoi.db import Database
from hanoi.directory.view import node_directory
from hanoi.web.app import create_app
from tests.directory.conftest import World, entry_dict
from tests.web.conftest import sign_in

EXAMPLES = Path(__file__).parents[1] / "data" / "requests"


def _mla(requested: str, language: str) -> BaseModel:
    doc = json.loads((EXAMPLES / "mla.json").read_text())
    doc.update(requested_state=requested, language=language)
    return parse_document_obj(doc)


def test_a_node_without_a_pinned_directory_uses_the_demo_states(tmp_path: Path) -> None:
    states = node_directory(tmp_path / "fresh")
    assert {s.code for s in states.states} == {"XA", "XB", "XC"}


def test_pinned_but_never_refreshed_knows_nobody(world: World) -> None:
    node = world.node("pinned-only")
    states = node_directory(node.home)
    assert states.states == ()
    report = check_document(_mla("XB", "en"), directory=states)
    assert not report.ok
    assert any(p.path == "requested_state" for p in report.problems)


def test_checks_follow_the_verified_entries(world: World) -> None:
    node = world.node("n1")
    node.refresh()
    states = node_directory(node.home)
    assert {s.code for s in states.states} == {"XA", "XB"}
    xb = entry_dict("XB")
    assert states.acceptable_languages("XB") == tuple(xb["languages"])
    accepted = check_document(_mla("XB", xb["languages"][0]), directory=states)
    assert accepted.ok, accepted.problems
    refused = check_document(_mla("XB", "fr"), directory=states)
    assert not refused.ok
    assert any(p.path == "language" for p in refused.problems)
    unknown = check_document(_mla("XC", "en"), directory=states)
    assert any(p.path == "requested_state" for p in unknown.problems)


def test_letters_are_addressed_from_the_verified_entry(world: World) -> None:
    node = world.node("n2")
    node.refresh()
    xb = entry_dict("XB")
    central = next(a["name"] for a in xb["authorities"] if a["kind"] == "central_authority")
    html = render_html(_mla("XB", "en"), "en", directory=node_directory(node.home))
    assert central in html


def test_directory_pages(world: World, seeded_db: Database, seed_password: str) -> None:
    node = world.node("n3")
    node.refresh()
    settings = load_settings(home=node.home, database_url=seeded_db.url)
    app = create_app(settings, database=seeded_db, secure_cookies=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/states", follow_redirects=False).status_code == 303
        sign_in(client, "alice", seed_password)
        listing = client.get("/states").text
        xa, xb = entry_dict("XA"), entry_dict("XB")
        assert "/states/XA" in listing
        assert "/states/XB" in listing
        page = client.get("/states/XB").text
        for authority in xb["authorities"]:
            assert authority["name"] in page
            assert authority["time_zone"] in page
        for key in xb["node"]["public_keys"]:
            assert key["kid"] in page
        assert " UTC (UTC" in page, "local time and its UTC offset are shown"
        assert xa["node"]["public_keys"][0]["kid"] not in page
        assert client.get("/states/ZZ").status_code == 404
        assert client.get("/states/../etc").status_code == 404
