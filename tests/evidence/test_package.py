"""Evidence packages: sealed once, verified offline, opened with the node's identity —
and by hand with nothing but `age` and `sha256sum`."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hanoi.crypto.keys import KeyStore
from hanoi.evidence.errors import SourceError
from hanoi.evidence.manifest import Recipient, Sealer
from hanoi.evidence.package import PackageError, open_package, seal_package, verify_package
from tests.raising import raises_check

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyStore]:
    root = tmp_path_factory.mktemp("nodes")
    stores = {code: KeyStore(root / code) for code in ("XA", "XB", "XC")}
    for store in stores.values():
        store.init()
    return stores


def _keys_of(store: KeyStore):  # type: ignore[no-untyped-def]
    def keys_for(kid: str, at: datetime | None) -> list[Ed25519PublicKey]:
        keys = []
        for record in store.records():
            if record.kind == "signing" and record.kid == kid:
                key = record.public_key().public_key
                assert isinstance(key, Ed25519PublicKey)
                keys.append(key)
        return keys

    return keys_for


def _seal(nodes: dict[str, KeyStore], sources: list[Path], out: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    sealer_store, recipient_store = nodes["XB"], nodes["XA"]
    signing = sealer_store.signing_key()
    return seal_package(
        sources,
        out=out,
        recipient=Recipient(
            state="XA", authority="XA-CA", age_recipient=recipient_store.age_recipient()
        ),
        sealer=Sealer(state="XB", authority="XB-CA", officer="officer", node_kid=signing.kid),
        signing_key=signing,
        request="XA-2026-000002",
        now=NOW,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def evidence(tmp_path: Path) -> list[Path]:
    mailbox = tmp_path / "in" / "mailbox.mbox"
    mailbox.parent.mkdir()
    mailbox.write_bytes(b"From suspect@borealis.example\n" + os.urandom(200_000))
    logs = tmp_path / "in" / "connection logs.csv"
    logs.write_text("time,ip\n2026-10-01T10:00:00Z,203.0.113.45\n")
    return [mailbox, logs]


def test_seal_verify_open_round_trip(
    nodes: dict[str, KeyStore], evidence: list[Path], tmp_path: Path
) -> None:
    seen: list[tuple[str, int]] = []
    package = tmp_path / "pkg"
    manifest = _seal(nodes, evidence, package, progress=lambda name, n: seen.append((name, n)))

    assert sorted(p.name for p in package.iterdir()) == [
        "custody.jsonld",
        "manifest.json",
        "manifest.jws",
        "payload",
    ]
    assert sorted(p.name for p in (package / "payload").iterdir()) == ["0001.age", "0002.age"]
    assert [f.name for f in manifest.files] == ["mailbox.mbox", "connection logs.csv"]
    assert manifest.files[1].media_type == "text/csv"
    assert {name for name, _ in seen} == {"mailbox.mbox", "connection logs.csv"}
    verified = verify_package(package, keys_for=_keys_of(nodes["XB"]))
    assert verified.manifest == manifest

    opened = open_package(
        package,
        identity=nodes["XA"].age_identity(),
        out=tmp_path / "opened",
        keys_for=_keys_of(nodes["XB"]),
    )
    assert [p.read_bytes() for p in opened] == [p.read_bytes() for p in evidence]


def test_a_court_expert_checks_it_with_age_and_sha256sum_only(
    nodes: dict[str, KeyStore], evidence: list[Path], tmp_path: Path
) -> None:
    package = tmp_path / "pkg"
    _seal(nodes, evidence, package)
    listed = json.loads((package / "manifest.json").read_bytes())
    identity = nodes["XA"].age_identity_path
    for entry in listed["files"]:
        payload = package / "payload" / f"{entry['index']:04d}.age"
        ciphertext = subprocess.run(
            ["sha256sum", str(payload)], capture_output=True, check=True, text=True
        )
        assert ciphertext.stdout.split()[0] == entry["ciphertext_sha256"]
        plain = subprocess.run(
            ["age", "-d", "-i", str(identity), str(payload)], capture_output=True, check=True
        )
        assert hashlib.sha256(plain.stdout).hexdigest() == entry["sha256"]
        assert len(plain.stdout) == entry["size"]


def test_one_flipped_byte_anywhere_is_named(
    nodes: dict[str, KeyStore], evidence: list[Path], tmp_path: Path
) -> None:
    package = tmp_path / "pkg"
    _seal(nodes, evidence, package)
    keys = _keys_of(nodes["XB"])
    for relative, expected in (
        ("payload/0002.age", "payload/0002.age (connection logs.csv): ciphertext SHA-256"),
        ("payload/0001.age", "payload/0001.age (mailbox.mbox): ciphertext SHA-256"),
        ("manifest.json", "manifest.jws: signature"),
        ("manifest.jws", "manifest.jws"),
    ):
        target = package / relative
        original = target.read_bytes()
        middle = len(original) // 2
        target.write_bytes(
            original[:middle] + bytes([original[middle] ^ 0x01]) + original[middle + 1 :]
        )
        with pytest.raises(PackageError) as refused:
            verify_package(package, keys_for=keys)
        assert str(refused.value).startswith(expected), str(refused.value)
        target.write_bytes(original)
    verify_package(package, keys_for=keys)


def test_payload_files_added_removed_or_a_stranger_key(
    nodes: dict[str, KeyStore], evidence: list[Path], tmp_path: Path
) -> None:
    package = tmp_path / "pkg"
    _seal(nodes, evidence, package)
    keys = _keys_of(nodes["XB"])
    (package / "payload" / "0003.age").write_bytes(b"x")
    with pytest.raises(PackageError, match=r"0003\.age: not listed"):
        verify_package(package, keys_for=keys)
    (package / "payload" / "0003.age").unlink()
    (package / "payload" / "0002.age").rename(tmp_path / "aside")
    with pytest.raises(PackageError, match=r"0002\.age: missing"):
        verify_package(package, keys_for=keys)
    (tmp_path / "aside").rename(package / "payload" / "0002.age")
    with pytest.raises(PackageError, match="signer key"):
        verify_package(package, keys_for=_keys_of(nodes["XC"]))
    with pytest.raises(PackageError, match="does not decrypt"):
        open_package(
            package, identity=nodes["XC"].age_identity(), out=tmp_path / "o", keys_for=keys
        )
    assert not (tmp_path / "o").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o.opening-")]


def test_bad_inputs_leave_no_package(
    nodes: dict[str, KeyStore], evidence: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "pkg"
    empty = tmp_path / "in" / "empty.bin"
    empty.write_bytes(b"")
    twin = tmp_path / "twin" / "MAILBOX.mbox"
    twin.parent.mkdir()
    twin.write_bytes(b"x")
    link = tmp_path / "in" / "link.mbox"
    link.symlink_to(evidence[0])
    odd = tmp_path / "in" / "line\nbreak.txt"
    odd.write_bytes(b"x")
    cases = [
        ([], "nothing to seal"),
        ([empty], "empty"),
        ([evidence[0], twin], "same name"),
        ([link], "symbolic link"),
        ([tmp_path / "in"], "not a regular file"),
        ([tmp_path / "missing"], "not a regular file"),
        ([odd], "its name cannot go in a package"),
    ]
    for sources, why in cases:
        with pytest.raises(PackageError, match=why):
            _seal(nodes, sources, out)
        assert not out.exists()

    def grow(name: str, done: int) -> None:
        if name == "mailbox.mbox" and done > 0:
            with evidence[0].open("ab") as f:
                f.write(b"appended while sealing")

    with raises_check(SourceError, "changed"):
        _seal(nodes, evidence, out, progress=grow)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pkg")] == []
    out.mkdir()
    with pytest.raises(PackageError, match="already exists"):
        _seal(nodes, evidence[1:], out)


def test_a_custody_graph_that_disagrees_with_the_manifest_is_refused(
    nodes: dict[str, KeyStore], evidence: list[Path], tmp_path: Path
) -> None:
    package = tmp_path / "pkg"
    manifest = _seal(nodes, evidence, package)
    custody = package / "custody.jsonld"
    original = custody.read_bytes()
    digest = manifest.files[0].sha256.encode()
    assert original.count(digest) == 1
    custody.write_bytes(original.replace(digest, b"0" * 64))
    with pytest.raises(PackageError, match=r"^custody\.jsonld: "):
        verify_package(package, keys_for=_keys_of(nodes["XB"]))
    custody.write_bytes(b"not json")
    with pytest.raises(PackageError, match=r"custody\.jsonld: not JSON"):
        verify_package(package, keys_for=_keys_of(nodes["XB"]))


def test_a_truncated_or_reordered_payload_is_named(
    nodes: dict[str, KeyStore], evidence: list[Path], tmp_path: Path
) -> None:
    package = tmp_path / "pkg"
    _seal(nodes, evidence, package)
    first, second = package / "payload" / "0001.age", package / "payload" / "0002.age"
    data_1, data_2 = first.read_bytes(), second.read_bytes()

    first.write_bytes(data_1[:-100])  # cut short
    with pytest.raises(PackageError, match=r"payload/0001\.age \(mailbox\.mbox\): .* bytes"):
        verify_package(package, keys_for=_keys_of(nodes["XB"]))
    first.write_bytes(data_2)  # the two payloads swapped
    second.write_bytes(data_1)
    with pytest.raises(PackageError, match=r"payload/0001\.age"):
        verify_package(package, keys_for=_keys_of(nodes["XB"]))
    out = tmp_path / "opened"
    with pytest.raises(PackageError, match=r"payload/0001\.age"):
        open_package(
            package,
            identity=nodes["XA"].age_identity(),
            out=out,
            keys_for=_keys_of(nodes["XB"]),
        )
    assert not out.exists()


FULL_DISK = """
import resource, signal, sys
from datetime import UTC, datetime
from pathlib import Path
from hanoi.crypto.keys import KeyStore
from hanoi.evidence.manifest import Recipient, Sealer
from hanoi.evidence.package import seal_package
from tests.raising import raises_check

