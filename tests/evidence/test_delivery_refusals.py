"""Evidence uploads and deliveries that must be refused, and a cut-off upload resuming
(one federation on SQLite)."""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from hanoi.audit import list_events
from hanoi.cases.evidence import (
    EvidenceDeliveryError,
    deliver_package,
    push_due,
)
from hanoi.cases.lifecycle import Action
from hanoi.cases.requests import RequestNotFound
from hanoi.demo.scenario import example_document
from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.transfer import CHUNK_CONTENT_TYPE, TUS_VERSION
from tests.evidence.delivery import (
    deliver,
    executed_mla,
    officer_acts,
    package_row,
    seal_for,
    status_of,
    user_of,
    wait_for,
)
from tests.exchange.helpers import queue_request, wait_delivered
from tests.federation import Running

# --- one federation on SQLite for the refusals ----------------------------------------------


@pytest.fixture
def backend() -> str:
    return "sqlite"


@dataclass
class Offered:
    running: Running
    reference: str
    package: Path
    package_id: str
    token: str

    def url(self, index: int = 1) -> str:
        node = self.running.node("XA")
        assert node.runtime.node is not None
        return (
            f"{node.runtime.node.url.rstrip('/')}/federation/v1/evidence/{self.package_id}/{index}"
        )


@pytest.fixture
def offered(running: Running, tmp_path: Path) -> Iterator[Offered]:
    """An offer XA holds, with XB's evidence worker stopped so the test drives the upload."""
    xb = running.node("XB")
    assert xb.runtime.evidence is not None
    xb.runtime.evidence.stop()
    reference = executed_mla(running)
    package = seal_for(running, reference, tmp_path)
    package_id = deliver(running, reference, package)
    wait_delivered(xb)
    wait_for(lambda: (package_row(xb, package_id) or EvidencePackage()).status == "transferring")
    sent = package_row(xb, package_id)
    assert sent is not None and sent.upload_token is not None
    yield Offered(running, reference, package, package_id, sent.upload_token)


def _headers(token: str, **extra: str) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, "Authorization": f"Bearer {token}", **extra}


def _patch(offered: Offered, data: bytes, offset: int, token: str | None = None, **extra: str):  # type: ignore[no-untyped-def]
    return httpx.patch(
        offered.url(),
        content=data,
        headers=_headers(
            token or offered.token,
            **{"Upload-Offset": str(offset), "Content-Type": CHUNK_CONTENT_TYPE, **extra},
        ),
    )


def _offset(offered: Offered) -> int:
    answer = httpx.head(offered.url(), headers=_headers(offered.token))
    assert answer.status_code == 200
    return int(answer.headers["Upload-Offset"])


def _settled_offset(offered: Offered) -> int:
    """The offset once the cut request has been wound up on the receiver."""
    last = -1
    while (now := _offset(offered)) != last:
        last = now
        time.sleep(0.3)
    return now


def _payload(offered: Offered) -> bytes:
    return (offered.package / "payload" / "0001.age").read_bytes()


