"""What a node's process runs besides its pages: the worker refreshes the directory too."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from hanoi import audit
from hanoi.config import ConfigError
from hanoi.db import Database, utcnow
from hanoi.demo.federation import DemoFederation
from hanoi.demo.serving import serve_node
from hanoi.directory.client import DirectoryClient
from hanoi.exchange.identity import LocalNode
from hanoi.runtime import make_worker, node_runtime


def test_the_worker_fetches_the_directory_when_the_node_starts(built: DemoFederation) -> None:
    secretariat = serve_node(built.secretariat, settings=built.settings(built.secretariat))
    home = built.nodes["XA"].home
    db = built.database("XA")
    try:
        client = DirectoryClient(home)
        assert client.is_pinned and not (client.current / "status.json").exists()
        worker = make_worker(db, LocalNode.load(home))

        worker.run_once()

        assert client.status().states == ("XA", "XB", "XC")
    finally:
        secretariat.stop()
        db.dispose()


def test_a_node_refuses_to_be_its_own_witness(built: DemoFederation) -> None:
    settings = dataclasses.replace(built.settings(built.nodes["XA"]), ledger_witnesses=("XB", "XA"))
    db = built.database("XA")
    try:
        with pytest.raises(ConfigError, match="names XA, this node's own State"):
            node_runtime(settings, db, secure_cookies=False)
    finally:
        db.dispose()


@pytest.mark.parametrize("code", ["XA", "secretariat"])
def test_every_node_writes_out_the_refusals_it_counted(built: DemoFederation, code: str) -> None:
    """With an identity or without (the Secretariat's pages refuse too): the runtime's audit
    loop writes the count of a window that has ended."""
    node = built.secretariat if code == "secretariat" else built.nodes[code]
    settings = built.settings(node)
    db = Database(settings.database_url)
    try:
        runtime = node_runtime(settings, db, secure_cookies=False)
        assert runtime.audit is not None
        past = utcnow() - timedelta(hours=1)
        for n in range(3):
            with db.session() as session:
                audit.record_refusal(
                    session,
                    action="access.denied",
                    reason="csrf",
                    source="198.51.100.3",
                    actor="(anonymous)",
                    at=past + timedelta(seconds=n),
                )
        assert runtime.audit.run_once()  # the summary written
        assert not runtime.audit.run_once()  # and nothing left to write
        with db.session() as session:
            events = audit.list_events(session, action="access.denied")
        assert [audit.refusals_of(e) for e in events] == [2, 1]
    finally:
        db.dispose()
