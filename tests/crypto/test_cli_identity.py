"""`hanoi node init|show|rotate-key|revoke-key` as commands (run in the test process, see
tests/cli/inprocess.py): exit codes 0 and 2, one error line and no traceback for bad input,
no private material in any output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hanoi.crypto import KeyStore
from tests.cli.test_cli import Cmd, cli_env, expect, expect_usage_error, hanoi, hanoi_many

PASSPHRASE = "correct horse battery staple"
INIT = ("node", "init", "--state", "XA", "--name", "Arcadia node", "--url", "https://xa.example")


def _private_members(value: Any) -> list[str]:
    """Every JSON member named like a private key part ("d") or holding an age secret key."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "d":
                found.append(key)
            found += _private_members(item)
    elif isinstance(value, list):
        for item in value:
            found += _private_members(item)
    elif isinstance(value, str) and "AGE-SECRET-KEY" in value:
        found.append(value[:20])
    return found


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("xa") / "home"
    expect(hanoi(home.parent, *INIT, env=cli_env(home)), 0)
    return home


def test_init_prints_the_kids_and_recipient(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run = expect(hanoi(tmp_path, *INIT, env=cli_env(home)), 0)
    store = KeyStore(home)
    for kind in ("signing", "encryption"):
        kid = store.active_kid(kind)
        assert kid and kid in run.out, run
    assert store.age_recipient() in run.out
    node = json.loads((home / "node.json").read_text())
    assert node["state"] == "XA" and node["name"] == "Arcadia node"
    assert node["url"] == "https://xa.example"
    assert node["kids"] == {
        "signing": store.active_kid("signing"),
        "encryption": store.active_kid("encryption"),
    }
    assert (home.stat().st_mode & 0o777) == 0o700
    assert "AGE-SECRET-KEY" not in run.out + run.err

    keyring = store.keyring_path.read_bytes()
    again = expect_usage_error(hanoi(tmp_path, *INIT, env=cli_env(home)), "already has")
    assert "refusing" in again
    # Keys without node.json are protected as well.
    (home / "node.json").unlink()
    expect_usage_error(hanoi(tmp_path, *INIT, env=cli_env(home)), "already holds keys")
    assert store.keyring_path.read_bytes() == keyring


def test_show_is_public_only(node: Path) -> None:
    runs = hanoi_many(
        node.parent,
        {"json": Cmd(("node", "show", "--json"), env=cli_env(node)), "text": Cmd(("node", "show"))},
    )
    data = json.loads(expect(runs["json"], 0).out)
    assert _private_members(data) == []
    assert '"d"' not in runs["json"].out
    store = KeyStore(node)
    assert data["kids"]["signing"] == store.active_kid("signing")
    assert data["age_recipient"] == store.age_recipient()
    assert data["protected"] is False
    assert [k["use"] for k in data["jwks"]["keys"]] == ["sig", "enc"]
    # The text form names the default home (none here): a usage error, not a traceback.
    expect_usage_error(runs["text"], "no node identity", "hanoi node init")


def test_rotate_then_revoke(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(home)
    expect(hanoi(tmp_path, *INIT, env=env), 0)
    store = KeyStore(home)
    first = store.active_kid("signing")

    rotated = expect(
        hanoi(tmp_path, "node", "rotate-key", "signing", "--grace-days", "10", env=env), 0
    )
    second = store.active_kid("signing")
    assert second and second != first and second in rotated.out and first in rotated.out
    shown = expect(hanoi(tmp_path, "node", "show", env=env), 0).out
    assert f"{first}  grace" in shown and f"{second}  active" in shown

    revoked = expect(
        hanoi(tmp_path, "node", "revoke-key", second, "--reason", "lost laptop", env=env), 0
    )
    assert "no active signing key" in revoked.out and "rotate-key signing" in revoked.out
    data = json.loads(expect(hanoi(tmp_path, "node", "show", "--json", env=env), 0).out)
    statuses = {k["kid"]: k["status"] for k in data["jwks"]["keys"]}
    assert statuses[second] == "revoked" and data["kids"]["signing"] is None
    assert json.loads((home / "node.json").read_text())["kids"]["signing"] is None

    expect(hanoi(tmp_path, "node", "rotate-key", "signing", env=env), 0)
    assert json.loads((home / "node.json").read_text())["kids"]["signing"] == store.active_kid(
        "signing"
    )


def test_passphrase_protected_node(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(home)
    run = expect(hanoi(tmp_path, *INIT, "--passphrase-stdin", stdin=f"{PASSPHRASE}\n", env=env), 0)
    assert "not passphrase-protected" not in run.out
    assert (home / "keys" / "age-identity.txt.age").exists()
    rotate = ("node", "rotate-key", "encryption", "--passphrase-stdin")
    runs = hanoi_many(
        tmp_path,
        {
            "missing": Cmd(("node", "rotate-key", "encryption"), env=env),
            "wrong": Cmd(rotate, b"wrong horse battery\n", env),
            "empty": Cmd(rotate, b"\n", env),
        },
    )
    expect_usage_error(runs["missing"], "passphrase-protected")
    wrong = expect_usage_error(runs["wrong"], "wrong passphrase")
    assert "horse" not in wrong
    expect_usage_error(runs["empty"], "no passphrase")
    assert len(KeyStore(home).records()) == 2
    expect(hanoi(tmp_path, *rotate, stdin=f"{PASSPHRASE}\n", env=env), 0)
    assert len(KeyStore(home).records()) == 3


def test_bad_input_is_one_error_line(node: Path, tmp_path: Path) -> None:
    def fresh(tag: str) -> dict[str, str]:
        # One empty home per command: they run side by side and must not race.
        return cli_env(tmp_path / f"fresh-{tag}")

    env = cli_env(node)
    base = ("node", "init", "--name", "N")
    commands = {
        "lower-case state": (
            Cmd((*base, "--state", "xa", "--url", "https://a.example"), env=fresh("1")),
            "--state",
        ),
        "long state": (
            Cmd((*base, "--state", "XAB", "--url", "https://a.example"), env=fresh("2")),
            "--state",
        ),
        "ftp url": (
            Cmd((*base, "--state", "XA", "--url", "ftp://a.example"), env=fresh("3")),
            "--url",
        ),
        "no host": (Cmd((*base, "--state", "XA", "--url", "https://"), env=fresh("4")), "--url"),
        "credentials": (
            Cmd((*base, "--state", "XA", "--url", "https://u:p@a.example"), env=fresh("5")),
            "password",
        ),
        "bad port": (
            Cmd((*base, "--state", "XA", "--url", "https://a.example:99999"), env=fresh("6")),
            "port",
        ),
        "blank name": (
            Cmd(
                ("node", "init", "--name", " ", "--state", "XA", "--url", "https://a.example"),
                env=fresh("7"),
            ),
            "--name",
        ),
        "short passphrase": (
            Cmd(
                (*base, "--state", "XA", "--url", "https://a.example", "--passphrase-stdin"),
                b"short\n",
                fresh("8"),
            ),
            "8 to 1024",
        ),
        "bad kind": (Cmd(("node", "rotate-key", "age"), env=env), "signing or encryption"),
        "negative grace": (
            Cmd(("node", "rotate-key", "signing", "--grace-days", "-1"), env=env),
            "--grace-days",
        ),
        "unknown kid": (
            Cmd(("node", "revoke-key", "nope", "--reason", "x"), env=env),
            "no key with kid",
        ),
        # One kid in 64 begins with '-': it still reaches the keyring, not Click's parser.
        "unknown kid with a dash": (
            Cmd(("node", "revoke-key", "-e-nope", "--reason", "x"), env=env),
            "no key with kid",
        ),
        "blank reason": (
            Cmd(
                (
                    "node",
                    "revoke-key",
                    "--reason",
                    " ",
                    "--",  # a kid may start with '-': never let it read as an option
                    KeyStore(node).active_kid("encryption") or "",
                ),
                env=env,
            ),
            "reason",
        ),
        "passphrase on plain node": (
            Cmd(
                ("node", "rotate-key", "signing", "--passphrase-stdin"), b"long enough pass\n", env
            ),
            "not passphrase-protected",
        ),
        "show without node": (Cmd(("node", "show", "--json"), env=fresh("14")), "no node identity"),
    }
    keyring = (node / "keys" / "keyring.json").read_bytes()
    runs = hanoi_many(tmp_path, {name: cmd for name, (cmd, _) in commands.items()})
    for name, (_, fragment) in commands.items():
        expect_usage_error(runs[name], fragment)
    assert (node / "keys" / "keyring.json").read_bytes() == keyring
    assert not any(tmp_path.glob("fresh-*/node.json"))


def test_a_damaged_keyring_is_a_usage_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(home)
    expect(hanoi(tmp_path, *INIT, env=env), 0)
    (home / "keys" / "keyring.json").write_text('{"format": "hanoi-keyring/1"')
    expect_usage_error(hanoi(tmp_path, "node", "show", env=env), "keyring.json", "damaged")


def test_show_jwks_exports_public_keys_with_status(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(home)
    expect(hanoi(tmp_path, *INIT, env=env), 0)
    expect(hanoi(tmp_path, "node", "rotate-key", "signing", env=env), 0)
    store = KeyStore(home)

    printed = json.loads(expect(hanoi(tmp_path, "node", "show", "--jwks", env=env), 0).out)
    assert printed == store.public_jwks()
    assert _private_members(printed) == []
    statuses = [(k["crv"], k["status"]) for k in printed["keys"]]
    assert statuses == [("Ed25519", "grace"), ("X25519", "active"), ("Ed25519", "active")]

    written = expect(hanoi(tmp_path, "node", "show", "--jwks", "-o", "xa.jwks", env=env), 0).out
    assert "3 key(s), 3 active or in grace" in written and "no private key" in written
    assert json.loads((tmp_path / "xa.jwks").read_text()) == printed
    # Never overwritten without --force; with it, the file follows the keyring.
    expect_usage_error(
        hanoi(tmp_path, "node", "show", "--jwks", "-o", "xa.jwks", env=env), "already exists"
    )
    kid = store.active_kid("encryption")
    assert kid is not None
    expect(hanoi(tmp_path, "node", "revoke-key", kid, "--reason", "test", env=env), 0)
    expect(hanoi(tmp_path, "node", "show", "--jwks", "-o", "xa.jwks", "--force", env=env), 0)
    again = json.loads((tmp_path / "xa.jwks").read_text())
    assert {k["kid"]: k["status"] for k in again["keys"]}[kid] == "revoked"
    expect_usage_error(hanoi(tmp_path, "node", "show", "-o", "x.jwks", env=env), "--jwks")
