"""Sealing a file: the output opens with the real `age` CLI and with pyrage, both hashes are
right, a file that changes while it is read is caught, bad sources and outputs are refused
with nothing left looking complete, and memory stays bounded on a large file."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pyrage  # type: ignore[import-untyped]
import pytest

from hanoi.crypto import KeyStore
from hanoi.evidence import (
    BadRecipient,
    SealedFile,
    SealOutputError,
    SourceError,
    seal_file,
)
from hanoi.evidence.age_stream import sealed_size
from hanoi.evidence.seal import MIN_CHUNK_SIZE
from tests.raising import raises_check

KIB = 1024
MIB = 1024 * KIB


class Node:
    """A node's real key store: its age recipient and identity file."""

    def __init__(self, home: Path) -> None:
        self.keys = KeyStore(home)
        self.keys.init()
        self.recipient = self.keys.age_recipient()
        self.identity_file = self.keys.age_identity_path
        self.identity = self.keys.age_identity()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Node:
    return Node(tmp_path_factory.mktemp("node"))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _age_cli_decrypt(sealed: Path, identity_file: Path) -> bytes:
    result = subprocess.run(
        ["age", "-d", "-i", str(identity_file), str(sealed)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _pyrage_decrypt(sealed: Path, identity: object) -> bytes:
    plain = io.BytesIO()
    with sealed.open("rb") as f:
        pyrage.decrypt_io(f, plain, [identity])
    return plain.getvalue()


def _sha256_file(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _only(folder: Path, *names: str) -> None:
    """The folder holds exactly these names: no output, no temporary file left over."""
    assert sorted(os.listdir(folder)) == sorted(names)


# --- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "chunk_size"),
    [
        (0, MIN_CHUNK_SIZE),
        (1, MIN_CHUNK_SIZE),
        (64 * KIB - 1, MIN_CHUNK_SIZE),
        (64 * KIB, 64 * KIB),
        (64 * KIB + 1, 64 * KIB),
        (128 * KIB, 64 * KIB),  # an exact multiple: the final chunk is full, no empty one
        (1 * MIB, 1 * MIB),
        (1 * MIB, MIN_CHUNK_SIZE),
        (1 * MIB + 1, 1 * MIB),
        (3 * MIB + 7, 5000),  # chunks that straddle pyrage's 8 KiB reads and 64 KiB chunks
        (3 * MIB + 7, 1 * MIB),
    ],
)
def test_sealed_file_opens_with_age_and_pyrage(
    node: Node, tmp_path: Path, size: int, chunk_size: int
) -> None:
    data = os.urandom(size)
    source = _write(tmp_path / "evidence.bin", data)
    out = tmp_path / "evidence.bin.age"

    sealed = seal_file(source, node.recipient, out, chunk_size=chunk_size)

    assert _age_cli_decrypt(out, node.identity_file) == data
    assert _pyrage_decrypt(out, node.identity) == data
    assert sealed == SealedFile(
        plaintext_sha256=hashlib.sha256(data).hexdigest(),
        plaintext_size=size,
        ciphertext_sha256=_sha256_file(out),
        ciphertext_size=out.stat().st_size,
        recipient=node.recipient,
    )
    ciphertext = out.read_bytes()
    assert ciphertext.startswith(b"age-encryption.org/v1\n")
    payload_start = ciphertext.index(b"\n", ciphertext.index(b"\n--- ") + 1) + 1 + 16
    assert len(ciphertext) - payload_start == sealed_size(size)
    assert out.stat().st_mode & 0o777 == 0o600
    _only(tmp_path, "evidence.bin", "evidence.bin.age")


def test_seal_into_an_open_stream(node: Node, tmp_path: Path) -> None:
    data = os.urandom(200 * KIB)
    out = io.BytesIO()
    sealed = seal_file(_write(tmp_path / "e.bin", data), node.recipient, out)
    ciphertext = out.getvalue()
    assert pyrage.decrypt(ciphertext, [node.identity]) == data
    assert sealed.ciphertext_sha256 == hashlib.sha256(ciphertext).hexdigest()
    assert sealed.ciphertext_size == len(ciphertext)


def test_progress_counts_plaintext_bytes_in_the_callers_thread(node: Node, tmp_path: Path) -> None:
    source = _write(tmp_path / "e.bin", os.urandom(300 * KIB))
    seen: list[int] = []
    seal_file(source, node.recipient, io.BytesIO(), chunk_size=64 * KIB, progress=seen.append)
    assert seen == [64 * KIB, 128 * KIB, 192 * KIB, 256 * KIB, 300 * KIB]


def test_an_error_in_the_progress_callback_comes_out_as_itself(node: Node, tmp_path: Path) -> None:
    source = _write(tmp_path / "e.bin", os.urandom(300 * KIB))
    out = tmp_path / "e.age"

    def stop(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        seal_file(source, node.recipient, out, chunk_size=64 * KIB, progress=stop)
    _only(tmp_path, "e.bin")


# --- a source that changes -----------------------------------------------------------------


def _seal_changing(node: Node, folder: Path, change: Callable[[Path], None]) -> None:
    source = folder / "e.bin"
    with raises_check(SourceError, "changed") as caught:
        seal_file(
            source,
            node.recipient,
            folder / "e.age",
            chunk_size=64 * KIB,
            progress=lambda done: change(source) if done == 128 * KIB else None,
        )
    assert caught.value.path == source
    assert "\n" not in str(caught.value)


def test_a_file_appended_to_while_sealed_is_not_sealed(node: Node, tmp_path: Path) -> None:
    _write(tmp_path / "e.bin", os.urandom(1 * MIB))

    def append(path: Path) -> None:
        with path.open("ab") as f:
            f.write(b"one more line\n")

    _seal_changing(node, tmp_path, append)
    _only(tmp_path, "e.bin")


def test_a_file_rewritten_in_place_while_sealed_is_not_sealed(node: Node, tmp_path: Path) -> None:
    source = _write(tmp_path / "e.bin", os.urandom(1 * MIB))
    # An old mtime, so the rewrite cannot fall inside the same tick of the clock.
    os.utime(source, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))

    def overwrite(path: Path) -> None:
        with path.open("r+b") as f:
            f.write(b"\x00" * 16)  # same size, other content

    _seal_changing(node, tmp_path, overwrite)
    _only(tmp_path, "e.bin")


def test_a_file_replaced_while_sealed_is_not_sealed(node: Node, tmp_path: Path) -> None:
    data = os.urandom(1 * MIB)
    _write(tmp_path / "e.bin", data)
    twin = _write(tmp_path / "twin.bin", data)

    def replace(path: Path) -> None:
        os.replace(twin, path)  # same name, same content, another file

    _seal_changing(node, tmp_path, replace)
    _only(tmp_path, "e.bin")


# --- sources refused -------------------------------------------------------------------------


def test_a_symlink_is_refused(node: Node, tmp_path: Path) -> None:
    target = _write(tmp_path / "real.bin", b"evidence")
    link = tmp_path / "link.bin"
    link.symlink_to(target)
    with raises_check(SourceError, "symlink", match="symbolic link"):
        seal_file(link, node.recipient, tmp_path / "out.age")
    _only(tmp_path, "real.bin", "link.bin")


def test_a_directory_is_refused(node: Node, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with raises_check(SourceError, "not-regular", match="is a directory, not a regular file"):
        seal_file(tmp_path / "folder", node.recipient, tmp_path / "out.age")
    _only(tmp_path, "folder")


def test_a_fifo_is_refused_without_waiting_for_a_writer(node: Node, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with raises_check(SourceError, "not-regular", match="is a FIFO"):
        seal_file(tmp_path / "pipe", node.recipient, tmp_path / "out.age")
    _only(tmp_path, "pipe")


def test_a_missing_file_is_unreadable(node: Node, tmp_path: Path) -> None:
    with raises_check(SourceError, "unreadable", match="does not exist"):
        seal_file(tmp_path / "nothing.bin", node.recipient, tmp_path / "out.age")
    _only(tmp_path)


def test_a_file_whose_reading_fails_is_unreadable(node: Node, tmp_path: Path) -> None:
    """/proc/self/mem is a regular file whose first read fails with EIO, for root too."""
    with raises_check(SourceError, "unreadable", match="Input/output error"):
        seal_file(Path("/proc/self/mem"), node.recipient, tmp_path / "out.age")
    _only(tmp_path)


@pytest.fixture
def world_traversable_folder() -> Iterator[Path]:
    """A folder another user can enter (pytest's own temporary folders are root-only)."""
    folder = Path(tempfile.mkdtemp(prefix="hanoi-evidence-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_a_file_without_read_permission_is_unreadable(
    node: Node, world_traversable_folder: Path
) -> None:
    """chmod 000 does not stop root, so as root the seal runs in a child process that
    gives up root for ``nobody`` after its imports (the interpreter lives under /root)."""
    source = _write(world_traversable_folder / "secret.bin", b"evidence")
    source.chmod(0o000)
    out = world_traversable_folder / "out.age"
    if os.geteuid() != 0:
        with raises_check(SourceError, "unreadable", match="permission denied"):
            seal_file(source, node.recipient, out)
    else:
        world_traversable_folder.chmod(0o777)  # so only the file's own mode can stop nobody
        script = textwrap.dedent(
            f"""
            import os, pwd
            from pathlib import Path
            from hanoi.evidence import SourceError, seal_file
            nobody = pwd.getpwnam("nobody")
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            try:
                seal_file(Path({str(source)!r}), {node.recipient!r}, Path({str(out)!r}))
            except SourceError as exc:
                print("refused:", exc.check, exc)
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "refused: unreadable" in result.stdout
        assert "permission denied" in result.stdout
    _only(world_traversable_folder, "secret.bin")


# --- recipients and outputs refused ---------------------------------------------------------


@pytest.mark.parametrize(
    "recipient",
    [
        "",
        "age1qqqqqq",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        "AGE-SECRET-KEY-1QQQQQ",
    ],
)
def test_a_recipient_that_is_not_age_x25519_is_refused(tmp_path: Path, recipient: str) -> None:
    source = _write(tmp_path / "e.bin", b"evidence")
    with pytest.raises(BadRecipient, match="not an age X25519 recipient"):
        seal_file(source, recipient, tmp_path / "out.age")
    _only(tmp_path, "e.bin")


def test_an_existing_output_is_never_replaced(node: Node, tmp_path: Path) -> None:
    source = _write(tmp_path / "e.bin", b"evidence")
    out = _write(tmp_path / "out.age", b"sealed earlier")
    with pytest.raises(SealOutputError, match="already exists"):
        seal_file(source, node.recipient, out)
    assert out.read_bytes() == b"sealed earlier"
    _only(tmp_path, "e.bin", "out.age")


def test_an_output_in_a_missing_folder_is_refused(node: Node, tmp_path: Path) -> None:
    source = _write(tmp_path / "e.bin", b"evidence")
    with pytest.raises(SealOutputError, match="is not a folder"):
        seal_file(source, node.recipient, tmp_path / "no" / "out.age")


def test_a_full_output_stream_is_an_output_error(node: Node, tmp_path: Path) -> None:
    source = _write(tmp_path / "e.bin", os.urandom(200 * KIB))
    with (
        open("/dev/full", "wb", buffering=0) as full,
        pytest.raises(SealOutputError, match="No space left on device"),
    ):
        seal_file(source, node.recipient, full)


def test_a_write_failing_midway_leaves_no_output_file(node: Node, tmp_path: Path) -> None:
    """A real write failure on the output (RLIMIT_FSIZE, as a full disk would do), in a
    child process so the limit binds nothing else."""
    source = _write(tmp_path / "e.bin", os.urandom(1 * MIB))
    out = tmp_path / "out.age"
    script = textwrap.dedent(
        f"""
        import resource, signal
        from pathlib import Path
        from hanoi.evidence import SealOutputError, seal_file
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))
        try:
            seal_file(Path({str(source)!r}), {node.recipient!r}, Path({str(out)!r}))
        except SealOutputError as exc:
            print("refused:", exc)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "refused: cannot write" in result.stdout
    assert "File too large" in result.stdout
    _only(tmp_path, "e.bin")


# --- memory ----------------------------------------------------------------------------------


def test_sealing_256_mib_keeps_memory_bounded(node: Node, tmp_path: Path) -> None:
    """Peak RSS of a child process grows by a few MiB, not by the file's size."""
    source = tmp_path / "big.bin"
    with source.open("wb") as f:
        f.truncate(256 * MIB)  # sparse: quick to make, read back as zeros
    zeros = hashlib.sha256()
    block = bytes(MIB)
    for _ in range(256):
        zeros.update(block)
    script = textwrap.dedent(
        f"""
        import io, os, resource
        from pathlib import Path
        from hanoi.evidence import seal_file
        small = Path({str(tmp_path / "small.bin")!r})
        small.write_bytes(os.urandom(2 * 1024 * 1024))
        seal_file(small, {node.recipient!r}, io.BytesIO())  # warm up: imports, threads
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with open(os.devnull, "wb") as sink:
            sealed = seal_file(Path({str(source)!r}), {node.recipient!r}, sink)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(sealed.plaintext_sha256, sealed.plaintext_size, (after - before) // 1024)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    digest, size, growth_mib = result.stdout.split()
    assert (digest, int(size)) == (zeros.hexdigest(), 256 * MIB)
    assert int(growth_mib) < 24, f"peak RSS grew by {growth_mib} MiB"
