"""The content-addressed blob store: round trips, dedup, expected hashes, digests that try to
leave the store, file modes, and fsck finding damage without touching anything."""

from __future__ import annotations

import hashlib
import io
import os
import stat
from pathlib import Path

import pytest

from hanoi.evidence import (
    BlobDamaged,
    BlobError,
    BlobMissing,
    BlobStore,
    DigestMismatch,
    FsckReport,
    InvalidDigest,
    SourceError,
)
from tests.raising import raises_check

KIB = 1024
MIB = 1024 * KIB


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if not p.is_dir())


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


# --- put, has, open ------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 64 * KIB, 3 * MIB + 1])
def test_put_stream_then_has_open_and_path(store: BlobStore, size: int) -> None:
    data = os.urandom(size)
    digest = store.put_stream(io.BytesIO(data))

    assert digest == _sha(data)
    assert store.has(digest)
    with store.open(digest) as f:
        assert f.read() == data
    assert store.path(digest) == store.root / digest[:2] / digest[2:]
    assert _all_files(store.root) == [store.path(digest)]


def test_files_are_0600_in_folders_0700(store: BlobStore) -> None:
    old_umask = os.umask(0o022)
    try:
        digest = store.put_stream(io.BytesIO(b"evidence"))
    finally:
        os.umask(old_umask)
    assert _mode(store.root) == 0o700
    assert _mode(store.root / digest[:2]) == 0o700
    assert _mode(store.path(digest)) == 0o600


def test_put_file_copies_a_file(store: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(2 * MIB + 3)
    source = tmp_path / "e.bin"
    source.write_bytes(data)
    digest = store.put_file(source, expected_sha256=_sha(data))
    assert digest == _sha(data)
    assert store.path(digest).read_bytes() == data
    assert source.read_bytes() == data


def test_the_same_content_is_stored_once_and_not_rewritten(store: BlobStore) -> None:
    first = store.put_stream(io.BytesIO(b"same content"))
    before = store.path(first).stat()
    second = store.put_stream(io.BytesIO(b"same content"))
    after = store.path(second).stat()

    assert first == second
    assert (after.st_ino, after.st_mtime_ns, after.st_nlink) == (
        before.st_ino,
        before.st_mtime_ns,
        1,
    )
    assert _all_files(store.root) == [store.path(first)]


# --- refused -------------------------------------------------------------------------------


def test_a_wrong_expected_hash_stores_nothing(store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "e.bin"
    source.write_bytes(b"the real content")
    wrong = _sha(b"something else")

    with pytest.raises(DigestMismatch, match="not stored"):
        store.put_file(source, expected_sha256=wrong)
    with pytest.raises(DigestMismatch):
        store.put_stream(io.BytesIO(b"the real content"), expected_sha256=wrong)

    assert not store.has(_sha(b"the real content"))
    assert not store.has(wrong)
    assert _all_files(store.root) == []


@pytest.mark.parametrize(
    "digest",
    [
        "../../../../etc/passwd",
        "/etc/passwd",
        "ab/" + "0" * 61,
        "..",
        "",
        "0" * 63,
        "0" * 65,
        "A" * 64,  # upper case: another name for the same hash is refused, not folded
        "g" * 64,
        "0" * 64 + "\n",
        "０" * 64,  # full-width digits are not hex digits
    ],
)
def test_digests_that_are_not_64_lower_hex_are_refused(store: BlobStore, digest: str) -> None:
    for use in (store.has, store.path, store.open, store.verify):
        with pytest.raises(InvalidDigest, match="not a SHA-256 digest"):
            use(digest)
    with pytest.raises(InvalidDigest):
        store.put_stream(io.BytesIO(b"x"), expected_sha256=digest)
    assert not store.root.exists()


def test_a_missing_blob(store: BlobStore) -> None:
    absent = _sha(b"never stored")
    assert not store.has(absent)
    with pytest.raises(BlobMissing, match=absent):
        store.path(absent)
    with pytest.raises(BlobMissing):
        store.open(absent)


def test_put_file_refuses_a_symlink(store: BlobStore, tmp_path: Path) -> None:
    target = tmp_path / "real.bin"
    target.write_bytes(b"evidence")
    (tmp_path / "link.bin").symlink_to(target)
    with raises_check(SourceError, "symlink"):
        store.put_file(tmp_path / "link.bin")
    assert not store.root.exists()


def test_put_file_refuses_a_file_whose_content_disagrees_with_its_size(
    store: BlobStore,
) -> None:
    """/proc/self/status says it is empty and then gives text: a source that is not stable."""
    with raises_check(SourceError, "changed", match=r"gave [0-9]+ bytes but is 0 bytes long"):
        store.put_file(Path("/proc/self/status"))
    assert _all_files(store.root) == []


# --- fsck ----------------------------------------------------------------------------------


def test_fsck_of_a_sound_store(store: BlobStore) -> None:
    digests = [store.put_stream(io.BytesIO(os.urandom(n))) for n in (0, 10, 300 * KIB)]
    report = store.fsck()
    assert report == FsckReport(checked=3, bytes_checked=10 + 300 * KIB)
    assert report.ok
    for digest in digests:
        store.verify(digest)


def test_fsck_finds_a_flipped_byte_and_changes_nothing(store: BlobStore) -> None:
    good = store.put_stream(io.BytesIO(b"untouched evidence"))
    bad = store.put_stream(io.BytesIO(os.urandom(100 * KIB)))
    path = store.path(bad)
    damaged = bytearray(path.read_bytes())
    damaged[54321] ^= 0x01
    path.write_bytes(bytes(damaged))

    report = store.fsck()

    assert report.damaged == (path,)
    assert report.checked == 2
    assert not report.ok
    assert path.read_bytes() == bytes(damaged)
    store.verify(good)
    with pytest.raises(BlobDamaged, match=f"blob {bad} is damaged"):
        store.verify(bad)


def test_fsck_lists_strays_and_misnamed_entries_without_deleting(store: BlobStore) -> None:
    digest = store.put_stream(io.BytesIO(b"evidence"))
    stray = store.root / ".put-abcd1234.tmp"
    stray.write_bytes(b"half a blob")
    wrong_name = store.root / digest[:2] / "not-a-digest"
    wrong_name.write_bytes(b"?")
    short_name = store.root / digest[:2] / digest[2:-1]
    short_name.write_bytes(b"evidence")
    loose = store.root / "README"
    loose.write_bytes(b"?")
    link = store.root / "ff"
    link.symlink_to(store.root / digest[:2])
    nested = store.root / "00" / ("0" * 62)
    nested.mkdir(parents=True)
    everything = sorted(store.root.rglob("*"))

    report = store.fsck()

    assert report.strays == (stray,)
    assert set(report.misnamed) == {wrong_name, short_name, loose, link, nested}
    assert report.damaged == ()
    assert report.checked == 1
    assert sorted(store.root.rglob("*")) == everything


def test_fsck_of_no_store_is_an_error(store: BlobStore) -> None:
    with pytest.raises(BlobError, match="no blob store"):
        store.fsck()
