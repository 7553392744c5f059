"""Verify a whole published tlog-tiles log against its signed checkpoint.

:func:`verify_log` reads the checkpoint and checks its signature, then reads every entry
bundle and every hash tile the checkpoint's size implies, and rebuilds the tree twice:

* from the entries: leaf hashes, then every full subtree hash bottom up, compared with
  each tile's stored hashes, up to the root;
* from the tiles alone: each tile's subtrees compared with the tile above, up to a root.

With ``cosigners`` and a ``quorum``, the checkpoint must also carry that many valid
cosignatures (c2sp.org/tlog-cosignature) by distinct keys among them; a cosignature line by
one of them that does not verify is a fault too. The tree is walked all the same, so every
fault is listed.

Comparing both roots with the checkpoint's says where a fault lies. When the entries lead
to the checkpoint's root they are genuine, so every tile that disagrees with them is named.
When they do not, but the tiles are consistent and lead to the root, the bundles that
disagree with the level-0 tiles are named. Missing, truncated, over-long and undecodable
files are named as they are met. The first problem is the one a command line shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hanoi.crypto.cosignature import CosignatureVerifier, cosignatures_of
from hanoi.crypto.note import NoteError, parse_verifier_key
from hanoi.ledger.checkpoint import CheckpointError, open_checkpoint
from hanoi.ledger.merkle import EMPTY_ROOT, HASH_SIZE, leaf_hash, tree_root
from hanoi.ledger.proof import QuorumNotMet, check_log_policy
from hanoi.ledger.tiles import (
    CHECKPOINT_PATH,
    MAX_CHECKPOINT_BYTES,
    MAX_ENTRY_BYTES,
    TILE_HEIGHT,
    TILE_WIDTH,
    BundleError,
    Fetch,
    MissingResource,
    ResourceTooLarge,
    Tile,
    TileDataError,
    bundles_for_size,
    decode_bundle,
    split_tile,
    subtree_hash,
    tile_for_hash,
    tiles_at_level,
)

MAX_PROBLEMS = 1000
"""Problems listed in a report; the count of the others is kept."""

_PLACEHOLDER = bytes(HASH_SIZE)


@dataclass(frozen=True)
class Problem:
    """One fault in the log: the file it is in and what is wrong with it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class LogReport:
    """The outcome of :func:`verify_log`. ``ok`` only when every check passed."""

    origin: str | None = None
    size: int | None = None
    root_hash: bytes | None = None
    checkpoint_note: bytes | None = None
    """The signed checkpoint as read, once its signature by the log verified."""
    cosigned_by: list[str] = field(default_factory=list)
    """The trusted witnesses whose cosignatures verified, in note order."""
    tiles_checked: int = 0
    bundles_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    problems_not_listed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.size is not None

    def add(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, message))
        else:
            self.problems_not_listed += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "origin": self.origin,
            "size": self.size,
            "root_hash": self.root_hash.hex() if self.root_hash is not None else None,
            "cosigned_by": list(self.cosigned_by),
            "tiles_checked": self.tiles_checked,
            "bundles_checked": self.bundles_checked,
            "problems": [{"path": p.path, "message": p.message} for p in self.problems],
            "problems_not_listed": self.problems_not_listed,
        }


@dataclass
class _Mismatch:
    tile: Tile
    against: str  # "entries" or "tiles below"
    positions: list[int]


class _LastTiles:
    """A HashReader over the last (partial) tile of every level, enough for the root."""

    def __init__(self, size: int, last: dict[int, list[bytes]]) -> None:
        self._size = size
        self._last = last

    def hash_at(self, level: int, index: int) -> bytes:
        tile, start, end = tile_for_hash(self._size, level, index)
        return subtree_hash(self._last[tile.level], start, end)


