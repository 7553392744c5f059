"""The Secretariat's repository and a node's copy, over real HTTP on loopback.

Every test starts from ``world``: a Secretariat with XA and XB delegated and both entries
signed by the States' own keys and published, served by a ThreadingHTTPServer.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tuf.api.metadata import (  # type: ignore[attr-defined]
    Metadata,
    Root,
    TargetFile,
    Targets,
    Timestamp,
)

from hanoi.crypto.jwk import public_jwk
from hanoi.directory.client import DirectoryClient
from hanoi.directory.errors import (
    DirectoryCacheError,
    DirectoryVerificationError,
    KeyFileError,
    RepositorySetupError,
)
from hanoi.directory.repository import SecretariatRepository, sign_entry, tuf_signer
from tests.directory.conftest import (
    World,
    entry_bytes,
    entry_dict,
    published_file,
    state_key,
    tree_digest,
)
from tests.raising import raises_check

# --- the happy path ----------------------------------------------------------------------


def test_layout_keys_and_thresholds(world: World) -> None:
    repo = world.repo
    metadata = {p.name for p in repo.metadata_dir.iterdir()}
    assert {"1.root.json", "timestamp.json", "2.snapshot.json", "3.targets.json"} <= metadata
    assert {"1.states-XA.json", "1.states-XB.json"} <= metadata
    (entry_file,) = (repo.targets_dir / "states" / "XA").iterdir()
    assert entry_file.name.endswith(".entry.json") and len(entry_file.name) == 64 + 11
    root = repo.root()
    assert root.consistent_snapshot
    assert len(root.roles["root"].keyids) == 3 and root.roles["root"].threshold == 2
    key_files = sorted((repo.keys_dir).rglob("*.pem"))
    assert len(key_files) == 6
    for path in key_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    targets = repo.targets()
    assert targets.delegations is not None and targets.delegations.roles is not None
    xa = targets.delegations.roles["states-XA"]
    assert xa.paths == ["states/XA/*"] and xa.terminating and xa.threshold == 1
    assert xa.keyids == [public_jwk(state_key("XA").public_key())["kid"]]


def test_default_expiry(tmp_path: Path) -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    repo = SecretariatRepository.init(tmp_path / "s", now=now)

    def expires(name: str) -> datetime:
        return Metadata.from_bytes((repo.metadata_dir / name).read_bytes()).signed.expires

    assert expires("1.root.json") == now + timedelta(days=365)
    assert expires("1.targets.json") == now + timedelta(days=90)
    assert expires("1.snapshot.json") == now + timedelta(days=7)
    assert expires("timestamp.json") == now + timedelta(days=1)


def test_node_refreshes_and_reads_offline(world: World) -> None:
    node = world.node()
    status = node.refresh()
    assert status.states == ("XA", "XB")
    assert status.snapshot_version == 2 and status.root_version == 1
    assert [e.code for e in node.entries()] == ["XA", "XB"]
    xb = node.entry("XB")
    assert xb is not None and xb.languages == ("en", "es")
    assert node.entry("XC") is None
    assert node.role_version("XA") == 1
    # Offline: a fresh client object on the same folder, no server needed.
    offline = DirectoryClient(node.home)
    assert [e.code for e in offline.entries()] == ["XA", "XB"]


def test_a_second_refresh_picks_up_a_new_entry_version(world: World) -> None:
    node = world.node()
    node.refresh()
    changed = entry_dict("XA")
    changed["version"] = 2
    changed["languages"] = ["en", "fr", "es"]
    world.repo.publish([world.hand_in("XA", version=2, entry=changed)])
    node.refresh()
    xa = node.entry("XA")
    assert xa is not None and xa.version == 2 and "es" in xa.languages
    assert len(list(node.folder.glob("gen-*"))) == 1  # the previous copy was cleaned up


def test_unpublished_state_is_simply_absent(world: World) -> None:
    world.repo.add_state("XC", [Ed25519PrivateKey.generate().public_key()])
    world.repo.publish([])
    assert world.node().refresh().states == ("XA", "XB")


# --- publish refuses what a State may not say --------------------------------------------


def test_a_state_signing_another_states_entry_is_refused(world: World) -> None:
    # XB lists its own key in XA's entry so that its signature "matches" the entry.
    forged = entry_dict("XA")
    forged["version"] = 2
    forged["node"]["public_keys"] = entry_dict("XB")["node"]["public_keys"]
    folder = world.hand_in("XA", version=2, key=state_key("XB"), entry=forged)
    before = tree_digest(world.repo.repository_dir)
    with raises_check(DirectoryVerificationError, "publish") as caught:
        world.repo.publish([folder])
    kid = public_jwk(state_key("XB").public_key())["kid"]
    assert str(caught.value) == (
        f"states-XA.json: signed by the key of XB ({kid}), not by a key delegated to XA: "
        "a State signs only its own entry"
    )
    assert tree_digest(world.repo.repository_dir) == before


def test_unknown_key_is_refused_at_publish(world: World) -> None:
    stranger = Ed25519PrivateKey.generate()
    entry = entry_dict("XA")
    entry["version"] = 2
    entry["node"]["public_keys"] = [public_jwk(stranger.public_key())]
    folder = world.hand_in("XA", version=2, key=stranger, entry=entry)
    with raises_check(
        DirectoryVerificationError, "publish", match=r"^states-XA.json: signed by an unknown key"
    ):
        world.repo.publish([folder])


def _handcrafted(world: World, code: str, files: dict[str, bytes], version: int = 2) -> Path:
    """A State's metadata listing ``files`` as-is, signed by its own key."""
    folder = world.tmp / f"crafted-{code}-{version}"
    targets = {path: TargetFile.from_data(path, data, ["sha256"]) for path, data in files.items()}
    md = Metadata(
        Targets(version=version, expires=datetime.now(UTC) + timedelta(days=9), targets=targets)
    )
    md.sign(tuf_signer(state_key(code)))
    folder.mkdir()
    (folder / f"states-{code}.json").write_bytes(md.to_bytes())
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return folder


