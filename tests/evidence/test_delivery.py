"""Evidence between two running nodes, on SQLite and PostgreSQL: XB seals for XA's request
and delivers; XA verifies and opens; both keep the same custody record."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from sqlalchemy import select

from hanoi.cases.evidence import (
    NodeFiles,
    open_received,
)
from hanoi.cases.models import CaseRequest
from hanoi.cases.queries import timeline
from hanoi.crypto.keys import KeyStore
from hanoi.evidence.custody import check_custody
from hanoi.evidence.models import EvidencePackage
from hanoi.evidence.package import verify_package
from hanoi.evidence.service import directory_keys
from hanoi.evidence.transfer import PATCH_BYTES
from hanoi.ledger.keys import NodeLogKeys
from hanoi.ledger.proof import verify_proof_file
from hanoi.ledger.records import parse_leaf
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
from tests.web.test_request_pages import signed_in


def test_evidence_is_sealed_delivered_verified_and_opened(running: Running, tmp_path: Path) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    assert xa.runtime.node is not None
    reference = executed_mla(running)
    # Bigger than one upload piece (16 MiB) and than a web request body (4 MiB).
    package = seal_for(running, reference, tmp_path, size=PATCH_BYTES + 5 * 1024 * 1024 + 3)
    package_id = deliver(running, reference, package)

    wait_for(lambda: (package_row(xb, package_id) or EvidencePackage()).status == "delivered", 60)
    received = package_row(xa, package_id)
    sent = package_row(xb, package_id)
    assert received is not None and sent is not None
    assert received.status == "delivered" and received.verified is True
    assert received.bytes_done == received.bytes_total == sent.bytes_total
    assert custody_kinds(received.custody) == ["sealing", "transfer", "receipt"]
    assert sent.custody == received.custody  # the sender keeps the receiver's record
    assert check_custody(json.loads(received.custody), received.manifest) == []

    folder = NodeFiles(xa.runtime.node.home).folder(package_id)
    keys = directory_keys(xa.runtime.node.directory, "XB")
    assert verify_package(folder, keys_for=keys).manifest.package_id == package_id
    assert not (NodeFiles(xa.runtime.node.home).home / "uploads" / package_id).exists()

    out = tmp_path / "opened"
    identity = KeyStore(xa.runtime.node.home).age_identity()
    opened = open_received(
        xa.runtime.db,
        xa.runtime.node,
        user=user_of(xa, "officer"),
        reference=reference,
        package_id=package_id,
        identity=identity,
        out=out,
    )
    originals = tmp_path / "pkg-files"
    assert sorted(p.name for p in opened) == ["mailbox.mbox", "subscriber.txt"]
    for path in opened:
        assert path.read_bytes() == (originals / path.name).read_bytes()
    opened_row = package_row(xa, package_id)
    assert opened_row is not None
    assert custody_kinds(opened_row.custody) == ["sealing", "transfer", "receipt", "opening"]
    assert (folder / "custody.jsonld").read_text("utf-8") == opened_row.custody

    with xa.runtime.db.session() as session:
        case = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
        assert case is not None
        seen = [item.what for item in timeline(session, case)]
    assert {"evidence-offered", "evidence-received", "evidence-opened"} <= set(seen)
    with xb.runtime.db.session() as session:
        case = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
        assert case is not None
        seen = [item.what for item in timeline(session, case)]
    assert {"evidence-offered", "evidence-uploaded", "evidence-delivered"} <= set(seen)

    # The request page shows the package, its files, hashes and state; the download is the
    # package exactly as verified, and still verifies once unpacked.
    received = package_row(xa, package_id)
    assert received is not None
    with signed_in(running, "XA", "officer") as browser:
        page = browser.get(f"/requests/{reference}").text
        for entry in received.manifest.files:
            assert entry.name in page and entry.sha256 in page and entry.ciphertext_sha256 in page
        assert f"Package {package_id}: received from XB" in page
        assert "Delivered" in page and "verified here" in page
        download = browser.get(f"/requests/{reference}/evidence/{package_id}.tar")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/x-tar"
        assert int(download.headers["content-length"]) == len(download.content)
    with tarfile.open(fileobj=io.BytesIO(download.content)) as tar:
        tar.extractall(tmp_path / "court", filter="data")
    unpacked = tmp_path / "court" / f"{reference}-{package_id}"
    assert verify_package(unpacked, keys_for=keys).manifest.package_id == package_id
    # The package carries offline proofs of its steps in XA's transparency log.
    proofs = sorted((unpacked / "proofs").iterdir())
    assert proofs and proofs[0].name == "01-evidence-offered.tlog-proof"
    log_key = NodeLogKeys.from_home(xa.runtime.node.home).log_verifier()
    for proof in proofs:
        entry = parse_leaf(verify_proof_file(proof.read_bytes(), log_key).extra or b"")
        assert entry.node == "XA"
    with signed_in(running, "XA", "duty") as other:  # another authority: need-to-know
        assert other.get(f"/requests/{reference}/evidence/{package_id}.tar").status_code == 404
    with signed_in(running, "XB", "officer") as sender:
        page = sender.get(f"/requests/{reference}").text
        assert f"Package {package_id}: sent to XA" in page and "verified by XA" in page
