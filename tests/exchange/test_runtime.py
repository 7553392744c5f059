"""What a node's process runs besides its pages: the worker refreshes the directory too."""

from __future__ import annotations

import dataclasses

import pytest

from hanoi.config import ConfigError
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