def test_a_target_outside_the_states_own_path_is_refused(world: World) -> None:
    folder = _handcrafted(
        world,
        "XA",
        {
            "states/XA/entry.json": entry_bytes(entry_dict("XA")),
            "states/XB/entry.json": entry_bytes(entry_dict("XB")),
        },
    )
    with raises_check(DirectoryVerificationError, "publish") as caught:
        world.repo.publish([folder])
    assert str(caught.value) == (
        "states-XA.json: lists states/XB/entry.json, outside states/XA/* delegated to XA"
    )


def test_a_malformed_entry_is_refused_at_publish(world: World) -> None:
    broken = entry_dict("XA")
    broken["authorities"][0]["time_zone"] = "Europe/Atlantis"
    folder = _handcrafted(world, "XA", {"states/XA/entry.json": entry_bytes(broken)})
    with raises_check(DirectoryVerificationError, "publish") as caught:
        world.repo.publish([folder])
    assert str(caught.value) == (
        "states/XA/entry.json: authorities.0.time_zone: unknown IANA time zone 'Europe/Atlantis'"
    )


def test_an_entry_for_another_state_under_its_own_path_is_refused(world: World) -> None:
    folder = _handcrafted(world, "XA", {"states/XA/entry.json": entry_bytes(entry_dict("XB"))})
    with raises_check(DirectoryVerificationError, "publish", match="holds the entry of XB, not XA"):
        world.repo.publish([folder])


def test_an_entry_changed_after_signing_is_refused(world: World) -> None:
    folder = world.hand_in("XA", version=2)
    entry_file = folder / "states" / "XA" / "entry.json"
    entry_file.write_bytes(entry_file.read_bytes().replace(b"Arcadia", b"Arkadia", 1))
    with raises_check(DirectoryVerificationError, "publish") as caught:
        world.repo.publish([folder])
    assert str(caught.value) == (
        "states/XA/entry.json: length or hash does not match states-XA.json"
    )


