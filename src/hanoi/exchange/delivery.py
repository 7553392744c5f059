"""Delivering the outbox: claim due messages, POST them, store the receipts.

A message is *claimed* in a short transaction that sets a lease on it (on PostgreSQL the
candidate rows are read ``FOR UPDATE SKIP LOCKED``, so several workers never wait on each
other or take the same row); it is then sent outside any transaction, and the answer is
recorded in a second short transaction. A worker that dies after claiming only delays the
message until its lease runs out; one that dies after the peer stored the message but before
recording the receipt sends it again, and the peer answers with its first receipt.

Messages about the same request go out in the order they were queued: a message is only due
once no earlier message of its request is still pending.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from hanoi.audit.service import SYSTEM_ACTOR, record
from hanoi.crypto.envelope import EnvelopeError, Party
from hanoi.crypto.receipts import Receipt, verify_receipt
from hanoi.db import Database
from hanoi.db.base import utcnow
from hanoi.exchange.errors import ExchangeError
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.models import DeliveryState, OutboxMessage
from hanoi.exchange.receipt_proofs import log_receipt
from hanoi.exchange.transport import Answer, HttpTransport, Transport

log = logging.getLogger(__name__)

#: Longer than an HTTP attempt may take (10 s); a send that outlives it may be repeated by
#: another worker, which is harmless: the receiver answers a repeat with its first receipt.
LEASE = timedelta(seconds=15)
FIRST_RETRY = timedelta(seconds=1)
MAX_RETRY = timedelta(minutes=5)
#: Answers that mean "try again later"; any other 4xx is the peer's final word.
RETRYABLE_STATUS = frozenset({408, 425, 429})

ReceiptHook = Callable[[Session, OutboxMessage, Receipt], None]
"""Called in the transaction that records a receipt: the domain's reaction to delivery."""

_random = secrets.SystemRandom()


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.quarantined)