# Writes beyond 1 MiB fail as on a full disk (EFBIG instead of ENOSPC: the same OSError path).
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
xa, xb = KeyStore(Path(sys.argv[1])), KeyStore(Path(sys.argv[2]))
signing = xb.signing_key()
try:
    seal_package(
        [Path(sys.argv[3])],
        out=Path(sys.argv[4]),
        recipient=Recipient(state="XA", authority="XA-CA", age_recipient=xa.age_recipient()),
        sealer=Sealer(state="XB", authority="XB-CA", officer="officer", node_kid=signing.kid),
        signing_key=signing,
        now=datetime.now(UTC),
    )
except Exception as exc:
    print(type(exc).__name__, exc)
    sys.exit(3)
"""


def test_a_full_disk_leaves_no_package(nodes: dict[str, KeyStore], tmp_path: Path) -> None:
    big = tmp_path / "in" / "disk.img"
    big.parent.mkdir()
    with big.open("wb") as f:
        for _ in range(3):
            f.write(os.urandom(1 << 20))
    out = tmp_path / "out" / "pkg"
    out.parent.mkdir()
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            FULL_DISK,
            str(nodes["XA"].home),
            str(nodes["XB"].home),
            str(big),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert "too large" in run.stdout.lower() or "no space" in run.stdout.lower(), run.stdout
    assert list(out.parent.iterdir()) == []  # neither the package nor its hidden work folder
