"""The node's age identity with the standard `age` CLI (Debian `age` 1.1) and with pyrage."""

from __future__ import annotations

import io
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pyrage  # type: ignore[import-untyped]
import pytest

from hanoi.crypto import KeyStore, KeyStoreError
from tests.crypto.terminal import run_on_terminal
from tests.raising import raises_check

PASSPHRASE = "correct horse battery staple"
EVIDENCE = b"line one of the evidence\n" + bytes(range(256)) * 64
CREATED = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)


def _age(*args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["age", *args], input=data, capture_output=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    store = KeyStore(tmp_path_factory.mktemp("plain"))
    store.init(now=CREATED)
    return store


@pytest.fixture(scope="module")
def protected(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    store = KeyStore(tmp_path_factory.mktemp("protected"))
    store.init(PASSPHRASE, now=CREATED)
    return store


def test_identity_file_is_in_age_keygen_format(plain: KeyStore) -> None:
    path = plain.directory / "age-identity.txt"
    lines = path.read_text(encoding="ascii").split("\n")
    assert len(lines) == 4 and lines[3] == ""  # three lines, each ending in a newline
    assert lines[0] == "# created: 2026-03-04T05:06:07Z"
    assert datetime.fromisoformat(lines[0].removeprefix("# created: ")) == CREATED.replace(
        microsecond=0
    )
    assert lines[1] == f"# public key: {plain.age_recipient()}"
    assert re.fullmatch(r"age1[02-9ac-hj-np-z]{58}", plain.age_recipient())
    assert re.fullmatch(r"AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}", lines[2])
    # age-keygen itself reads the file and derives the same recipient.
    derived = subprocess.run(
        ["age-keygen", "-y", str(path)], capture_output=True, check=True, timeout=60
    )
    assert derived.stdout.decode().strip() == plain.age_recipient()


def test_age_cli_round_trip(plain: KeyStore) -> None:
    sealed = _age("-e", "-r", plain.age_recipient(), data=EVIDENCE)
    assert sealed.returncode == 0, sealed.stderr
    assert sealed.stdout.startswith(b"age-encryption.org/v1\n")
    identity = str(plain.directory / "age-identity.txt")
    opened = _age("-d", "-i", identity, data=sealed.stdout)
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout == EVIDENCE


def test_pyrage_sealed_opens_with_age_cli_and_back(plain: KeyStore) -> None:
    recipient = pyrage.x25519.Recipient.from_str(plain.age_recipient())
    sealed = io.BytesIO()
    pyrage.encrypt_io(io.BytesIO(EVIDENCE), sealed, [recipient])
    opened = _age("-d", "-i", str(plain.directory / "age-identity.txt"), data=sealed.getvalue())
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout == EVIDENCE

    from_cli = _age("-e", "-r", plain.age_recipient(), data=EVIDENCE).stdout
    assert pyrage.decrypt(from_cli, [plain.age_identity()]) == EVIDENCE


def test_another_identity_cannot_open_it(plain: KeyStore, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.txt"
    subprocess.run(["age-keygen", "-o", str(stranger)], capture_output=True, check=True)
    sealed = _age("-e", "-r", plain.age_recipient(), data=EVIDENCE).stdout
    refused = _age("-d", "-i", str(stranger), data=sealed)
    assert refused.returncode != 0 and refused.stdout == b""


def test_protected_identity_opens_in_pyrage_with_the_passphrase(protected: KeyStore) -> None:
    assert not (protected.directory / "age-identity.txt").exists()
    sealed_identity = (protected.directory / "age-identity.txt.age").read_bytes()
    assert sealed_identity.startswith(b"age-encryption.org/v1\n-> scrypt ")
    sealed = _age("-e", "-r", protected.age_recipient(), data=EVIDENCE).stdout
    assert pyrage.decrypt(sealed, [protected.age_identity(PASSPHRASE)]) == EVIDENCE
    with raises_check(KeyStoreError, "passphrase"):
        protected.age_identity("not the passphrase")


def test_age_cli_opens_with_the_protected_identity_after_asking(
    protected: KeyStore, tmp_path: Path
) -> None:
    (tmp_path / "evidence.age").write_bytes(
        _age("-e", "-r", protected.age_recipient(), data=EVIDENCE).stdout
    )
    identity = str(protected.directory / "age-identity.txt.age")
    argv = ["age", "-d", "-i", identity, "-o", "opened", "evidence.age"]
    env = dict(os.environ)

    good = run_on_terminal(argv, PASSPHRASE, cwd=str(tmp_path), env=env)
    assert good.code == 0 and good.prompts == 1, good.transcript
    assert "Enter passphrase for identity file" in good.transcript
    assert (tmp_path / "opened").read_bytes() == EVIDENCE

    (tmp_path / "opened").unlink()
    bad = run_on_terminal(argv, "not the passphrase", cwd=str(tmp_path), env=env)
    assert bad.code != 0, bad.transcript
    assert not (tmp_path / "opened").exists() or (tmp_path / "opened").read_bytes() == b""
