"""The node's log in use: every timeline event becomes an entry, the worker integrates and
signs, the request page hands out a proof per event, and `hanoi ledger verify-proof`,
`prove` and `fsck` check them offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from hanoi.cases.models import CaseRequest, RequestEvent
from hanoi.ledger import store
from hanoi.ledger.keys import NodeLogKeys
from tests.cli.test_cli import cli_env, hanoi
from tests.evidence.delivery import executed_mla, wait_for
from tests.federation import Running
from tests.web.test_request_pages import signed_in


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the store runs on both engines in test_store.py


def _signed_size(running: Running, state: str) -> int:
    with running.node(state).runtime.db.session() as session:
        checkpoint = store.latest_checkpoint(session)
        return 0 if checkpoint is None else checkpoint.size


def test_every_event_is_logged_and_proved_offline(running: Running, tmp_path: Path) -> None:
    reference = executed_mla(running)
    xa = running.node("XA")
    with xa.runtime.db.session() as session:
        case = session.scalar(select(CaseRequest).where(CaseRequest.reference == reference))
        assert case is not None
        events = list(
            session.scalars(select(RequestEvent).where(RequestEvent.request_id == case.id))
        )
        logged = store.tree_size(session)
    assert events and all(e.ledger_leaf for e in events)
    wait_for(lambda: _signed_size(running, "XA") >= len(events))  # the worker signs

    home = running.federation.nodes["XA"].home
    key = NodeLogKeys.from_home(home).log_verifier().key_string()
    with signed_in(running, "XA", "officer") as browser:
        page = browser.get(f"/requests/{reference}").text
        links = re.findall(rf"/requests/{reference}/proofs/[0-9a-f]{{64}}\.tlog-proof", page)
        assert len(links) == len(events)
        proof = browser.get(links[0])
        assert proof.status_code == 200
        assert browser.get(f"/requests/{reference}/proofs/{'0' * 64}.tlog-proof").status_code == 404
    with signed_in(running, "XA", "duty") as stranger:  # another authority: need-to-know
        assert stranger.get(links[0]).status_code == 404
    file = tmp_path / "event.tlog-proof"
    file.write_bytes(proof.content)

    env = cli_env(tmp_path / "nowhere")  # offline: no node, no directory
    checked = hanoi(tmp_path, "ledger", "verify-proof", str(file), "--key", key, "--json", env=env)
    assert checked.code == 0, checked
    result = json.loads(checked.out)
    assert result["origin"] == "hanoi/XA/ledger" and result["entry"]["node"] == "XA"
    # The MLA's first event is its submission for approval (four eyes), a status change.
    assert result["entry"]["kind"] == "status-change"

    altered = bytearray(proof.content)
    altered[altered.index(b"index ") + 6] ^= 0x01  # another index
    bad = tmp_path / "altered.tlog-proof"
    bad.write_bytes(bytes(altered))
    refused = hanoi(tmp_path, "ledger", "verify-proof", str(bad), "--key", key, env=env)
    assert refused.code == 1 and "DOES NOT VERIFY" in refused.out, refused
    # Witnessed: XB and XC cosign XA's checkpoints; a proof carries both cosignatures.
    witnesses = [
        NodeLogKeys.from_home(running.federation.nodes[code].home).witness_verifier().key_string()
        for code in ("XB", "XC")
    ]
    cosigned = tmp_path / "cosigned.tlog-proof"

    def quorum_reached() -> bool:
        with signed_in(running, "XA", "officer") as browser:
            cosigned.write_bytes(browser.get(links[-1]).content)
        args = ["--cosigner", witnesses[0], "--cosigner", witnesses[1], "--quorum", "2"]
        run = hanoi(tmp_path, "ledger", "verify-proof", str(cosigned), "--key", key, *args, env=env)
        return run.code == 0

    wait_for(quorum_reached, timeout=60)
    other = NodeLogKeys.from_home(running.federation.nodes["XB"].home).log_verifier().key_string()
    wrong_key = hanoi(tmp_path, "ledger", "verify-proof", str(file), "--key", other, env=env)
    assert wrong_key.code == 1, wrong_key

    node_env = cli_env(home)
    node_env["HANOI_DATABASE_URL"] = running.federation.settings(
        running.federation.nodes["XA"]
    ).database_url
    proved = hanoi(tmp_path, "ledger", "prove", "--index", "0", env=node_env)
    assert proved.code == 0 and proved.out.startswith("c2sp.org/tlog-proof@v1"), proved
    beyond = hanoi(tmp_path, "ledger", "prove", "--index", str(logged + 1000), env=node_env)
    assert beyond.code != 0 and "covers entry" in beyond.err
    fsck = hanoi(tmp_path, "ledger", "fsck", env=node_env)
    assert fsck.code == 0 and "entries checked" in fsck.out, fsck
