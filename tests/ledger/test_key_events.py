"""`hanoi node rotate-key` and `revoke-key` leave a `key-rotation` entry in the node's
ledger and a row in its audit trail, through the real command; refused changes leave
nothing, and a change the database cannot record is reported, never lost: `hanoi node
log-key-changes` records it from the keyring once the database is back.

``database_url`` (tests/conftest.py) runs the main tests on SQLite and PostgreSQL; in both
cases the database is empty when the first key changes, so the command creates it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from hanoi.audit import list_events, verify_chain
from hanoi.crypto import KeyStore
from hanoi.crypto.keys import KeyRecord, format_time
from hanoi.db import Database
from hanoi.ledger import merkle, store
from hanoi.ledger.events import (
    KEY_EVENT_KIND,
    REVOKED_ACTION,
    ROTATED_ACTION,
    keyring_changes,
    log_missing_key_events,
)
from hanoi.ledger.records import LedgerRecord, open_commitment
from tests.cli.test_cli import Cmd, cli_env, expect, expect_usage_error, hanoi, hanoi_many

INIT = ("node", "init", "--state", "XA", "--name", "Arcadia node", "--url", "https://xa.example")
UNREACHABLE = "postgresql+psycopg://hanoi@127.0.0.1:1/hanoi"  # nothing listens on port 1


def _env(database_url: str, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The node's home and environment; on SQLite the node's default database file."""
    if database_url.startswith("sqlite"):
        assert database_url == f"sqlite:///{tmp_path / 'hanoi.db'}"
        return tmp_path, cli_env(tmp_path)
    home = tmp_path / "home"
    return home, cli_env(home, HANOI_DATABASE_URL=database_url)


def _key(home: Path, kid: str) -> KeyRecord:
    return KeyStore(home).keyring().find(kid)


def _ms(moment: datetime | None) -> datetime:
    """A time as a leaf keeps it: cut to whole milliseconds."""
    assert moment is not None
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def _integrated(database_url: str) -> list[LedgerRecord]:
    """Every entry of the node's log, after integrating what the commands queued."""
    db = Database(database_url)
    try:
        store.integrate_all(db)
        with db.session() as session:
            return [store.load_record(session, i) for i in range(store.tree_size(session))]
    finally:
        db.dispose()


def _pending(database_url: str) -> tuple[int, int]:
    db = Database(database_url)
    try:
        with db.session() as session:
            return store.pending_count(session), store.tree_size(session)
    finally:
        db.dispose()


def _audited(database_url: str, action: str) -> list[tuple[str, str | None, Any]]:
    db = Database(database_url)
    try:
        with db.session() as session:
            assert verify_chain(session) == []
            events = list_events(session, action=action)
            return [(e.actor, e.target_id, e.detail_data) for e in events]
    finally:
        db.dispose()


