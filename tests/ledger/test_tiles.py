"""Tile paths, the tiles of a size, tile bytes, entry bundles, write_tiles and the reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from hanoi.ledger import tiles
from hanoi.ledger.merkle import MemoryTree, inclusion_proof, leaf_hash, tree_root
from hanoi.ledger.tiles import Bundle, Tile


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 0), "tile/0/000"),
        (Tile(0, 999), "tile/0/999"),
        (Tile(0, 1000), "tile/0/x001/000"),
        (Tile(3, 1234067, 1), "tile/3/x001/x234/067.p/1"),
        (Tile(1, 5, 255), "tile/1/005.p/255"),
        (Bundle(1234067), "tile/entries/x001/x234/067"),
        (Bundle(0, 17), "tile/entries/000.p/17"),
    ],
)
def test_paths_round_trip(tile: Tile | Bundle, path: str) -> None:
    assert tile.path == path
    assert tiles.parse_tile_path(path) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/0",
        "tile/0/0000",
        "tile/0/x000/001",
        "tile/0/001/000",
        "tile/0/x001",
        "tile/00/000",
        "tile/8/000",
        "tile/-1/000",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/01",
        "tile/0/000.p/",
        "tile/0/000.p",
        "tile/data/000",
        "tile/entries/x000/005",
        "tiles/0/000",
        "tile/0/",
        "tile/0/../000",
        "tile/0/+12",
        "tile/0/١٢٣",
        "/tile/0/000",
    ],
)
def test_non_canonical_paths_are_refused(path: str) -> None:
    with pytest.raises(tiles.TilePathError):
        tiles.parse_tile_path(path)


def test_tiles_for_sizes() -> None:
    assert list(tiles.tiles_for_size(0)) == []
    assert list(tiles.tiles_for_size(1)) == [Tile(0, 0, 1)]
    assert list(tiles.tiles_for_size(256)) == [Tile(0, 0), Tile(1, 0, 1)]
    assert list(tiles.tiles_for_size(257)) == [Tile(0, 0), Tile(0, 1, 1), Tile(1, 0, 1)]
    found = list(tiles.tiles_for_size(70000))
    assert found[-3:] == [Tile(1, 0), Tile(1, 1, 17), Tile(2, 0, 1)]
    assert len([t for t in found if t.level == 0]) == 274
    assert list(tiles.bundles_for_size(513)) == [Bundle(0), Bundle(1), Bundle(2, 1)]


def test_bundles_encode_and_decode_strictly() -> None:
    entries = [b"", b"a", b"x" * 65535]
    data = tiles.encode_bundle(entries)
    assert data[:5] == b"\x00\x00\x00\x01a"
    assert tiles.decode_bundle(data, 3) == entries
    assert tiles.decode_bundle(data) == entries
    for broken, count in [
        (data[:-1], 3),
        (data + b"\x00", 3),
        (data, 2),
        (data, 4),
        (data[:1], None),
        (b"", None),
    ]:
        with pytest.raises(tiles.BundleError):
            tiles.decode_bundle(broken, count)
    with pytest.raises(tiles.BundleError):
        tiles.encode_bundle([b"x" * 65536])
    with pytest.raises(tiles.BundleError):
        tiles.encode_bundle([b""] * 257)


def _tree(size: int) -> tuple[MemoryTree, list[bytes]]:
    entries = [f"entry {i}".encode() for i in range(size)]
    return MemoryTree(leaf_hash(e) for e in entries), entries


def test_write_tiles_and_read_them_back(tmp_path: Path) -> None:
    tree, entries = _tree(1000)
    result = tiles.write_tiles(tmp_path, tree, 600, entries, b"checkpoint one\n")
    assert "tile/0/002.p/88" in result.written and result.kept == ()
    assert (tmp_path / "checkpoint").read_bytes() == b"checkpoint one\n"
    full = tmp_path / "tile/0/000"
    assert full.read_bytes() == tiles.tile_data(tree, Tile(0, 0))
    stamp = full.stat().st_mtime_ns
    grown = tiles.write_tiles(tmp_path, tree, 1000, entries, b"checkpoint two\n")
    assert "tile/0/000" in grown.kept and "tile/entries/001" in grown.kept
    assert "tile/0/003.p/232" in grown.written and "tile/1/000.p/3" in grown.written
    assert full.stat().st_mtime_ns == stamp  # full tiles are never rewritten
    assert not list(tmp_path.rglob("*.tmp"))
    reader = tiles.TiledHashReader(tiles.folder_fetcher(tmp_path), 1000)
    assert tree_root(reader, 1000) == tree.root()
    assert tree_root(reader, 1000) == tree.root()
    for index in (0, 255, 256, 999):
        assert inclusion_proof(reader, index, 1000) == tree.inclusion_proof(index)
    assert reader.fetched <= 6  # cached
    # An older size still reads from its own partial tiles.
    old = tiles.TiledHashReader(tiles.folder_fetcher(tmp_path), 600)
    assert tree_root(old, 600) == tree.root(600)


def test_write_tiles_refuses_entries_that_do_not_match(tmp_path: Path) -> None:
    tree, entries = _tree(10)
    entries[3] = b"forged"
    with pytest.raises(tiles.BundleError, match="entry 3"):
        tiles.write_tiles(tmp_path, tree, 10, entries, b"c\n")
    assert not (tmp_path / "checkpoint").exists()


def test_folder_fetcher_bounds_and_refusals(tmp_path: Path) -> None:
    tree, entries = _tree(3)
    tiles.write_tiles(tmp_path, tree, 3, entries, b"c\n")
    fetch = tiles.folder_fetcher(tmp_path)
    assert len(fetch("tile/0/000.p/3", 96)) == 96
    with pytest.raises(tiles.ResourceTooLarge):
        fetch("tile/0/000.p/3", 95)
    with pytest.raises(tiles.MissingResource):
        fetch("tile/0/001", 8192)
    with pytest.raises(tiles.TilePathError):
        fetch("../etc/passwd", 10)
    outside = tmp_path.parent / "outside"
    outside.write_bytes(b"x" * 32)
    (tmp_path / "tile/1").mkdir()
    (tmp_path / "tile/1/000.p/1").parent.mkdir(parents=True)
    (tmp_path / "tile/1/000.p/1").symlink_to(outside)
    with pytest.raises(tiles.FetchError):
        fetch("tile/1/000.p/1", 32)
    reader = tiles.TiledHashReader(lambda path, limit: b"\x00" * 64, 3)
    with pytest.raises(tiles.TileDataError):
        reader.hash_at(0, 0)
