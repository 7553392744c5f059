"""Driving evidence delivery between running demo nodes, through the service API."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sqlalchemy import select

from hanoi.accounts.lookup import get_user_by_username
from hanoi.cases.acting import act
from hanoi.cases.evidence import (
    deliver_package,
    seal_for_request,
)
from hanoi.cases.lifecycle import Action, ActionRequest
from hanoi.cases.models import CaseRequest
from hanoi.demo.scenario import example_document
from hanoi.demo.serving import ServedNode
from hanoi.evidence.models import EvidencePackage
from tests.exchange.helpers import queue_request, wait_delivered
from tests.federation import Running


def user_of(node: ServedNode, username: str):  # type: ignore[no-untyped-def]
    with node.runtime.db.session() as session:
        user = get_user_by_username(session, username)
        assert user is not None
        session.expunge(user)
        return user


def officer_acts(node: ServedNode, reference: str, action: Action, **fields: object) -> None:
    runtime = node.runtime
    assert runtime.node is not None
    with runtime.db.session() as session:
        user = get_user_by_username(session, "officer")
        act(
            session,
            runtime.node,
            user=user,
            reference=reference,
            request=ActionRequest(action, **fields),
        )  # type: ignore[arg-type]
    wait_delivered(node)


def executed_mla(running: Running) -> str:
    """XA's central authority asks XB for assistance; XB executes it. Its reference."""
    xa, xb = running.node("XA"), running.node("XB")
    document = example_document("mla", date_of_request=time.strftime("%Y-%m-%d"))
    reference = queue_request(xa, "officer", document)
    wait_delivered(xa)
    wait_for(lambda: status_of(xb, reference) == "received")
    officer_acts(xb, reference, Action.ACKNOWLEDGE)
    officer_acts(xb, reference, Action.START)
    officer_acts(xb, reference, Action.EXECUTE, reason="Data obtained; evidence follows.")
    wait_for(lambda: status_of(xa, reference) == "executed")
    return reference


def status_of(node: ServedNode, reference: str) -> str | None:
    with node.runtime.db.session() as session:
        return session.scalar(select(CaseRequest.status).where(CaseRequest.reference == reference))


def wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def package_row(node: ServedNode, package_id: str) -> EvidencePackage | None:
    with node.runtime.db.session() as session:
        row = session.get(EvidencePackage, package_id)
        if row is not None:
            session.expunge(row)
        return row


def evidence_files(folder: Path, size: int = 3 * 1024 * 1024 + 17) -> list[Path]:
    folder.mkdir()
    (folder / "mailbox.mbox").write_bytes(os.urandom(size))
    (folder / "subscriber.txt").write_text("Subscriber: John Doe (fictional)\n", "utf-8")
    return [folder / "mailbox.mbox", folder / "subscriber.txt"]


def seal_for(
    running: Running,
    reference: str,
    tmp_path: Path,
    name: str = "pkg",
    size: int = 3 * 1024 * 1024 + 17,
) -> Path:
    xb = running.node("XB")
    assert xb.runtime.node is not None
    out = tmp_path / name
    seal_for_request(
        xb.runtime.db,
        xb.runtime.node,
        user=user_of(xb, "officer"),
        reference=reference,
        sources=evidence_files(tmp_path / f"{name}-files", size),
        out=out,
    )
    return out


def deliver(running: Running, reference: str, package: Path) -> str:
    xb = running.node("XB")
    assert xb.runtime.node is not None
    row = deliver_package(
        xb.runtime.db,
        xb.runtime.node,
        user=user_of(xb, "officer"),
        reference=reference,
        package=package,
    )
    assert xb.runtime.worker is not None
    xb.runtime.worker.wake()
    return row.id


def custody_kinds(custody: str) -> list[str]:
    graph = json.loads(custody)
    return [
        node["uco-core:name"]
        for node in graph["@graph"]
        if node.get("@type") == "case-investigation:InvestigativeAction"
    ]
