"""The directory's files are written durably: the pinned root is synced to disk with its
folder before trust is reported, and what the Secretariat serves is whole and readable."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from hanoi import files
from hanoi.directory.client import DirectoryClient
from tests.directory.conftest import World


def test_the_pinned_root_is_synced_with_its_folder(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []  # inodes: a rename keeps the synced file's inode
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    monkeypatch.setattr(files.os, "fsync", spy)
    client = DirectoryClient(tmp_path / "node", url=world.served.url)
    client.init(world.repo.root_bytes(1))
    assert client.pinned_root_path.stat().st_ino in synced
    assert client.folder.stat().st_ino in synced
    assert client.pinned_root_path.read_bytes() == world.repo.root_bytes(1)


def test_published_files_are_world_readable_and_whole(world: World) -> None:
    published = [p for p in world.repo.repository_dir.rglob("*") if p.is_file()]
    assert published
    for path in published:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
        assert not path.name.startswith("."), "no temporary file is left"
