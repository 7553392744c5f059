"""A package downloaded as one tar: read back by GNU tar and by Python into the same bytes,
exactly as long as announced, refused when the folder holds anything else, and streamed
without holding the files in memory."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hanoi.evidence.archive import PackageArchive, package_archive
from hanoi.evidence.package import PackageError

MiB = 1024 * 1024
# Sizes around the 512-byte block and the 1 MiB chunk, so padding and chunking both show.
PAYLOAD_SIZES = (1, 511, 512, 513, MiB + 7)


def _package(root: Path, sizes: tuple[int, ...] = PAYLOAD_SIZES) -> Path:
    """A folder laid out like a sealed package; the contents are random, not sealed."""
    folder = root / "pkg"
    (folder / "payload").mkdir(parents=True)
    (folder / "manifest.json").write_bytes(b'{"files": []}\n')
    (folder / "manifest.jws").write_bytes(b"eyJhbGciOiJFZERTQSJ9..c2ln\n")
    (folder / "custody.jsonld").write_bytes(b'{"@graph": []}\n')
    for index, size in enumerate(sizes, start=1):
        (folder / "payload" / f"{index:04d}.age").write_bytes(os.urandom(size))
    return folder


def _files(tree: Path) -> dict[str, bytes]:
    return {
        path.relative_to(tree).as_posix(): path.read_bytes()
        for path in sorted(tree.rglob("*"))
        if path.is_file()
    }


def _stream(archive: PackageArchive, chunk_size: int = MiB) -> bytes:
    return b"".join(archive.chunks(chunk_size))


class _Reader(io.RawIOBase):
    """The stream as a file object, read as it is produced (as a client would)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._left = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._left:
            self._left = next(self._chunks, b"")
            if not self._left:
                return 0
        count = min(len(buffer), len(self._left))
        buffer[:count] = self._left[:count]
        self._left = self._left[count:]
        return count


def test_gnu_tar_and_python_extract_the_same_files(tmp_path: Path) -> None:
    folder = _package(tmp_path)
    archive = package_archive(folder, name="XA-2026-0042")

    gnu = tmp_path / "gnu"
    gnu.mkdir()
    with subprocess.Popen(["tar", "-x", "-f", "-", "-C", str(gnu)], stdin=subprocess.PIPE) as tar:
        assert tar.stdin is not None
        for chunk in archive.chunks(4096):
            tar.stdin.write(chunk)
        tar.stdin.close()
    assert tar.returncode == 0

    python = tmp_path / "python"
    with tarfile.open(fileobj=_Reader(archive.chunks()), mode="r|") as reader:
        reader.extractall(python, filter="data")

    expected = _files(folder)
    assert set(expected) == {
        "manifest.json",
        "manifest.jws",
        "custody.jsonld",
        *(f"payload/{i:04d}.age" for i in range(1, len(PAYLOAD_SIZES) + 1)),
    }
    assert _files(gnu / "XA-2026-0042") == expected
    assert _files(python / "XA-2026-0042") == expected
    assert sorted(p.name for p in gnu.iterdir()) == ["XA-2026-0042"]


def test_listing_order_and_fixed_metadata(tmp_path: Path) -> None:
    archive = package_archive(_package(tmp_path), name="case")
    listing = subprocess.run(
        ["tar", "-t", "-f", "-"], input=_stream(archive), capture_output=True, check=True
    ).stdout.decode()
    assert listing.splitlines() == [
        "case/",
        "case/manifest.json",
        "case/manifest.jws",
        "case/custody.jsonld",
        "case/payload/",
        *(f"case/payload/{i:04d}.age" for i in range(1, len(PAYLOAD_SIZES) + 1)),
    ]
    with tarfile.open(fileobj=io.BytesIO(_stream(archive))) as reader:
        for member in reader.getmembers():
            assert (member.mtime, member.uid, member.gid) == (0, 0, 0)
            assert (member.uname, member.gname) == ("", "")
            assert member.mode == (0o755 if member.isdir() else 0o644)
            assert member.isdir() or member.isreg()


def test_same_package_gives_the_same_bytes_after_a_copy(tmp_path: Path) -> None:
    folder = _package(tmp_path)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    for path in copy.rglob("*"):
        os.utime(path, (1_000_000_000, 1_000_000_000))
    os.chmod(copy / "manifest.json", 0o600)
    assert _stream(package_archive(folder, name="p")) == _stream(package_archive(copy, name="p"))


@pytest.mark.parametrize("chunk_size", [512, 1000, MiB, 8 * MiB])
def test_size_is_the_streamed_length(tmp_path: Path, chunk_size: int) -> None:
    archive = package_archive(_package(tmp_path), name="p")
    chunks = list(archive.chunks(chunk_size))
    assert sum(map(len, chunks)) == archive.size
    assert archive.size % 512 == 0
    assert max(map(len, chunks)) <= max(chunk_size, 1024)  # headers and end blocks are small


