"""Nothing lost, nothing twice: a burst of 100 requests between two real ``hanoi up``
processes, while first the receiving and then the sending node is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from hanoi.accounts.lookup import get_user_by_username
from hanoi.cases.documents import parse_document_obj
from hanoi.cases.models import CaseRequest
from hanoi.cases.sending import send_request
from hanoi.crypto.envelope import Party
from hanoi.crypto.receipts import verify_receipt
from hanoi.db import Database
from hanoi.demo.federation import DemoFederation, refresh_directories
from hanoi.demo.serving import serve_node
from hanoi.exchange.identity import LocalNode
from hanoi.exchange.models import InboxMessage, OutboxMessage
from tests.exchange.helpers import preservation

BURST = 100
HANOI = str(Path(sys.executable).with_name("hanoi"))


class NodeProcess:
    """``hanoi up`` for one demo node, as an operator would run it."""

    def __init__(self, federation: DemoFederation, code: str, log: Path) -> None:
        self.node = federation.nodes[code]
        self.settings = federation.settings(self.node)
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = os.environ | {"HANOI_DATABASE_URL": self.settings.database_url}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [HANOI, "up", "--home", str(self.node.home), "--port", str(self.node.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.node.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the node did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def _count(db: Database, model: type[InboxMessage] | type[CaseRequest]) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _wait_for(what: str, check: object, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def directory_served(built: DemoFederation) -> Iterator[DemoFederation]:
    secretariat = serve_node(built.secretariat, settings=built.settings(built.secretariat))
    try:
        refresh_directories(built)
        yield built
    finally:
        secretariat.stop()


def test_a_burst_survives_kill_9_of_receiver_then_sender(
    directory_served: DemoFederation, tmp_path: Path
) -> None:
    federation = directory_served
    xa_db, xb_db = federation.database("XA"), federation.database("XB")
    xa = NodeProcess(federation, "XA", tmp_path / "xa.log")
    xb = NodeProcess(federation, "XB", tmp_path / "xb.log")
    try:
        node = LocalNode.load(federation.nodes["XA"].home)
        document = parse_document_obj(preservation())
        with xa_db.session() as session:
            duty = get_user_by_username(session, "duty")
            assert duty is not None
            for _ in range(BURST):
                send_request(session, node, user=duty, document=document)

        xb.start()
        xa.start()  # its delivery worker starts on the burst at once
        _wait_for("25 deliveries", lambda: _count(xb_db, InboxMessage) >= 25)
        xb.kill()
        assert _count(xb_db, InboxMessage) < BURST  # killed in the middle of the burst
        time.sleep(0.5)
        xb.start()
        _wait_for("60 deliveries", lambda: _count(xb_db, InboxMessage) >= 60)
        xa.kill()
        assert _count(xb_db, InboxMessage) < BURST
        xa.start()

        def all_delivered() -> bool:
            with xa_db.session() as session:
                pending = session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status != "delivered")
                )
            return pending == 0

        _wait_for("every receipt", all_delivered, timeout=180)
    finally:
        xa.stop()
        xb.stop()

    with xa_db.session() as session:
        sent = {m.message_id: m for m in session.scalars(select(OutboxMessage))}
        statuses = set(session.scalars(select(CaseRequest.status)))
    with xb_db.session() as session:
        received = {m.message_id: m for m in session.scalars(select(InboxMessage))}
    assert len(sent) == BURST and set(received) == set(sent)  # exactly once each
    assert _count(xb_db, CaseRequest) == BURST
    assert statuses == {"received"}
    keys = node.peers.signer_keys()
    for message_id, message in sent.items():
        assert message.receipt == received[message_id].receipt  # the same receipt both sides
        verify_receipt(
            message.receipt or "",
            verification_keys=keys,
            expected_message_digest=message.token_sha256,
            expected_receiver=Party("XB", "XB-247"),
            now=datetime.now(UTC),
        )
    xa_db.dispose()
    xb_db.dispose()
