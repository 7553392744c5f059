"""Refusals audited without letting one client flood the trail.

A client refused in a loop (forged messages or upload tokens, form posts without their CSRF
token, sign-ins while throttled) must not add a permanent row per request. Every refusal
goes through :func:`record_refusal`, which keys it by *source* (the client's address),
*action* (``access.denied``, ``message.refused``...) and *reason* (``csrf``, the error's
class...):

- the first refusal of a key is audited at once, with everything it says, and opens a
  window of ``interval`` (``HANOI_AUDIT_REFUSAL_INTERVAL``);
- the key's refusals before the window ends are only counted, in ``audit_refusal_tallies``;
- once the window has ended, the count is audited as one summary row: the same action,
  actor ``system``, the source as its address, and the detail ``{"reason", "refusals":
  N, "first_at", "last_at"}`` ("N more refusals of this kind from this address between
  these times"). It is written by the next refusal of the key, or by :func:`flush_refusals`,
  which the node runs in the background, whichever comes first.

Nothing is lost: every refusal is in the trail, as its own row or in a summary's
``refusals``, and the counts are exact, on any number of processes. A flood adds at most
two rows per key per window. Audit rows are never changed; only the tally is.

Concurrency: counting into an open window is one UPDATE, atomic on both backends.
Opening or closing a window first locks the tally row by writing it (on SQLite the first
write takes the database's write lock; on PostgreSQL the row lock), then takes the audit
chain's head in :func:`~hanoi.audit.service.record`: always in that order, so two processes
never close one window twice nor count into a window being closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, literal, select, update
from sqlalchemy.orm import Session

from hanoi.audit.models import AuditEvent, AuditRefusalTally
from hanoi.audit.service import SYSTEM_ACTOR, check_detail, record
from hanoi.config import DEFAULT_AUDIT_REFUSAL_INTERVAL
from hanoi.db import Database, UTCDateTime, utcnow
from hanoi.db.database import upsert_insert

#: Windows :func:`flush_refusals` reads at a time.
FLUSH_BATCH = 100
#: The detail key of a summary row: how many refusals it stands for.
REFUSALS_KEY = "refusals"

Key = tuple[str, str, str]


def record_refusal(
    session: Session,
    *,
    action: str,
    reason: str,
    source: str | None,
    actor: str,
    target_type: str | None = None,
    target_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    interval: timedelta = DEFAULT_AUDIT_REFUSAL_INTERVAL,
) -> AuditEvent | None:
    """Audit one refusal, or count it into its key's open window; in the caller's
    transaction. Returns the event written for it, or ``None`` when it was counted.

    ``source`` is the client's address (``None`` when unknown: such refusals share one key
    per action and reason). ``reason`` must be a short fixed word, never text the client
    chose: it keys the count. The rest is what :func:`~hanoi.audit.record` takes, for the
    row of a window's first refusal. A naive ``at`` is a ValueError, as there.
    """
    if at is not None and (at.tzinfo is None or at.utcoffset() is None):
        raise ValueError("naive datetime given for an audit event: pass a timezone-aware time")
    if interval <= timedelta(0):
        raise ValueError("the refusal interval must be positive")
    if detail is not None:
        check_detail(detail)  # refused alike whether this refusal is written or counted
    now = (at or utcnow()).astimezone(UTC)
    key: Key = ((source or "")[:64], action[:64], reason[:64])
    if _count(session, key, now, only_open=True):
        return None
    while True:
        if _open_window(session, key, now, interval):
            break
        # The key has a tally: lock it, then look again, as another process may just have
        # opened a window (count into it) or closed and deleted it (open one).
        if not _count(session, key, now, only_open=False, dry=True):
            continue
        tally = _tally(session, key)
        if tally.window_end > now:
            _count(session, key, now, only_open=True)
            return None
        _summarise(session, tally, now)
        tally.window_end, tally.folded, tally.first_at, tally.last_at = (
            now + interval,
            0,
            None,
            None,
        )
        break
    return record(
        session,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail,
        remote_addr=source,
        at=now,
    )


def flush_refusals(db: Database, now: datetime | None = None) -> int:
    """Audit the counts of every window that has ended, and forget those windows; the
    number of summary rows written. One transaction per window, so none holds the audit
    chain's head while it waits for another window's lock."""
    now = (now or utcnow()).astimezone(UTC)
    written = 0
    while True:
        with db.session() as session:
            keys: list[Key] = [
                (row.source, row.action, row.reason)
                for row in session.execute(
                    select(
                        AuditRefusalTally.source,
                        AuditRefusalTally.action,
                        AuditRefusalTally.reason,
                    )
                    .where(AuditRefusalTally.window_end <= literal(now, UTCDateTime()))
                    .order_by(
                        AuditRefusalTally.source,
                        AuditRefusalTally.action,
                        AuditRefusalTally.reason,
                    )
                    .limit(FLUSH_BATCH)
                )
            ]
        for key in keys:
            with db.session() as session:
                # Locked, then read again: a refusal may have closed this window meanwhile.
                if not _count(session, key, now, only_open=False, dry=True, ended_by=now):
                    continue
                written += _summarise(session, _tally(session, key), now)
                session.execute(delete(AuditRefusalTally).where(_is(key)))
        if len(keys) < FLUSH_BATCH:
            return written


def refusals_of(event: AuditEvent) -> int:
    """How many refusals an audit row stands for: a summary's count, else one."""
    data = event.detail_data if event.actor == SYSTEM_ACTOR else None
    count = data.get(REFUSALS_KEY) if data else None
    return count if isinstance(count, int) and not isinstance(count, bool) else 1