def verify_log(
    fetch: Fetch,
    verifier_key_string: str,
    origin: str | None = None,
    *,
    cosigners: Sequence[CosignatureVerifier] = (),
    quorum: int = 0,
) -> LogReport:
    """Check the log behind ``fetch`` against the checkpoint signed by the key
    ``verifier_key_string`` (``name+hash+base64``), and of log ``origin`` when given,
    cosigned by at least ``quorum`` of the witnesses ``cosigners``.

    A malformed key raises :class:`~hanoi.crypto.note.NoteError`, a policy that cannot be
    met (a cosigner twice, the log's key as a cosigner, a quorum above the cosigners)
    ``ValueError``, and a log that cannot be read at all
    :class:`~hanoi.ledger.tiles.FetchError`; faults of the log itself are listed in the
    report, never raised.
    """
    verifier = parse_verifier_key(verifier_key_string)
    witnesses = list(cosigners)
    check_log_policy(verifier, witnesses, quorum)
    report = LogReport()
    try:
        note = fetch(CHECKPOINT_PATH, MAX_CHECKPOINT_BYTES)
        signed = open_checkpoint(note, [verifier, *witnesses], origin=origin)
    except (MissingResource, ResourceTooLarge) as exc:
        report.add(CHECKPOINT_PATH, _reason(exc, CHECKPOINT_PATH))
        return report
    except (NoteError, CheckpointError) as exc:
        report.add(CHECKPOINT_PATH, str(exc) or type(exc).__name__)
        return report
    if not signed.note.verified_by(verifier):
        # Opened with the witnesses' keys too, the note verifies on a cosignature alone.
        report.add(
            CHECKPOINT_PATH,
            f"cosigned, but not signed by the log key {verifier.name}+{verifier.key_hash:08x}",
        )
        return report
    checkpoint = signed.checkpoint
    report.checkpoint_note = note
    report.cosigned_by = [c.name for c in cosignatures_of(signed.note, witnesses)]
    if len(report.cosigned_by) < quorum:
        report.add(CHECKPOINT_PATH, str(QuorumNotMet(report.cosigned_by, quorum)))
    report.origin, report.size, report.root_hash = (
        checkpoint.origin,
        checkpoint.size,
        checkpoint.root_hash,
    )
    size = checkpoint.size
    if size == 0:
        if checkpoint.root_hash != EMPTY_ROOT:
            report.add(CHECKPOINT_PATH, "size 0, but the root is not the empty tree's")
        return report
    _Walk(fetch, size, report).run(checkpoint.root_hash)
    return report


