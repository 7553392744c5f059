"""PDF letters are bounded: a letter over the page cap or the time limit is refused with a
clear 413 problem (not a 500), a user has one letter in progress at a time (503 with
Retry-After for another), other users' letters still render meanwhile, and a letter
whose client left is stopped. Against a real server, with large valid documents."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from hanoi.cases.documents import MAX_DOCUMENT_BYTES, parse_document_obj
from hanoi.cases.letter_process import running
from hanoi.config import load_settings
from hanoi.db import Database
from hanoi.web.app import create_app
from tests.databases import MigratedTemplates
from tests.serving import served
from tests.web.conftest import csrf_of

PROBLEM = "application/problem+json"
GENEROUS = 120.0
DATA = Path(__file__).parents[1] / "data" / "requests"
#: Words for the long fields: a document of ordinary text, only a lot of it.
PROSE = ("the suspects rented the server under a false name and paid for it in cash " * 300)[
    :19_000
]


def long_document(fields: int = 2, persons: int = 0) -> bytes:
    """A valid MLA request whose first ``fields`` long fields are full, with ``persons``
    persons described at length."""
    doc: dict[str, Any] = json.loads((DATA / "mla.json").read_text())
    for name in ("summary_of_facts", "purpose", "assistance_sought", "proceeding_nature")[:fields]:
        doc[name] = PROSE
    person = doc["persons"][0]
    doc["persons"] = [
        dict(person, full_name=f"Person {n} (fictional)", description=PROSE[:490])
        for n in range(persons)
    ] or [person]
    parse_document_obj(doc)  # valid, as any officer could send it
    return json.dumps(doc).encode()


def huge_document() -> bytes:
    """Close to the 1 MiB limit: hundreds of pages, minutes of layout."""
    doc = json.loads(long_document(fields=4, persons=200))
    offence = dict(doc["offences"][0], description=PROSE[:4000])
    room = MAX_DOCUMENT_BYTES - 20_000 - len(json.dumps(doc))
    doc["offences"] = [offence] * min(200, room // len(json.dumps(offence)))
    body = json.dumps(doc).encode()
    assert len(body) <= MAX_DOCUMENT_BYTES
    parse_document_obj(doc)
    return body


@contextmanager
def signed_in(base: str, username: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=GENEROUS) as client:
        token = csrf_of(client.get("/sign-in").text)
        answer = client.post(
            "/sign-in", data={"username": username, "password": password, "csrf_token": token}
        )
        assert answer.status_code == 303, answer.text
        yield client


@pytest.fixture
def migrated_database_url(tmp_path: Path, migrated_templates: MigratedTemplates) -> str:
    """SQLite only: the limits are the letter process's, not the database's, and the time
    limit makes each run last its 8 seconds."""
    return migrated_templates.sqlite_copy(tmp_path / "hanoi.db")


@pytest.fixture
def node(seeded_db: Database, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A node whose letters may have 3 pages and take 8 seconds; yields its URL and
    a function to change its settings."""
    settings = dataclasses.replace(
        load_settings(home=tmp_path / "node", database_url=seeded_db.url),
        letter_max_pages=3,
        letter_time_limit=8,
    )
    with served(create_app(settings, database=seeded_db, secure_cookies=False)) as port:
        yield f"http://127.0.0.1:{port}", settings


def render(client: httpx.Client, body: bytes) -> httpx.Response:
    return client.post("/api/v1/requests/render?format=pdf", content=body)


def test_a_letter_over_the_page_cap_is_refused(node: tuple[str, Any], seed_password: str) -> None:
    with signed_in(node[0], "alice", seed_password) as alice:
        answer = render(alice, long_document(fields=2))
        assert answer.status_code == 413, answer.text
        assert answer.headers["content-type"] == PROBLEM
        problem = answer.json()
        assert problem["title"] == "Letter too large"
        assert "at most 3 are printed" in problem["detail"]
        # A short letter still prints.
        short = render(alice, (DATA / "mla.json").read_bytes())
        assert short.status_code == 200 and short.content.startswith(b"%PDF")


def test_a_letter_over_the_time_limit_is_stopped_while_others_render(
    node: tuple[str, Any], seed_password: str
) -> None:
    base = node[0]
    outcome: list[httpx.Response] = []
    with (
        signed_in(base, "alice", seed_password) as alice,
        signed_in(base, "bob", seed_password) as bob,
    ):
        worker = threading.Thread(target=lambda: outcome.append(render(alice, huge_document())))
        worker.start()
        try:
            # Once her huge letter is being laid out, her next one is turned away.
            deadline = time.monotonic() + GENEROUS
            while not running():
                assert worker.is_alive(), outcome[0].text
                assert time.monotonic() < deadline, "the huge letter never started"
                time.sleep(0.05)
            again = render(alice, (DATA / "mla.json").read_bytes())
            assert again.status_code == 503, again.text
            assert again.headers["retry-after"] == "5"
            assert again.json()["title"] == "Letter in progress"
            # Bob's letter is laid out meanwhile.
            theirs = render(bob, (DATA / "mla.json").read_bytes())
            assert theirs.status_code == 200 and theirs.content.startswith(b"%PDF")
        finally:
            worker.join(GENEROUS)
    [answer] = outcome
    assert answer.status_code == 413, answer.text
    assert answer.json()["detail"].startswith("the letter took more than 8 seconds")
    assert running() == frozenset()


def test_a_letter_whose_client_left_is_stopped(node: tuple[str, Any], seed_password: str) -> None:
    base = node[0]
    with signed_in(base, "alice", seed_password) as alice:
        cookie = "; ".join(f"{k}={v}" for k, v in alice.cookies.items())
    body = huge_document()
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=GENEROUS) as sock:
        sock.sendall(
            b"POST /api/v1/requests/render?format=pdf HTTP/1.1\r\nHost: node\r\n"
            + f"Cookie: {cookie}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        deadline = time.monotonic() + GENEROUS
        while not running():
            assert time.monotonic() < deadline, "the letter never started"
            time.sleep(0.05)
        [pid] = running()
    # The client is gone: the child is killed, long before its 8 seconds are up.
    deadline = time.monotonic() + GENEROUS
    while pid in running() or _alive(pid):
        assert time.monotonic() < deadline, "the letter went on without its client"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
