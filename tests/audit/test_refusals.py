"""A flood of refusals adds a bounded number of audit rows, and every refusal is counted."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from hanoi import audit
from hanoi.audit import AuditEvent
from hanoi.audit.models import AuditRefusalTally
from hanoi.db import Database

T0 = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(seconds=60)
ADDR = "203.0.113.40"


def _refuse(
    db: Database,
    at: datetime,
    *,
    source: str | None = ADDR,
    action: str = "access.denied",
    reason: str = "csrf",
    interval: timedelta = MINUTE,
) -> AuditEvent | None:
    with db.session() as session:
        return audit.record_refusal(
            session,
            action=action,
            reason=reason,
            source=source,
            actor="(anonymous)",
            target_type="path",
            target_id="/sign-in",
            detail={"reason": reason, "method": "POST"},
            at=at,
            interval=interval,
        )


def _rows(db: Database) -> list[AuditEvent]:
    with db.session() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _counts(db: Database) -> dict[tuple[str | None, str, str], int]:
    """Refusals per (address, action, reason), as the audit trail tells them."""
    counts: dict[tuple[str | None, str, str], int] = {}
    for event in _rows(db):
        data = event.detail_data or {}
        key = (event.remote_addr, event.action, str(data.get("reason")))
        counts[key] = counts.get(key, 0) + audit.refusals_of(event)
    return counts


def _tallies(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(AuditRefusalTally)) or 0


def test_a_flood_is_one_row_then_one_summary_with_the_exact_count(db: Database) -> None:
    written = [_refuse(db, T0 + timedelta(milliseconds=n)) for n in range(200)]
    assert written[0] is not None and written[1:] == [None] * 199
    assert len(_rows(db)) == 1
    # Before the window ends nothing more is written.
    assert audit.flush_refusals(db, now=T0 + timedelta(seconds=59)) == 0
    assert audit.flush_refusals(db, now=T0 + MINUTE) == 1
    first, summary = _rows(db)
    assert (first.actor, first.action, first.target_id) == (
        "(anonymous)",
        "access.denied",
        "/sign-in",
    )
    assert first.detail_data == {"reason": "csrf", "method": "POST"}
    assert (summary.actor, summary.action, summary.remote_addr) == ("system", "access.denied", ADDR)
    assert summary.detail_data == {
        "reason": "csrf",
        "refusals": 199,
        "first_at": (T0 + timedelta(milliseconds=1)).isoformat(),
        "last_at": (T0 + timedelta(milliseconds=199)).isoformat(),
    }
    assert audit.summary_text(summary) == (
        f"199 more access.denied (csrf) from {ADDR} between "
        f"{(T0 + timedelta(milliseconds=1)).isoformat()} and "
        f"{(T0 + timedelta(milliseconds=199)).isoformat()}"
    )
    assert audit.summary_text(first) is None
    assert _counts(db) == {(ADDR, "access.denied", "csrf"): 200}
    # The window is forgotten: a second flush writes nothing and leaves no tally behind.
    assert audit.flush_refusals(db, now=T0 + 2 * MINUTE) == 0
    assert _tallies(db) == 0
    with db.session() as session:
        assert audit.verify_chain(session) == []


def test_sources_actions_and_reasons_are_counted_apart(db: Database) -> None:
    plan = {
        (ADDR, "access.denied", "csrf"): 30,
        ("203.0.113.41", "access.denied", "csrf"): 20,
        (ADDR, "access.denied", "role"): 5,
        (ADDR, "upload.refused", "UploadNotFound"): 7,
        (None, "access.denied", "csrf"): 3,  # no address at all: its own key
    }
    for n in range(30):
        for (source, action, reason), times in plan.items():
            if n < times:
                _refuse(db, T0 + timedelta(seconds=n), source=source, action=action, reason=reason)
    assert len(_rows(db)) == len(plan)  # one row per key so far
    assert audit.flush_refusals(db, now=T0 + 2 * MINUTE) == len(plan)
    assert _counts(db) == plan


def test_the_next_refusal_after_the_window_writes_the_summary_and_opens_another(
    db: Database,
) -> None:
    for n in range(10):
        _refuse(db, T0 + timedelta(seconds=n))
    assert len(_rows(db)) == 1
    later = T0 + MINUTE + timedelta(seconds=5)
    assert _refuse(db, later) is not None
    _, summary, second = _rows(db)
    assert (summary.detail_data or {})["refusals"] == 9
    assert second.actor == "(anonymous)" and second.at == later
    for n in range(1, 4):
        assert _refuse(db, later + timedelta(seconds=n)) is None
    assert audit.flush_refusals(db, now=later + MINUTE) == 1
    assert _counts(db) == {(ADDR, "access.denied", "csrf"): 14}


def test_a_window_without_further_refusals_leaves_only_its_first_row(db: Database) -> None:
    _refuse(db, T0)
    assert audit.flush_refusals(db, now=T0 + MINUTE) == 0
    assert len(_rows(db)) == 1 and _tallies(db) == 0
    assert _refuse(db, T0 + MINUTE) is not None  # a new window, audited at once
    assert len(_rows(db)) == 2


def test_concurrent_refusals_and_flushes_lose_nothing(db: Database) -> None:
    """Four writers over five windows of ten seconds, a flusher beside them: the trail
    accounts for every refusal exactly once, on either backend."""
    interval = timedelta(seconds=10)
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for n in range(offset, 200, 4):
                _refuse(db, T0 + timedelta(milliseconds=250 * n), interval=interval)
        except BaseException as exc:  # surfaced below; a thread cannot fail the test
            errors.append(exc)

    def flusher() -> None:
        try:
            for second in range(0, 60, 3):
                audit.flush_refusals(db, now=T0 + timedelta(seconds=second))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    threads.append(threading.Thread(target=flusher))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    audit.flush_refusals(db, now=T0 + 2 * MINUTE)
    assert _counts(db) == {(ADDR, "access.denied", "csrf"): 200}
    assert _tallies(db) == 0
    with db.session() as session:
        assert audit.verify_chain(session) == []


def test_secret_looking_detail_is_refused_even_when_counted(db: Database) -> None:
    _refuse(db, T0)
    with pytest.raises(ValueError, match="secret"), db.session() as session:
        audit.record_refusal(
            session,
            action="access.denied",
            reason="csrf",
            source=ADDR,
            actor="(anonymous)",
            detail={"csrf_token": "x"},
            at=T0 + timedelta(seconds=1),
        )
    assert audit.flush_refusals(db, now=T0 + MINUTE) == 0  # the refused call counted nothing


@pytest.mark.parametrize(
    ("at", "interval", "message"),
    [
        (datetime(2026, 7, 1, 12), MINUTE, "naive"),
        (T0, timedelta(0), "positive"),
    ],
)
def test_bad_time_or_interval_is_refused(
    db: Database, at: datetime, interval: timedelta, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _refuse(db, at, interval=interval)
    assert _rows(db) == [] and _tallies(db) == 0