def test_a_file_of_8_gib_or_more_gets_a_pax_size(tmp_path: Path) -> None:
    # ustar's size field stops just short of 8 GiB; a sparse file costs no disk.
    big = 9 * 1024 * MiB
    folder = _package(tmp_path, sizes=(10,))
    with (folder / "payload" / "0002.age").open("wb") as image:
        image.truncate(big)
    archive = package_archive(folder, name="p")
    with tarfile.open(fileobj=_Reader(archive.chunks()), mode="r|") as reader:
        for member in reader:  # stop at the big file's header rather than read 9 GiB
            if member.name == "p/payload/0002.age":
                break
    assert member.size == big
    # 7 headers, 4 small files padded to a block, 2 blocks of pax header, 2 end blocks.
    assert archive.size == (7 + 4 + 2 + 2) * 512 + big


@pytest.mark.parametrize(
    "stray",
    ["notes.txt", ".DS_Store", "payload/0001.age.partial", "payload/readme", "payload/sub/"],
)
def test_a_stray_file_is_refused(tmp_path: Path, stray: str) -> None:
    folder = _package(tmp_path)
    if stray.endswith("/"):
        (folder / stray).mkdir()
    else:
        (folder / stray).write_bytes(b"x")
    with pytest.raises(PackageError, match="not part of an evidence package"):
        package_archive(folder, name="p")


def test_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    folder = _package(tmp_path)
    outside = tmp_path / "outside.json"
    outside.write_bytes(b"{}")
    (folder / "custody.jsonld").unlink()
    (folder / "custody.jsonld").symlink_to(outside)
    with pytest.raises(PackageError, match=r"custody\.jsonld: a symbolic link"):
        package_archive(folder, name="p")


def test_a_linked_payload_folder_or_package_folder_is_refused(tmp_path: Path) -> None:
    folder = _package(tmp_path)
    shutil.move(folder / "payload", tmp_path / "elsewhere")
    (folder / "payload").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(PackageError, match="payload/: a symbolic link"):
        package_archive(folder, name="p")
    (tmp_path / "link").symlink_to(folder)
    with pytest.raises(PackageError, match="not a package folder"):
        package_archive(tmp_path / "link", name="p")


def test_a_fifo_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    folder = _package(tmp_path)
    os.mkfifo(folder / "payload" / "0009.age")
    with pytest.raises(PackageError, match=r"payload/0009\.age: not a regular file"):
        package_archive(folder, name="p")
    (folder / "payload" / "0009.age").unlink()
    (folder / "manifest.jws").unlink()
    with pytest.raises(PackageError, match=r"manifest\.jws: missing"):
        package_archive(folder, name="p")


@pytest.mark.parametrize("name", ["", ".", "..", "../up", "a/b", ".hidden", "é", "x" * 65, "a b"])
def test_an_unsafe_folder_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(PackageError, match="not a plain folder name"):
        package_archive(_package(tmp_path), name=name)


def test_a_file_that_grows_while_streaming_aborts_the_stream(tmp_path: Path) -> None:
    folder = _package(tmp_path)
    archive = package_archive(folder, name="p")
    target = folder / "payload" / "0005.age"  # the 1 MiB + 7 one: 257 chunks of 4 KiB
    with pytest.raises(PackageError, match=r"payload/0005\.age: grew beyond"):
        for sent, _ in enumerate(archive.chunks(4096)):
            if sent == 100:  # by now the stream is part way through that file
                with target.open("ab") as grow:
                    grow.write(b"late")


def test_a_file_that_shrinks_while_streaming_aborts_the_stream(tmp_path: Path) -> None:
    folder = _package(tmp_path)
    archive = package_archive(folder, name="p")
    os.truncate(folder / "payload" / "0005.age", 100)
    with pytest.raises(PackageError, match=r"payload/0005\.age: shrank to 100 bytes"):
        _stream(archive)


# Linux carries ru_maxrss across exec, so a child of pytest (itself well over 100 MiB)
# would report pytest's peak. A fork of this still small interpreter starts its count afresh.
_MEASURE = """
import os, sys
if pid := os.fork():
    sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))

import resource
from pathlib import Path
from hanoi.evidence.archive import package_archive

archive = package_archive(Path(sys.argv[1]), name="big")
held = []
total = 0
for chunk in archive.chunks():
    total += len(chunk)
    if sys.argv[2] == "hold":  # the control: keep every chunk, as a naive endpoint would
        held.append(chunk)
print(archive.size, total, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def _peak(folder: Path, mode: str) -> tuple[int, int, int]:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(folder), mode],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split()
    size, total, peak = map(int, out)
    return size, total, peak


def test_streaming_300_mib_keeps_memory_flat(tmp_path: Path) -> None:
    folder = _package(tmp_path, sizes=(1000,))
    with (folder / "payload" / "0002.age").open("wb") as image:
        image.truncate(300 * MiB)  # sparse: read back as zeros, costs no disk
    size, total, peak = _peak(folder, "stream")
    assert total == size > 300 * MiB
    assert peak < 100 * MiB, f"peak RSS {peak / MiB:.0f} MiB while streaming"
    # The measurement can see buffering: holding the chunks goes past the file's size.
    _, _, held = _peak(folder, "hold")
    assert held > 300 * MiB