@dataclass(frozen=True)
class _Claimed:
    seq: int
    message_id: str
    recipient: Party
    token: str
    token_sha256: str
    expires_at: datetime
    attempts: int


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: about 1 s, 2 s, 4 s ... capped at 5 minutes, each
    scaled by a random factor in [0.5, 1] so that many senders do not retry in step."""
    exponent = min(max(attempts - 1, 0), 20)
    base: timedelta = min(MAX_RETRY, FIRST_RETRY * 2**exponent)
    return base * _random.uniform(0.5, 1.0)


def claim_due(db: Database, *, now: datetime, limit: int) -> list[_Claimed]:
    """Lease up to ``limit`` due messages to this worker.

    Each lease is taken with a compare-and-set ``UPDATE`` (only if the row is still pending
    and unleased), so two workers never hold the same message, on either backend; on
    PostgreSQL the candidates are also read ``FOR UPDATE SKIP LOCKED``, so concurrent
    workers pick different rows instead of queueing behind each other.
    """
    earlier = aliased(OutboxMessage)
    pending = DeliveryState.PENDING.value
    blocked = exists().where(
        and_(
            earlier.request_id == OutboxMessage.request_id,
            earlier.status == pending,
            earlier.seq < OutboxMessage.seq,
        )
    )
    free = or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now)
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == pending,
            OutboxMessage.next_attempt_at <= now,
            free,
            or_(OutboxMessage.request_id.is_(None), ~blocked),
        )
        .order_by(OutboxMessage.seq)
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboxMessage)
    )
    claimed = []
    with db.session() as session:
        for row in list(session.scalars(query)):
            taken = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.seq == row.seq, OutboxMessage.status == pending, free)
                .values(lease_until=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another worker leased it first
            claimed.append(
                _Claimed(
                    seq=row.seq,
                    message_id=row.message_id,
                    recipient=Party(row.recipient_state, row.recipient_authority),
                    token=row.token,
                    token_sha256=row.token_sha256,
                    expires_at=row.expires_at,
                    attempts=row.attempts,
                )
            )
    return claimed


def deliver_due(
    db: Database,
    node: LocalNode,
    transport: Transport,
    *,
    now: datetime | None = None,
    limit: int = 50,
    parallel: int = 1,
    on_receipt: ReceiptHook | None = None,
) -> DeliveryReport:
    """Send what is due now, once each, up to ``parallel`` at a time (messages of one
    request are never in flight together: see :func:`claim_due`); return what happened to
    each message."""
    claimed = claim_due(db, now=now or utcnow(), limit=limit)
    report = DeliveryReport()

    def one(message: _Claimed) -> tuple[str, str]:
        return _deliver_one(db, node, transport, message, now, on_receipt), message.message_id

    if parallel > 1 and len(claimed) > 1:
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="hanoi-send") as pool:
            outcomes = list(pool.map(one, claimed))
    else:
        outcomes = [one(message) for message in claimed]
    for outcome, message_id in outcomes:
        getattr(report, outcome).append(message_id)
    return report


def _deliver_one(
    db: Database,
    node: LocalNode,
    transport: Transport,
    message: _Claimed,
    now: datetime | None,
    on_receipt: ReceiptHook | None,
) -> str:
    moment = now or utcnow()
    if moment >= message.expires_at:
        _quarantine(db, message, "expired before it could be delivered", moment)
        return "quarantined"
    try:
        peer = node.peers.peer(message.recipient.state, moment)
        answer = transport.post(peer.endpoint, message.token)
    except ExchangeError as exc:  # a TransportFailure too
        _retry(db, message, str(exc), moment)
        return "retrying"
    return _settle(db, node, message, answer, now or utcnow(), on_receipt)


def _settle(
    db: Database,
    node: LocalNode,
    message: _Claimed,
    answer: Answer,
    now: datetime,
    on_receipt: ReceiptHook | None,
) -> str:
    if answer.status == 200 and answer.body is not None:
        token = answer.body.get("receipt")
        try:
            receipt = verify_receipt(
                token if isinstance(token, str) else "",
                verification_keys=node.peers.signer_keys(),
                expected_message_digest=message.token_sha256,
                expected_receiver=message.recipient,
                now=now,
            )
        except EnvelopeError as exc:
            # Perhaps our directory copy lags behind a key rotation: try again later.
            _retry(db, message, f"the receipt does not verify: {exc}", now)
            return "retrying"
        assert isinstance(token, str)
        _delivered(db, node.state, message, token, receipt, now, on_receipt)
        return "delivered"
    problem = _problem_text(answer)
    if answer.status >= 500 or answer.status in RETRYABLE_STATUS or answer.status == 200:
        _retry(db, message, problem, now)
        return "retrying"
    _quarantine(db, message, problem, now)
    return "quarantined"


def _problem_text(answer: Answer) -> str:
    body = answer.body or {}
    detail = body.get("detail") or body.get("title") or "no explanation"
    return f"HTTP {answer.status}: {str(detail)[:500]}"


def _delivered(
    db: Database,
    state: str,
    claimed: _Claimed,
    receipt_token: str,
    receipt: Receipt,
    now: datetime,
    on_receipt: ReceiptHook | None,
) -> None:
    with db.session() as session:
        row = _settle_once(session, claimed)
        if row is None:
            return
        row.attempts += 1
        row.delivered_at = receipt.received_at
        row.receipt = receipt_token
        row.receipt_leaf = log_receipt(session, state, row, receipt_token, receipt)
        row.lease_until = None
        row.last_error = None
        record(
            session,
            actor=SYSTEM_ACTOR,
            action="message.delivered",
            target_type="message",
            target_id=row.message_id,
            detail={"to": row.recipient_authority, "received_at": receipt.received_at.isoformat()},
            at=now,
        )
        if on_receipt is not None:
            on_receipt(session, row, receipt)


def _retry(db: Database, claimed: _Claimed, error: str, now: datetime) -> None:
    with db.session() as session:
        row = _pending_row(session, claimed)
        if row is None:
            return
        row.attempts += 1
        row.last_error = error[:1000]
        row.next_attempt_at = now + retry_delay(row.attempts)
        row.lease_until = None
    log.info(
        "message %s not delivered (attempt %d): %s", claimed.message_id, claimed.attempts + 1, error
    )


def _quarantine(db: Database, claimed: _Claimed, reason: str, now: datetime) -> None:
    with db.session() as session:
        row = _pending_row(session, claimed)
        if row is None:
            return
        row.status = DeliveryState.QUARANTINED.value
        row.attempts += 1
        row.last_error = reason[:1000]
        row.lease_until = None
        record(
            session,
            actor=SYSTEM_ACTOR,
            action="message.quarantined",
            target_type="message",
            target_id=row.message_id,
            detail={"to": row.recipient_authority, "reason": reason[:500]},
            at=now,
        )
    log.warning("message %s quarantined: %s", claimed.message_id, reason)


def _settle_once(session: Session, claimed: _Claimed) -> OutboxMessage | None:
    """Mark the message delivered if it is still pending, by one conditional UPDATE: of two
    workers settling the same message (a lease that ran out), exactly one gets the row,
    so its receipt is stored and logged once. ``None`` for the other."""
    changed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.seq == claimed.seq,
            OutboxMessage.status == DeliveryState.PENDING.value,
        )
        .values(status=DeliveryState.DELIVERED.value)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], changed).rowcount != 1:
        return None  # another worker settled it meanwhile
    return session.get(OutboxMessage, claimed.seq, populate_existing=True)


def _pending_row(session: Session, claimed: _Claimed) -> OutboxMessage | None:
    row = session.get(OutboxMessage, claimed.seq, with_for_update=True)
    if row is None or row.status != DeliveryState.PENDING.value:
        return None  # another worker settled it meanwhile
    return row


class Worker:
    """The node's delivery loop, in a background thread of the node's process.

    It sends what is due, sleeps until the next retry is due (at most ``idle`` seconds),
    and wakes at once when :meth:`wake` is called (after something was queued). ``tick``
    runs once per loop for timers (e.g. preservation lapsing).
    """

    def __init__(
        self,
        db: Database,
        node: LocalNode,
        *,
        transport: Transport | None = None,
        on_receipt: ReceiptHook | None = None,
        tick: Callable[[], None] | None = None,
        idle: float = 1.0,
        parallel: int = 4,
    ) -> None:
        self.db = db
        self.node = node
        self.transport = transport or HttpTransport()
        self.on_receipt = on_receipt
        self.tick = tick
        self.idle = idle
        self.parallel = parallel
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hanoi-delivery", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> DeliveryReport:
        if self.tick is not None:
            self.tick()
        return deliver_due(
            self.db, self.node, self.transport, parallel=self.parallel, on_receipt=self.on_receipt
        )

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.run_once()
            except Exception:  # a database hiccup must not end delivery for good
                log.exception("delivery loop failed; retrying")
                report = DeliveryReport()
            if report.attempted and not report.retrying:
                continue  # more may be waiting right behind
            self._wake.wait(self.idle)
            self._wake.clear()
