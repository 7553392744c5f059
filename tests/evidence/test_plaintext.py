"""One payload decrypted as a stream (evidence/plaintext.py): the original bytes, in bounded
chunks; a damaged payload or a manifest that does not match never ends cleanly."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pyrage  # type: ignore[import-untyped]
import pytest

from hanoi.evidence.manifest import ManifestFile
from hanoi.evidence.plaintext import CHUNK_SIZE, QUEUE_CHUNKS, PlaintextMismatch, decrypt_stream
from hanoi.evidence.seal import seal_file
from tests.raising import raises_check

SIZE = 3 * CHUNK_SIZE + 1001


@pytest.fixture(scope="module")
def identity() -> Any:
    return pyrage.x25519.Identity.generate()


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory, identity: Any) -> tuple[Path, bytes, Any]:
    folder = tmp_path_factory.mktemp("plaintext")
    original = os.urandom(SIZE)
    (folder / "capture.pcap").write_bytes(original)
    payload = folder / "0001.age"
    result = seal_file(folder / "capture.pcap", str(identity.to_public()), payload)
    entry = ManifestFile(
        index=1,
        name="capture.pcap",
        size=result.plaintext_size,
        media_type="application/vnd.tcpdump.pcap",
        sha256=result.plaintext_sha256,
        ciphertext_size=result.ciphertext_size,
        ciphertext_sha256=result.ciphertext_sha256,
    )
    return payload, original, entry


def _drain(stream: Any, into: list[bytes]) -> None:
    for chunk in stream:
        into.append(chunk)


def test_the_stream_gives_the_original_bytes_in_bounded_chunks(
    sealed: tuple[Path, bytes, ManifestFile], identity: Any
) -> None:
    payload, original, entry = sealed
    chunks = list(decrypt_stream(payload, entry, identity))
    assert b"".join(chunks) == original
    assert {len(c) for c in chunks} == {CHUNK_SIZE, SIZE % CHUNK_SIZE}


def test_a_damaged_payload_stops_the_stream_before_its_end(
    sealed: tuple[Path, bytes, ManifestFile], identity: Any, tmp_path: Path
) -> None:
    payload, original, entry = sealed
    damaged = tmp_path / "0001.age"
    shutil.copyfile(payload, damaged)
    data = bytearray(damaged.read_bytes())
    data[len(data) - 5000] ^= 0x01  # in the last chunk: everything before it is authentic
    damaged.write_bytes(bytes(data))
    got: list[bytes] = []
    with raises_check(PlaintextMismatch, "decrypt", match="does not decrypt") as caught:
        _drain(decrypt_stream(damaged, entry, identity), got)
    given = b"".join(got)
    assert len(given) < len(original) and original.startswith(given)
    assert caught.value.sent == len(given)


def test_a_file_that_is_not_the_manifests_is_cut_before_its_last_chunk(
    sealed: tuple[Path, bytes, ManifestFile], identity: Any
) -> None:
    payload, original, entry = sealed
    for wrong, check in (
        (entry.model_copy(update={"sha256": "0" * 64}), "sha256"),
        (entry.model_copy(update={"ciphertext_sha256": "0" * 64}), "ciphertext"),
        (entry.model_copy(update={"size": SIZE + 1}), "size"),
        (entry.model_copy(update={"size": CHUNK_SIZE}), "size"),
    ):
        got: list[bytes] = []
        with raises_check(PlaintextMismatch, check):
            _drain(decrypt_stream(payload, wrong, identity), got)
        assert len(b"".join(got)) < min(len(original), wrong.size)


def test_another_nodes_identity_gives_nothing(sealed: tuple[Path, bytes, ManifestFile]) -> None:
    payload, _, entry = sealed
    got: list[bytes] = []
    with raises_check(PlaintextMismatch, "decrypt"):
        _drain(decrypt_stream(payload, entry, pyrage.x25519.Identity.generate()), got)
    assert got == []


def test_a_consumer_that_leaves_early_stops_the_decrypting_thread(
    tmp_path: Path, identity: Any
) -> None:
    # More than the queue holds: the thread cannot finish unless it is stopped.
    original = os.urandom((QUEUE_CHUNKS + 4) * CHUNK_SIZE)
    (tmp_path / "big.bin").write_bytes(original)
    sealed = seal_file(tmp_path / "big.bin", str(identity.to_public()), tmp_path / "0001.age")
    entry = ManifestFile(
        index=1,
        name="big.bin",
        size=sealed.plaintext_size,
        media_type="application/octet-stream",
        sha256=sealed.plaintext_sha256,
        ciphertext_size=sealed.ciphertext_size,
        ciphertext_sha256=sealed.ciphertext_sha256,
    )
    before = set(threading.enumerate())
    stream = decrypt_stream(tmp_path / "0001.age", entry, identity)
    assert next(stream) == original[:CHUNK_SIZE]
    [thread] = set(threading.enumerate()) - before
    assert thread.name == "decrypt payload/0001.age"
    stream.close()  # type: ignore[attr-defined]
    thread.join(timeout=30)
    assert not thread.is_alive()
