"""Delivery between two real nodes over HTTP: receipts on both sides, duplicates, retries,
quarantine, and everything a receiving node must refuse."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from hanoi.audit import flush_refusals, refusals_of
from hanoi.audit.models import AuditEvent
from hanoi.cases.handlers import message_handler, receipt_hook
from hanoi.crypto.envelope import (
    ExpiredMessage,
    MessageClaims,
    Party,
    new_message_id,
    seal_message,
    token_sha256,
)
from hanoi.crypto.receipts import verify_receipt
from hanoi.demo.serving import serve_node
from hanoi.exchange.inbox import receive
from hanoi.exchange.models import DeliveryState
from hanoi.exchange.outbox import enqueue
from hanoi.exchange.peers import FEDERATION_PATH
from tests.exchange.conftest import Running
from tests.exchange.helpers import (
    count_requests,
    deliver_now,
    inbox,
    outbox,
    queue_request,
    status,
    wait_delivered,
)


def _endpoint(running: Running, code: str) -> str:
    return running.federation.nodes[code].url + FEDERATION_PATH


def _refusals(running: Running, code: str) -> list[AuditEvent]:
    with running.node(code).runtime.db.session() as session:
        return list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "message.refused"))
        )


def _seal(running: Running, payload: bytes = b"{}", **changes: object) -> tuple[str, MessageClaims]:
    """A message from XA's node to XB's 24/7 point, sealed with XA's real keys."""
    xa = running.node("XA").runtime.node
    assert xa is not None
    now = datetime.now(UTC)
    claims = MessageClaims(
        message_id=new_message_id(),
        message_type="request.action",
        sender=Party("XA", "XA-247"),
        recipient=Party("XB", "XB-247"),
        issued_at=now,
        expires_at=now + timedelta(hours=1),
    )
    claims = dataclasses.replace(claims, **changes)  # type: ignore[arg-type]
    peer = xa.peers.peer("XB")
    token = seal_message(
        payload, claims=claims, signing_key=xa.signing_key, recipient_key=peer.encryption_key
    )
    return token, claims


def test_a_request_travels_with_a_signed_receipt_kept_on_both_sides(running: Running) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    xa.runtime.stop()  # delivered by hand below: XA's own worker must not take it first
    reference = queue_request(xa)
    assert status(xa, reference) == "sent"

    report = deliver_now(xa)

    assert len(report.delivered) == 1 and not report.retrying and not report.quarantined
    [sent] = outbox(xa)
    [received] = inbox(xb)
    assert sent.status == DeliveryState.DELIVERED.value and sent.attempts == 1
    assert received.message_id == sent.message_id and received.token_sha256 == sent.token_sha256
    assert sent.receipt == received.receipt  # the same signed receipt on both sides
    assert xa.runtime.node is not None
    receipt = verify_receipt(
        sent.receipt or "",
        verification_keys=xa.runtime.node.peers.signer_keys(),
        expected_message_digest=sent.token_sha256,
        expected_receiver=Party("XB", "XB-247"),
        now=datetime.now(UTC),
    )
    assert receipt.message_id == sent.message_id
    assert status(xa, reference) == status(xb, reference) == "received"


def test_the_same_message_twice_is_stored_once_and_gets_the_first_receipt(running: Running) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    queue_request(xa)
    deliver_now(xa)
    # The node's own worker may hold the message's lease: wait for whoever delivers it.
    [sent] = wait_delivered(xa)

    again = httpx.post(
        _endpoint(running, "XB"), content=sent.token, headers={"Content-Type": "application/jose"}
    )

    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["receipt"] == sent.receipt
    assert len(inbox(xb)) == 1 and count_requests(xb) == 1


def test_a_reused_message_id_with_other_content_is_refused_as_a_replay(running: Running) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    queue_request(xa)
    deliver_now(xa)
    [sent] = wait_delivered(xa)
    forged, _ = _seal(running, b'{"other": true}', message_id=sent.message_id)

    answer = httpx.post(_endpoint(running, "XB"), content=forged)

    assert answer.status_code == 409
    assert "replay" in answer.json()["detail"]
    assert len(inbox(xb)) == 1
    assert _refusals(running, "XB")