def test_rotation_and_revocation_become_ledger_entries(database_url: str, tmp_path: Path) -> None:
    home, env = _env(database_url, tmp_path)
    expect(hanoi(tmp_path, *INIT, env=env), 0)
    if database_url.startswith("sqlite"):
        assert not (tmp_path / "hanoi.db").exists()  # no database until a key changes
    keys = KeyStore(home)
    old_signing = keys.active_kid("signing")
    encryption = keys.active_kid("encryption")
    assert old_signing and encryption

    rotated = expect(
        hanoi(tmp_path, "node", "rotate-key", "signing", "--grace-days", "10", env=env), 0
    )
    assert "ledger" in rotated.out, rotated
    assert _pending(database_url) == (1, 0)
    new_signing = keys.active_kid("signing")
    assert new_signing and new_signing != old_signing
    # The keyring collapses whitespace in a reason; the entry carries the reason it kept.
    reason = "laptop  lost\tin transit"
    expect(hanoi(tmp_path, "node", "revoke-key", encryption, "--reason", reason, env=env), 0)

    # Refused changes: nothing in the keyring, nothing queued, nothing audited.
    keyring = keys.keyring_path.read_bytes()
    refused = hanoi_many(
        tmp_path,
        {
            "bad kind": Cmd(("node", "rotate-key", "age"), env=env),
            "negative grace": Cmd(("node", "rotate-key", "signing", "--grace-days", "-1"), env=env),
            "long grace": Cmd(("node", "rotate-key", "signing", "--grace-days", "3651"), env=env),
            "unknown kid": Cmd(("node", "revoke-key", "nope", "--reason", "x"), env=env),
            "revoked twice": Cmd(("node", "revoke-key", encryption, "--reason", "x"), env=env),
        },
    )
    for name, run in refused.items():
        assert run.code == 2, f"{name}: {run}"
        expect_usage_error(run)
    assert keys.keyring_path.read_bytes() == keyring
    assert _pending(database_url) == (2, 0)

    entries = [r for r in _integrated(database_url) if r.leaf.kind == KEY_EVENT_KIND]
    assert len(entries) == 2
    rotation, revocation = entries
    grace_until = _key(home, old_signing).not_after
    assert grace_until is not None
    assert open_commitment(rotation) == {
        "event": "rotate",
        "key_kind": "signing",
        "old_kid": old_signing,
        "new_kid": new_signing,
        "grace_until": format_time(grace_until),
    }
    assert rotation.leaf.node == "XA"
    assert rotation.leaf.at == _ms(_key(home, new_signing).created)
    assert open_commitment(revocation) == {
        "event": "revoke",
        "key_kind": "encryption",
        "kid": encryption,
        "reason": "laptop lost in transit",
    }
    assert revocation.leaf.at == _ms(_key(home, encryption).revoked_at)

    for action, kid, entry in (
        (ROTATED_ACTION, new_signing, rotation),
        (REVOKED_ACTION, encryption, revocation),
    ):
        leaf = merkle.leaf_hash(entry.leaf_bytes).hex()
        assert _audited(database_url, action) == [
            ("cli", kid, {**entry.detail, "ledger_leaf": leaf})
        ]

    checked = expect(hanoi(tmp_path, "ledger", "fsck", "--home", str(home), env=env), 0)
    assert "2 entries checked" in checked.out, checked


def test_a_change_the_database_cannot_record_is_reported(tmp_path: Path) -> None:
    home = tmp_path / "home"
    expect(hanoi(tmp_path, *INIT, env=cli_env(home)), 0)
    keys = KeyStore(home)
    old = keys.active_kid("encryption")
    broken = cli_env(home, HANOI_DATABASE_URL=UNREACHABLE)

    rotated = expect(hanoi(tmp_path, "node", "rotate-key", "encryption", env=broken), 1)
    new = keys.active_kid("encryption")
    assert new and new != old, "the rotation itself stands"
    line = _one_error_line(rotated.err)
    assert "encryption key was rotated" in line and "NOT recorded" in line, rotated
    assert new in line and "Connection refused" in line, rotated

    revoked = expect(hanoi(tmp_path, "node", "revoke-key", new, "--reason", "test", env=broken), 1)
    assert _key(home, new).status == "revoked"
    line = _one_error_line(revoked.err)
    assert f"key {new} was revoked" in line and "NOT recorded" in line, revoked
    assert "Do not repeat the command" in line and "hanoi node log-key-changes" in line, revoked
    # The detail is printed whole, for the operator's own record.
    detail = json.loads(line.split("Entry detail: ", 1)[1])
    assert detail == {"event": "revoke", "key_kind": "encryption", "kid": new, "reason": "test"}


