"""`hanoi db upgrade`, `hanoi authority add`, `hanoi user add` on SQLite and PostgreSQL.

``database_url`` (tests/conftest.py) runs each test once per backend. On SQLite the command
finds its database the way a node does by default, from ``HANOI_HOME`` alone; on PostgreSQL
it gets ``HANOI_DATABASE_URL``.
"""

from __future__ import annotations

import json
from pathlib import Path

from hanoi.accounts.lookup import list_authorities, list_users
from hanoi.accounts.service import authenticate
from hanoi.accounts.tokens import user_for_token
from hanoi.db import Database, head_revision
from tests.cli.test_cli import Cmd, cli_env, expect, expect_usage_error, hanoi, hanoi_many

PASSWORD = "correct horse battery"
AUTHORITY = (
    "authority",
    "add",
    "XA-CA",
    "--state",
    "XA",
    "--name",
    "Arcadia Central Authority",
    "--kind",
    "central_authority",
)


def _user(name: str, role: str = "mla_officer", authority: str = "XA-CA") -> tuple[str, ...]:
    return ("user", "add", name, "--role", role, "--authority", authority, "--password-stdin")


def _node_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    if database_url.startswith("sqlite"):
        # The fixture's SQLite file is exactly the default database of HANOI_HOME=tmp_path.
        assert database_url == f"sqlite:///{tmp_path / 'hanoi.db'}"
        return cli_env(tmp_path)
    return cli_env(tmp_path / "home", HANOI_DATABASE_URL=database_url)


def test_node_setup_then_refusals(database_url: str, tmp_path: Path) -> None:
    env = _node_env(database_url, tmp_path)
    revision = f"revision {head_revision()}"

    first = expect(hanoi(tmp_path, "db", "upgrade", env=env), 0)
    assert revision in first.out, first
    again = expect(hanoi(tmp_path, "db", "upgrade", env=env), 0)
    assert again.out == first.out
    if database_url.startswith("sqlite"):
        assert (tmp_path / "hanoi.db").is_file()

    assert "XA-CA" in expect(hanoi(tmp_path, *AUTHORITY, env=env), 0).out
    added = expect(hanoi(tmp_path, *_user("alice"), stdin=f"{PASSWORD}\n", env=env), 0)
    assert "alice" in added.out
    assert PASSWORD not in added.out + added.err
    assert (
        "alice's pages are in ar"
        in expect(hanoi(tmp_path, "user", "language", "alice", "ar", env=env), 0).out
    )

    refusals = {
        "unknown role": (Cmd(_user("bob", role="overlord"), PASSWORD.encode(), env), "overlord"),
        "unknown authority": (
            Cmd(_user("bob", authority="ZZ-CA"), PASSWORD.encode(), env),
            "ZZ-CA",
        ),
        "duplicate user": (Cmd(_user("alice"), b"another long password\n", env), "alice"),
        "short password": (Cmd(_user("bob"), b"elevenchars\n", env), "12"),
        "bad user name": (Cmd(_user("Bob Smith"), PASSWORD.encode(), env), "Bob Smith"),
        "unknown language": (Cmd(("user", "language", "alice", "de"), b"", env), "choose one of"),
        "language of nobody": (Cmd(("user", "language", "bob", "fr"), b"", env), "bob"),
    }
    runs = hanoi_many(tmp_path, {case: cmd for case, (cmd, _) in refusals.items()})

    # What the refusals left behind: nothing. What the first run stored: alice, whose
    # password is the stdin line without its newline.
    database = Database(database_url)
    try:
        with database.session() as session:
            assert [a.code for a in list_authorities(session)] == ["XA-CA"]
            assert [(u.username, u.role, u.language) for u in list_users(session)] == [
                ("alice", "mla_officer", "ar")
            ]
            assert authenticate(session, username="alice", password=PASSWORD).username == "alice"
    finally:
        database.dispose()

    failures = []
    for case, (_, fragment) in refusals.items():
        try:
            line = expect_usage_error(runs[case], fragment)
            assert "elevenchars" not in line, "the refused password is echoed"
        except AssertionError as exc:
            failures.append(f"{case}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_unreachable_database_is_a_usage_error(tmp_path: Path) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    env = cli_env(tmp_path, HANOI_DATABASE_URL="postgresql+psycopg://hanoi@127.0.0.1:1/hanoi")
    expect_usage_error(hanoi(tmp_path, "db", "upgrade", env=env))


def test_api_tokens_are_made_listed_and_revoked(database_url: str, tmp_path: Path) -> None:
    env = _node_env(database_url, tmp_path)
    expect(hanoi(tmp_path, "db", "upgrade", env=env), 0)
    expect(hanoi(tmp_path, *AUTHORITY, env=env), 0)
    expect(hanoi(tmp_path, *_user("alice"), stdin=f"{PASSWORD}\n", env=env), 0)

    made = expect(
        hanoi(
            tmp_path,
            *("user", "token", "create", "alice", "--label", "CMS", "--scope", "write"),
            *("--expires", "30", "--json"),
            env=env,
        ),
        0,
    )
    token = json.loads(made.out)
    assert token["token"].startswith("hanoi_") and token["scopes"] == ["write"]
    listed = json.loads(
        expect(hanoi(tmp_path, "user", "token", "list", "alice", "--json", env=env), 0).out
    )
    assert [(t["prefix"], t["label"], t["revoked_at"]) for t in listed] == [
        (token["prefix"], "CMS", None)
    ]
    assert token["token"] not in json.dumps(listed)  # shown once, kept only as its hash

    expect_usage_error(
        hanoi(tmp_path, "user", "token", "create", "alice", "--scope", "admin", env=env),
        "unknown scope",
    )
    expect_usage_error(
        hanoi(tmp_path, "user", "token", "create", "alice", "--expires", "0", env=env), "days"
    )
    expect_usage_error(hanoi(tmp_path, "user", "token", "create", "nobody", env=env), "nobody")
    expect_usage_error(
        hanoi(tmp_path, "user", "token", "revoke", "alice", "hanoi_nope", env=env), "no token"
    )
    revoked = expect(
        hanoi(tmp_path, "user", "token", "revoke", "alice", token["prefix"], env=env), 0
    )
    assert "revoked" in revoked.out
    after = json.loads(hanoi(tmp_path, "user", "token", "list", "alice", "--json", env=env).out)
    assert after[0]["revoked_at"] is not None
    database = Database(database_url)
    try:
        with database.session() as session:
            assert user_for_token(session, token["token"], method="GET", path="/") is None
    finally:
        database.dispose()
