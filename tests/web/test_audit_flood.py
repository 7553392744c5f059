"""Over HTTP: a client refused in a loop adds a bounded number of audit rows that account
for every refusal, and the audit page verifies only what was added since its last view."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from hanoi import audit
from hanoi.accounts.service import add_user
from hanoi.audit import AuditEvent
from hanoi.config import load_settings
from hanoi.db import Database, utcnow
from hanoi.web.app import create_app
from tests.web.conftest import sign_in

# Longer than any test takes, so the counts below do not depend on how fast it runs.
WINDOW = timedelta(days=1)


def _app(db: Database, home: Path) -> FastAPI:
    settings = load_settings(home=home, database_url=db.url)
    settings = dataclasses.replace(settings, audit_refusal_interval=WINDOW)
    return create_app(settings, database=db, secure_cookies=False)


@pytest.fixture
def flood_app(seeded_db: Database, tmp_path: Path) -> FastAPI:
    return _app(seeded_db, tmp_path / "node")


def _client(app: FastAPI, host: str) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1", client=(host, 50000))


def _refusals(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def _flush_all(db: Database) -> int:
    """Every window ended: what the node's background loop does once they have."""
    return audit.flush_refusals(db, now=utcnow() + WINDOW + timedelta(seconds=1))


def test_two_hundred_posts_without_csrf_token_make_two_rows(
    flood_app: FastAPI, seeded_db: Database
) -> None:
    with _client(flood_app, "198.51.100.7") as client:
        for n in range(200):
            answer = client.post("/sign-in", data={"username": f"u{n}", "password": "x"})
            assert answer.status_code == 403
    assert len(_refusals(seeded_db, "access.denied")) == 1  # the rest are being counted
    assert _flush_all(seeded_db) == 1
    first, summary = _refusals(seeded_db, "access.denied")
    assert (first.actor, first.target_id, first.remote_addr) == (
        "(anonymous)",
        "/sign-in",
        "198.51.100.7",
    )
    assert (summary.actor, summary.remote_addr) == ("system", "198.51.100.7")
    assert summary.detail_data is not None and summary.detail_data["reason"] == "csrf"
    assert audit.refusals_of(first) + audit.refusals_of(summary) == 200
    with seeded_db.session() as session:
        assert audit.verify_chain(session) == []


def test_refusals_from_other_addresses_or_for_other_reasons_are_not_merged(
    flood_app: FastAPI, seeded_db: Database, seed_password: str
) -> None:
    sent = {("198.51.100.7", "csrf"): 30, ("198.51.100.8", "csrf"): 12}
    for (host, _), times in sent.items():
        with _client(flood_app, host) as client:
            for _ in range(times):
                assert client.post("/sign-in", data={}).status_code == 403
    with _client(flood_app, "198.51.100.7") as alice:
        sign_in(alice, "alice", seed_password)
        for _ in range(9):
            assert alice.get("/audit").status_code == 403  # an officer: refused for her role
    sent[("198.51.100.7", "role")] = 9
    _flush_all(seeded_db)
    counts: dict[tuple[str | None, str], int] = {}
    events = _refusals(seeded_db, "access.denied")
    for event in events:
        key = (event.remote_addr, (event.detail_data or {})["reason"])
        counts[key] = counts.get(key, 0) + audit.refusals_of(event)
    assert counts == sent
    assert len(events) == 2 * len(sent)


def _checkpoint_on(page: str) -> int:
    found = re.search(r"verified up to event (\d+)", page)
    assert found, page
    return int(found.group(1))


@pytest.fixture
def auditor(flood_app: FastAPI, seeded_db: Database, seed_password: str) -> Iterator[TestClient]:
    with seeded_db.session() as session:
        add_user(
            session, username="aude", password=seed_password, role="auditor", authority_code="XA-CA"
        )
    with _client(flood_app, "192.0.2.10") as client:
        sign_in(client, "aude", seed_password)
        yield client


def _newest_id(db: Database) -> int:
    with db.session() as session:
        return max(session.scalars(select(AuditEvent.id)))


def test_each_view_moves_the_checkpoint_up_to_the_newest_event(
    auditor: TestClient, seeded_db: Database
) -> None:
    first = auditor.get("/audit")
    assert "Hash chain intact." in first.text
    seen = _checkpoint_on(first.text)
    assert seen == _newest_id(seeded_db)  # everything, its own audit.view included
    second = auditor.get("/audit")
    assert _checkpoint_on(second.text) == _newest_id(seeded_db) > seen


def _disable_guards(db: Database) -> None:
    with db.session() as session:
        if db.dialect == "sqlite":
            session.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))


def test_an_event_changed_since_the_last_view_is_shown_on_the_page(
    auditor: TestClient, flood_app: FastAPI, seeded_db: Database
) -> None:
    checkpoint = _checkpoint_on(auditor.get("/audit").text)
    with _client(flood_app, "203.0.113.99") as stranger:
        stranger.post("/sign-in", data={})
    (denied,) = _refusals(seeded_db, "access.denied")
    assert denied.id > checkpoint
    _disable_guards(seeded_db)
    with seeded_db.session() as session:
        session.execute(
            text("UPDATE audit_events SET remote_addr = '192.0.2.1' WHERE id = :id"),
            {"id": denied.id},
        )
    for _ in range(2):  # and again on the next view: the checkpoint stays before it
        page = auditor.get("/audit")
        assert f"The hash chain is broken at event(s) {denied.id}" in page.text
        assert _checkpoint_on(page.text) == checkpoint
