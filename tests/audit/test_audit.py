"""The audit trail is append-only in the database and its hash chain exposes tampering."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from hanoi import audit
from hanoi.audit import AuditEvent
from hanoi.db import Database


def _record_three(db: Database) -> list[int]:
    with db.session() as session:
        return [
            audit.record(session, actor="alice", action="draft.create", target_type="draft",
                         target_id="D1", detail={"kind": "mla"}, remote_addr="192.0.2.1").id,
            audit.record(session, actor="bob", action="draft.view", target_type="draft",
                         target_id="D1").id,
            audit.record(session, actor="system", action="user.add", detail={"n": 1}).id,
        ]  # fmt: skip


def _raw(db: Database, sql: str) -> None:
    with db.session() as session:
        session.execute(text(sql))


def _disable_guards(db: Database) -> None:
    """What an attacker with direct database access would do first."""
    if db.dialect == "sqlite":
        _raw(db, "DROP TRIGGER audit_events_no_update")
        _raw(db, "DROP TRIGGER audit_events_no_delete")
    else:
        _raw(db, "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")


def test_record_and_list_newest_first_with_filters(db: Database) -> None:
    ids = _record_three(db)
    with db.session() as session:
        events = audit.list_events(session)
        assert [e.id for e in events] == list(reversed(ids))
        first = events[-1]
        assert first.actor == "alice"
        assert first.detail_data == {"kind": "mla"}
        assert first.remote_addr == "192.0.2.1"
        assert first.at.tzinfo is not None
        assert [e.actor for e in audit.list_events(session, actor="bob")] == ["bob"]
        assert [e.id for e in audit.list_events(session, action="user.add")] == [ids[2]]
        assert len(audit.list_events(session, limit=2)) == 2


def test_first_event_chains_from_genesis(db: Database) -> None:
    ids = _record_three(db)
    with db.session() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert events[0].prev_hash == audit.GENESIS_HASH
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert [e.id for e in events] == ids


def test_event_is_lost_with_the_transaction_it_belongs_to(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        audit.record(session, actor="alice", action="draft.create")
        raise RuntimeError("the change failed")
    with db.session() as session:
        assert audit.list_events(session) == []
        audit.record(session, actor="alice", action="draft.create")
    with db.session() as session:
        assert audit.verify_chain(session) == []


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events WHERE id > 0"],
)
def test_database_refuses_to_change_or_delete_events(db: Database, statement: str) -> None:
    _record_three(db)
    with pytest.raises(DBAPIError, match="append-only"):
        _raw(db, statement)
    with db.session() as session:
        assert len(audit.list_events(session)) == 3
        assert {e.actor for e in audit.list_events(session)} == {"alice", "bob", "system"}


def test_database_refuses_to_wipe_the_table(db: Database) -> None:
    _record_three(db)
    wipe = "TRUNCATE audit_events" if db.dialect == "postgresql" else "DELETE FROM audit_events"
    with pytest.raises(DBAPIError, match="append-only"):
        _raw(db, wipe)
    with db.session() as session:
        assert len(audit.list_events(session)) == 3


def test_intact_chain_verifies(db: Database) -> None:
    _record_three(db)
    with db.session() as session:
        assert audit.verify_chain(session) == []


def test_changed_row_is_detected(db: Database) -> None:
    ids = _record_three(db)
    _disable_guards(db)
    _raw(db, f"UPDATE audit_events SET actor = 'mallory' WHERE id = {ids[1]}")
    with db.session() as session:
        assert audit.verify_chain(session) == [ids[1]]


def test_changed_row_with_recomputed_hash_breaks_the_next_link(db: Database) -> None:
    ids = _record_three(db)
    _disable_guards(db)
    with db.session() as session:
        event = session.get_one(AuditEvent, ids[0])
        event.detail = '{"kind":"innocent"}'
        event.hash = event.compute_hash()
    with db.session() as session:
        assert audit.verify_chain(session) == [ids[1]]


def test_deleted_row_is_detected(db: Database) -> None:
    ids = _record_three(db)
    _disable_guards(db)
    _raw(db, f"DELETE FROM audit_events WHERE id = {ids[0]}")
    with db.session() as session:
        assert audit.verify_chain(session) == [ids[1]]


@pytest.mark.parametrize("key", ["password", "totp_code", "session_token", "TOTP_Secret"])
def test_secret_looking_detail_is_refused(db: Database, key: str) -> None:
    with pytest.raises(ValueError, match="secret"), db.session() as session:
        audit.record(session, actor="alice", action="sign_in.failure", detail={key: "x"})


def test_concurrent_writers_keep_one_chain(db: Database) -> None:
    errors: list[BaseException] = []

    def writer(name: str) -> Callable[[], None]:
        def run() -> None:
            try:
                for n in range(8):
                    with db.session() as session:
                        _record_one(session, name, n)
            except BaseException as exc:  # surfaced below; a thread cannot fail the test
                errors.append(exc)

        return run

    threads = [threading.Thread(target=writer(f"user{i}")) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session() as session:
        assert len(audit.list_events(session, limit=1000)) == 32
        assert audit.verify_chain(session) == []


def _record_one(session: Session, name: str, n: int) -> None:
    audit.record(session, actor=name, action="draft.view", detail={"n": n})


def test_non_utc_time_is_stored_in_utc_and_the_chain_holds(db: Database) -> None:
    moment = datetime(2026, 6, 1, 10, 30, 0, 250000, tzinfo=timezone(timedelta(hours=2)))
    with db.session() as session:
        recorded = audit.record(session, actor="alice", action="draft.view", at=moment)
        assert recorded.at.utcoffset() == timedelta(0)
        audit.record(session, actor="alice", action="draft.list")
    with db.session() as session:
        event = session.get_one(AuditEvent, recorded.id)
        assert event.at == moment
        assert event.at.isoformat() == "2026-06-01T08:30:00.250000+00:00"
        assert event.hash == event.compute_hash()
        assert audit.verify_chain(session) == []


def test_naive_time_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="naive"), db.session() as session:
        audit.record(session, actor="alice", action="draft.view", at=datetime(2026, 6, 1, 10))
    with db.session() as session:
        assert audit.list_events(session) == []


def test_default_time_is_now_in_utc(db: Database) -> None:
    before = datetime.now(UTC)
    with db.session() as session:
        event = audit.record(session, actor="alice", action="draft.view")
    assert before <= event.at <= datetime.now(UTC)
    assert event.at.tzinfo is UTC