def test_a_replayed_state_version_is_refused(world: World) -> None:
    with raises_check(
        DirectoryVerificationError,
        "publish",
        match="version 1 is not newer than the published version 1",
    ):
        world.repo.publish([world.hand_in("XA", version=1)])


def test_a_state_not_yet_added_is_refused(world: World) -> None:
    with raises_check(DirectoryVerificationError, "publish", match="no State XC has been added"):
        signed = sign_entry(entry_bytes(_xc_entry()), state_key("XA"))
        signed.write(world.tmp / "xc")
        world.repo.publish([world.tmp / "xc"])


def _xc_entry() -> dict[str, Any]:
    entry = entry_dict("XA")
    entry["code"] = "XC"
    entry["names"] = {"en": "Cascadia"}
    for authority in entry["authorities"]:
        authority["code"] = authority["code"].replace("XA-", "XC-")
    return entry


def test_sign_entry_refuses_a_key_the_entry_does_not_list() -> None:
    with pytest.raises(KeyFileError, match="not among the node's Ed25519 keys listed in XA's"):
        sign_entry(entry_bytes(entry_dict("XA")), state_key("XB"))


def test_one_key_speaks_for_one_state_only(world: World) -> None:
    with pytest.raises(RepositorySetupError, match="already speaks for XA"):
        world.repo.add_state("XC", [state_key("XA").public_key()])


# --- the node refuses bad repositories and keeps its last good copy -----------------------


def _refresh_fails(node: DirectoryClient, expected: str) -> None:
    before = tree_digest(node.current)
    with raises_check(DirectoryVerificationError, "refresh") as caught:
        node.refresh()
    assert str(caught.value) == expected or str(caught.value).startswith(expected), caught.value
    assert tree_digest(node.current) == before, "the last good copy changed"
    assert [e.code for e in node.entries()] == ["XA", "XB"]
    assert not list(node.folder.glob(".staging-*"))


def _flip_one_byte(path: Path, offset: int = 40) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("timestamp.json", "timestamp.json: "),
        ("*.snapshot.json", "snapshot.json: length or hash mismatch"),
        ("*.states-XA.json", "states-XA.json: length or hash mismatch"),
        ("states/XA/*.entry.json", "states/XA/entry.json: length or hash mismatch"),
    ],
)
def test_one_tampered_byte_fails_naming_the_file(world: World, pattern: str, expected: str) -> None:
    node = world.node()
    node.refresh()
    changed = entry_dict("XA")
    changed["version"] = 2
    world.repo.publish([world.hand_in("XA", version=2, entry=changed)])
    _flip_one_byte(published_file(world.repo, pattern))
    _refresh_fails(node, expected)
    xa = node.entry("XA")
    assert xa is not None and xa.version == 1


def test_tampered_timestamp_signature_is_named(world: World) -> None:
    node = world.node()
    node.refresh()
    world.repo.publish([])
    path = world.repo.metadata_dir / "timestamp.json"
    md = Metadata[Timestamp].from_bytes(path.read_bytes())
    md.signed.version += 1  # a change the Secretariat's key never signed
    path.write_bytes(md.to_bytes())
    _refresh_fails(node, "timestamp.json: signature threshold not met")


def test_truncated_files_are_refused(world: World) -> None:
    node = world.node()
    node.refresh()
    world.repo.publish([world.hand_in("XB", version=2)])
    entry_file = published_file(world.repo, "states/XB/*.entry.json")
    entry_file.write_bytes(entry_file.read_bytes()[:100])
    _refresh_fails(node, "states/XB/entry.json: length or hash mismatch")
    timestamp = world.repo.metadata_dir / "timestamp.json"
    timestamp.write_bytes(timestamp.read_bytes()[:50])
    _refresh_fails(node, "timestamp.json: malformed metadata")


