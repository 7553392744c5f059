"""Sealing for a request from its light module: what it imports, what it refuses, what it
records. Delivery after sealing is covered by test_delivery.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

import hanoi.cases.evidence as evidence
import hanoi.cases.evidence_seal as evidence_seal
from hanoi.audit import list_events
from hanoi.cases.errors import RequestNotFound
from hanoi.cases.models import CaseRequest, RequestEvent
from tests.evidence.delivery import evidence_files, executed_mla, user_of
from tests.federation import Running

#: What delivery needs and sealing does not: kept out of a process that only seals.
DELIVERY_ONLY = (
    "hanoi.cases.evidence",
    "hanoi.cases.evidence_transfer",
    "hanoi.evidence.archive",
    "hanoi.evidence.transfer",
    "hanoi.ledger.service",
    "hanoi.ledger.witness",
    "httpx",
)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the same queries as delivery, which runs on both databases


def test_the_sealing_module_leaves_delivery_unimported() -> None:
    # A fresh interpreter: this test process has imported everything already.
    probe = (
        "import json, sys; import hanoi.cases.evidence_seal; "
        f"print(json.dumps([m for m in {list(DELIVERY_ONLY)!r} if m in sys.modules]))"
    )
    found = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert json.loads(found.stdout) == []


def test_existing_callers_get_the_same_objects_from_hanoi_cases_evidence() -> None:
    assert evidence.seal_for_request is evidence_seal.seal_for_request
    assert evidence.EvidenceDeliveryError is evidence_seal.EvidenceDeliveryError
    assert issubclass(evidence.PackageNotFound, evidence_seal.EvidenceDeliveryError)


def test_sealing_for_a_request_checks_who_and_what_then_records_it(
    running: Running, tmp_path: Path
) -> None:
    xa, xb = running.node("XA"), running.node("XB")
    assert xa.runtime.node is not None and xb.runtime.node is not None
    reference = executed_mla(running)
    sources = evidence_files(tmp_path / "files", size=70_000)

    with pytest.raises(RequestNotFound):  # the 24/7 point does not handle this request
        evidence_seal.seal_for_request(
            xb.runtime.db,
            xb.runtime.node,
            user=user_of(xb, "duty"),
            reference=reference,
            sources=sources,
            out=tmp_path / "by-duty",
        )
    with pytest.raises(evidence_seal.EvidenceDeliveryError, match="requested State"):
        evidence_seal.seal_for_request(
            xa.runtime.db,
            xa.runtime.node,
            user=user_of(xa, "officer"),
            reference=reference,
            sources=sources,
            out=tmp_path / "at-xa",
        )
    assert not (tmp_path / "by-duty").exists() and not (tmp_path / "at-xa").exists()

    manifest = evidence_seal.seal_for_request(
        xb.runtime.db,
        xb.runtime.node,
        user=user_of(xb, "officer"),
        reference=reference,
        sources=sources,
        out=tmp_path / "package",
    )
    assert manifest.request == reference and manifest.recipient.state == "XA"
    assert manifest.recipient.authority == "XA-CA" and manifest.sealed_by.officer == "officer"
    summary = {
        "package": manifest.package_id,
        "files": "2",
        "bytes": str(sum(f.ciphertext_size for f in manifest.files)),
    }
    with xb.runtime.db.session() as session:
        case = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
        assert case is not None
        [sealed] = session.scalars(
            select(RequestEvent).where(
                RequestEvent.request_id == case.id, RequestEvent.action == "evidence-sealed"
            )
        )
        assert sealed.actor == "officer" and sealed.side == "requested"
        assert sealed.detail == summary and sealed.ledger_leaf
        [audited] = list_events(session, action="evidence.sealed", target_id=reference)
        assert audited.actor == "officer" and audited.detail_data == summary
        [denied] = list_events(session, action="request.denied", actor="duty")
        assert denied.target_id == reference
