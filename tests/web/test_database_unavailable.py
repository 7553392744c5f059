"""A locked database is a passing state, not a bug: sign-in and the federation endpoint
answer 503 with Retry-After (a problem document where a machine asks) and store nothing,
and work again once the lock is gone. The lock is real: another connection holds an
exclusive transaction on the node's SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from hanoi.db.base import utcnow
from hanoi.demo.seed import DEMO_PASSWORD
from hanoi.exchange.models import InboxMessage, OutboxMessage
from tests.exchange.helpers import queue_request
from tests.federation import Running
from tests.web.conftest import csrf_of

PROBLEM = "application/problem+json"


@pytest.fixture
def backend() -> str:
    """SQLite only: the lock under test is SQLite's file lock (PostgreSQL's errors are
    classified in tests/db/test_database_errors.py)."""
    return "sqlite"


@contextmanager
def locked(running: Running, code: str) -> Iterator[None]:
    """Hold the write lock of ``code``'s database from another connection."""
    url = running.federation.settings(running.federation.nodes[code]).database_url
    path = Path(url.removeprefix("sqlite:///"))
    holder = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


def test_sign_in_on_a_locked_database_answers_503(running: Running) -> None:
    node = running.node("XA").node
    with httpx.Client(base_url=node.url, timeout=60) as client:
        form = {"username": "officer", "password": DEMO_PASSWORD}
        form["csrf_token"] = csrf_of(client.get("/sign-in").text)
        with locked(running, "XA"):
            refused = client.post("/sign-in", data=form)
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"] == "5"
        assert refused.headers["content-type"].startswith("text/html")
        assert "the database is busy" in refused.text
        # Nothing was half-done: the same form signs in once the lock is gone.
        accepted = client.post("/sign-in", data=form, follow_redirects=False)
        assert accepted.status_code == 303, accepted.text


def test_the_federation_endpoint_on_a_locked_database_answers_503(running: Running) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    queue_request(xa)
    with xa.runtime.db.session() as session:
        # XA's own worker must not deliver it meanwhile: this test is the only sender.
        session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() + timedelta(days=1)))
        sealed = session.scalars(select(OutboxMessage.token)).one()
    url = f"{xb.node.url}/federation/v1/messages"
    headers = {"Content-Type": "application/jose"}
    with locked(running, "XB"):
        refused = httpx.post(url, content=sealed, headers=headers, timeout=60)
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"] == "5"
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json() == {
        "type": "about:blank",
        "title": "Database unavailable",
        "status": 503,
        "detail": "the database is busy with other work: try again shortly",
    }
    with xb.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboxMessage)) == 0
    # The sender's retry is taken, once.
    accepted = httpx.post(url, content=sealed, headers=headers, timeout=60)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["duplicate"] is False
    with xb.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboxMessage)) == 1
