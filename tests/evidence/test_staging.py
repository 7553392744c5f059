"""A request's staging folder on its own (hanoi.evidence.staging): what is offered, uploads
that complete without ever replacing a file, and stale uploads given up."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from hanoi.cases.evidence_staging import discard_stale_work
from hanoi.evidence.staging import (
    BadName,
    ChunkTooLarge,
    OffsetConflict,
    StagedExists,
    StagedNotFound,
    StagingArea,
    check_name,
)
from hanoi.evidence.transfer import UploadBusy

REF = "XA-2026-000001"


def _append(area: StagingArea, upload_id: str, offset: int, data: bytes) -> int:
    upload = area.begin(REF, upload_id, offset, len(data))
    upload.write([data])
    return upload.commit()


def test_names_are_plain_visible_and_in_nfc() -> None:
    assert check_name("Cafe\u0301.txt") == "Caf\u00e9.txt"  # NFD from a Mac becomes NFC
    for bad in ("", "..", "../x", "a/b", "a\\b", ".profile", "x.part", "a\x00b", " a", "é" * 128):
        with pytest.raises(BadName):
            check_name(bad)


def test_only_regular_visible_files_are_listed(tmp_path: Path) -> None:
    area = StagingArea(tmp_path / "staging")
    assert area.files(REF) == []
    folder = area.folder(REF)
    folder.mkdir(parents=True)
    (folder / "b.bin").write_bytes(b"12")
    (folder / "A.txt").write_bytes(b"1")
    (folder / "link").symlink_to(folder / "b.bin")
    (folder / "sub").mkdir()
    (folder / ".hidden").write_bytes(b"1")
    (folder / "rsync.part").write_bytes(b"1")
    os.mkfifo(folder / "fifo")
    assert [(f.name, f.size) for f in area.files(REF)] == [("A.txt", 1), ("b.bin", 2)]
    with pytest.raises(StagedNotFound):
        area.path(REF, "link")
    area.remove(REF, "b.bin")
    assert [f.name for f in area.files(REF)] == ["A.txt"]
    with pytest.raises(StagedNotFound):
        area.folder("../etc")


def test_an_upload_completes_only_in_order_and_never_over_a_file(tmp_path: Path) -> None:
    area = StagingArea(tmp_path / "staging")
    pending = area.start(REF, "disk.img", 6)
    assert _append(area, pending.id, 0, b"abc") == 3
    with pytest.raises(OffsetConflict) as conflict:
        area.begin(REF, pending.id, 0, 3)
    assert conflict.value.offset == 3
    with pytest.raises(ChunkTooLarge):
        area.begin(REF, pending.id, 3, 4)
    held = area.begin(REF, pending.id, 3, 3)
    with pytest.raises(UploadBusy):  # one writer at a time
        area.begin(REF, pending.id, 3, 3)
    held.write([b"def"])
    held.commit()
    assert area.complete(REF, pending.id).size == 6
    assert (area.folder(REF) / "disk.img").read_bytes() == b"abcdef"
    assert area.uploads(REF) == []
    with pytest.raises(StagedExists):
        area.start(REF, "disk.img", 6)

    # A file of the same name dropped in while an upload ran: the upload gives way.
    second = area.start(REF, "notes.txt", 2)
    (area.folder(REF) / "notes.txt").write_bytes(b"by hand")
    _append(area, second.id, 0, b"up")
    with pytest.raises(StagedExists):
        area.complete(REF, second.id)
    assert (area.folder(REF) / "notes.txt").read_bytes() == b"by hand"
    assert sorted(p.name for p in area.folder(REF).iterdir()) == ["disk.img", "notes.txt"]


def test_stale_uploads_are_given_up_unless_being_written(tmp_path: Path) -> None:
    area = StagingArea(tmp_path / "staging")
    stale = area.start(REF, "old.bin", 10)
    _append(area, stale.id, 0, b"12345")
    busy = area.start(REF, "busy.bin", 10)
    _append(area, busy.id, 0, b"1")
    fresh = area.start(REF, "new.bin", 10)
    later = time.time() + 3600
    writing = area.begin(REF, busy.id, 1, 1)  # a request writes it right now
    try:
        os.utime(area.folder(REF) / f".upload-{fresh.id}.json", (later, later))
        assert area.expire(after=1800, now=later) == [stale.id]
    finally:
        writing.commit()
    assert sorted(u.name for u in area.uploads(REF)) == ["busy.bin", "new.bin"]
    assert [p.name for p in area.folder(REF).iterdir() if stale.id in p.name] == []


def test_work_folders_a_crash_left_are_removed_once_stale(tmp_path: Path) -> None:
    work = tmp_path / "sealing"
    (work / "XA-2026-000001-old" / "package").mkdir(parents=True)
    (work / "XA-2026-000001-old" / "package" / "0001.age").write_bytes(b"x")
    (work / "XA-2026-000001-now").mkdir()
    later = time.time() + 3600
    os.utime(work / "XA-2026-000001-now", (later, later))  # written to just now
    assert discard_stale_work(tmp_path, after=1800, now=later) == ["XA-2026-000001-old"]
    assert [p.name for p in work.iterdir()] == ["XA-2026-000001-now"]
    assert discard_stale_work(tmp_path / "elsewhere", after=1) == []
