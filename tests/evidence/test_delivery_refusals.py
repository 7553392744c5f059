"""Evidence uploads and deliveries that must be refused, and a cut-off upload resuming
(one federation on SQLite)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pyrage  # type: ignore[import-untyped]
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select

from hanoi.audit import flush_refusals, list_events, refusals_of
from hanoi.cases.errors import RequestNotFound
from hanoi.cases.evidence import (
    OFFER,
    EvidenceDeliveryError,
    NodeFiles,
    deliver_package,
)
from hanoi.cases.evidence_transfer import push_due
from hanoi.cases.lifecycle import Action
from hanoi.cases.messages import tell_other_node
from hanoi.cases.models import CaseRequest
from hanoi.crypto.jwk import b64url, kid_of
from hanoi.crypto.keys import KeyStore, format_time
from hanoi.db.base import utcnow
from hanoi.demo.federation import refresh_directories
from hanoi.demo.scenario import example_document
from hanoi.directory.repository import sign_entry
from hanoi.directory.view import DirectoryView
from hanoi.evidence.custody import CustodyEvent, add_event
from hanoi.evidence.manifest import Recipient, Sealer, parse_manifest
from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.package import seal_package
from hanoi.evidence.transfer import CHUNK_CONTENT_TYPE, TUS_VERSION, TransferFailed, push_payload
from tests.evidence.delivery import (
    deliver,
    evidence_files,
    executed_mla,
    officer_acts,
    package_row,
    seal_for,
    status_of,
    user_of,
    wait_for,
)
from tests.exchange.helpers import deliver_now, outbox, queue_request, wait_delivered
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
    # Every window ended, as the node's background loop finds them a minute on.
    flush_refusals(xa.runtime.db, now=utcnow() + timedelta(minutes=2))
    with xa.runtime.db.session() as session:
        refused = list_events(session, action="upload.refused")
    # Two forged tokens, the missing one, the unknown payload; offset conflicts are not
    # refusals (a resuming sender meets them) and the wrong Content-Type came with a token.
    # One row per kind at once, the other refusals of a kind counted into a summary row.
    assert sum(refusals_of(e) for e in refused) == 4
    kinds = {(e.detail_data or {}).get("error") for e in refused if e.actor != "system"}
    assert kinds == {"UploadNotFound", "BadUpload"}
    assert all("x" * 43 not in (e.detail or "") for e in refused)  # tokens never recorded


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


def test_a_completed_payload_is_never_sent_again(offered: Offered) -> None:
    """The receiver stopped after the last piece of a payload arrived, before completing it;
    later the sender's last answer is lost. Neither makes anything go twice or fail."""
    xa, xb = offered.running.node("XA"), offered.running.node("XB")
    assert xa.runtime.node is not None and xb.runtime.node is not None
    payload = _payload(offered)
    files = NodeFiles(xa.runtime.node.home)
    part = files.home / "uploads" / offered.package_id / "0001.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    wait_for(lambda: files.blobs.has(digest))  # XA's worker completed it

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
        second = (offered.package / "payload" / "0002.age").stat().st_size
        assert sum(sent) == second
        wait_for(
            lambda: (package_row(xb, offered.package_id) or EvidencePackage()).status == "delivered"
        )
        # A sender whose last answer was lost asks again: everything is there.
        answer = client.head(offered.url(), headers=_headers(offered.token))
        assert answer.status_code == 200 and int(answer.headers["Upload-Offset"]) == len(payload)
        push_payload(
            client,
            offered.url(),
            offered.token,
            offered.package / "payload" / "0001.age",
            len(payload),
        )
        assert sum(sent) == second
    finally:
        client.close()


def test_a_payload_being_written_is_busy_and_the_sender_backs_off(offered: Offered) -> None:
    xa = offered.running.node("XA")
    assert xa.runtime.node is not None
    part = xa.runtime.node.home / "uploads" / offered.package_id / "0001.part"
    part.parent.mkdir(parents=True)
    payload = _payload(offered)
    with part.open("ab") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another request is writing it
        assert _patch(offered, payload[:10], 0).status_code == 423
        requests: list[str] = []
        hooks = {"request": [lambda r: requests.append(r.method)]}
        with (
            httpx.Client(event_hooks=hooks) as client,
            pytest.raises(TransferFailed, match="423"),
        ):
            push_payload(
                client,
                offered.url(),
                offered.token,
                offered.package / "payload" / "0001.age",
                len(payload),
            )
        assert requests == ["HEAD", "PATCH"]  # no loop: the worker retries after a backoff


