"""Reading E01 images made for real by ``ewfacquire`` (Debian ``ewf-tools``), no mocks.

The images hold 3 MiB of seeded random data, so every hash can be checked against
``hashlib`` over the raw input, and a damaged chunk cannot accidentally hash the same.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from hanoi.evidence.ewf import EwfError, inspect_ewf, is_ewf

MEDIA_SIZE = 3 * 1024 * 1024
CHUNK = 64 * 512  # ewfacquire's default: 64 sectors of 512 bytes per chunk
CHUNK_CHECKSUM = 4  # an uncompressed EnCase chunk is followed by its Adler-32
SECTION_HEADER = 76  # EWF1 section descriptor before the section's data

CASE = {
    "case_number": "XB-2026-000042",
    "evidence_number": "EV-7",
    "examiner_name": "Ann Examiner",
    "description": "USB stick seized 2026-11-28",
    "notes": "test image",
}


@dataclass(frozen=True)
class Images:
    raw: bytes
    raw_path: Path
    single: Path  # one uncompressed segment
    multi: Path  # four compressed segments of 1 MiB


def _acquire(raw: Path, target: Path, *extra: str) -> None:
    subprocess.run(
        [
            "ewfacquire",
            "-u",
            "-q",
            "-t",
            str(target),
            "-f",
            "encase6",
            "-d",
            "sha1",
            "-C",
            CASE["case_number"],
            "-E",
            CASE["evidence_number"],
            "-e",
            CASE["examiner_name"],
            "-D",
            CASE["description"],
            "-N",
            CASE["notes"],
            *extra,
            str(raw),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Images:
    folder = tmp_path_factory.mktemp("ewf")
    raw = random.Random(20261129).randbytes(MEDIA_SIZE)
    raw_path = folder / "disk.raw"
    raw_path.write_bytes(raw)
    _acquire(raw_path, folder / "single", "-c", "none")
    _acquire(raw_path, folder / "multi", "-c", "fast", "-S", str(1024 * 1024))
    return Images(raw, raw_path, folder / "single.E01", folder / "multi.E01")


def _copy_set(first: Path, into: Path) -> Path:
    """Copies every segment of an image set into a fresh folder; returns the new .E01."""
    into.mkdir()
    for segment in first.parent.glob(first.stem + ".E*"):
        shutil.copy(segment, into / segment.name)
    return into / first.name


def test_reads_size_metadata_and_hashes(images: Images) -> None:
    info = inspect_ewf(images.single)

    assert info.media_size == MEDIA_SIZE
    assert info.segments == [images.single]
    for key, value in CASE.items():
        assert info.metadata[key] == value
    assert info.metadata["acquiry_date"]  # "Sun Nov 29 08:03:13 2026": local time, no zone
    assert "password" not in info.metadata
    assert info.stored == {
        "md5": hashlib.md5(images.raw).hexdigest(),
        "sha1": hashlib.sha1(images.raw).hexdigest(),
    }
    assert info.computed == {
        "md5": hashlib.md5(images.raw).hexdigest(),
        "sha1": hashlib.sha1(images.raw).hexdigest(),
        "sha256": hashlib.sha256(images.raw).hexdigest(),
    }
    assert info.verified is True
    assert info.mismatches == []


def test_multi_segment_image_lists_every_segment(images: Images) -> None:
    info = inspect_ewf(images.multi)

    assert [s.name for s in info.segments] == [f"multi.E0{n}" for n in range(1, 5)]
    assert info.computed["sha256"] == hashlib.sha256(images.raw).hexdigest()
    assert info.verified is True


def test_without_verify_nothing_is_computed(images: Images) -> None:
    info = inspect_ewf(images.single, verify=False)

    assert info.stored["md5"] == hashlib.md5(images.raw).hexdigest()
    assert info.computed == {}
    assert info.verified is False
    assert info.mismatches == []


def test_progress_reaches_the_media_size(images: Images) -> None:
    calls: list[tuple[int, int]] = []
    inspect_ewf(images.single, progress=lambda done, total: calls.append((done, total)))

    assert [done for done, _ in calls] == sorted({done for done, _ in calls})
    assert calls[-1] == (MEDIA_SIZE, MEDIA_SIZE)
    assert len(calls) == 3  # 1 MiB pieces


def test_flipped_byte_in_chunk_data_is_a_mismatch_not_an_error(
    images: Images, tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged.E01"
    shutil.copy(images.single, damaged)
    data = bytearray(damaged.read_bytes())
    media_start = data.index(b"sectors\x00") + SECTION_HEADER
    flip_at = media_start + 1_500_000
    data[flip_at] ^= 0xFF
    damaged.write_bytes(bytes(data))

    info = inspect_ewf(damaged)

    # What happened (measured, not assumed): no exception; libewf's Adler-32 check fails
    # for that chunk and pyewf returns the whole chunk as zeros, so both hashes differ.
    assert info.verified is False
    assert info.mismatches == ["md5", "sha1"]
    chunk = (flip_at - media_start) // (CHUNK + CHUNK_CHECKSUM)
    expected = bytearray(images.raw)
    expected[chunk * CHUNK : (chunk + 1) * CHUNK] = bytes(CHUNK)
    assert info.computed["md5"] == hashlib.md5(expected).hexdigest()
    assert info.computed["sha256"] == hashlib.sha256(expected).hexdigest()


def test_not_an_ewf_file(images: Images, tmp_path: Path) -> None:
    assert is_ewf(images.single) is True
    assert is_ewf(images.raw_path) is False
    assert is_ewf(tmp_path / "missing.E01") is False
    assert is_ewf(tmp_path) is False

    with pytest.raises(EwfError, match="is not an EWF \\(E01\\) image") as caught:
        inspect_ewf(images.raw_path)
    assert caught.value.path == images.raw_path
    assert "\n" not in str(caught.value)
    with pytest.raises(EwfError, match="does not exist"):
        inspect_ewf(tmp_path / "missing.E01")
    with pytest.raises(EwfError, match="not a regular file"):
        inspect_ewf(tmp_path)


@pytest.mark.parametrize("keep", [1_000_000, 2_000, -200])
def test_truncated_image_is_an_error_even_without_verify(
    images: Images, tmp_path: Path, keep: int
) -> None:
    """Cut in the media data, just after the headers, or inside the closing sections."""
    truncated = tmp_path / "truncated.E01"
    data = images.single.read_bytes()
    truncated.write_bytes(data[:keep])

    assert is_ewf(truncated) is True
    for verify in (False, True):
        with pytest.raises(EwfError, match="damaged") as caught:
            inspect_ewf(truncated, verify=verify)
        assert "\n" not in str(caught.value)


def test_missing_segment_is_an_error(images: Images, tmp_path: Path) -> None:
    for gone in ("multi.E02", "multi.E04"):
        first = _copy_set(images.multi, tmp_path / gone)
        (first.parent / gone).unlink()
        with pytest.raises(EwfError, match="damaged"):
            inspect_ewf(first, verify=False)


def test_single_segment_under_another_name(images: Images, tmp_path: Path) -> None:
    renamed = tmp_path / "evidence.img"
    shutil.copy(images.single, renamed)

    info = inspect_ewf(renamed)

    assert info.segments == [renamed]
    assert info.verified is True
