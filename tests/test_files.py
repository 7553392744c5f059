"""Durable files (hanoi.files): written whole or not at all, never overwritten when created,
synced with their folder, owner-only by default, locked and read within a limit."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest

from hanoi import files
from hanoi.errors import InvalidInput
from hanoi.files import (
    FileTooLarge,
    StagedFile,
    create_file,
    locked,
    private_dir,
    read_bounded,
    replace_file,
)

# Under the common default umask, new files would be group- and world-readable.
pytestmark = pytest.mark.usefixtures("loose_umask")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_replace_file_writes_a_new_file_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    replace_file(target, b"first")
    assert target.read_bytes() == b"first"
    assert _mode(target) == 0o600
    replace_file(target, b"second")
    assert target.read_bytes() == b"second"
    assert _names(tmp_path) == ["out.json"], "no temporary file is left behind"


def test_replace_file_gives_the_mode_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "served.json"
    replace_file(target, b"{}", mode=0o644)
    assert _mode(target) == 0o644


def test_replace_file_syncs_the_file_then_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", spy)
    replace_file(tmp_path / "a", b"data")
    assert synced == ["file", "folder"]
    synced.clear()
    create_file(tmp_path / "b", b"data")
    assert synced == ["file", "folder"]


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_replace_file_leaves_the_old_file_intact_when_the_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "keyring.json"
    target.write_bytes(b"old content")
    os.chmod(target, 0o640)

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    real_write = StagedFile.write

    def half_then_full_disk(staged: StagedFile, data: bytes) -> None:
        real_write(staged, data[: len(data) // 2])
        broken()

    if failing == "write":
        monkeypatch.setattr(StagedFile, "write", half_then_full_disk)
    else:
        monkeypatch.setattr(files.os, failing, broken)
    with pytest.raises(OSError, match="No space left"):
        replace_file(target, b"new content that never lands")
    monkeypatch.undo()
    assert target.read_bytes() == b"old content"
    assert _mode(target) == 0o640
    assert _names(tmp_path) == ["keyring.json"], "the temporary file is removed"


def _special(tmp_path: Path, kind: str) -> Path:
    """A name holding something else than a regular file, made inside ``tmp_path`` only."""
    target = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "link-to-dev-null":
        target.symlink_to("/dev/null")
    elif kind == "link-to-a-file":
        (tmp_path / "real.txt").write_bytes(b"kept")
        target.symlink_to(tmp_path / "real.txt")
    else:
        target.mkdir()
    return target


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        ("fifo", "a FIFO"),
        ("link-to-dev-null", "a symbolic link"),
        ("link-to-a-file", "a symbolic link"),
        ("folder", "a folder"),
    ],
)
def test_replace_file_replaces_only_a_regular_file(tmp_path: Path, kind: str, what: str) -> None:
    target = _special(tmp_path, kind)
    before = _names(tmp_path)
    kept = os.lstat(target)
    with pytest.raises(files.NotAFile, match=f"{kind}: {what}, not a regular file") as caught:
        replace_file(target, b"output")
    assert caught.value.path == target and isinstance(caught.value, InvalidInput)
    after = os.lstat(target)
    assert (after.st_ino, after.st_mode) == (kept.st_ino, kept.st_mode), "left as it was"
    assert _names(tmp_path) == before, "no temporary file is left"
    if kind == "link-to-a-file":
        assert (tmp_path / "real.txt").read_bytes() == b"kept", "nothing written through it"


def test_a_staged_file_is_not_renamed_over_what_became_special_meanwhile(
    tmp_path: Path,
) -> None:
    target = tmp_path / "out"
    with StagedFile(target) as staged:
        staged.write(b"output")
        os.mkfifo(target)  # appeared after the write began
        with pytest.raises(files.NotAFile, match="a FIFO"):
            staged.commit(replace=True)
    assert stat.S_ISFIFO(os.lstat(target).st_mode) and _names(tmp_path) == ["out"]


def test_create_file_refuses_an_existing_file_and_leaves_it_intact(tmp_path: Path) -> None:
    target = tmp_path / "node.json"
    target.write_bytes(b"the first writer's")
    os.chmod(target, 0o644)
    before = target.stat()
    with pytest.raises(FileExistsError):
        create_file(target, b"a second writer's")
    assert target.read_bytes() == b"the first writer's"
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns, _mode(target)) == (
        before.st_ino,
        before.st_mtime_ns,
        0o644,
    )
    assert _names(tmp_path) == ["node.json"], "the temporary file is removed"


def test_create_file_makes_a_new_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "secret.key"
    create_file(target, b"0123", mode=0o600)
    assert target.read_bytes() == b"0123"
    assert _mode(target) == 0o600
    assert _names(tmp_path) == ["secret.key"]


def test_create_file_refuses_a_dangling_link_too(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(FileExistsError):
        create_file(target, b"data")
    assert not (tmp_path / "elsewhere").exists(), "nothing is written through the link"


def test_of_two_racing_creators_exactly_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "one"
    outcomes: list[bytes | None] = []
    start = threading.Barrier(8)

    def create(data: bytes) -> None:
        start.wait()
        try:
            create_file(target, data)
            outcomes.append(data)
        except FileExistsError:
            outcomes.append(None)

    threads = [threading.Thread(target=create, args=(bytes([65 + i]) * 4096,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o is not None]
    assert len(winners) == 1
    assert target.read_bytes() == winners[0]
    assert _names(tmp_path) == ["one"]


def test_a_staged_file_never_committed_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "sealed.age"
    with StagedFile(target) as staged:
        staged.write(b"x" * 100_000)
        assert not target.exists(), "the name appears only on commit"
    assert _names(tmp_path) == []


def test_a_staged_file_is_streamed_then_named(tmp_path: Path) -> None:
    target = tmp_path / "big"
    with StagedFile(target) as staged:
        for _ in range(10):
            staged.write(b"y" * 65536)
        staged.commit(replace=False)
    assert target.stat().st_size == 655360
    assert _names(tmp_path) == ["big"]


def test_fsync_dir_accepts_a_folder_only(tmp_path: Path) -> None:
    files.fsync_dir(tmp_path)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(NotADirectoryError):
        files.fsync_dir(tmp_path / "file")


def test_locked_excludes_a_second_holder_until_the_first_is_done(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    order: list[str] = []
    holding = threading.Event()

    def second() -> None:
        holding.wait()
        with locked(lock):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with locked(lock):
        holding.set()
        time.sleep(0.2)  # the other thread is now waiting for the lock
        order.append("first")
    thread.join()
    assert order == ["first", "second"]
    assert _mode(lock) == 0o600


def test_private_dir_creates_and_tightens(tmp_path: Path) -> None:
    made = tmp_path / "a" / "keys"
    private_dir(made)
    assert _mode(made) == 0o700
    os.chmod(made, 0o755)
    private_dir(made)
    assert _mode(made) == 0o700


def test_read_bounded_refuses_more_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "in"
    path.write_bytes(b"x" * 10)
    assert read_bounded(path, 10) == b"x" * 10
    with pytest.raises(FileTooLarge, match="larger than the 9-byte limit"):
        read_bounded(path, 9)
    with pytest.raises(FileNotFoundError):
        read_bounded(tmp_path / "missing", 10)