def test_offers_that_do_not_hold_are_refused(running: Running, tmp_path: Path) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    reference = executed_mla(running)
    good = seal_for(running, reference, tmp_path)
    manifest = (good / "manifest.json").read_text("utf-8")
    custody = (good / "custody.jsonld").read_text("utf-8")
    offer = {
        "package_id": json.loads(manifest)["package_id"],
        "manifest": manifest,
        "signature": (good / "manifest.jws").read_text("ascii").strip(),
        "custody": custody,
        "upload_token": "t" * 43,
    }

    def refusal(**changes: str) -> str:
        """Send XA an offer with ``changes``; the reason XA gave for refusing it."""
        assert xb.runtime.node is not None
        with xb.runtime.db.session() as session:
            case = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
            assert case is not None
            sent = tell_other_node(
                session, xb.runtime.node, case, OFFER, offer | changes, "officer", utcnow()
            )
            message_id = sent.message_id
        deliver_now(xb)
        [row] = [m for m in outbox(xb) if m.message_id == message_id]
        assert row.status == "quarantined"
        return str(row.last_error)

    edited = manifest.replace('"officer":"officer"', '"officer":"offices"')
    assert edited != manifest
    assert "does not verify" in refusal(manifest=edited)
    future = add_event(
        custody.encode(),
        parse_manifest(manifest.encode()),
        CustodyEvent(
            kind="transfer",
            performer="XB-CA/officer",
            organization="XB-CA",
            tool="test",
            at=utcnow() + timedelta(days=1),
            location="XB",
        ),
    ).decode()
    assert "in the future" in refusal(custody=future)
    assert "upload token" in refusal(upload_token="short")
    assert "disagree" in refusal(package_id="01" + "0" * 24)
    with xa.runtime.db.session() as session:
        assert list(session.scalars(select(EvidencePackage))) == []


def test_a_package_sealed_to_another_age_key_fails_at_the_sender(
    running: Running, tmp_path: Path
) -> None:
    """A stale directory copy at XB: the package verifies there, XA refuses the offer (it
    could never open it), and XB shows the package failed, with XA's reason."""
    xa, xb = running.node("XA"), running.node("XB")
    assert xb.runtime.node is not None
    reference = executed_mla(running)
    out = tmp_path / "stale"
    node = xb.runtime.node
    seal_package(
        evidence_files(tmp_path / "files"),
        out=out,
        recipient=Recipient(
            state="XA",
            authority="XA-CA",
            age_recipient=str(pyrage.x25519.Identity.generate().to_public()),
        ),
        sealer=Sealer(
            state="XB", authority="XB-CA", officer="officer", node_kid=node.signing_key.kid
        ),
        signing_key=node.signing_key,
        request=reference,
        now=utcnow(),
    )
    package_id = deliver(running, reference, out)
    wait_for(lambda: (package_row(xb, package_id) or EvidencePackage()).status == "failed")
    failed = package_row(xb, package_id)
    assert failed is not None and "another age key" in str(failed.last_error)
    assert failed.upload_token is None
    assert package_row(xa, package_id) is None


