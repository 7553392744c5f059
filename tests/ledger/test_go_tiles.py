"""Cross-check of the tiles Hanoi writes with Go's golang.org/x/mod/sumdb/tlog.

Go reads the folder with tlog.TileHashReader (which itself authenticates every tile it
reads against the signed root), recomputes the root, proves and checks records read from
the entry bundles, and a consistency proof; and tlog.Tile.Path agrees with Hanoi's paths.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest

from hanoi.ledger import tiles
from tests.ledger.test_go_interop import NoteCheck, notecheck  # noqa: F401 (fixture)
from tests.ledger.test_verify_log import KEY, build_log


def _tilecheck(go: NoteCheck, folder: Path, *indexes: int) -> list[str]:
    key = go.work / "tiles.key"
    key.write_text(KEY + "\n")
    result = go.run("tilecheck", str(folder), str(key), *map(str, indexes))
    assert result.ok, result.stderr
    return result.stdout.decode().splitlines()


@pytest.mark.parametrize("size", [1, 255, 256, 257, 1000, 70001])
def test_go_reads_hanoi_tiles(notecheck: NoteCheck, tmp_path: Path, size: int) -> None:  # noqa: F811
    folder = build_log(tmp_path / "log", size)
    indexes = sorted({0, size // 3, size - 1, min(256, size - 1)})
    lines = _tilecheck(notecheck, folder, *indexes)
    assert lines[0].startswith(f"root ok {size} ")
    assert [line.split()[2] for line in lines[1:] if line.startswith("record ok")] == [
        str(i) for i in indexes
    ]
    if size > 1:
        assert lines[-1].startswith(f"tree ok {size // 2} ")


def test_go_refuses_an_altered_tile(notecheck: NoteCheck, tmp_path: Path) -> None:  # noqa: F811
    folder = build_log(tmp_path / "log", 1000)
    tile = folder / "tile/1/000.p/3"
    data = bytearray(tile.read_bytes())
    data[0] ^= 1
    tile.write_bytes(bytes(data))
    key = notecheck.work / "tiles.key"
    key.write_text(KEY + "\n")
    assert not notecheck.run("tilecheck", str(folder), str(key)).ok


def test_go_and_hanoi_agree_on_tile_paths(notecheck: NoteCheck) -> None:  # noqa: F811
    rng = random.Random(6962)
    cases = [(0, 0, 256), (0, 999, 256), (0, 1000, 1), (-1, 1234067, 255), (7, 10**15, 3)]
    for _ in range(500):
        level = rng.randrange(-1, 8)
        index = rng.choice([rng.randrange(1000), rng.randrange(10**6), rng.randrange(2**40)])
        cases.append((level, index, rng.choice([1, 2, 100, 255, 256, rng.randrange(1, 257)])))
    stdin = "".join(f"{level} {index} {width}\n" for level, index, width in cases)
    done = subprocess.run(
        [str(notecheck.binary), "tilepaths"],
        input=stdin.encode(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    go_paths = done.stdout.decode().splitlines()
    assert len(go_paths) == len(cases)
    for (level, index, width), go_path in zip(cases, go_paths, strict=True):
        ours: tiles.Tile | tiles.Bundle
        ours = tiles.Bundle(index, width) if level < 0 else tiles.Tile(level, index, width)
        rest = go_path.removeprefix("tile/8/")
        expected = "tile/" + (
            "entries/" + rest.removeprefix("data/") if rest.startswith("data/") else rest
        )
        assert ours.path == expected
        assert tiles.parse_tile_path(expected) == ours