def test_expired_timestamp_is_refused(world: World) -> None:
    node = world.node()
    node.refresh()
    world.repo.publish([], now=datetime.now(UTC) - timedelta(days=2))
    _refresh_fails(node, "timestamp.json: expired")


def test_expired_timestamp_on_first_refresh_leaves_no_copy(world: World) -> None:
    world.repo.publish([], now=datetime.now(UTC) - timedelta(days=2))
    node = world.node("fresh")
    with raises_check(DirectoryVerificationError, "refresh", match=r"^timestamp\.json: expired$"):
        node.refresh()
    with pytest.raises(DirectoryCacheError, match="no verified copy"):
        node.entries()


def test_replayed_old_timestamp_is_refused(world: World) -> None:
    old = (world.repo.metadata_dir / "timestamp.json").read_bytes()
    world.repo.publish([world.hand_in("XA", version=2)])
    node = world.node()
    node.refresh()
    (world.repo.metadata_dir / "timestamp.json").write_bytes(old)
    _refresh_fails(node, "timestamp.json: older or unexpected version refused")


def test_replayed_old_snapshot_is_refused(world: World) -> None:
    node = world.node()
    node.refresh()
    old = published_file(world.repo, "*.snapshot.json").read_bytes()
    world.repo.publish([world.hand_in("XA", version=2)])
    published_file(world.repo, "*.snapshot.json").write_bytes(old)
    _refresh_fails(node, "snapshot.json: length or hash mismatch")


def test_unknown_key_signing_the_timestamp_is_refused(world: World) -> None:
    node = world.node()
    node.refresh()
    world.repo.publish([])
    path = world.repo.metadata_dir / "timestamp.json"
    md = Metadata[Timestamp].from_bytes(path.read_bytes())
    md.signatures.clear()
    md.sign(tuf_signer(Ed25519PrivateKey.generate()))
    path.write_bytes(md.to_bytes())
    _refresh_fails(node, "timestamp.json: signature threshold not met")


def test_a_server_that_is_gone_keeps_the_last_good_copy(world: World) -> None:
    node = world.node()
    node.refresh()
    gone = DirectoryClient(node.home, url="http://127.0.0.1:9/")
    before = tree_digest(node.current)
    with raises_check(DirectoryVerificationError, "refresh", match="cannot download"):
        gone.refresh()
    assert tree_digest(node.current) == before


def test_pinning_a_root_that_does_not_sign_itself_is_refused(world: World, tmp_path: Path) -> None:
    md = Metadata[Root].from_bytes(world.repo.root_bytes(1))
    md.signed.version = 1
    md.signatures.popitem()
    md.signatures.popitem()  # one of three signatures left: below the threshold of 2
    client = DirectoryClient(tmp_path / "n", url=world.served.url)
    with pytest.raises(
        DirectoryVerificationError, match=r"root\.json: signature threshold not met"
    ):
        client.init(md.to_bytes())
    assert not client.is_pinned


# --- rotation ----------------------------------------------------------------------------


def test_root_rotation_by_threshold(world: World) -> None:
    node = world.node()
    node.refresh()
    old_keys = sorted((world.repo.keys_dir / "root").glob("*.pem"))
    with pytest.raises(RepositorySetupError, match=r"needs 2 of its keys to sign .*; 1 given"):
        world.repo.rotate_root(old_key_files=old_keys[:1])
    new_keys = world.repo.rotate_root(old_key_files=old_keys[:2])
    assert len(new_keys) == 3
    assert sorted(p.name for p in (world.repo.keys_dir / "retired").iterdir()) == sorted(
        p.name for p in old_keys
    )
    root = Metadata[Root].from_bytes(world.repo.root_bytes(2))
    assert len(root.signatures) == 5  # 2 old + 3 new
    world.repo.publish([])
    assert node.refresh().root_version == 2
    # A node pinned to version 1 long ago still follows the chain.
    assert world.node("late").refresh().root_version == 2