class _Walk:
    def __init__(self, fetch: Fetch, size: int, report: LogReport) -> None:
        self.fetch = fetch
        self.size = size
        self.report = report
        self.incomplete = False
        self.mismatches: list[_Mismatch] = []
        self.last_from_entries: dict[int, list[bytes]] = {}
        self.last_from_tiles: dict[int, list[bytes]] = {}

    def run(self, expected_root: bytes) -> None:
        from_entries, from_tiles = self._level_zero()
        level = 1
        while self.size >> (TILE_HEIGHT * level):
            from_entries, from_tiles = self._upper_level(level, from_entries, from_tiles)
            level += 1
        if self.incomplete:
            return  # what is missing is reported; no root can be rebuilt without it
        root_entries = tree_root(_LastTiles(self.size, self.last_from_entries), self.size)
        root_tiles = tree_root(_LastTiles(self.size, self.last_from_tiles), self.size)
        self._diagnose(expected_root, root_entries, root_tiles)

    def _tile(self, tile: Tile) -> list[bytes] | None:
        self.report.tiles_checked += 1
        try:
            return split_tile(tile, self.fetch(tile.path, tile.data_size))
        except (MissingResource, ResourceTooLarge) as exc:
            self.report.add(tile.path, _reason(exc, tile.path))
        except TileDataError:
            self.report.add(
                tile.path,
                f"truncated: fewer than the {tile.data_size} bytes of {tile.width} hashes",
            )
        return None

    def _level_zero(self) -> tuple[list[bytes], list[bytes]]:
        up_entries: list[bytes] = []
        up_tiles: list[bytes] = []
        for bundle in bundles_for_size(self.size):
            self.report.bundles_checked += 1
            leaves: list[bytes] | None = None
            try:
                data = self.fetch(bundle.path, bundle.width * (2 + MAX_ENTRY_BYTES))
                entries = decode_bundle(data, bundle.width, path=bundle.path)
                leaves = [leaf_hash(entry) for entry in entries]
            except (MissingResource, ResourceTooLarge) as exc:
                self.report.add(bundle.path, _reason(exc, bundle.path))
            except BundleError as exc:
                self.report.add(bundle.path, _strip_path(str(exc), bundle.path))
            tile = Tile(0, bundle.index, bundle.width)
            stored = self._tile(tile)
            if leaves is not None and stored is not None:
                self._compare(tile, "entries", stored, leaves)
            values_entries, values_tiles = self._fill(tile, leaves, stored)
            self._carry(tile, values_entries, values_tiles, up_entries, up_tiles)
        return up_entries, up_tiles

    def _upper_level(
        self, level: int, below_entries: list[bytes], below_tiles: list[bytes]
    ) -> tuple[list[bytes], list[bytes]]:
        up_entries: list[bytes] = []
        up_tiles: list[bytes] = []
        for tile in tiles_at_level(self.size, level):
            first = tile.index * TILE_WIDTH
            from_entries = below_entries[first : first + tile.width]
            from_below = below_tiles[first : first + tile.width]
            stored = self._tile(tile)
            if stored is not None:
                self._compare(tile, "entries", stored, from_entries)
                self._compare(tile, "tiles below", stored, from_below)
            tiles_view = stored if stored is not None else from_below
            self._carry(tile, from_entries, tiles_view, up_entries, up_tiles)
        return up_entries, up_tiles

    def _fill(
        self, tile: Tile, leaves: list[bytes] | None, stored: list[bytes] | None
    ) -> tuple[list[bytes], list[bytes]]:
        """Each side's view of a level-0 tile, standing in for the other when one is lost."""
        if leaves is None and stored is None:
            self.incomplete = True
            filler = [_PLACEHOLDER] * tile.width
            return filler, filler
        if leaves is None:
            assert stored is not None
            return stored, stored
        if stored is None:
            return leaves, leaves
        return leaves, stored

    def _carry(
        self,
        tile: Tile,
        from_entries: Sequence[bytes],
        from_tiles: Sequence[bytes],
        up_entries: list[bytes],
        up_tiles: list[bytes],
    ) -> None:
        if tile.full:
            up_entries.append(subtree_hash(from_entries, 0, TILE_WIDTH))
            up_tiles.append(subtree_hash(from_tiles, 0, TILE_WIDTH))
        else:
            self.last_from_entries[tile.level] = list(from_entries)
            self.last_from_tiles[tile.level] = list(from_tiles)

    def _compare(
        self, tile: Tile, against: str, stored: Sequence[bytes], expected: Sequence[bytes]
    ) -> None:
        positions = [i for i, (a, b) in enumerate(zip(stored, expected, strict=True)) if a != b]
        if positions:
            self.mismatches.append(_Mismatch(tile, against, positions))

    def _diagnose(self, expected: bytes, root_entries: bytes, root_tiles: bytes) -> None:
        report = self.report
        against_entries = [m for m in self.mismatches if m.against == "entries"]
        against_below = [m for m in self.mismatches if m.against == "tiles below"]
        if root_entries == expected:
            # The entries are genuine: every tile disagreeing with them is altered.
            for m in against_entries:
                report.add(
                    m.tile.path,
                    f"altered: {_positions(m)} from the hashes recomputed from the entries",
                )
            return
        if root_tiles == expected and not against_below:
            # The tiles are consistent and lead to the signed root: the bundles are wrong.
            for m in against_entries:
                if m.tile.level != 0:
                    continue  # the consequence of a bundle below, not a fault of its own
                bundle = f"tile/entries{m.tile.path[len('tile/0') :]}"
                entries = ", ".join(str(p) for p in m.positions[:5])
                more = "" if len(m.positions) <= 5 else f" and {len(m.positions) - 5} more"
                report.add(
                    bundle,
                    f"altered: entry {entries}{more} of this bundle does not "
                    f"hash to the leaf hash stored in {m.tile.path}",
                )
            if not against_entries:
                report.add(CHECKPOINT_PATH, "the entries do not lead to the signed root")
            return
        for m in self.mismatches:
            report.add(
                m.tile.path,
                f"{_positions(m)} from the hashes recomputed from the {m.against}",
            )
        report.add(
            CHECKPOINT_PATH,
            f"signed root {expected.hex()} is not the log's: the entries lead to "
            f"{root_entries.hex()}, the tiles to {root_tiles.hex()}",
        )


def _positions(m: _Mismatch) -> str:
    shown = ", ".join(str(p) for p in m.positions[:5])
    more = "" if len(m.positions) <= 5 else f" and {len(m.positions) - 5} more"
    if len(m.positions) == 1:
        return f"hash {shown} (of {m.tile.width}) differs"
    return f"hashes {shown}{more} (of {m.tile.width}) differ"


def _reason(exc: Exception, path: str) -> str:
    if isinstance(exc, MissingResource):
        return "missing"
    if isinstance(exc, ResourceTooLarge):
        return f"longer than the {exc.limit} bytes allowed"
    return _strip_path(str(exc), path)


def _strip_path(message: str, path: str) -> str:
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


__all__ = ["MAX_PROBLEMS", "LogReport", "Problem", "verify_log"]