def summary_text(event: AuditEvent) -> str | None:
    """ "N more refusals ... between T1 and T2" for a summary row; ``None`` for any other."""
    data = event.detail_data if event.actor == SYSTEM_ACTOR else None
    if not data or REFUSALS_KEY not in data:
        return None
    source = event.remote_addr or "an unknown address"
    return (
        f"{data[REFUSALS_KEY]} more {event.action} ({data.get('reason')}) from {source} "
        f"between {data.get('first_at')} and {data.get('last_at')}"
    )


def _is(key: Key) -> ColumnElement[bool]:
    source, action, reason = key
    return and_(
        AuditRefusalTally.source == source,
        AuditRefusalTally.action == action,
        AuditRefusalTally.reason == reason,
    )


def _count(
    session: Session,
    key: Key,
    now: datetime,
    *,
    only_open: bool,
    dry: bool = False,
    ended_by: datetime | None = None,
) -> bool:
    """Count one refusal into the key's tally (``dry``: only lock it); whether it exists
    (and, with ``only_open``, its window is still open at ``now``; with ``ended_by``, its
    window ended by then)."""
    when = literal(now, UTCDateTime())
    condition = _is(key)
    if only_open:
        condition = and_(condition, AuditRefusalTally.window_end > when)
    if ended_by is not None:
        condition = and_(
            condition, AuditRefusalTally.window_end <= literal(ended_by, UTCDateTime())
        )
    if dry:
        # A write that changes nothing: it takes the lock a real change would.
        values: dict[str, Any] = {"folded": AuditRefusalTally.folded}
    else:
        values = {
            "folded": AuditRefusalTally.folded + 1,
            "first_at": case(
                (
                    AuditRefusalTally.first_at.is_(None) | (AuditRefusalTally.first_at > when),
                    when,
                ),
                else_=AuditRefusalTally.first_at,
            ),
            "last_at": case(
                (AuditRefusalTally.last_at.is_(None) | (AuditRefusalTally.last_at < when), when),
                else_=AuditRefusalTally.last_at,
            ),
        }
    result = session.execute(
        update(AuditRefusalTally)
        .where(condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _open_window(session: Session, key: Key, now: datetime, interval: timedelta) -> bool:
    """Create the key's tally with a window from ``now``; False if it has one already."""
    source, action, reason = key
    statement = (
        upsert_insert(session)(AuditRefusalTally)
        .values(
            source=source,
            action=action,
            reason=reason,
            window_end=now + interval,
            folded=0,
            first_at=None,
            last_at=None,
        )
        .on_conflict_do_nothing()
        .returning(AuditRefusalTally.folded)
    )
    # A row back means it was inserted (an ORM insert's rowcount is not to be trusted).
    return session.execute(statement).first() is not None


def _tally(session: Session, key: Key) -> AuditRefusalTally:
    """The key's tally as stored now (the caller holds its lock)."""
    return session.scalars(
        select(AuditRefusalTally).where(_is(key)).execution_options(populate_existing=True)
    ).one()


def _summarise(session: Session, tally: AuditRefusalTally, now: datetime) -> int:
    """Audit the refusals counted in ``tally``'s window, if any; 1 if a row was written."""
    if tally.folded == 0:
        return 0
    assert tally.first_at is not None and tally.last_at is not None
    record(
        session,
        actor=SYSTEM_ACTOR,
        action=tally.action,
        detail={
            "reason": tally.reason,
            REFUSALS_KEY: tally.folded,
            "first_at": tally.first_at.isoformat(),
            "last_at": tally.last_at.isoformat(),
        },
        remote_addr=tally.source or None,
        at=now,
    )
    return 1
