"""The static C2SP tlog-tiles layout of a log (c2sp.org/tlog-tiles).

A log of ``n`` entries is published as plain files under one folder or URL prefix::

    checkpoint                       the signed checkpoint (ledger/checkpoint.py)
    tile/<L>/<N>[.p/<W>]             hash tiles
    tile/entries/<N>[.p/<W>]         entry bundles

Tiles have height 8: the tile ``(L, N)`` holds the hashes of the full subtrees at Merkle
level ``8 * L`` with indexes ``256 * N`` up to ``256 * N + W - 1``, each 32 bytes, one after
the other. ``W`` is 256 for a full tile; only the last tile of a level may be partial, and
its path then ends in ``.p/<W>`` (1 <= W <= 255). ``N`` is written in groups of three
decimal digits, every group but the last prefixed with ``x``: 1234067 is ``x001/x234/067``.
An entry bundle ``N`` holds the entries ``256 * N`` onwards, each as a big-endian uint16
length followed by that many bytes.

This module holds the pure parts (paths, which tiles a size has, tile and bundle bytes),
:func:`write_tiles` (publishing a folder), fetchers reading a published log from a folder or
over HTTP with bounded sizes, and :class:`TiledHashReader`, a :class:`~hanoi.ledger.merkle.
HashReader` answering from fetched tiles. Nothing here trusts what it fetched:
:mod:`hanoi.ledger.verify` checks a whole log against its checkpoint.
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hanoi.crypto.note import MAX_NOTE_BYTES
from hanoi.errors import Malformed, NotFound, TooLarge, Unavailable
from hanoi.files import replace_file
from hanoi.ledger.errors import LedgerError, TreeRangeError
from hanoi.ledger.merkle import HASH_SIZE, HashReader, leaf_hash, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
"""Hashes in a full tile, entries in a full bundle."""
MAX_TILE_BYTES = TILE_WIDTH * HASH_SIZE
MAX_ENTRY_BYTES = 0xFFFF
"""An entry's length is written as a uint16."""
MAX_BUNDLE_BYTES = TILE_WIDTH * (2 + MAX_ENTRY_BYTES)
MAX_CHECKPOINT_BYTES = MAX_NOTE_BYTES
MAX_LEVEL = 7
"""Tree sizes stay below 2**64, so level-8 tiles (Merkle level 64) can never exist."""
MAX_INDEX = (1 << 64) - 1
CHECKPOINT_PATH = "checkpoint"