def test_a_sender_that_stalls_mid_piece_is_cut_off(
    offered: Offered, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hanoi.web import streaming

    monkeypatch.setattr(streaming, "READ_TIMEOUT", 1.0)
    payload = _payload(offered)
    url = urlsplit(offered.url())
    with socket.create_connection((url.hostname, url.port)) as raw:
        head = (
            f"PATCH {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Tus-Resumable: {TUS_VERSION}\r\nAuthorization: Bearer {offered.token}\r\n"
            f"Upload-Offset: 0\r\nContent-Type: {CHUNK_CONTENT_TYPE}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        raw.sendall(head.encode() + payload[:100_000])  # then silence, connection open
        raw.settimeout(30)
        answer = raw.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 408"), answer
    assert "upload-offset: 100000" in answer.lower()
    # The lock is free again: the sender goes on from there.
    assert _patch(offered, payload[100_000:100_010], 100_000).status_code == 204


def _publish_xb_key(running: Running, version: int, extra: dict[str, str]) -> None:
    """XB's directory entry again, as ``version``, listing ``extra`` beside its node keys;
    XA fetches it."""
    xa, xb = running.node("XA"), running.node("XB")
    assert xb.runtime.node is not None
    assert xa.runtime.node is not None
    entry = DirectoryView(xa.runtime.node.home).entry("XB")
    assert entry is not None
    raw = entry.model_dump(mode="json", exclude_none=True)
    raw["version"] = version
    raw["node"]["public_keys"].append(extra)
    private, kid = KeyStore(xb.runtime.node.home).signing_key()
    signed = sign_entry(json.dumps(raw).encode(), private, version=version, kid=kid)
    folder = running.federation.home / f"xb-entry-{version}"
    signed.write(folder)
    running.federation.repository.publish([folder])
    refresh_directories(running.federation)


def _offer_sealed_with(
    running: Running, reference: str, tmp_path: Path, key: Ed25519PrivateKey, sealed: datetime
) -> str:
    """XB offers XA a package sealed with ``key`` and claiming ``sealed`` as its time; the
    offer (a message signed by XB's node key) is delivered. XA's reason if it refused."""
    xa, xb = running.node("XA"), running.node("XB")
    assert xb.runtime.node is not None and xa.runtime.node is not None
    kid = kid_of(key.public_key())
    out = tmp_path / f"pkg-{kid[:8]}"
    manifest = seal_package(
        evidence_files(tmp_path / f"files-{kid[:8]}", 1000),
        out=out,
        recipient=Recipient(
            state="XA",
            authority="XA-CA",
            age_recipient=KeyStore(xa.runtime.node.home).age_recipient(),
        ),
        sealer=Sealer(state="XB", authority="XB-CA", officer="officer", node_kid=kid),
        signing_key=(key, kid),
        request=reference,
        now=sealed,
    )
    offer = {
        "package_id": manifest.package_id,
        "manifest": (out / "manifest.json").read_text("utf-8"),
        "signature": (out / "manifest.jws").read_text("ascii").strip(),
        "custody": (out / "custody.jsonld").read_text("utf-8"),
        "upload_token": "t" * 43,
    }
    with xb.runtime.db.session() as session:
        case = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
        assert case is not None
        message_id = tell_other_node(
            session, xb.runtime.node, case, OFFER, offer, "officer", utcnow()
        ).message_id
    deliver_now(xb)
    # XB's own delivery loop may hold the message at that moment: wait until it is settled.
    [row] = [m for m in wait_delivered(xb) if m.message_id == message_id]
    return "" if row.status == "delivered" else str(row.last_error)


def test_a_manifest_backdated_before_its_keys_revocation_is_refused(
    running: Running, tmp_path: Path
) -> None:
    """XB's entry lists a second signing key, revoked an hour ago; a manifest signed with
    it that claims to be sealed before the revocation is refused on arrival at XA. One
    signed with a key in its grace period, arriving before the grace ends, is accepted."""
    xa = running.node("XA")
    reference = executed_mla(running)
    now = utcnow()
    revoked, in_grace = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()

    def listed(key: Ed25519PrivateKey, **dates: datetime) -> dict[str, str]:
        x = b64url(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid_of(key.public_key())}
        return (
            jwk | {"use": "sig", "alg": "Ed25519"} | {k: format_time(v) for k, v in dates.items()}
        )

    _publish_xb_key(
        running,
        2,
        listed(revoked, created=now - timedelta(days=2), revoked_at=now - timedelta(hours=1))
        | {"status": "revoked"},
    )
    # Sealed (so it claims) three hours ago, while the key was still valid.
    reason = _offer_sealed_with(running, reference, tmp_path, revoked, now - timedelta(hours=3))
    assert "does not verify" in reason
    assert "signer key at receipt" in reason and "revoked" in reason
    with xa.runtime.db.session() as session:
        assert list(session.scalars(select(EvidencePackage))) == []

    _publish_xb_key(
        running,
        3,
        listed(in_grace, created=now - timedelta(days=2), not_after=now + timedelta(days=1))
        | {"status": "grace"},
    )
    assert (
        _offer_sealed_with(running, reference, tmp_path, in_grace, now - timedelta(hours=3)) == ""
    )
    with xa.runtime.db.session() as session:
        [accepted] = session.scalars(select(EvidencePackage)).all()
        assert accepted.status == "transferring"
