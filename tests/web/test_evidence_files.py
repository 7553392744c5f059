"""Each file of a received evidence package, downloaded decrypted at the requesting State:
from the request page and through the JSON API, over real HTTP between running nodes.

Every download is an opening of that one file, recorded before the first byte: a custody
step naming the file (the chain stays continuous however often a file is opened), a
timeline event and an audit row. Need-to-know, the act permission, a package that is not a
verified delivery, a file that does not exist and a payload damaged on disk are refused or
cut off.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hanoi.audit.models import AuditEvent
from hanoi.cases.evidence import NodeFiles, open_received
from hanoi.cases.models import CaseRequest
from hanoi.cases.queries import timeline
from hanoi.crypto.keys import KeyStore
from hanoi.evidence.custody import check_custody
from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.package import verify_package
from hanoi.evidence.service import directory_keys
from hanoi.web.evidence_files import content_disposition
from tests.evidence.delivery import (
    custody_kinds,
    deliver,
    executed_mla,
    package_row,
    seal_for,
    user_of,
    wait_for,
)
from tests.federation import Running
from tests.web.test_api_journey import _api, _problem, _token
from tests.web.test_request_pages import signed_in

#: More than two chunks of the stream (256 KiB), small enough to keep the test quick.
SIZE = 600_001


def _delivered(running: Running, tmp_path: Path) -> tuple[str, str]:
    """XB seals two files for XA's executed request and delivers them: (reference, package)."""
    reference = executed_mla(running)
    package_id = deliver(running, reference, seal_for(running, reference, tmp_path, size=SIZE))
    xb = running.node("XB")
    wait_for(lambda: (package_row(xb, package_id) or EvidencePackage()).status == "delivered", 60)
    return reference, package_id


def _audit(running: Running, action: str) -> list[AuditEvent]:
    with running.node("XA").runtime.db.session() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def _openings(custody: str) -> list[str]:
    return [
        node.get("uco-core:description", "")
        for node in json.loads(custody)["@graph"]
        if node.get("uco-core:name") == "opening"
    ]


