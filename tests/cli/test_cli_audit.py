"""`hanoi audit verify`: the routine check from the checkpoint, and `--full` from the first
event, which finds a change to an event the routine check has already passed."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from hanoi import audit
from hanoi.db import Database
from tests.cli.test_cli import cli_env, expect, hanoi


def _audit_verify(tmp_path: Path, url: str, *args: str) -> tuple[int, str]:
    env = cli_env(tmp_path / "home", HANOI_DATABASE_URL=url)
    run = hanoi(tmp_path, "audit", "verify", *args, env=env)
    assert "Traceback" not in run.err, run
    return run.code, run.out


def _tamper(db: Database, event_id: int) -> None:
    """Behind the triggers' back, as someone with direct access to the database could."""
    with db.session() as session:
        if db.dialect == "sqlite":
            session.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
    with db.session() as session:
        session.execute(
            text("UPDATE audit_events SET actor = 'mallory' WHERE id = :id"), {"id": event_id}
        )


def test_full_verification_finds_what_the_routine_check_has_passed(
    tmp_path: Path, db: Database
) -> None:
    with db.session() as session:
        ids = [audit.record(session, actor="alice", action="draft.view").id for _ in range(4)]
    code, out = _audit_verify(tmp_path, db.url)
    assert code == 0 and "4 audit events verified since the last checkpoint" in out
    assert f"Hash chain intact; verified up to event {ids[-1]}." in out
    assert _audit_verify(tmp_path, db.url)[1].startswith("0 audit events verified")

    _tamper(db, ids[1])
    code, out = _audit_verify(tmp_path, db.url)
    assert code == 0  # before the checkpoint: the routine check does not read it again
    code, out = _audit_verify(tmp_path, db.url, "--full")
    assert code == 1, out
    assert "4 audit events verified from the first event" in out
    assert f"BROKEN  event {ids[1]}" in out
    code, out = _audit_verify(tmp_path, db.url, "--full", "--json")
    assert code == 1
    assert json.loads(out) == {
        "intact": False,
        "broken": [ids[1]],
        "checked": 4,
        "checkpoint": ids[-1],
        "full": True,
    }


def test_verify_on_an_empty_trail(tmp_path: Path, db: Database) -> None:
    run = expect(
        hanoi(
            tmp_path,
            "audit",
            "verify",
            "--full",
            env=cli_env(tmp_path / "h", HANOI_DATABASE_URL=db.url),
        ),
        0,
    )
    assert "Hash chain intact; verified up to event 0." in run.out