def test_changes_the_database_missed_are_logged_later(database_url: str, tmp_path: Path) -> None:
    home, env = _env(database_url, tmp_path)
    broken = {**env, "HANOI_DATABASE_URL": UNREACHABLE}
    expect(hanoi(tmp_path, *INIT, env=env), 0)
    keys = KeyStore(home)
    first_signing, first_encryption = keys.active_kid("signing"), keys.active_kid("encryption")
    # The keys `node init` made are no change to log.
    nothing = expect(hanoi(tmp_path, "node", "log-key-changes", env=env), 0)
    assert nothing.out.strip() == "Every key change of the keyring is in the ledger.", nothing
    assert _pending(database_url) == (0, 0)

    # Logged normally, then integrated: reconciliation must find it in the tree.
    expect(hanoi(tmp_path, "node", "rotate-key", "signing", "--grace-days", "10", env=env), 0)
    assert len(_integrated(database_url)) == 1
    # Missed while the database is down.
    expect(hanoi(tmp_path, "node", "rotate-key", "encryption", env=broken), 1)
    missed = keys.active_kid("encryption")
    assert missed
    expect(hanoi(tmp_path, "node", "revoke-key", missed, "--reason", " gone\tsoon ", env=broken), 1)
    # Logged normally and still queued; no active key was left, so it has no old key.
    expect(hanoi(tmp_path, "node", "rotate-key", "encryption", env=env), 0)
    assert _pending(database_url) == (1, 1)

    logged = expect(hanoi(tmp_path, "node", "log-key-changes", env=env), 0)
    lines = [line for line in logged.out.splitlines() if line.startswith("Logged: ")]
    assert len(lines) == 2 and all(missed in line for line in lines), logged
    assert "rotated" in lines[0] and "revoked (gone soon)" in lines[1], logged
    assert _pending(database_url) == (3, 1)
    again = expect(hanoi(tmp_path, "node", "log-key-changes", env=env), 0)
    assert "Every key change of the keyring is in the ledger." in again.out, again
    assert _pending(database_url) == (3, 1)

    entries = [r for r in _integrated(database_url) if r.leaf.kind == KEY_EVENT_KIND]
    assert len(entries) == 4
    assert first_encryption
    old = _key(home, first_encryption)
    assert old.not_after is not None
    # What the commands would have logged, at the times the keyring gives for the changes.
    assert [(open_commitment(r), r.leaf.at) for r in entries[2:]] == [
        (
            {
                "event": "rotate",
                "key_kind": "encryption",
                "old_kid": old.kid,
                "new_kid": missed,
                "grace_until": format_time(old.not_after),
            },
            _ms(_key(home, missed).created),
        ),
        (
            {"event": "revoke", "key_kind": "encryption", "kid": missed, "reason": "gone soon"},
            _ms(_key(home, missed).revoked_at),
        ),
    ]
    # The keyring reads back exactly what the normal path logged, too.
    derived = {_change(c.detail): (c.detail, _ms(c.at)) for c in keyring_changes(keys.keyring())}
    assert {_change(r.detail): (r.detail, r.leaf.at) for r in entries} == derived
    assert first_signing not in {r.detail.get("new_kid") for r in entries}
    assert first_encryption not in {r.detail.get("new_kid") for r in entries}

    rotations = _audited(database_url, ROTATED_ACTION)
    assert [kid for _, kid, _ in rotations].count(missed) == 1 and len(rotations) == 3
    assert _audited(database_url, REVOKED_ACTION) == [
        ("cli", missed, {**entries[3].detail, "ledger_leaf": _leaf_hash(entries[3])})
    ]
    checked = expect(hanoi(tmp_path, "ledger", "fsck", "--home", str(home), env=env), 0)
    assert "4 entries checked" in checked.out, checked


def test_logging_missed_changes_is_idempotent_in_process(db: Database, tmp_path: Path) -> None:
    """The function itself: one call logs every change, oldest first; a second logs none."""
    keys = KeyStore(tmp_path)
    keys.init()
    first = keys.active_kid("signing")
    assert first
    second = keys.rotate("signing").kid
    keys.revoke(second, "test")
    third = keys.rotate("signing").kid  # after a revocation: no old key

    logged = log_missing_key_events(db, "XA", keys, actor="test")
    assert [_change(d) for d in logged] == [
        ("rotate", second),
        ("revoke", second),
        ("rotate", third),
    ]
    grace_until = _key(tmp_path, first).not_after
    assert grace_until is not None
    assert logged[0]["old_kid"] == first and logged[0]["grace_until"] == format_time(grace_until)
    assert logged[2]["old_kid"] is None and logged[2]["grace_until"] is None
    assert log_missing_key_events(db, "XA", keys, actor="test") == []
    with db.session() as session:
        assert store.pending_count(session) == 3


def _change(detail: dict[str, Any]) -> tuple[str, str]:
    return detail["event"], detail["new_kid"] if detail["event"] == "rotate" else detail["kid"]


def _leaf_hash(record: LedgerRecord) -> str:
    return merkle.leaf_hash(record.leaf_bytes).hex()


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]
