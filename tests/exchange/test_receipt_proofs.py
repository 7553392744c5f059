"""Every stored receipt is an entry of the holder's log; its folder (receipt, proof,
opening) checks offline, cosigned by the other two States, and every tampering is named."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import tarfile
from pathlib import Path

from sqlalchemy import update

from hanoi.exchange.models import OutboxMessage
from hanoi.exchange.receipt_proofs import OPENING_FILE, PROOF_FILE, RECEIPT_FILE, receipt_bundle
from hanoi.ledger.errors import LedgerError
from hanoi.ledger.keys import NodeLogKeys
from hanoi.ledger.proof import verify_proof_file
from tests.cli.test_cli import Run, cli_env, hanoi
from tests.evidence.delivery import wait_for
from tests.exchange.conftest import Running
from tests.exchange.helpers import outbox, queue_request, wait_delivered
from tests.web.test_request_pages import signed_in


def _delivered_two(running: Running) -> tuple[str, list[str]]:
    """Two requests from XA's 24/7 point, delivered: the first's reference, both message ids."""
    xa = running.node("XA")
    reference = queue_request(xa)
    queue_request(xa)
    rows = wait_delivered(xa)  # the node's own worker delivers them
    assert [row.status for row in rows] == ["delivered", "delivered"]
    assert all(row.receipt_leaf for row in rows)
    return reference, [row.message_id for row in rows]


def test_a_receipt_folder_checks_offline_and_names_each_tampering(
    running: Running, tmp_path: Path
) -> None:
    reference, (first, second) = _delivered_two(running)
    xa = running.node("XA")
    keys = {c: NodeLogKeys.from_home(running.federation.nodes[c].home) for c in ("XA", "XB", "XC")}
    # The ledger worker signs within a second, then XB's and XC's witnesses cosign.
    for message_id in (first, second):
        wait_for(lambda m=message_id: _cosigned_by_both(running, m, keys), timeout=60)

    env = _node_env(running, "XA")
    written = hanoi(tmp_path, "exchange", "receipt", first, "--out", str(tmp_path / "r1"), env=env)
    assert written.code == 0, written
    hanoi(tmp_path, "exchange", "receipt", second, "--out", str(tmp_path / "r2"), env=env)
    assert sorted(p.name for p in (tmp_path / "r1").iterdir()) == sorted(
        [RECEIPT_FILE, PROOF_FILE, OPENING_FILE]
    )

    policy = [
        "--key",
        keys["XA"].log_verifier().key_string(),
        "--cosigner",
        keys["XB"].witness_verifier().key_string(),
        "--cosigner",
        keys["XC"].witness_verifier().key_string(),
        "--quorum",
        "2",
    ]
    nowhere = cli_env(tmp_path / "nowhere")

    def check(folder: Path, *args: str) -> Run:
        return hanoi(
            tmp_path, "exchange", "verify-receipt", str(folder), *(args or policy), env=nowhere
        )

    good = check(tmp_path / "r1", *policy, "--json")
    assert good.code == 0, good
    detail = json.loads(good.out)["receipt"]
    assert detail["message"] == first and detail["receiver"] == {
        "state": "XB",
        "authority": "XB-247",
    }
    receipt = (tmp_path / "r1" / RECEIPT_FILE).read_bytes()
    assert detail["receipt_sha256"] == hashlib.sha256(receipt).hexdigest()
    assert receipt.decode() == outbox(xa)[0].receipt
    human = check(tmp_path / "r1")
    assert human.code == 0 and f"message {first} received by XB-247 (XB)" in human.out
    assert "receipt signature NOT checked" in human.out
    # The receipt's own signature, with XB's published key set; XC's keys do not verify it.
    jwks = {}
    for code in ("XB", "XC"):
        jwks[code] = tmp_path / f"{code}.jwks"
        shown = hanoi(
            tmp_path, "node", "show", "--jwks", "-o", str(jwks[code]), env=_node_env(running, code)
        )
        assert shown.code == 0, shown
    signed = check(tmp_path / "r1", *policy[:-2], "--receiver-key", str(jwks["XB"]))
    assert signed.code == 0 and "receipt signature checked" in signed.out, signed
    forged = check(tmp_path / "r1", *policy, "--receiver-key", str(jwks["XC"]))
    assert forged.code == 1 and "receipt.jws" in forged.out, forged
    # Writing again: refused over an existing folder, unless --force.
    again = hanoi(tmp_path, "exchange", "receipt", first, "--out", str(tmp_path / "r1"), env=env)
    assert again.code == 2 and "already exists" in again.err
    forced = hanoi(
        tmp_path, "exchange", "receipt", first, "--out", str(tmp_path / "r1"), "--force", env=env
    )
    assert forced.code == 0, forced
    plain = hanoi(
        tmp_path, "ledger", "verify-proof", str(tmp_path / "r1" / PROOF_FILE), *policy, env=nowhere
    )
    assert plain.code == 0 and "receipt at XA" in plain.out

    def tampered(name: str, change: bytes | None) -> Path:
        folder = tmp_path / f"t-{len(list(tmp_path.glob('t-*')))}"
        shutil.copytree(tmp_path / "r1", folder)
        if change is None:
            (folder / name).unlink()
        else:
            (folder / name).write_bytes(change)
        return folder

    other = tmp_path / "r2"
    opening = json.loads((tmp_path / "r1" / OPENING_FILE).read_bytes())
    later = {**opening, "detail": {**opening["detail"], "received_at": "2030-01-01T00:00:00Z"}}
    salt = opening["salt"]
    flipped_end = b"A" if receipt[-1:] != b"A" else b"B"
    flipped_salt = {**opening, "salt": ("A" if salt[0] != "A" else "B") + salt[1:]}
    cases = {
        "another receipt": (RECEIPT_FILE, (other / RECEIPT_FILE).read_bytes(), "not the receipt"),
        "a receipt byte": (RECEIPT_FILE, receipt[:-1] + flipped_end, "not the receipt"),
        "a huge receipt": (RECEIPT_FILE, b"x" * 10_000, "larger than"),
        "another opening": (OPENING_FILE, (other / OPENING_FILE).read_bytes(), "do not open"),
        "an edited detail": (OPENING_FILE, json.dumps(later).encode(), "do not open"),
        "a flipped salt": (OPENING_FILE, json.dumps(flipped_salt).encode(), "do not open"),
        "an extra member": (
            OPENING_FILE,
            json.dumps({**opening, "note": "x"}).encode(),
            'exactly "detail" and "salt"',
        ),
        "garbage opening": (OPENING_FILE, b"\xff{", "not JSON"),
        "no proof": (PROOF_FILE, None, "cannot read receipt.tlog-proof"),
        "another proof": (PROOF_FILE, (other / PROOF_FILE).read_bytes(), "do not open"),
    }
    for what, (name, change, expected) in cases.items():
        result = check(tampered(name, change))
        assert result.code == 1 and expected in result.out, (what, result)

    wrong_log = [*policy]
    wrong_log[1] = keys["XB"].log_verifier().key_string()
    assert check(tmp_path / "r1", *wrong_log).code == 1
    no_witness = [*policy]
    no_witness[5] = keys["XA"].witness_verifier().key_string()  # not a witness of XA's log
    short = check(tmp_path / "r1", *no_witness)
    assert short.code == 1 and "quorum" in short.out.lower(), short
    too_few = check(tmp_path / "r1", *policy[:4], "--quorum", "2")
    assert too_few.code == 2 and "needs at least 2 --cosigner" in too_few.err

    # The request page offers the same folder as a tar, to the request's own authority only.
    with signed_in(running, "XA", "duty") as browser:
        page = browser.get(f"/requests/{reference}").text
        links = re.findall(rf"/requests/{reference}/receipts/[0-9A-Z]{{26}}\.tar", page)
        assert links == [f"/requests/{reference}/receipts/{first}.tar"]
        download = browser.get(links[0])
        assert download.status_code == 200
        assert browser.get(links[0]).content == download.content  # the same bytes each time
        for bad in (second, "0" * 26, "x"):  # another request's receipt, unknown, malformed
            assert browser.get(f"/requests/{reference}/receipts/{bad}.tar").status_code == 404
    with signed_in(running, "XA", "officer") as other:  # another authority: need-to-know
        assert other.get(links[0]).status_code == 404
    with tarfile.open(fileobj=io.BytesIO(download.content)) as archive:
        archive.extractall(tmp_path / "web", filter="data")
    unpacked = tmp_path / "web" / f"receipt-{first}"
    assert sorted(p.name for p in unpacked.iterdir()) == sorted(
        [RECEIPT_FILE, PROOF_FILE, OPENING_FILE]
    )
    assert check(unpacked).code == 0


def test_receipt_refuses_what_is_not_a_delivered_message(running: Running, tmp_path: Path) -> None:
    xa = running.node("XA")
    assert xa.runtime.worker is not None
    xa.runtime.worker.stop()
    queue_request(xa)  # queued, never delivered: no receipt
    (pending,) = outbox(xa)
    assert pending.status == "pending"
    for message_id in (pending.message_id, "01ARZ3NDEKTSV4RRFFQ69G5FAV"):
        out = tmp_path / message_id
        result = hanoi(
            tmp_path,
            "exchange",
            "receipt",
            message_id,
            "--out",
            str(out),
            env=_node_env(running, "XA"),
        )
        assert result.code == 2 and "no receipt is stored" in result.err, result
        assert not out.exists()

    # A receipt stored before receipts were logged (migration 0006) has no proof, ever.
    with xa.runtime.db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.message_id == pending.message_id)
            .values(status="delivered", receipt="x.y.z", receipt_leaf=None)
        )
    old = hanoi(
        tmp_path,
        "exchange",
        "receipt",
        pending.message_id,
        "--out",
        str(tmp_path / "old"),
        env=_node_env(running, "XA"),
    )
    assert old.code == 1 and "stored before receipts were logged" in old.err, old
    assert not (tmp_path / "old").exists()


def _node_env(running: Running, code: str) -> dict[str, str]:
    node = running.federation.nodes[code]
    env = cli_env(node.home)
    env["HANOI_DATABASE_URL"] = running.federation.settings(node).database_url
    return env


def _cosigned_by_both(running: Running, message_id: str, keys: dict[str, NodeLogKeys]) -> bool:
    bundle = receipt_bundle(running.node("XA").runtime.db, message_id, quorum=2)
    if bundle.proof is None:
        return False
    witnesses = [keys["XB"].witness_verifier(), keys["XC"].witness_verifier()]
    try:
        verify_proof_file(bundle.proof, keys["XA"].log_verifier(), witnesses, 2)
    except LedgerError:
        return False
    return True
