"""`hanoi evidence seal|verify|open|fsck` between the demo States' nodes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import HANOI, SEAL_REQUEST_LEFT_OUT, Run, cli_env, expect, hanoi
from tests.crypto.terminal import run_on_terminal
from tests.evidence.test_ewf import SECTION_HEADER, _acquire
from tests.exchange.conftest import Running


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the CLI over files; databases are covered by the exchange tests


def _env(running: Running, code: str, user: str = "officer") -> dict[str, str]:
    node = running.federation.nodes[code]
    env = cli_env(node.home, HANOI_USER=user)
    env["HANOI_DATABASE_URL"] = running.federation.settings(node).database_url
    return env


def test_seal_for_a_state_then_verify_and_open_there(running: Running, tmp_path: Path) -> None:
    mailbox = tmp_path / "mailbox.mbox"
    mailbox.write_bytes(os.urandom(300_000))
    package = tmp_path / "package"
    xa, xb, xc = _env(running, "XA"), _env(running, "XB"), _env(running, "XC")

    sealed = hanoi(
        tmp_path,
        "evidence",
        "seal",
        str(mailbox),
        "--to",
        "XA/XA-CA",
        "--request",
        "XA-2026-000002",
        "--out",
        str(package),
        "--json",
        env=xb,
    )
    assert sealed.code == 0, sealed
    manifest = json.loads(sealed.out)
    assert manifest["recipient"]["authority"] == "XA-CA" and manifest["sealed_by"]["state"] == "XB"

    verified = hanoi(tmp_path, "evidence", "verify", str(package), env=xa)
    assert verified.code == 0 and "verified — sealed by XB-CA (officer)" in verified.out, verified
    jwks = tmp_path / "xb.jwks"
    assert hanoi(tmp_path, "node", "show", "--jwks", "-o", str(jwks), env=xb).code == 0
    offline = hanoi(
        tmp_path,
        "evidence",
        "verify",
        str(package),
        "--key",
        str(jwks),
        "--json",
        env=cli_env(tmp_path / "nowhere"),
    )
    assert offline.code == 0 and json.loads(offline.out)["ok"] is True, offline

    opened = hanoi(
        tmp_path, "evidence", "open", str(package), "--out", str(tmp_path / "opened"), env=xa
    )
    assert opened.code == 0, opened
    assert (tmp_path / "opened" / "mailbox.mbox").read_bytes() == mailbox.read_bytes()
    stranger = hanoi(
        tmp_path, "evidence", "open", str(package), "--out", str(tmp_path / "o2"), env=xc
    )
    assert stranger.code == 2 and "does not decrypt" in stranger.err

    payload = package / "payload" / "0001.age"
    data = bytearray(payload.read_bytes())
    data[1000] ^= 0x40
    payload.write_bytes(bytes(data))
    tampered = hanoi(tmp_path, "evidence", "verify", str(package), env=xa)
    assert tampered.code == 1
    assert "payload/0001.age (mailbox.mbox): ciphertext SHA-256 does not match" in tampered.out

    empty = hanoi(tmp_path, "evidence", "fsck", env=xa)
    assert empty.code == 0 and "no blob store yet" in empty.out


def test_verify_names_a_nested_manifest_or_custody_graph_without_a_traceback(
    running: Running, tmp_path: Path
) -> None:
    evidence = tmp_path / "e.bin"
    evidence.write_bytes(b"data")
    package = tmp_path / "package"
    xa, xb = _env(running, "XA"), _env(running, "XB")
    sealed = hanoi(
        tmp_path, "evidence", "seal", str(evidence), "--to", "XA", "--out", str(package), env=xb
    )
    assert sealed.code == 0, sealed
    # Deeper than Python can recurse: json.loads alone raises RecursionError on it.
    nested = b'{"sealed_by": {"state": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    faults = {
        # Unreadable, it names no sealer whose keys could check it: the signature fails.
        "manifest.json": "DOES NOT VERIFY — manifest.jws: signer key: no valid key",
        "custody.jsonld": "DOES NOT VERIFY — custody.jsonld: nested deeper than 32 levels",
    }
    for name, fault in faults.items():
        copy = tmp_path / f"nested-{name}"
        shutil.copytree(package, copy)
        (copy / name).write_bytes(nested)
        verified = expect(hanoi(tmp_path, "evidence", "verify", str(copy), env=xa), 1)
        assert fault in verified.out, verified


def test_seal_refuses_unknown_recipients_and_existing_packages(
    running: Running, tmp_path: Path
) -> None:
    evidence = tmp_path / "e.bin"
    evidence.write_bytes(b"data")
    xb = _env(running, "XB")
    unknown_state = hanoi(
        tmp_path,
        "evidence",
        "seal",
        str(evidence),
        "--to",
        "XQ",
        "--out",
        str(tmp_path / "p"),
        env=xb,
    )
    assert unknown_state.code == 2 and "XQ: no entry in effect" in unknown_state.err
    unknown_authority = hanoi(
        tmp_path,
        "evidence",
        "seal",
        str(evidence),
        "--to",
        "XA/XA-ZZ",
        "--out",
        str(tmp_path / "p"),
        env=xb,
    )
    assert unknown_authority.code == 2 and "no authority 'XA-ZZ'" in unknown_authority.err
    (tmp_path / "p").mkdir()
    exists = hanoi(
        tmp_path,
        "evidence",
        "seal",
        str(evidence),
        "--to",
        "XA",
        "--out",
        str(tmp_path / "p"),
        env=xb,
    )
    assert exists.code == 2 and "already exists" in exists.err


def test_seal_shows_its_progress_bar_on_a_terminal_only(running: Running, tmp_path: Path) -> None:
    """A terminal sees the transient bar of bytes sealed; a pipe sees the summary alone,
    as ever (there the bar is not even made)."""
    evidence = tmp_path / "e.bin"
    evidence.write_bytes(os.urandom(100_000))
    xb = _env(running, "XB") | {"TERM": "xterm"}
    seal = (str(HANOI), "evidence", "seal", str(evidence), "--to", "XA", "--out")
    shown = run_on_terminal([*seal, str(tmp_path / "p1")], "", cwd=str(tmp_path), env=xb)
    assert shown.code == 0, shown.transcript
    assert "\x1b[?25l" in shown.transcript and "/100.0 kB" in shown.transcript, shown
    assert "Sealed 1 file(s) for XA into" in shown.transcript
    piped = hanoi(tmp_path, *seal[1:], str(tmp_path / "p2"), env=xb, process=True)
    assert piped.code == 0 and piped.err == "", piped
    assert piped.out.startswith("Sealed 1 file(s) for XA into") and "\x1b" not in piped.out


def test_seal_warns_about_an_image_whose_media_data_does_not_match(
    running: Running, tmp_path: Path
) -> None:
    raw = tmp_path / "disk.raw"
    raw.write_bytes(os.urandom(1024 * 1024))
    _acquire(raw, tmp_path / "disk", "-c", "none")
    image = tmp_path / "disk.E01"
    data = bytearray(image.read_bytes())
    data[data.index(b"sectors\x00") + SECTION_HEADER + 500_000] ^= 0xFF
    image.write_bytes(bytes(data))
    package = tmp_path / "package"
    xa, xb = _env(running, "XA"), _env(running, "XB")

    sealed = hanoi(
        tmp_path, "evidence", "seal", str(image), "--to", "XA", "--out", str(package), env=xb
    )
    assert sealed.code == 0, sealed
    assert "disk.E01" in sealed.out and "EWF image, media data NOT verified" in sealed.out
    assert sealed.err.startswith(
        "warning: disk.E01: the media data of this EWF image does not match the MD5, SHA-1"
    ), sealed

    verified = hanoi(tmp_path, "evidence", "verify", str(package), "--json", env=xa)
    assert verified.code == 0, verified
    report = json.loads(verified.out)
    assert report["manifest"]["files"][0]["forensic_image"]["verified"] is False
    assert report["warnings"][0].startswith("disk.E01: the media data")
    assert "warning: disk.E01" in verified.err


def test_seal_for_a_request_deliver_list_and_open_from_the_command_line(
    running: Running, tmp_path: Path
) -> None:
    from tests.evidence.delivery import executed_mla

    reference = executed_mla(running)
    records = tmp_path / "records.csv"
    records.write_bytes(os.urandom(200_000))
    package = tmp_path / "package"
    xa, xb = _env(running, "XA"), _env(running, "XB")
    no_target = hanoi(tmp_path, "evidence", "seal", str(records), "--out", str(package), env=xb)
    assert no_target.code == 2 and "--request REF" in no_target.err

    # In a process of its own, saying what it loaded (tests/cli/test_cli.py lists what not).
    script = (
        "import sys\n"
        "from hanoi.cli.main import app\n"
        "try:\n"
        "    app.main(sys.argv[1:], prog_name='hanoi')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        f"print('loaded:', *[m for m in {SEAL_REQUEST_LEFT_OUT!r} if m in sys.modules])\n"
    )
    seal = ("evidence", "seal", str(records), "--request", reference, "--out", str(package))
    sealed = subprocess.run(
        [sys.executable, "-c", script, *seal], capture_output=True, text=True, env=xb, check=False
    )
    assert sealed.returncode == 0, sealed
    assert "for XA-CA" in sealed.stdout and f"--request {reference}" in sealed.stdout
    assert sealed.stdout.splitlines()[-1] == "loaded:", sealed.stdout
    duty = hanoi(
        tmp_path,
        "evidence",
        "deliver",
        str(package),
        "--request",
        reference,
        env=_env(running, "XB", "duty"),
    )
    assert duty.code != 0 and f"no request {reference!r} is visible to you" in duty.err

    delivered = hanoi(
        tmp_path,
        "evidence",
        "deliver",
        str(package),
        "--request",
        reference,
        "--wait",
        "--timeout",
        "60",
        "--json",
        env=xb,
    )
    assert delivered.code == 0, delivered
    state = json.loads(delivered.out)
    assert state["status"] == "delivered" and state["verified"] is True
    assert state["bytes_done"] == state["bytes_total"]

    listed = hanoi(tmp_path, "evidence", "list", reference, "--json", env=xa)
    assert listed.code == 0, listed
    [received] = json.loads(listed.out)
    assert received["package_id"] == state["package_id"] and received["status"] == "delivered"
    assert received["files"][0]["name"] == "records.csv"

    out = tmp_path / "opened"
    opened = hanoi(
        tmp_path,
        "evidence",
        "open",
        state["package_id"],
        "--request",
        reference,
        "--out",
        str(out),
        env=xa,
    )
    assert opened.code == 0, opened
    assert (out / "records.csv").read_bytes() == records.read_bytes()
    again = hanoi(
        tmp_path,
        "evidence",
        "open",
        state["package_id"],
        "--request",
        reference,
        "--out",
        str(out),
        env=xa,
    )
    assert again.code != 0 and "already exists" in again.err

    # Opened again, one file only: each opening is a branch off the chain of custody, which
    # stays continuous, so the package (and its custody graph) still verifies.
    def open_file(index: str, into: str) -> Run:
        return hanoi(
            tmp_path,
            "evidence",
            "open",
            state["package_id"],
            "--request",
            reference,
            "--file",
            index,
            "--out",
            str(tmp_path / into),
            env=xa,
        )

    one = open_file("1", "opened-one")
    assert one.code == 0, one
    assert (tmp_path / "opened-one" / "records.csv").read_bytes() == records.read_bytes()
    missing = open_file("2", "opened-none")
    assert missing.code != 0 and "the package has no file 2" in missing.err
    folder = running.federation.nodes["XA"].home / "evidence" / state["package_id"]
    verified = hanoi(tmp_path, "evidence", "verify", str(folder), env=xa)
    assert verified.code == 0, verified
    graph = json.loads((folder / "custody.jsonld").read_text("utf-8"))
    openings = [n for n in graph["@graph"] if n.get("uco-core:name") == "opening"]
    assert len(openings) == 2 and len(openings[1]["uco-action:object"]) == 1