def test_messages_a_receiver_must_refuse(running: Running) -> None:
    xb = running.node("XB")
    endpoint = _endpoint(running, "XB")
    cases: list[tuple[str, bytes | str, int, str]] = []

    # Signed by a key no directory entry lists for XA, under XA's real kid.
    xa_node = running.node("XA").runtime.node
    assert xa_node is not None
    stranger = Ed25519PrivateKey.generate()
    peer = xa_node.peers.peer("XB")
    now = datetime.now(UTC)
    claims = MessageClaims(
        new_message_id(),
        "request.action",
        Party("XA", "XA-247"),
        Party("XB", "XB-247"),
        now,
        now + timedelta(hours=1),
    )
    forged = seal_message(
        b"{}",
        claims=claims,
        signing_key=(stranger, xa_node.signing_key.kid),
        recipient_key=peer.encryption_key,
    )
    cases.append(("forged signature", forged, 403, "signature"))
    unknown = seal_message(
        b"{}", claims=claims, signing_key=(stranger, "k" * 43), recipient_key=peer.encryption_key
    )
    cases.append(("unknown signer key", unknown, 403, "signer key"))
    wrong, _ = _seal(running, recipient=Party("XC", "XC-CA"))
    cases.append(("addressed to another State", wrong, 421, "recipient"))
    skewed, _ = _seal(
        running, issued_at=now + timedelta(minutes=10), expires_at=now + timedelta(hours=1)
    )
    cases.append(("issued ten minutes ahead", skewed, 422, "future"))
    cases.append(("not a token", "not a token", 400, "structure"))
    cases.append(("oversized", "a" * (1024 * 1024 + 1), 413, "exceeds"))
    nonsense, _ = _seal(
        running, b'{"format": "hanoi-request-message/1", "reference": "XA-2026-999999"}'
    )
    cases.append(("about no known request", nonsense, 422, "XA-2026-999999"))

    for name, body, expected, words in cases:
        answer = httpx.post(endpoint, content=body, headers={"Content-Type": "application/jose"})
        assert answer.status_code == expected, (name, answer.text)
        assert answer.headers["content-type"] == "application/problem+json", name
        assert words in answer.json()["detail"], (name, answer.json())
    assert inbox(xb) == [] and count_requests(xb) == 0
    assert len(_refusals(running, "XB")) == len(cases)


