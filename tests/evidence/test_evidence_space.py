"""Disk space for incoming evidence: accepted offers reserve it until their uploads end, and
uploads that go stale expire (issue 13)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hanoi.audit import list_events
from hanoi.cases.evidence import reserved_space
from hanoi.cases.evidence_transfer import expire_stale_uploads, push_due
from hanoi.cases.models import CaseRequest, RequestEvent
from hanoi.config import DEFAULT_EVIDENCE_UPLOAD_EXPIRY_HOURS
from hanoi.db.base import utcnow
from hanoi.demo.federation import DemoFederation
from hanoi.demo.serving import ServedNode
from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.transfer import (
    CHUNK_CONTENT_TYPE,
    TUS_VERSION,
    TransferRefused,
    push_payload,
)
from hanoi.runtime import evidence_loop
from tests.evidence.delivery import deliver, executed_mla, package_row, seal_for, wait_for
from tests.exchange.helpers import outbox, wait_delivered
from tests.federation import Running

MIB = 1024 * 1024
#: Room for two of the 1 MiB packages below (each a little over 1 MiB encrypted), not three.
LIMIT = 5 * MIB // 2


@pytest.fixture
def built(built: DemoFederation, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoFederation]:
    """The federation, its nodes started with HANOI_EVIDENCE_SPACE_LIMIT set."""
    monkeypatch.setenv("HANOI_EVIDENCE_SPACE_LIMIT", str(LIMIT))
    yield built


def _uploads_held(running: Running) -> ServedNode:
    """XB, its evidence worker stopped: offers go out, uploads wait for the test."""
    xb = running.node("XB")
    assert xb.runtime.evidence is not None
    xb.runtime.evidence.stop()
    return xb


def _offer(running: Running, reference: str, tmp_path: Path, name: str) -> str:
    package_id = deliver(running, reference, seal_for(running, reference, tmp_path, name, MIB))
    wait_delivered(running.node("XB"))
    return package_id


def _reserved(node: ServedNode) -> tuple[int, int]:
    with node.runtime.db.session() as session:
        return reserved_space(session)


def _status(node: ServedNode, package_id: str) -> str | None:
    row = package_row(node, package_id)
    return None if row is None else row.status


def test_offers_beyond_the_space_left_by_reservations_are_refused_until_uploads_end(
    running: Running, tmp_path: Path
) -> None:
    xa, xb = running.node("XA"), _uploads_held(running)
    assert xb.runtime.node is not None
    reference = executed_mla(running)
    first = _offer(running, reference, tmp_path, "first")
    second = _offer(running, reference, tmp_path, "second")
    assert _status(xa, first) == _status(xa, second) == "transferring"
    sizes = [package_row(xa, p).bytes_total for p in (first, second)]  # type: ignore[union-attr]
    assert all(size > MIB for size in sizes) and sum(sizes) <= LIMIT
    assert _reserved(xa) == (sum(sizes), 0)

    # Each alone would fit the limit; with the two reservations, a third does not.
    third = _offer(running, reference, tmp_path, "third")
    [refused] = [m for m in outbox(xb) if m.message_type == "evidence.offer"][-1:]
    assert refused.status == "quarantined"
    assert "no room" in str(refused.last_error)
    assert package_row(xa, third) is None
    assert _reserved(xa) == (sum(sizes), 0)

    # The uploads end: the packages land and are verified, their reservations released.
    with httpx.Client() as client:
        assert sorted(push_due(xb.runtime.db, xb.runtime.node, client)) == sorted([first, second])
    wait_for(lambda: _status(xa, first) == _status(xa, second) == "delivered")
    assert _reserved(xa) == (0, 0)
    fourth = _offer(running, reference, tmp_path, "fourth")
    assert _status(xa, fourth) == "transferring"


def _headers(token: str, **extra: str) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, "Authorization": f"Bearer {token}", **extra}


@pytest.mark.parametrize("backend", ["sqlite"])  # nothing here differs between databases
def test_a_stale_upload_expires_its_files_go_and_later_uploads_are_refused(
    running: Running, tmp_path: Path
) -> None:
    xa, xb = running.node("XA"), _uploads_held(running)
    assert xa.runtime.node is not None and xb.runtime.node is not None
    reference = executed_mla(running)
    package = seal_for(running, reference, tmp_path, "pkg", MIB)
    package_id = deliver(running, reference, package)
    wait_delivered(xb)
    wait_for(lambda: _status(xb, package_id) == "transferring")
    sent = package_row(xb, package_id)
    assert sent is not None and sent.upload_token is not None
    token = sent.upload_token
    url = f"{xa.runtime.node.url.rstrip('/')}/federation/v1/evidence/{package_id}/1"
    payload = (package / "payload" / "0001.age").read_bytes()
    piece = httpx.patch(
        url,
        content=payload[:1000],
        headers=_headers(token, **{"Upload-Offset": "0", "Content-Type": CHUNK_CONTENT_TYPE}),
    )
    assert piece.status_code == 204
    part = xa.runtime.node.home / "uploads" / package_id / "0001.part"
    assert part.stat().st_size == 1000
    assert _reserved(xa)[1] == 1000

    # Not stale yet: a minute before the default expiry, nothing happens.
    expiry = timedelta(hours=DEFAULT_EVIDENCE_UPLOAD_EXPIRY_HOURS)
    soon = utcnow() + expiry - timedelta(minutes=1)
    assert expire_stale_uploads(xa.runtime.db, xa.runtime.node, after=expiry, now=soon) == []
    assert part.exists() and _status(xa, package_id) == "transferring"

    # The node's evidence loop gives it up (here with an expiry of zero: stale at once).
    loop = evidence_loop(xa.runtime.db, xa.runtime.node, upload_expiry=timedelta(0))
    try:
        loop.run_once()
    finally:
        loop.stop()
    row = package_row(xa, package_id)
    assert row is not None and row.status == "failed"
    assert "expired" in str(row.last_error)
    assert not part.parent.exists()
    assert _reserved(xa) == (0, 0)
    with xa.runtime.db.session() as session:
        case = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
        assert case is not None
        events = session.scalars(
            select(RequestEvent).where(
                RequestEvent.request_id == case.id, RequestEvent.action == "evidence-expired"
            )
        ).all()
        assert [e.detail["package"] for e in events] == [package_id]
        [audited] = list_events(session, action="evidence.expired")
        assert package_id in str(audited.detail)

    # A later upload with the offer's token is refused, saying why; nothing is written.
    late = httpx.patch(
        url,
        content=payload[1000:2000],
        headers=_headers(token, **{"Upload-Offset": "1000", "Content-Type": CHUNK_CONTENT_TYPE}),
    )
    assert late.status_code == 404
    assert late.json()["title"] == "Upload closed"
    assert "expired" in late.json()["detail"]
    assert not part.parent.exists()
    # The sender's worker stops for good (its first HEAD has no body to say why: the
    # signed receipt below does).
    with httpx.Client() as client, pytest.raises(TransferRefused, match="HTTP 404"):
        push_payload(client, url, token, package / "payload" / "0001.age", len(payload))
    # A forged token still learns nothing about the upload.
    forged = httpx.patch(
        url,
        content=payload[1000:2000],
        headers=_headers("x" * 43, **{"Upload-Offset": "1000", "Content-Type": CHUNK_CONTENT_TYPE}),
    )
    assert forged.status_code == 404 and forged.json()["detail"] == "no such upload"

    # The sender is told with a signed receipt and shows the package failed, with why.
    wait_for(lambda: _status(xb, package_id) == "failed")
    failed = package_row(xb, package_id)
    assert failed is not None and "expired" in str(failed.last_error)
    assert isinstance(failed, EvidencePackage) and failed.upload_token is None
