"""The chain is verified from a checkpoint; a full check still finds any rewritten event."""

from __future__ import annotations

from sqlalchemy import text

from hanoi import audit
from hanoi.audit import AuditEvent
from hanoi.audit.models import AuditCheckpoint
from hanoi.db import Database


def _record(db: Database, count: int) -> list[int]:
    with db.session() as session:
        return [
            audit.record(session, actor="alice", action="draft.view", detail={"n": n}).id
            for n in range(count)
        ]


def _verify(db: Database, *, full: bool = False) -> audit.ChainCheck:
    with db.session() as session:
        return audit.verify(session, full=full)


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


def _checkpoint(db: Database) -> tuple[int, str]:
    with db.session() as session:
        row = session.get_one(AuditCheckpoint, 1)
        return row.event_id, row.event_hash


def test_each_check_verifies_only_the_events_since_the_last(db: Database) -> None:
    assert _verify(db) == audit.ChainCheck(broken=[], checked=0, checkpoint=0, full=False)
    ids = _record(db, 3)
    assert _verify(db) == audit.ChainCheck(broken=[], checked=3, checkpoint=ids[-1], full=False)
    with db.session() as session:
        newest = session.get_one(AuditEvent, ids[-1])
    assert _checkpoint(db) == (ids[-1], newest.hash)
    assert _verify(db).checked == 0
    more = _record(db, 2)
    check = _verify(db)
    assert (check.checked, check.checkpoint, check.broken) == (2, more[-1], [])
    assert _verify(db, full=True) == audit.ChainCheck(
        broken=[], checked=5, checkpoint=more[-1], full=True
    )


def test_an_event_changed_before_the_checkpoint_is_found_by_the_full_check(
    db: Database,
) -> None:
    ids = _record(db, 4)
    assert _verify(db).checkpoint == ids[-1]
    _disable_guards(db)
    _raw(db, f"UPDATE audit_events SET actor = 'mallory' WHERE id = {ids[1]}")
    # The routine check starts after the checkpoint: it does not read that event again...
    assert _verify(db).broken == []
    # ...the full one does, and leaves the checkpoint where it was.
    full = _verify(db, full=True)
    assert (full.broken, full.checked, full.checkpoint) == ([ids[1]], 4, ids[-1])


def test_an_event_changed_after_the_checkpoint_is_reported_on_every_check(
    db: Database,
) -> None:
    ids = _record(db, 2)
    assert _verify(db).checkpoint == ids[-1]
    later = _record(db, 3)
    _disable_guards(db)
    _raw(db, f"UPDATE audit_events SET actor = 'mallory' WHERE id = {later[1]}")
    for _ in range(2):
        check = _verify(db)
        assert check.broken == [later[1]]
        # Moved up to the last good event before the break, never past it.
        assert check.checkpoint == later[0]
    assert _verify(db, full=True).broken == [later[1]]


def test_a_chain_rewritten_up_to_the_checkpoint_no_longer_matches_it(db: Database) -> None:
    ids = _record(db, 3)
    assert _verify(db).checkpoint == ids[-1]
    _disable_guards(db)
    # Every hash recomputed: the chain holds from genesis, but not the checkpoint's hash.
    with db.session() as session:
        prev = audit.GENESIS_HASH
        for event_id in ids:
            event = session.get_one(AuditEvent, event_id)
            if event_id == ids[0]:
                event.actor = "mallory"
            event.prev_hash = prev
            event.hash = event.compute_hash()
            prev = event.hash
    for _ in range(2):
        assert _verify(db).broken == [ids[-1]]
        assert _checkpoint(db)[0] == ids[-1]
    assert _verify(db, full=True).broken == [ids[-1]]
    with db.session() as session:
        assert audit.verify_chain(session) == []  # what the checkpoint adds


def test_the_checkpoint_event_removed_is_reported(db: Database) -> None:
    ids = _record(db, 3)
    _verify(db)
    _disable_guards(db)
    _raw(db, f"DELETE FROM audit_events WHERE id = {ids[-1]}")
    assert _verify(db).broken == [ids[-1]]


def test_a_removed_checkpoint_means_a_check_from_the_first_event(db: Database) -> None:
    ids = _record(db, 3)
    _verify(db)
    _raw(db, "DELETE FROM audit_checkpoint")
    check = _verify(db)
    assert (check.broken, check.checked, check.checkpoint) == ([], 3, ids[-1])