_GROUP = re.compile(r"x?[0-9]{3}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


# --- errors -------------------------------------------------------------------------------


class TilePathError(LedgerError, Malformed, ValueError):
    """A path that is not the one canonical tlog-tiles path of a tile or bundle. Also a
    ``ValueError``, as callers expect of a bad argument."""


class TileDataError(LedgerError, Malformed):
    """A tile's bytes are not ``W`` hashes of 32 bytes."""


class BundleError(LedgerError, Malformed):
    """An entry bundle that does not decode exactly, or an entry that cannot be bundled."""


class FetchError(LedgerError, Unavailable):
    """A file of the log could not be read (network, permissions); not a fault in the log."""


class MissingResource(LedgerError, NotFound):
    """The log does not have the file asked for."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: missing")
        self.path = path


class ResourceTooLarge(LedgerError, TooLarge):
    """The file is larger than it may be."""

    def __init__(self, path: str, limit: int) -> None:
        super().__init__(f"{path}: larger than {limit} bytes")
        self.path = path
        self.limit = limit


# --- paths --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tile:
    """The hash tile ``(level, index)`` holding ``width`` hashes (256 when full)."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_LEVEL:
            raise TilePathError(f"tile level {self.level} is outside 0 .. {MAX_LEVEL}")
        _check_index_width(self.index, self.width)

    @property
    def path(self) -> str:
        return f"tile/{self.level}/{_index_path(self.index)}{_width_suffix(self.width)}"

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def data_size(self) -> int:
        return self.width * HASH_SIZE


@dataclass(frozen=True, slots=True)
class Bundle:
    """The entry bundle ``index`` holding ``width`` entries (256 when full)."""

    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        _check_index_width(self.index, self.width)

    @property
    def path(self) -> str:
        return f"tile/entries/{_index_path(self.index)}{_width_suffix(self.width)}"

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def first_entry(self) -> int:
        return self.index * TILE_WIDTH


def _check_index_width(index: int, width: int) -> None:
    if not 0 <= index <= MAX_INDEX:
        raise TilePathError(f"tile index {index} is outside 0 .. 2**64 - 1")
    if not 1 <= width <= TILE_WIDTH:
        raise TilePathError(f"tile width {width} is outside 1 .. {TILE_WIDTH}")


def _index_path(index: int) -> str:
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def _width_suffix(width: int) -> str:
    return "" if width == TILE_WIDTH else f".p/{width}"


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """The path of the hash tile ``(level, index)`` of ``width`` hashes."""
    return Tile(level, index, width).path


def bundle_path(index: int, width: int = TILE_WIDTH) -> str:
    """The path of entry bundle ``index`` of ``width`` entries."""
    return Bundle(index, width).path


def parse_tile_path(path: str) -> Tile | Bundle:
    """The tile or bundle at ``path``; :class:`TilePathError` unless ``path`` is exactly the
    canonical spelling (no leading zeros, no missing or extra ``x``, no ``.p/256``)."""
    if not isinstance(path, str) or not path.isascii():
        raise TilePathError(f"{path!r} is not a tile path")
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TilePathError(f"{path!r} is not a tile path (tile/<L>/<N>[.p/<W>])")
    kind, groups = parts[1], parts[2:]
    width = TILE_WIDTH
    if len(groups) >= 2 and groups[-2].endswith(".p"):
        width_text = groups[-1]
        if not _DECIMAL.fullmatch(width_text) or len(width_text) > 3:
            raise TilePathError(f"{path!r}: partial width {width_text!r} is not a number")
        width = int(width_text)
        if not 1 <= width < TILE_WIDTH:
            raise TilePathError(f"{path!r}: a partial width is 1 .. {TILE_WIDTH - 1}")
        groups = [*groups[:-2], groups[-2][: -len(".p")]]
    if not groups or len(groups) > 7:
        raise TilePathError(f"{path!r}: the index has 1 to 7 groups of three digits")
    index = 0
    for position, group in enumerate(groups):
        if not _GROUP.fullmatch(group):
            raise TilePathError(f"{path!r}: {group!r} is not a group of three digits")
        last = position == len(groups) - 1
        if group.startswith("x") == last:
            raise TilePathError(f"{path!r}: only groups before the last start with 'x'")
        index = index * 1000 + int(group.lstrip("x"))
    try:
        parsed: Tile | Bundle
        if kind == "entries":
            parsed = Bundle(index, width)
        elif _DECIMAL.fullmatch(kind) and len(kind) <= 2:
            parsed = Tile(int(kind), index, width)
        else:
            raise TilePathError(f"{path!r}: level {kind!r} is neither a number nor 'entries'")
    except TilePathError as exc:
        raise TilePathError(f"{path!r}: {exc}") from None
    if parsed.path != path:  # e.g. a first group x000, or leading zeros in the index
        raise TilePathError(f"{path!r} is not canonical (it would be {parsed.path!r})")
    return parsed


# --- which tiles a tree has ---------------------------------------------------------------


def tiles_for_size(size: int) -> Iterator[Tile]:
    """Every hash tile of the tree of ``size`` leaves, level by level, left to right: the
    full ones, then the partial one if the level's hash count is not a multiple of 256."""
    _check_size(size)
    level = 0
    while size >> (TILE_HEIGHT * level):
        count = size >> (TILE_HEIGHT * level)
        full, rest = divmod(count, TILE_WIDTH)
        for index in range(full):
            yield Tile(level, index)
        if rest:
            yield Tile(level, full, rest)
        level += 1


def tiles_at_level(size: int, level: int) -> list[Tile]:
    """The hash tiles of one level of the tree of ``size`` leaves."""
    _check_size(size)
    count = size >> (TILE_HEIGHT * level)
    full, rest = divmod(count, TILE_WIDTH)
    tiles = [Tile(level, index) for index in range(full)]
    if rest:
        tiles.append(Tile(level, full, rest))
    return tiles


def bundles_for_size(size: int) -> Iterator[Bundle]:
    """Every entry bundle of a log of ``size`` entries, in order."""
    _check_size(size)
    full, rest = divmod(size, TILE_WIDTH)
    for index in range(full):
        yield Bundle(index)
    if rest:
        yield Bundle(full, rest)


def tile_for_hash(size: int, level: int, index: int) -> tuple[Tile, int, int]:
    """The tile holding the full subtree ``(level, index)`` of the tree of ``size`` leaves,
    and the range ``[start, end)`` of that tile's hashes the subtree covers."""
    _check_size(size)
    if level < 0 or index < 0 or (index + 1) << level > size:
        raise TreeRangeError(f"no full subtree ({level}, {index}) in a tree of size {size}")
    tile_level, height = divmod(level, TILE_HEIGHT)
    first = index << height  # index at level 8 * tile_level
    tile_index = first >> TILE_HEIGHT
    count = size >> (TILE_HEIGHT * tile_level)
    width = min(TILE_WIDTH, count - tile_index * TILE_WIDTH)
    start = first - tile_index * TILE_WIDTH
    return Tile(tile_level, tile_index, width), start, start + (1 << height)


def _check_size(size: int) -> None:
    if not 0 <= size <= MAX_INDEX:
        raise TreeRangeError(f"tree size {size} is outside 0 .. 2**64 - 1")


# --- tile bytes ---------------------------------------------------------------------------


def tile_data(reader: HashReader, tile: Tile) -> bytes:
    """The bytes of ``tile``: its hashes read from ``reader``, concatenated."""
    level = tile.level * TILE_HEIGHT
    first = tile.index * TILE_WIDTH
    return b"".join(reader.hash_at(level, first + i) for i in range(tile.width))


def split_tile(tile: Tile, data: bytes) -> list[bytes]:
    """The hashes in ``data``, which must be exactly ``tile.width`` hashes."""
    if len(data) != tile.data_size:
        raise TileDataError(
            f"{tile.path}: {len(data)} bytes, expected {tile.data_size} "
            f"({tile.width} hashes of {HASH_SIZE})"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def subtree_hash(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """The hash of the full subtree over ``hashes[start:end]`` (a power-of-two run,
    aligned on its length), folded pairwise."""
    row = list(hashes[start:end])
    if not row or len(row) & (len(row) - 1) or start % len(row):
        raise TreeRangeError(f"[{start}, {end}) is not an aligned power-of-two run")
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


# --- entry bundles ------------------------------------------------------------------------


def encode_bundle(entries: Sequence[bytes]) -> bytes:
    """The entry bundle of ``entries`` (1 to 256 entries of at most 65535 bytes each)."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise BundleError(f"a bundle holds 1 to {TILE_WIDTH} entries, not {len(entries)}")
    parts = []
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_BYTES:
            raise BundleError(
                f"entry {position} is {len(entry)} bytes, more than {MAX_ENTRY_BYTES}"
            )
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(bytes(entry))
    return b"".join(parts)


def decode_bundle(data: bytes, count: int | None = None, *, path: str = "bundle") -> list[bytes]:
    """The entries in bundle bytes ``data``: exactly ``count`` of them when given (1 to 256
    otherwise), and nothing after the last. Raises :class:`BundleError` naming ``path``."""
    if count is not None and not 1 <= count <= TILE_WIDTH:
        raise BundleError(f"{path}: a bundle holds 1 to {TILE_WIDTH} entries, not {count}")
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if (count is not None and len(entries) == count) or len(entries) == TILE_WIDTH:
            raise BundleError(
                f"{path}: {len(data) - offset} bytes after the last entry ({len(entries)} expected)"
            )
        if offset + 2 > len(data):
            raise BundleError(f"{path}: truncated in the length of entry {len(entries)}")
        length = int.from_bytes(data[offset : offset + 2], "big")
        offset += 2
        if offset + length > len(data):
            raise BundleError(
                f"{path}: entry {len(entries)} is truncated ({len(data) - offset} of "
                f"{length} bytes)"
            )
        entries.append(data[offset : offset + length])
        offset += length
    if count is not None and len(entries) != count:
        raise BundleError(f"{path}: holds {len(entries)} entries, expected {count}")
    if not entries:
        raise BundleError(f"{path}: empty")
    return entries


# --- writing a folder ---------------------------------------------------------------------


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_tiles` did: the paths written, and full ones already there."""

    written: tuple[str, ...]
    kept: tuple[str, ...]


def write_tiles(
    folder: Path,
    reader: HashReader,
    size: int,
    entries: Sequence[bytes],
    checkpoint_note: bytes,
) -> WriteResult:
    """Publish the tree of ``size`` leaves under ``folder`` in the tlog-tiles layout.

    ``reader`` gives the tree's hashes; ``entries[i]`` is the data of leaf ``i`` (only the
    bundles written are read, so a lazy sequence does). Each file is written atomically
    (temporary file, fsync, rename). A full tile or bundle already present is never
    rewritten: it cannot change. Partial ones are written for this size; older partial
    files are left for readers still on an older checkpoint. The checkpoint goes last, so
    a reader never sees a checkpoint whose files are not there yet. An entry that does not
    hash to its leaf in ``reader`` is refused before anything of its bundle is written.
    """
    _check_size(size)
    if len(entries) < size:
        raise BundleError(f"{len(entries)} entries given for a tree of size {size}")
    folder = Path(folder)
    written: list[str] = []
    kept: list[str] = []
    for bundle in bundles_for_size(size):
        target = folder / bundle.path
        if bundle.full and target.exists():
            kept.append(bundle.path)
            continue
        chunk = [bytes(entries[bundle.first_entry + i]) for i in range(bundle.width)]
        for offset, entry in enumerate(chunk):
            position = bundle.first_entry + offset
            if leaf_hash(entry) != reader.hash_at(0, position):
                raise BundleError(f"entry {position} does not hash to leaf {position}")
        _write_atomic(target, encode_bundle(chunk))
        written.append(bundle.path)
    for tile in tiles_for_size(size):
        target = folder / tile.path
        if tile.full and target.exists():
            kept.append(tile.path)
            continue
        _write_atomic(target, tile_data(reader, tile))
        written.append(tile.path)
    _write_atomic(folder / CHECKPOINT_PATH, checkpoint_note)
    written.append(CHECKPOINT_PATH)
    return WriteResult(tuple(written), tuple(kept))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_file(path, data)


# --- reading a published log --------------------------------------------------------------


class Fetch(Protocol):
    """Reads one file of a published log: ``path`` relative to the log's root, at most
    ``limit`` bytes. Raises :class:`MissingResource`, :class:`ResourceTooLarge`, or
    :class:`FetchError` when the log cannot be read at all."""

    def __call__(self, path: str, limit: int) -> bytes: ...


def _check_log_path(path: str) -> None:
    if path != CHECKPOINT_PATH:
        parse_tile_path(path)


def folder_fetcher(root: Path) -> Fetch:
    """A :class:`Fetch` over a local folder. Only the checkpoint and canonical tile paths are
    read, never through a symbolic link, and never outside ``root``."""
    base = Path(root)
    if not base.is_dir():
        raise FetchError(f"{base}: not a folder")
    resolved_base = base.resolve()

    def fetch(path: str, limit: int) -> bytes:
        _check_log_path(path)
        target = base / path
        try:
            if target.is_symlink() or not target.resolve().is_relative_to(resolved_base):
                raise FetchError(f"{path}: a symbolic link or outside the log's folder")
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
            fd = os.open(target, flags)
        except FileNotFoundError:
            raise MissingResource(path) from None
        except NotADirectoryError:
            raise MissingResource(path) from None
        except OSError as exc:
            raise FetchError(f"{path}: {exc.strerror or exc}") from None
        with os.fdopen(fd, "rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise ResourceTooLarge(path, limit)
        return data

    return fetch


def http_fetcher(base_url: str, *, timeout: float = 30.0) -> Fetch:
    """A :class:`Fetch` over HTTP(S): ``base_url`` + path, 404 and 410 meaning missing,
    bodies read in pieces and abandoned past the limit, no redirects followed."""
    import httpx

    prefix = base_url if base_url.endswith("/") else base_url + "/"
    client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)

    def fetch(path: str, limit: int) -> bytes:
        _check_log_path(path)
        url = prefix + path
        try:
            with client.stream("GET", url) as response:
                if response.status_code in (404, 410):
                    raise MissingResource(path)
                if response.status_code != 200:
                    raise FetchError(f"{url}: HTTP {response.status_code}")
                data = bytearray()
                for piece in response.iter_bytes():
                    data += piece
                    if len(data) > limit:
                        raise ResourceTooLarge(path, limit)
                return bytes(data)
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: {exc}") from None

    return fetch


def open_fetcher(location: str) -> Fetch:
    """A fetcher for ``location``: an http(s) URL, or else a local folder."""
    if location.startswith(("https://", "http://")):
        return http_fetcher(location)
    return folder_fetcher(Path(location))


class TiledHashReader:
    """A :class:`~hanoi.ledger.merkle.HashReader` for the tree of ``size`` leaves answered
    from tiles read through ``fetch``; the last ``cache_tiles`` tiles read are kept.

    Tiles are checked for length only: a proof built from them must still be verified
    against a signed root (or the whole log with :func:`hanoi.ledger.verify.verify_log`).
    """

    def __init__(self, fetch: Fetch, size: int, *, cache_tiles: int = 1024) -> None:
        _check_size(size)
        self._fetch = fetch
        self.size = size
        self._cache: OrderedDict[Tile, list[bytes]] = OrderedDict()
        self._cache_tiles = max(1, cache_tiles)
        self.fetched = 0
        """How many tiles were read through ``fetch`` (cache misses)."""

    def tile_hashes(self, tile: Tile) -> list[bytes]:
        """The hashes of ``tile``, from the cache or fetched."""
        cached = self._cache.get(tile)
        if cached is not None:
            self._cache.move_to_end(tile)
            return cached
        hashes = split_tile(tile, self._fetch(tile.path, tile.data_size))
        self.fetched += 1
        self._cache[tile] = hashes
        if len(self._cache) > self._cache_tiles:
            self._cache.popitem(last=False)
        return hashes

    def hash_at(self, level: int, index: int) -> bytes:
        tile, start, end = tile_for_hash(self.size, level, index)
        return subtree_hash(self.tile_hashes(tile), start, end)


__all__ = [
    "CHECKPOINT_PATH",
    "MAX_BUNDLE_BYTES",
    "MAX_CHECKPOINT_BYTES",
    "MAX_ENTRY_BYTES",
    "MAX_TILE_BYTES",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "Bundle",
    "BundleError",
    "Fetch",
    "FetchError",
    "MissingResource",
    "ResourceTooLarge",
    "Tile",
    "TileDataError",
    "TilePathError",
    "TiledHashReader",
    "WriteResult",
    "bundle_path",
    "bundles_for_size",
    "decode_bundle",
    "encode_bundle",
    "folder_fetcher",
    "http_fetcher",
    "open_fetcher",
    "parse_tile_path",
    "split_tile",
    "subtree_hash",
    "tile_data",
    "tile_for_hash",
    "tile_path",
    "tiles_at_level",
    "tiles_for_size",
]
