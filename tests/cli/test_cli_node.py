"""`hanoi db upgrade`, `hanoi authority add`, `hanoi user add` on SQLite and PostgreSQL.

``database_url`` (tests/conftest.py) runs each test once per backend. On SQLite the command
finds its database the way a node does by default, from ``HANOI_HOME`` alone; on PostgreSQL
it gets ``HANOI_DATABASE_URL``.
"""

from __future__ import annotations

from pathlib import Path

from hanoi.accounts import authenticate, list_authorities, list_users
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

    refusals = {
        "unknown role": (Cmd(_user("bob", role="overlord"), PASSWORD.encode(), env), "overlord"),
        "unknown authority": (
            Cmd(_user("bob", authority="ZZ-CA"), PASSWORD.encode(), env),
            "ZZ-CA",
        ),
        "duplicate user": (Cmd(_user("alice"), b"another long password\n", env), "alice"),
        "short password": (Cmd(_user("bob"), b"elevenchars\n", env), "12"),
        "bad user name": (Cmd(_user("Bob Smith"), PASSWORD.encode(), env), "Bob Smith"),
    }
    runs = hanoi_many(tmp_path, {case: cmd for case, (cmd, _) in refusals.items()})

    # What the refusals left behind: nothing. What the first run stored: alice, whose
    # password is the stdin line without its newline.
    database = Database(database_url)
    try:
        with database.session() as session:
            assert [a.code for a in list_authorities(session)] == ["XA-CA"]
            assert [(u.username, u.role) for u in list_users(session)] == [("alice", "mla_officer")]
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