def test_an_upload_cut_off_midway_resumes_where_it_stopped(offered: Offered) -> None:
    xa, xb = offered.running.node("XA"), offered.running.node("XB")
    assert xb.runtime.node is not None
    payload = _payload(offered)
    # A PATCH announcing the whole payload whose connection dies after 1 MiB.
    url = urlsplit(offered.url())
    with socket.create_connection((url.hostname, url.port)) as raw:
        head = (
            f"PATCH {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Tus-Resumable: {TUS_VERSION}\r\nAuthorization: Bearer {offered.token}\r\n"
            f"Upload-Offset: 0\r\nContent-Type: {CHUNK_CONTENT_TYPE}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        raw.sendall(head.encode() + payload[: 1024 * 1024])
    # The receiver keeps what reached it before the cut (some of that MiB may not have).
    held = _settled_offset(offered)
    assert 0 < held <= 1024 * 1024

    sent: list[int] = []
    client = httpx.Client(
        event_hooks={
            "request": [
                lambda r: sent.append(
                    int(r.headers.get("Content-Length", 0)) if r.method == "PATCH" else 0
                )
            ]
        }
    )
    try:
        assert push_due(xb.runtime.db, xb.runtime.node, client) == [offered.package_id]
    finally:
        client.close()
    total = sum(f.stat().st_size for f in (offered.package / "payload").iterdir())
    assert sum(sent) == total - held  # only what was missing went again
    wait_for(
        lambda: (package_row(xa, offered.package_id) or EvidencePackage()).status == "delivered"
    )


def test_uploads_need_the_offer_token_and_the_right_offset(offered: Offered) -> None:
    payload = _payload(offered)
    assert _patch(offered, payload[:10], 0, token="x" * 43).status_code == 404
    assert httpx.head(offered.url(), headers=_headers("x" * 43)).status_code == 404
    no_token = httpx.head(offered.url(), headers={"Tus-Resumable": TUS_VERSION})
    assert no_token.status_code == 400
    assert _patch(offered, payload[:10], 5).status_code == 409
    assert _patch(offered, payload[:10], 0, **{"Content-Type": "text/plain"}).status_code == 400
    other = offered.url(99)
    assert httpx.head(other, headers=_headers(offered.token)).status_code == 404
    too_long = _patch(offered, b"\0" * 10, len(payload) - 5)
    assert too_long.status_code == 413  # past the end of the payload
    assert _offset(offered) == 0
    ok = _patch(offered, payload[:10], 0)
    assert ok.status_code == 204 and ok.headers["Upload-Offset"] == "10"
    beyond = _patch(offered, b"\0" * len(payload), 10)
    assert beyond.status_code == 413
    assert _offset(offered) == 10
    xa = offered.running.node("XA")
    with xa.runtime.db.session() as session:
        refused = list_events(session, action="upload.refused")
    # Two forged tokens, the missing one, the unknown payload; offset conflicts are not
    # refusals (a resuming sender meets them) and the wrong Content-Type came with a token.
    assert len(refused) == 4
    assert all(offered.token not in (e.detail or "") for e in refused)


def test_a_payload_with_other_bytes_is_discarded_whole(offered: Offered) -> None:
    payload = bytearray(_payload(offered))
    payload[-1] ^= 0x01
    answer = _patch(offered, bytes(payload), 0)
    assert answer.status_code == 422
    assert "hash" in answer.json()["title"].lower()
    assert _offset(offered) == 0
    xa = offered.running.node("XA")
    row = package_row(xa, offered.package_id)
    assert row is not None and row.status == "transferring"


def test_deliveries_that_do_not_fit_the_request_are_refused(
    running: Running, tmp_path: Path
) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    assert xb.runtime.node is not None and xa.runtime.node is not None
    reference = executed_mla(running)
    package = seal_for(running, reference, tmp_path)
    db, node = xb.runtime.db, xb.runtime.node

    with pytest.raises(RequestNotFound):  # the 24/7 point does not handle this request
        deliver_package(db, node, user=user_of(xb, "duty"), reference=reference, package=package)
    with pytest.raises(EvidenceDeliveryError, match="requested State"):
        deliver_package(
            xa.runtime.db,
            xa.runtime.node,
            user=user_of(xa, "officer"),
            reference=reference,
            package=package,
        )

    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for item in package.rglob("*"):
        target = tampered / item.relative_to(package)
        if item.is_dir():
            target.mkdir()
        else:
            target.write_bytes(item.read_bytes())
    payload = tampered / "payload" / "0002.age"
    payload.write_bytes(payload.read_bytes()[:-1] + bytes([payload.read_bytes()[-1] ^ 1]))
    with pytest.raises(EvidenceDeliveryError, match=r"0002\.age"):
        deliver_package(
            db, node, user=user_of(xb, "officer"), reference=reference, package=tampered
        )

    other = queue_request(
        xa, "officer", example_document("mla", date_of_request=time.strftime("%Y-%m-%d"))
    )
    wait_delivered(xa)
    wait_for(lambda: status_of(xb, other) == "received")
    with pytest.raises(EvidenceDeliveryError, match="is received"):
        deliver_package(db, node, user=user_of(xb, "officer"), reference=other, package=package)
    officer_acts(xb, other, Action.ACKNOWLEDGE)
    officer_acts(xb, other, Action.START)
    with pytest.raises(EvidenceDeliveryError, match=f"sealed for request {reference}"):
        deliver_package(db, node, user=user_of(xb, "officer"), reference=other, package=package)

    deliver_package(db, node, user=user_of(xb, "officer"), reference=reference, package=package)
    with pytest.raises(EvidenceDeliveryError, match="delivered before"):
        deliver_package(db, node, user=user_of(xb, "officer"), reference=reference, package=package)
    with xb.runtime.db.session() as session:
        assert len(list(session.scalars(select(EvidencePackage)))) == 1


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