@pytest.fixture
def day_long_refusal_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Named before ``running``, so its nodes read it: longer than any test takes, so the
    rows counted below do not depend on how fast the test runs."""
    monkeypatch.setenv("HANOI_AUDIT_REFUSAL_INTERVAL", "86400")


def test_a_flood_of_refused_messages_adds_two_rows_that_count_every_one(
    day_long_refusal_window: None, running: Running
) -> None:
    xb = running.node("XB")
    endpoint = _endpoint(running, "XB")
    with httpx.Client() as client:
        for n in range(200):
            body = "not a token" if n % 2 else "a" * (1024 * 1024 + 1)
            answer = client.post(endpoint, content=body)
            assert answer.status_code == (400 if n % 2 else 413)
    assert len(_refusals(running, "XB")) == 2  # one per kind; the others are being counted
    flush_refusals(xb.runtime.db, now=datetime.now(UTC) + timedelta(days=1, seconds=1))
    refused = _refusals(running, "XB")
    assert len(refused) == 4
    per_kind: dict[str, int] = {}
    for event in refused:
        kind = (event.detail_data or {})["error" if event.actor != "system" else "reason"]
        per_kind[kind] = per_kind.get(kind, 0) + refusals_of(event)
    assert sum(per_kind.values()) == 200
    assert sorted(per_kind.values()) == [100, 100] and len(per_kind) == 2
    assert {event.remote_addr for event in refused} == {"127.0.0.1"}


def test_a_deeply_nested_payload_is_refused_and_the_sender_quarantines_it(
    running: Running,
) -> None:
    """A signed message whose payload nests deeper than any JSON Hanoi reads gets a 4xx
    problem (not a 500 the sender would retry for days), audited as other refusals are."""
    xa, xb = running.node("XA"), running.node("XB")
    xa.runtime.stop()  # delivered by hand below
    # Deeper than Python can recurse: json.loads alone would raise RecursionError.
    deepest = b'{"format": "hanoi-request-message/1", "x": ' + b"[" * 100_000
    deepest += b"]" * 100_000 + b"}"
    token, _ = _seal(running, deepest)
    answer = httpx.post(
        _endpoint(running, "XB"), content=token, headers={"Content-Type": "application/jose"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert "nested deeper than 32 levels" in answer.json()["detail"]
    [refusal] = _refusals(running, "XB")
    assert "nested deeper" in (refusal.detail_data or {})["reason"]

    # Sent through XA's outbox (which can seal only what it can canonicalise): quarantined
    # at the first answer with the receiver's reason, never retried.
    assert xa.runtime.node is not None
    with xa.runtime.db.session() as session:
        enqueue(
            session,
            xa.runtime.node,
            sender=Party("XA", "XA-247"),
            recipient=Party("XB", "XB-247"),
            message_type="request.action",
            payload={"format": "hanoi-request-message/1", "x": json.loads("[" * 40 + "]" * 40)},
            actor="test",
        )
    report = deliver_now(xa)
    assert len(report.quarantined) == 1 and not report.retrying
    [row] = outbox(xa)
    assert row.status == "quarantined" and "nested deeper" in (row.last_error or "")
    assert inbox(xb) == [] and count_requests(xb) == 0


def test_an_expired_message_is_refused(running: Running) -> None:
    # The keys were made seconds ago, so an old message cannot be signed honestly: the
    # receiver's clock is moved forward instead, through the service API.
    xb = running.node("XB")
    assert xb.runtime.node is not None
    token, claims = _seal(running)
    later = claims.expires_at + timedelta(minutes=6)
    with pytest.raises(ExpiredMessage):
        receive(
            xb.runtime.db,
            xb.runtime.node,
            token.encode(),
            handler=message_handler(xb.runtime.node),
            now=later,
        )
    assert inbox(xb) == [] and _refusals(running, "XB")


def test_a_few_minutes_of_clock_skew_are_tolerated(running: Running) -> None:
    now = datetime.now(UTC)
    ahead, _ = _seal(
        running,
        b'{"format": "x"}',
        issued_at=now + timedelta(minutes=3),
        expires_at=now + timedelta(hours=1),
    )
    answer = httpx.post(_endpoint(running, "XB"), content=ahead)
    # Past the clock check: refused only for its content, which proves the time passed.
    assert answer.status_code == 422 and "not a hanoi-request-message" in answer.json()["detail"]


def test_a_receiver_down_for_minutes_gets_everything_once_it_is_back(running: Running) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    xa.runtime.stop()  # deliveries below are driven by hand, at simulated times
    xb.stop()
    references = [queue_request(xa) for _ in range(3)]
    start = datetime.now(UTC)

    first = deliver_now(xa, now=start)
    assert sorted(first.retrying) == sorted(r.message_id for r in outbox(xa))
    waits = [r.next_attempt_at - start for r in outbox(xa)]
    assert all(timedelta(seconds=0.5) <= w <= timedelta(seconds=1) for w in waits)
    for minute in range(1, 6):  # nothing is due before its backoff; each failure doubles it
        deliver_now(xa, now=start + timedelta(minutes=minute))
    attempts = [r.attempts for r in outbox(xa)]
    assert all(a == 6 for a in attempts) and all(r.status == "pending" for r in outbox(xa))
    assert all("ConnectError" in (r.last_error or "") for r in outbox(xa))

    restarted = serve_node(xb.node, settings=running.federation.settings(xb.node))
    try:
        running.served["XB"] = restarted
        deliver_now(xa, now=start + timedelta(minutes=10))
        rows = outbox(xa)
        assert all(r.status == "delivered" for r in rows), [r.last_error for r in rows]
        assert len(inbox(restarted)) == 3
        assert all(status(xa, ref) == status(restarted, ref) == "received" for ref in references)
    finally:
        restarted.stop()


def test_a_message_the_receiver_rejects_is_quarantined_with_its_reason(running: Running) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    xa.runtime.stop()
    # XB no longer has the authority the request is addressed to.
    document = queue_request(xa, document=None)
    with xb.runtime.db.session() as session:
        from hanoi.accounts.models import Authority

        authority = session.scalar(select(Authority).where(Authority.code == "XB-247"))
        assert authority is not None
        authority.code = "XB-OLD"

    report = deliver_now(xa)

    assert len(report.quarantined) == 1
    [row] = outbox(xa)
    assert row.status == "quarantined" and "no authority XB-247" in (row.last_error or "")
    assert status(xa, document) == "sent"  # never marked received
    assert count_requests(xb) == 0


@pytest.mark.parametrize("workers", [3])
def test_several_workers_send_each_message_once(running: Running, workers: int) -> None:
    import threading

    xa, xb = running.node("XA"), running.node("XB")
    xa.runtime.stop()
    for _ in range(20):
        queue_request(xa)
    posts: list[str] = []
    lock = threading.Lock()

    class Counting:
        def __init__(self) -> None:
            from hanoi.exchange.transport import HttpTransport

            self.inner = HttpTransport()

        def post(self, url: str, token: str):  # type: ignore[no-untyped-def]
            with lock:
                posts.append(token_sha256(token))
            return self.inner.post(url, token)

    def work() -> None:
        from hanoi.exchange.delivery import deliver_due

        assert xa.runtime.node is not None
        transport = Counting()
        while deliver_due(
            xa.runtime.db, xa.runtime.node, transport, limit=3, on_receipt=receipt_hook()
        ).attempted:
            pass

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    rows = wait_delivered(xa)
    assert all(r.status == "delivered" for r in rows)
    assert len(posts) == len(set(posts)) == 20  # each sent exactly once
    assert len(inbox(xb)) == 20


def test_a_message_settled_by_two_workers_logs_its_receipt_once(running: Running) -> None:
    """Worker A's POST outlives its lease; worker B (its clock past the lease) sends the
    same message and stores the receipt; A then gets the receipt again (a duplicate) and
    must neither store nor log it a second time."""
    import threading

    from hanoi.exchange.delivery import LEASE, deliver_due
    from hanoi.exchange.transport import HttpTransport
    from hanoi.ledger.queue_models import LedgerPending

    xa = running.node("XA")
    xa.runtime.stop()  # no worker of its own, and no ledger worker integrating meanwhile
    queue_request(xa)
    node = xa.runtime.node
    assert node is not None
    b_done = threading.Event()

    class HeldBack(HttpTransport):
        def post(self, url: str, token: str):  # type: ignore[no-untyped-def]
            b_done.wait(30)  # A's request reaches the receiver only after B settled
            return super().post(url, token)

    reports = {}

    def worker_a() -> None:
        reports["A"] = deliver_due(xa.runtime.db, node, HeldBack(), on_receipt=receipt_hook())

    a = threading.Thread(target=worker_a)
    a.start()
    wait_for_lease = time.monotonic() + 10
    while not outbox(xa)[0].lease_until and time.monotonic() < wait_for_lease:
        time.sleep(0.01)
    later = datetime.now(UTC) + LEASE + timedelta(seconds=1)
    reports["B"] = deliver_now(xa, now=later)
    b_done.set()
    a.join(60)

    assert len(reports["B"].delivered) == 1 and len(reports["A"].delivered) == 1
    [row] = outbox(xa)
    assert row.status == "delivered" and row.receipt_leaf
    with xa.runtime.db.session() as session:
        details = [bytes(d) for d in session.scalars(select(LedgerPending.detail))]
    logged = [d for d in details if row.message_id.encode() in d and b"receipt_sha256" in d]
    assert len(logged) == 1
