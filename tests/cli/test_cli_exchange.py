"""`hanoi request send|list|show|act` between running nodes, and `hanoi demo`."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from hanoi.accounts.models import Authority
from hanoi.cases.evidence import NodeFiles
from hanoi.db import Database
from hanoi.demo.scenario import example_document
from hanoi.directory.local_copy import LocalCopy
from hanoi.exchange.models import OutboxMessage
from hanoi.ledger.keys import NodeLogKeys
from hanoi.treaty import demo_record
from tests.cli.test_cli import cli_env, expect, hanoi
from tests.exchange.conftest import Running, free_port_base
from tests.exchange.helpers import preservation, wait_delivered


# The CLI is a thin layer over the same services the exchange tests run on both engines:
# one engine is enough here, and each of these tests starts many processes.
@pytest.fixture
def backend() -> str:
    return "sqlite"


def _env(running: Running, code: str, user: str) -> dict[str, str]:
    node = running.federation.nodes[code]
    env = cli_env(node.home, HANOI_USER=user)
    env["HANOI_DATABASE_URL"] = running.federation.settings(node).database_url
    return env


def test_send_act_list_show_between_two_nodes(running: Running, tmp_path: Path) -> None:
    document = tmp_path / "preservation.json"
    document.write_text(json.dumps(preservation()))
    xa, xb = _env(running, "XA", "duty"), _env(running, "XB", "duty")

    sent = hanoi(tmp_path, "request", "send", str(document), env=xa)
    assert sent.code == 0, sent.err
    reference = sent.out.splitlines()[0]
    assert reference.startswith(f"XA-{date.today().year}-")
    assert "delivered to XB-247; signed receipt stored" in sent.out

    inbox = hanoi(tmp_path, "request", "list", "--inbox", "--json", env=xb)
    assert inbox.code == 0, inbox.err
    [row] = json.loads(inbox.out)
    assert row["reference"] == reference and row["status"] == "received"
    assert row["next_deadline"]["rule"] == "acknowledge-24-7"
    assert json.loads(hanoi(tmp_path, "request", "list", "--outbox", "--json", env=xb).out) == []

    acknowledged = hanoi(tmp_path, "request", "act", reference, "acknowledge", env=xb)
    assert acknowledged.code == 0 and "acknowledged; delivered to XA-247" in acknowledged.out

    too_soon = (date.today() + timedelta(days=59)).isoformat()
    refused = hanoi(tmp_path, "request", "act", reference, "preserve", "--until", too_soon, env=xb)
    assert refused.code == 2 and "at least 60 days" in refused.err
    until = (date.today() + timedelta(days=90)).isoformat()
    preserved = hanoi(tmp_path, "request", "act", reference, "preserve", "--until", until, env=xb)
    assert preserved.code == 0, preserved.err

    no_ground = hanoi(
        tmp_path, "request", "act", reference, "refuse", env=_env(running, "XB", "officer")
    )
    assert no_ground.code == 2 and "no request" in no_ground.err  # other authority: need-to-know
    duty_refuses = hanoi(tmp_path, "request", "act", reference, "refuse", "--reason", "x", env=xb)
    assert duty_refuses.code == 2 and "may not refuse" in duty_refuses.err
    bad_action = hanoi(tmp_path, "request", "act", reference, "lapse", env=xb)
    assert bad_action.code == 2 and "unknown action" in bad_action.err
    bad_date = hanoi(tmp_path, "request", "act", reference, "extend", "--until", "soon", env=xb)
    assert bad_date.code == 2 and "not a date" in bad_date.err

    shown = hanoi(tmp_path, "request", "show", reference, "--json", env=xa)
    assert shown.code == 0, shown.err
    data = json.loads(shown.out)
    assert data["status"] == "preserved" and data["preserved_until"] == until
    assert data["actions"] == ["withdraw", "inquire", "reply"]
    whats = [item["what"] for item in data["timeline"]]
    assert whats.count("message received") == 2 and "receipt" in whats
    human = hanoi(tmp_path, "request", "show", reference, env=xa)
    assert "preserved until" in human.out and "Timeline:" in human.out


def test_send_refuses_an_incomplete_request_and_an_unknown_user(
    running: Running, tmp_path: Path
) -> None:
    document = tmp_path / "incomplete.json"
    document.write_text(json.dumps(preservation(necessity=None)))
    xa = _env(running, "XA", "duty")

    incomplete = hanoi(tmp_path, "request", "send", str(document), env=xa)
    assert incomplete.code == 1 and "necessity" in incomplete.out and "not sent" in incomplete.out
    stranger = hanoi(tmp_path, "request", "send", str(document), env=_env(running, "XA", "mallory"))
    assert stranger.code == 2 and "no active user 'mallory'" in stranger.err
    listed = hanoi(tmp_path, "request", "list", "--json", env=xa)
    assert json.loads(listed.out) == []


def test_demo_scenario_runs_end_to_end(tmp_path: Path) -> None:
    run = hanoi(
        tmp_path,
        "demo",
        "--home",
        str(tmp_path / "demo"),
        "--port-base",
        str(free_port_base()),
        "--scenario-only",
        "--json",
    )
    assert run.code == 0, run.out + run.err
    summary = json.loads(run.out)
    assert summary["scenario"]["ok"] is True
    assert [s["status"] for s in summary["scenario"]["steps"]] == [
        "received",
        "acknowledged",
        "preserved",
        "awaiting_approval",
        "received",
        "executed",
        "delivered",
        "opened",
        "proved",
        "package-proved",
        "received",
        "refused",
        "receipts-proved",
    ]
    assert [n["state"] for n in summary["nodes"]] == ["XA", "XB", "XC"]
    assert {p.name for p in (tmp_path / "demo").iterdir()} == {"XA", "XB", "XC", "secretariat"}
    # Every node holds the fictional treaty record, verified with the directory, and its
    # entries agree with it.
    for code in ("XA", "XB", "XC"):
        home = tmp_path / "demo" / code
        assert LocalCopy(home).treaty_record() == demo_record()
        shown = expect(hanoi(tmp_path, "directory", "show", "--home", str(home)), 0).out
        assert "Treaty record: verified" in shown and "RECORD WINS" not in shown
    opened = Path(summary["scenario"]["steps"][7]["detail"])
    assert opened.is_relative_to(tmp_path / "demo" / "XA")
    assert sorted(p.name for p in opened.iterdir()) == ["access-log.csv", "subscriber.txt"]
    # The proof file checks offline with the CLI, cosigned by XB's and XC's witnesses.
    proof = summary["scenario"]["steps"][8]["detail"]
    keys = {code: NodeLogKeys.from_home(tmp_path / "demo" / code) for code in ("XA", "XB", "XC")}
    checked = hanoi(
        tmp_path,
        "ledger",
        "verify-proof",
        proof,
        "--key",
        keys["XA"].log_verifier().key_string(),
        "--cosigner",
        keys["XB"].witness_verifier().key_string(),
        "--cosigner",
        keys["XC"].witness_verifier().key_string(),
        "--quorum",
        "2",
        env=cli_env(tmp_path / "nowhere"),
    )
    assert checked.code == 0, checked
    assert "cosigned by hanoi/XB/witness, hanoi/XC/witness" in checked.out
    _every_receipt_is_proved(tmp_path, keys)
    _both_packages_carry_their_proofs(
        tmp_path, keys, Path(summary["scenario"]["steps"][9]["detail"])
    )


def _both_packages_carry_their_proofs(
    tmp_path: Path, keys: dict[str, NodeLogKeys], xa_folder: Path
) -> None:
    nowhere = cli_env(tmp_path / "nowhere")
    package_id = xa_folder.name
    for code, others in (("XA", ("XB", "XC")), ("XB", ("XA", "XC"))):
        folder = NodeFiles(tmp_path / "demo" / code).folder(package_id)
        proofs = sorted((folder / "proofs").iterdir())
        assert len(proofs) >= 3, proofs  # offered or sealed, delivered or received, ...
        cosigners = [
            arg for o in others for arg in ("--cosigner", keys[o].witness_verifier().key_string())
        ]
        log_key = keys[code].log_verifier().key_string()
        for proof in proofs:
            checked = hanoi(
                tmp_path,
                "ledger",
                "verify-proof",
                str(proof),
                "--key",
                log_key,
                *cosigners,
                "--quorum",
                "2",
                env=nowhere,
            )
            assert checked.code == 0 and f"at {code}" in checked.out, checked


def _every_receipt_is_proved(tmp_path: Path, keys: dict[str, NodeLogKeys]) -> None:
    """Every message a node delivered has a receipt folder whose proof verifies offline,
    cosigned by the two other States; each receipt file is the one its entry commits to."""
    nowhere = cli_env(tmp_path / "nowhere")
    for code, others in (("XA", ("XB", "XC")), ("XB", ("XA", "XC")), ("XC", ("XA", "XB"))):
        home = tmp_path / "demo" / code
        with Database(f"sqlite:///{home / 'hanoi.db'}").session() as session:
            delivered = set(
                session.scalars(
                    select(OutboxMessage.message_id).where(OutboxMessage.status == "delivered")
                )
            )
        folders = {p.name: p for p in (home / "receipts").iterdir()}
        assert delivered and set(folders) == delivered
        cosigners = [
            arg for o in others for arg in ("--cosigner", keys[o].witness_verifier().key_string())
        ]
        log_key = keys[code].log_verifier().key_string()
        for message_id, folder in folders.items():
            plain = hanoi(
                tmp_path,
                "ledger",
                "verify-proof",
                str(folder / "receipt.tlog-proof"),
                "--key",
                log_key,
                *cosigners,
                "--quorum",
                "2",
                env=nowhere,
            )
            assert plain.code == 0 and f"receipt at {code}" in plain.out, plain
            checked = hanoi(
                tmp_path,
                "exchange",
                "verify-receipt",
                str(folder),
                "--key",
                log_key,
                *cosigners,
                "--quorum",
                "2",
                "--json",
                env=nowhere,
            )
            assert checked.code == 0, checked
            detail = json.loads(checked.out)["receipt"]
            assert detail["message"] == message_id
            assert (
                detail["receipt_sha256"]
                == hashlib.sha256((folder / "receipt.jws").read_bytes()).hexdigest()
            )


def test_conditions_and_deadlines_from_the_command_line(running: Running, tmp_path: Path) -> None:
    document = tmp_path / "preservation.json"
    document.write_text(json.dumps(preservation()))
    xa, xb = _env(running, "XA", "duty"), _env(running, "XB", "duty")
    sent = hanoi(
        tmp_path, "request", "send", str(document), "--condition", "speciality:Only case 17", env=xa
    )
    assert sent.code == 0, sent
    reference = sent.out.splitlines()[0]
    bad = hanoi(tmp_path, "request", "send", str(document), "--condition", "nonsense", env=xa)
    assert bad.code == 2 and "KIND:TEXT" in bad.err

    added = hanoi(
        tmp_path,
        "request",
        "condition",
        reference,
        "confidentiality",
        "Do not tell the user.",
        env=xb,
    )
    assert added.code == 0 and "confidentiality recorded; delivered to XA-247" in added.out
    no_target = hanoi(tmp_path, "request", "condition", reference, "onward-transfer", "ok", env=xb)
    assert no_target.code == 2 and "names the third State" in no_target.err
    shown = hanoi(tmp_path, "request", "show", reference, env=xa)
    assert "condition (speciality, set by XA): Only case 17" in shown.out
    assert "condition (confidentiality, set by XB): Do not tell the user." in shown.out

    due = json.loads(hanoi(tmp_path, "request", "deadlines", "--json", env=xb).out)
    assert [(d["reference"], d["rule"], d["state"]) for d in due] == [
        (reference, "acknowledge-24-7", "open")
    ]
    assert (
        json.loads(hanoi(tmp_path, "request", "deadlines", "--overdue", "--json", env=xb).out) == []
    )
    env = xb | {"HANOI_ACK_HOURS_24_7": "many"}
    misconfigured = hanoi(tmp_path, "request", "deadlines", env=env)
    assert misconfigured.code == 2 and "HANOI_ACK_HOURS_24_7" in misconfigured.err


def test_a_refused_message_is_quarantined_then_retried_after_the_fix(
    running: Running, tmp_path: Path
) -> None:
    document = tmp_path / "preservation.json"
    document.write_text(json.dumps(preservation()))
    xa = _env(running, "XA", "duty")
    xb_db = running.node("XB").runtime.db

    def rename(old: str, new: str) -> None:
        with xb_db.session() as session:
            authority = session.scalar(select(Authority).where(Authority.code == old))
            assert authority is not None
            authority.code = new

    rename("XB-247", "XB-OLD")  # XB's node no longer has the addressed authority
    sent = hanoi(tmp_path, "request", "send", str(document), env=xa)
    assert sent.code == 0 and "REFUSED by XB-247 (quarantined)" in sent.out, sent
    assert "no authority XB-247" in sent.out
    [stuck] = json.loads(
        hanoi(tmp_path, "exchange", "outbox", "--status", "quarantined", "--json", env=xa).out
    )

    rename("XB-OLD", "XB-247")
    retried = hanoi(tmp_path, "exchange", "retry", stuck["message_id"], env=xa)
    assert retried.code == 0, retried
    again = hanoi(tmp_path, "exchange", "retry", stuck["message_id"], env=xa)
    assert again.code == 2 and "not quarantined" in again.err
    unknown = hanoi(tmp_path, "exchange", "retry", "01J00000000000000000000000", env=xa)
    assert unknown.code == 2 and "no message" in unknown.err
    bad_status = hanoi(tmp_path, "exchange", "outbox", "--status", "lost", env=xa)
    assert bad_status.code == 2 and "unknown delivery state" in bad_status.err

    wait_delivered(running.node("XA"))  # the running node's worker sends it again
    [row] = json.loads(hanoi(tmp_path, "exchange", "outbox", "--json", env=xa).out)
    assert row["status"] == "delivered" and row["attempts"] == 2


def test_four_eyes_from_the_command_line(running: Running, tmp_path: Path) -> None:
    document = tmp_path / "mla.json"
    document.write_text(
        json.dumps(example_document("mla", date_of_request=date.today().isoformat()))
    )
    officer, supervisor = _env(running, "XA", "officer"), _env(running, "XA", "supervisor")

    sent = hanoi(tmp_path, "request", "send", str(document), env=officer)
    assert sent.code == 0, sent.err
    reference = sent.out.splitlines()[0]
    assert "Awaiting a supervisor's approval" in sent.out
    waiting = hanoi(tmp_path, "request", "approvals", "--json", env=supervisor)
    assert [(r["reference"], r["submitted_by"]) for r in json.loads(waiting.out)] == [
        (reference, "officer")
    ]
    # An officer may not approve; a return needs its comment; the submitter never approves.
    assert hanoi(tmp_path, "request", "approve", reference, env=officer).code == 2
    no_comment = hanoi(tmp_path, "request", "return", reference, env=supervisor)
    assert no_comment.code == 2 and "--comment" in no_comment.err

    approved = hanoi(
        tmp_path, "request", "approve", reference, "--comment", "Checked.", env=supervisor
    )
    assert approved.code == 0, approved.err
    assert f"{reference}: approved; delivered to XB-CA" in approved.out
    assert hanoi(tmp_path, "request", "approvals", env=supervisor).out.strip() == (
        "Nothing waits for approval."
    )
    again = hanoi(tmp_path, "request", "approve", reference, env=supervisor)
    assert again.code == 2 and "must be awaiting_approval" in again.err

    # A second one is not wanted after all: discarded, it never leaves.
    second = hanoi(tmp_path, "request", "send", str(document), env=officer).out.splitlines()[0]
    dropped = hanoi(
        tmp_path, "request", "discard", second, "--reason", "Sent twice.", "--json", env=officer
    )
    assert dropped.code == 0, dropped.err
    assert json.loads(dropped.out) == {"reference": second, "status": "discarded"}
    twice = hanoi(tmp_path, "request", "discard", second, env=officer)
    assert twice.code == 2 and "discarded" in twice.err


def test_send_refuses_an_authority_the_directory_does_not_list(
    running: Running, tmp_path: Path
) -> None:
    """Refused before anything is recorded: exit 1 naming the authority and those XB has,
    nothing queued for XB's node to refuse, and the next request gets the next reference."""
    document = tmp_path / "preservation.json"
    document.write_text(json.dumps(preservation()))
    xa = _env(running, "XA", "duty")

    refused = hanoi(tmp_path, "request", "send", str(document), "--to", "XB-NOPE", env=xa)
    assert refused.code == 1 and refused.out == "", refused
    assert refused.err.splitlines() == [
        f"error: {document}: not sent — XB-NOPE is not an authority of XB in the directory; "
        "XB's authorities: XB-CA, XB-247"
    ]
    assert json.loads(hanoi(tmp_path, "request", "list", "--json", env=xa).out) == []
    assert json.loads(hanoi(tmp_path, "exchange", "outbox", "--json", env=xa).out) == []

    sent = hanoi(tmp_path, "request", "send", str(document), "--to", "XB-CA", env=xa)
    assert sent.code == 0, sent
    assert sent.out.splitlines()[0] == f"XA-{date.today().year}-000001"  # none used up
    assert "delivered to XB-CA" in sent.out