def test_root_signed_by_one_old_key_only_is_refused(world: World) -> None:
    node = world.node()
    node.refresh()
    old_signer = tuf_signer(_load(sorted((world.repo.keys_dir / "root").glob("*.pem"))[0]))
    new = [Ed25519PrivateKey.generate() for _ in range(3)]
    md = Metadata[Root].from_bytes(world.repo.root_bytes(1))
    root = md.signed
    for keyid in list(root.roles["root"].keyids):
        root.revoke_key(keyid, "root")
    for key in new:
        root.add_key(tuf_signer(key).public_key, "root")
    root.version = 2
    md.signatures.clear()
    md.sign(old_signer, append=True)
    for key in new:
        md.sign(tuf_signer(key), append=True)
    (world.repo.metadata_dir / "2.root.json").write_bytes(md.to_bytes())
    _refresh_fails(node, "2.root.json: signature threshold not met")


def _load(path: Path) -> Ed25519PrivateKey:
    from hanoi.directory.keys import load_private_key

    return load_private_key(path)


def test_state_key_rotation(world: World) -> None:
    node = world.node()
    node.refresh()
    old_key, new_key = state_key("XA"), Ed25519PrivateKey.generate()
    # 1. The Secretariat delegates XA to both keys: the entry signed by the old key still
    #    verifies (TUF checks signatures against the keys delegated now).
    world.repo.add_state("XA", [old_key.public_key(), new_key.public_key()])
    world.repo.publish([])
    node.refresh()
    assert node.entry("XA") is not None
    # 2. XA publishes a new entry listing the new key, signed with the new key.
    rotated = entry_dict("XA")
    rotated["version"] = 2
    rotated["node"]["public_keys"] = [
        public_jwk(new_key.public_key()),
        *rotated["node"]["public_keys"],
    ]
    world.repo.publish([world.hand_in("XA", version=2, key=new_key, entry=rotated)])
    node.refresh()
    xa_metadata = json.loads((node.current / "metadata" / "states-XA.json").read_bytes())
    assert [s["keyid"] for s in xa_metadata["signatures"]] == [
        public_jwk(new_key.public_key())["kid"]
    ]
    # 3. The old key is withdrawn; what is published was signed with the new key, so it stays.
    world.repo.add_state("XA", [new_key.public_key()])
    world.repo.publish([])
    node.refresh()
    xa = node.entry("XA")
    assert xa is not None and xa.version == 2
    # ... and the old key can no longer speak for XA.
    again = entry_dict("XA")
    again["version"] = 3
    with raises_check(DirectoryVerificationError, "publish", match="signed by an unknown key"):
        world.repo.publish([world.hand_in("XA", version=3, key=old_key, entry=again)])


def test_withdrawing_the_key_before_the_state_re_signs_is_refused(world: World) -> None:
    world.repo.add_state("XA", [Ed25519PrivateKey.generate().public_key()])
    with raises_check(DirectoryVerificationError, "publish") as caught:
        world.repo.publish([])
    assert str(caught.value) == (
        "states-XA.json: the published copy is not signed by the keys now delegated to XA; "
        "XA must sign its entry again with its new key"
    )


def test_init_refuses_an_existing_folder(world: World) -> None:
    with pytest.raises(RepositorySetupError, match="already holds"):
        SecretariatRepository.init(world.repo.path)
    with pytest.raises(RepositorySetupError, match="no Secretariat repository here"):
        SecretariatRepository(world.tmp / "elsewhere")


def test_refresh_needs_a_pinned_root(tmp_path: Path) -> None:
    with pytest.raises(DirectoryCacheError, match="no pinned root"):
        DirectoryClient(tmp_path, url="http://127.0.0.1:9/").refresh()


def test_private_state_files_are_not_needed_by_the_node(world: World) -> None:
    node = world.node()
    node.refresh()
    for path in node.folder.rglob("*"):
        assert not path.name.endswith(".pem")
    assert os.readlink(node.current).startswith("gen-")
