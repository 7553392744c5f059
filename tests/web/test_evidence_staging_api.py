"""Evidence sealed and delivered from a request's staging folder through the JSON API, with
tokens only: a file uploaded in pieces (resumed after a wrong offset), another dropped in
the folder by hand, both sealed and delivered in one call and opened at the other State;
and every refusal on the way."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select

from hanoi.audit.models import AuditEvent
from hanoi.cases.evidence import open_received
from hanoi.crypto.keys import KeyStore
from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.staging import MAX_CHUNK_BYTES
from hanoi.evidence.transfer import CHUNK_CONTENT_TYPE
from tests.evidence.delivery import executed_mla, package_row, status_of, user_of, wait_for
from tests.exchange.helpers import queue_request, wait_delivered
from tests.federation import Running
from tests.web.test_api_journey import _api, _problem, _token

MiB = 1024 * 1024


def _piece(api, reference: str, upload_id: str, offset: int, data: bytes):  # type: ignore[no-untyped-def]
    return api.patch(
        f"/requests/{reference}/evidence/uploads/{upload_id}",
        content=data,
        headers={"Upload-Offset": str(offset), "Content-Type": CHUNK_CONTENT_TYPE},
    )


def _declared_only(running: Running, api, url: str, length: int, offset: int) -> bytes:  # type: ignore[no-untyped-def]
    """The answer to a PATCH declaring ``length`` bytes that sends none: refused at once."""
    address = urlsplit(str(api.base_url))
    with socket.create_connection((address.hostname, address.port)) as raw:
        raw.sendall(
            (
                f"PATCH {address.path}{url} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                f"Authorization: {api.headers['Authorization']}\r\n"
                f"Upload-Offset: {offset}\r\nContent-Type: {CHUNK_CONTENT_TYPE}\r\n"
                f"Content-Length: {length}\r\n\r\n"
            ).encode()
        )
        return raw.recv(4096)


def _staging(running: Running, state: str) -> Path:
    node = running.node(state).runtime.node
    assert node is not None
    return node.home / "staging"


def test_upload_in_pieces_seal_deliver_and_open(running: Running, tmp_path: Path) -> None:
    reference = executed_mla(running)
    xa, xb = running.node("XA"), running.node("XB")
    content = os.urandom(7 * MiB + 123)
    folder = _staging(running, "XB") / reference

    with _api(running, "XB", _token(running, "XB", "officer")) as api:
        assert api.get(f"/requests/{reference}/evidence/staging").json() == {
            "files": [],
            "uploads": [],
        }
        started = api.post(
            f"/requests/{reference}/evidence/uploads",
            json={"name": "mailbox.mbox", "size": len(content)},
        )
        assert started.status_code == 201, started.text
        upload_id = started.json()["id"]
        assert started.json()["offset"] == 0
        url = f"/requests/{reference}/evidence/uploads/{upload_id}"

        first = _piece(api, reference, upload_id, 0, content[: 2 * MiB])
        assert first.status_code == 204, first.text
        assert first.headers["Upload-Offset"] == str(2 * MiB)
        # The connection was cut and the client lost count: a wrong offset is told the right one.
        stale = _piece(api, reference, upload_id, 0, content[:MiB])
        assert _problem(stale, 409)["detail"].startswith(f"the node holds {2 * MiB} bytes")
        assert stale.headers["Upload-Offset"] == str(2 * MiB)
        assert api.head(url).headers["Upload-Offset"] == str(2 * MiB)
        assert api.get(url).json()["offset"] == 2 * MiB
        # The same file declared again (a reloaded page) finds the upload under way.
        again = api.post(
            f"/requests/{reference}/evidence/uploads",
            json={"name": "mailbox.mbox", "size": len(content)},
        )
        assert again.json() == {
            "id": upload_id,
            "name": "mailbox.mbox",
            "size": len(content),
            "offset": 2 * MiB,
        }
        # A piece past the declared size is refused whole; so is one over the piece limit.
        past = _piece(api, reference, upload_id, 2 * MiB, content[2 * MiB :] + b"x")
        assert "would exceed it" in _problem(past, 413)["detail"]
        huge = _declared_only(running, api, url, MAX_CHUNK_BYTES + 1, 2 * MiB)
        assert huge.startswith(b"HTTP/1.1 413 "), huge[:200]
        assert api.head(url).headers["Upload-Offset"] == str(2 * MiB)

        # The rest in one piece, larger than any other request body may be (4 MiB).
        done = _piece(api, reference, upload_id, 2 * MiB, content[2 * MiB :])
        assert done.status_code == 204, done.text
        assert done.headers["Upload-Offset"] == str(len(content))
        _problem(api.get(url), 404)  # complete: the upload is over, the file staged

        # An operator drops a file in the folder by hand; a link and a hidden file are not
        # offered, nor a copy still under way.
        (folder / "subscriber.txt").write_text("Subscriber: John Doe (fictional)\n", "utf-8")
        (folder / "passwd").symlink_to("/etc/passwd")
        (folder / ".hidden").write_text("not evidence", "utf-8")
        (folder / "copy.part").write_text("half", "utf-8")
        listed = api.get(f"/requests/{reference}/evidence/staging").json()
        assert listed == {
            "files": [
                {"name": "mailbox.mbox", "size": len(content)},
                {"name": "subscriber.txt", "size": 33},
            ],
            "uploads": [],
        }
        _problem(api.post(f"/requests/{reference}/evidence", json={"files": ["passwd"]}), 422)

        sealed = api.post(
            f"/requests/{reference}/evidence",
            json={"files": ["mailbox.mbox", "subscriber.txt"]},
        )
        assert sealed.status_code == 201, sealed.text
        package = sealed.json()
        assert package["direction"] == "outgoing" and package["peer_state"] == "XA"
        assert [f["name"] for f in package["files"]] == ["mailbox.mbox", "subscriber.txt"]
        assert package["files"][0]["sha256"] == hashlib.sha256(content).hexdigest()
        assert [p["id"] for p in api.get(f"/requests/{reference}/evidence").json()] == [
            package["id"]
        ]
        # The plaintext left the server's staging folder; the work folder is gone.
        assert sorted(p.name for p in folder.iterdir()) == [
            ".hidden",
            ".sealing.lock",
            "copy.part",
            "passwd",
        ]
    xb_node = xb.runtime.node
    assert xb_node is not None
    assert list((xb_node.home / "sealing").iterdir()) == []

    package_id = package["id"]
    wait_for(lambda: (package_row(xb, package_id) or EvidencePackage()).status == "delivered", 60)
    assert xa.runtime.node is not None
    opened = open_received(
        xa.runtime.db,
        xa.runtime.node,
        user=user_of(xa, "officer"),
        reference=reference,
        package_id=package_id,
        identity=KeyStore(xa.runtime.node.home).age_identity(),
        out=tmp_path / "opened",
    )
    assert hashlib.sha256(opened[0].read_bytes()).digest() == hashlib.sha256(content).digest()
    with xb.runtime.db.session() as session:
        actions = [
            e.action
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.target_id == reference).order_by(AuditEvent.id)
            )
            if e.action.startswith("evidence.")
        ]
    assert actions == [
        "evidence.upload-started",
        "evidence.staged",
        "evidence.sealed",
        "evidence.offered",
        "evidence.staged-removed",
    ]


def test_refusals_write_nothing_outside_the_staging_folder(
    running: Running, tmp_path: Path
) -> None:
    reference = executed_mla(running)
    xb = running.node("XB")
    staging = _staging(running, "XB")
    uploads = f"/requests/{reference}/evidence/uploads"

    with _api(running, "XB", _token(running, "XB", "officer")) as api:
        for name in ("../escape", "a/b", ".hidden", "nul\x00byte", "..", "x.part", " edge"):
            _problem(api.post(uploads, json={"name": name, "size": 10}), 422)
        too_big = _problem(api.post(uploads, json={"name": "disk.E01", "size": 1 << 43}), 422)
        assert "no room for 8,796,093,022,208 bytes" in too_big["detail"]
        _problem(api.delete(f"/requests/{reference}/evidence/staging/nothing.txt"), 404)
        _problem(api.get(f"{uploads}/{'0' * 32}"), 404)
        # An upload given up: its bytes go, and so does the upload.
        given_up = api.post(uploads, json={"name": "half.bin", "size": 10}).json()["id"]
        assert _piece(api, reference, given_up, 0, b"12345").status_code == 204
        assert api.delete(f"{uploads}/{given_up}").status_code == 204
        assert api.head(f"{uploads}/{given_up}").status_code == 404
        # Sealing fails (an empty file: nothing to seal): the staged files stay, no work
        # folder is left, no package exists.
        folder = staging / reference
        (folder / "empty.bin").write_bytes(b"")
        (folder / "data.bin").write_bytes(b"data")
        failed = _problem(
            api.post(f"/requests/{reference}/evidence", json={"files": ["data.bin", "empty.bin"]}),
            422,
        )
        assert "empty" in failed["detail"]
        assert sorted(p.name for p in folder.iterdir()) == [
            ".sealing.lock",
            "data.bin",
            "empty.bin",
        ]
        assert api.get(f"/requests/{reference}/evidence").json() == []
        removed = api.delete(f"/requests/{reference}/evidence/staging/empty.bin")
        assert removed.status_code == 204
    xb_node = xb.runtime.node
    assert xb_node is not None
    assert list((xb_node.home / "sealing").iterdir()) == []
    # Nothing was written beside the request's folder, nor above the staging folder.
    assert sorted(p.name for p in staging.iterdir()) == [reference]
    assert not (xb_node.home / "escape").exists() and not (staging / "escape").exists()

    with _api(running, "XB", _token(running, "XB", "officer", "read")) as reader:
        assert [
            f["name"] for f in reader.get(f"/requests/{reference}/evidence/staging").json()["files"]
        ] == ["data.bin"]
        _problem(reader.post(uploads, json={"name": "a.txt", "size": 1}), 403)
        _problem(reader.post(f"/requests/{reference}/evidence", json={"files": ["data.bin"]}), 403)
    with _api(running, "XB", None) as anonymous:
        _problem(anonymous.get(f"/requests/{reference}/evidence/staging"), 401)
        _problem(anonymous.post(uploads, json={"name": "a.txt", "size": 1}), 401)
    with _api(running, "XB", _token(running, "XB", "duty")) as stranger:  # another authority
        _problem(stranger.get(f"/requests/{reference}/evidence/staging"), 404)
        _problem(stranger.post(uploads, json={"name": "a.txt", "size": 1}), 404)
    with _api(running, "XB", _token(running, "XB", "auditor")) as auditor:  # may not act
        _problem(auditor.post(uploads, json={"name": "a.txt", "size": 1}), 403)
    # The State that made the request delivers nothing for it.
    with _api(running, "XA", _token(running, "XA", "officer")) as requester:
        own = _problem(requester.post(uploads, json={"name": "a.txt", "size": 1}), 422)
        assert "this node made the request" in own["detail"]
    # A request received but not in execution yet: nothing to deliver so far.
    xa = running.node("XA")
    fresh = queue_request(xa)  # a preservation, from XA's 24/7 point to XB's
    wait_delivered(xa)
    wait_for(lambda: status_of(xb, fresh) == "received")
    with _api(running, "XB", _token(running, "XB", "duty")) as duty:
        early = _problem(
            duty.post(f"/requests/{fresh}/evidence/uploads", json={"name": "a", "size": 1}), 422
        )
        assert "in execution" in early["detail"]