def test_files_are_downloaded_decrypted_from_the_request_page(
    running: Running, tmp_path: Path
) -> None:
    xa = running.node("XA")
    assert xa.runtime.node is not None
    reference, package_id = _delivered(running, tmp_path)
    originals = tmp_path / "pkg-files"
    url = f"/requests/{reference}/evidence/{package_id}/files"

    with signed_in(running, "XA", "officer") as browser:
        page = browser.get(f"/requests/{reference}").text
        hidden = '<span class="visually-hidden"> <bdi>mailbox.mbox</bdi>'
        assert f'href="{url}/1" download>Download{hidden}' in page
        assert "hanoi evidence verify" in page and "docs/verify-by-hand.md" in page
        first = browser.get(f"{url}/1")
        again = browser.get(f"{url}/1")  # a second opening of the same file
        small = browser.get(f"{url}/2")
        page = browser.get(f"/requests/{reference}").text

    original = (originals / "mailbox.mbox").read_bytes()
    for response in (first, again):
        assert response.status_code == 200, response.text
        assert hashlib.sha256(response.content).digest() == hashlib.sha256(original).digest()
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["content-length"] == str(len(original))
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"mailbox.mbox\"; filename*=UTF-8''mailbox.mbox"
        )
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        digest = base64.b64encode(hashlib.sha256(original).digest()).decode()
        assert response.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert small.content == (originals / "subscriber.txt").read_bytes()
    assert "Evidence file opened and downloaded: mailbox.mbox" in page

    # The custody graph names each opening and its file; the chain is still continuous, in
    # the database and in the package folder, which still verifies.
    row = package_row(xa, package_id)
    assert row is not None
    kinds = custody_kinds(row.custody)
    assert kinds == ["sealing", "transfer", "receipt", "opening", "opening", "opening"]
    assert _openings(row.custody) == [
        "file 0001 (mailbox.mbox) downloaded by XA-CA/officer in the browser",
        "file 0001 (mailbox.mbox) downloaded by XA-CA/officer in the browser",
        "file 0002 (subscriber.txt) downloaded by XA-CA/officer in the browser",
    ]
    assert check_custody(json.loads(row.custody), row.manifest) == []
    folder = NodeFiles(xa.runtime.node.home).folder(package_id)
    assert (folder / "custody.jsonld").read_text("utf-8") == row.custody
    keys = directory_keys(xa.runtime.node.directory, "XB")
    assert verify_package(folder, keys_for=keys).manifest.package_id == package_id

    downloads = _audit(running, "evidence.file-downloaded")
    assert [(d.actor, d.target_id) for d in downloads] == [("officer", reference)] * 3
    detail = json.loads(downloads[0].detail or "{}")
    assert detail == {
        "package": package_id,
        "file": "1",
        "name": "mailbox.mbox",
        "bytes": str(len(original)),
        "via": "web",
    }
    assert downloads[0].remote_addr == "127.0.0.1"
    with xa.runtime.db.session() as session:
        case = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
        assert case is not None
        opened = [i.detail for i in timeline(session, case) if i.what == "evidence-file-opened"]
    assert [(d["file"], d["name"]) for d in opened] == [
        ("1", "mailbox.mbox"),
        ("1", "mailbox.mbox"),
        ("2", "subscriber.txt"),
    ]

    # The whole package still opens from the command line's service after the downloads.
    whole = open_received(
        xa.runtime.db,
        xa.runtime.node,
        user=user_of(xa, "officer"),
        reference=reference,
        package_id=package_id,
        identity=KeyStore(xa.runtime.node.home).age_identity(),
        out=tmp_path / "opened",
    )
    assert sorted(p.name for p in whole) == ["mailbox.mbox", "subscriber.txt"]

    # Refusals: need-to-know, the act permission, a file or package that is not there, and
    # the sending State's own (outgoing) package.
    with signed_in(running, "XA", "duty") as other_authority:
        assert other_authority.get(f"{url}/1").status_code == 404
    with signed_in(running, "XA", "auditor") as auditor:
        assert auditor.get(f"{url}/1").status_code == 403
    # The refusal is audited, its path (longer than the audit's target column) whole.
    [denied] = _audit(running, "access.denied")
    assert json.loads(denied.detail or "{}")["path"] == f"{url}/1"
    with signed_in(running, "XA", "officer") as browser:
        assert browser.get(f"{url}/3").status_code == 404
        assert browser.get(f"{url}/0").status_code == 404
        assert browser.get(f"/requests/{reference}/evidence/{'0' * 26}/files/1").status_code == 404
    with signed_in(running, "XB", "officer") as sender:
        refused = sender.get(f"{url}/1")
        assert refused.status_code == 422
        assert "not a package this node received and verified" in refused.text
        assert "/files/1" not in sender.get(f"/requests/{reference}").text
    assert len(_audit(running, "evidence.file-downloaded")) == 3

    # A payload damaged on disk after delivery: the download is cut short, never complete,
    # and the audit log says why.
    payload = folder / "payload" / "0001.age"
    damaged = bytearray(payload.read_bytes())
    damaged[-100] ^= 0x01  # in the last chunk: the first ones go out before it fails
    payload.write_bytes(bytes(damaged))
    with (
        signed_in(running, "XA", "officer") as browser,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        browser.get(f"{url}/1")
    [failed] = _audit(running, "evidence.file-download-failed")
    problem = json.loads(failed.detail or "{}")
    assert problem["check"] == "decrypt" and problem["name"] == "mailbox.mbox"
    assert 0 < int(problem["sent"]) < len(original)


def test_files_are_downloaded_decrypted_with_a_write_token(
    running: Running, tmp_path: Path
) -> None:
    reference, package_id = _delivered(running, tmp_path)
    url = f"/requests/{reference}/evidence/{package_id}/files"
    original = (tmp_path / "pkg-files" / "subscriber.txt").read_bytes()

    with _api(running, "XA", _token(running, "XA", "officer")) as api:
        [listed] = api.get(f"/requests/{reference}/evidence").json()
        assert listed["openable"] is True
        downloaded = api.get(f"{url}/2")
        assert downloaded.status_code == 200, downloaded.text
        assert downloaded.content == original
        assert downloaded.headers["content-type"] == "application/octet-stream"
        _problem(api.get(f"{url}/3"), 404)
    with _api(running, "XA", None) as anonymous:
        _problem(anonymous.get(f"{url}/2"), 401)
    with _api(running, "XA", _token(running, "XA", "officer", "read")) as reader:
        _problem(reader.get(f"{url}/2"), 403)
    with _api(running, "XA", _token(running, "XA", "duty")) as other_authority:
        _problem(other_authority.get(f"{url}/2"), 404)
    with _api(running, "XB", _token(running, "XB", "officer")) as sender:
        assert "not a package this node received" in _problem(sender.get(f"{url}/2"), 422)["detail"]

    [download] = _audit(running, "evidence.file-downloaded")
    assert json.loads(download.detail or "{}")["via"] == "api"
    row = package_row(running.node("XA"), package_id)
    assert row is not None
    assert _openings(row.custody) == [
        "file 0002 (subscriber.txt) downloaded by XA-CA/officer through the JSON API"
    ]
    assert check_custody(json.loads(row.custody), row.manifest) == []


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("photo.jpg", "attachment; filename=\"photo.jpg\"; filename*=UTF-8''photo.jpg"),
        (
            "Zeugenaussage Müller.pdf",
            'attachment; filename="Zeugenaussage M_ller.pdf"; '
            "filename*=UTF-8''Zeugenaussage%20M%C3%BCller.pdf",
        ),
        (
            'a"; filename=evil.html\r\nX-Injected: 1',
            'attachment; filename="a__ filename_evil.html__X-Injected_ 1"; '
            "filename*=UTF-8''a%22%3B%20filename%3Devil.html%0D%0AX-Injected%3A%201",
        ),
        (
            "محضر.txt",
            "attachment; filename=\"____.txt\"; filename*=UTF-8''%D9%85%D8%AD%D8%B6%D8%B1.txt",
        ),
    ],
)
def test_a_file_name_cannot_break_out_of_its_header(name: str, header: str) -> None:
    assert content_disposition(name) == header
