"""Merkle tree arithmetic of RFC 6962 / RFC 9162 (§2.1), over SHA-256.

Three parts, deliberately free of I/O:

* hashing: :func:`leaf_hash`, :func:`node_hash`, :func:`root`;
* generation: proofs and roots computed from the hashes of *full* subtrees, read through a
  :class:`HashReader`. Those are exactly the hashes a C2SP tlog-tiles log stores (a full
  subtree's hash never changes once the tree has grown past it), so a storage layer can
  answer every read from its tiles. A proof in a tree of ``n`` leaves costs at most about
  ``2 * log2(n)`` reads. The reads are planned before any is made
  (:func:`inclusion_plan`, :func:`consistency_plan`, :func:`root_plan`), so a storage layer
  may fetch them all in one query and then answer from memory;
* verification: :func:`verify_inclusion` and :func:`verify_consistency`, the algorithms of
  RFC 9162 §2.1.3.2 and §2.1.4.2, raising a precise :class:`~hanoi.ledger.errors.ProofError`
  for every malformed input before any hashing.

Addressing: the node ``(level, index)`` is the full subtree of ``2**level`` leaves starting
at leaf ``index * 2**level``; ``(0, i)`` is the hash of leaf ``i``. This is the numbering of
tlog-tiles and of Go's ``golang.org/x/mod/sumdb/tlog``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from hanoi.ledger.errors import ProofError, TreeRangeError

HASH_SIZE = 32
"""Bytes in every hash of the tree (SHA-256)."""

MAX_TREE_SIZE = 2**64 - 1
"""Checkpoints carry sizes as unsigned 64-bit numbers; anything larger is refused."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree: MTH({}) = SHA-256 of the empty string."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


# --- hashing -----------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """The RFC 6962 hash of one leaf's bytes: SHA-256(0x00 || data).

    The prefix keeps a leaf from ever being taken for an interior node (second preimages).
    """
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 6962 hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """The tree head MTH of the leaves whose hashes are given, in order; any count, 0 too.

    One pass, memory logarithmic in the count: full subtrees are merged as they complete,
    and the ones left over (one per set bit of the size) are folded from the right.
    """
    stack: list[tuple[int, bytes]] = []  # (level, hash) of full subtrees, left to right
    for position, leaf in enumerate(leaf_hashes):
        _require_hash_size(leaf, f"leaf hash {position}")
        level, value = 0, leaf
        while stack and stack[-1][0] == level:
            value = node_hash(stack.pop()[1], value)
            level += 1
        stack.append((level, value))
    if not stack:
        return EMPTY_ROOT
    value = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        value = node_hash(left, value)
    return value


def _require_hash_size(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ValueError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


# --- stored hashes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Node:
    """The full subtree of ``2**level`` leaves starting at leaf ``index * 2**level``."""

    level: int
    index: int


class HashReader(Protocol):
    """Where proofs get their hashes from: anything that knows full subtrees' hashes."""

    def hash_at(self, level: int, index: int) -> bytes:
        """The hash of the full subtree ``(level, index)``; asked only for subtrees that
        lie wholly inside the tree size the proof or root is for."""
        ...


ProofPlan = tuple[tuple[Node, ...], ...]
"""The nodes to read for each hash of a proof, in proof order. A proof hash made of several
nodes is the root of the range they cover: fold their hashes from the right with
:func:`node_hash` (:func:`hash_nodes` does it)."""


def root_plan(size: int) -> tuple[Node, ...]:
    """The full subtrees whose hashes give the root of the tree of ``size`` leaves: one per
    set bit of ``size``, largest first."""
    _check_tree_size(size)
    return _range_nodes(0, size)


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """What to read for the inclusion proof of leaf ``index`` in the tree of ``size`` leaves
    (RFC 9162 §2.1.3.1, PATH(m, D[n]))."""
    _check_tree_size(size)
    if not 0 <= index < size:
        raise TreeRangeError(f"no leaf {index} in a tree of size {size}")
    start, end = 0, size
    siblings: list[tuple[Node, ...]] = []  # from the top down; a proof lists them bottom up
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            siblings.append(_range_nodes(split, end))
            end = split
        else:
            siblings.append(_range_nodes(start, split))
            start = split
    return tuple(reversed(siblings))


def consistency_plan(size1: int, size2: int) -> ProofPlan:
    """What to read for the proof that the tree of ``size1`` leaves is a prefix of the tree
    of ``size2`` leaves (RFC 9162 §2.1.4.1, PROOF(m, D[n])). Equal sizes need no hashes; a
    proof from the empty tree is refused, as :func:`verify_consistency` refuses it."""
    _check_tree_size(size1)
    _check_tree_size(size2)
    if size1 > size2:
        raise TreeRangeError(f"no consistency proof from size {size1} down to size {size2}")
    if size1 == size2:
        return ()
    if size1 == 0:
        raise TreeRangeError("a consistency proof from the empty tree proves nothing")
    start, end = 0, size2
    old_tree_is_whole_subtree = True  # SUBPROOF's flag b: still on the old tree's left edge
    hashes: list[tuple[Node, ...]] = []  # from the top down; a proof lists them bottom up
    while end != size1:
        split = start + _largest_power_of_two_below(end - start)
        if size1 <= split:
            hashes.append(_range_nodes(split, end))
            end = split
        else:
            hashes.append(_range_nodes(start, split))
            start = split
            old_tree_is_whole_subtree = False
    if not old_tree_is_whole_subtree:
        # The old tree's rightmost part: its root is not the old root, so the proof has it.
        hashes.append(_range_nodes(start, end))
    return tuple(reversed(hashes))


def hash_nodes(reader: HashReader, nodes: Sequence[Node]) -> bytes:
    """The root of the consecutive full subtrees ``nodes`` (left to right), folded from the
    right as MTH does; the empty sequence gives :data:`EMPTY_ROOT`."""
    if not nodes:
        return EMPTY_ROOT
    last = nodes[-1]
    value = reader.hash_at(last.level, last.index)
    for node in reversed(nodes[:-1]):
        value = node_hash(reader.hash_at(node.level, node.index), value)
    return value


def read_proof(reader: HashReader, plan: ProofPlan) -> list[bytes]:
    """The proof hashes a plan describes, read from ``reader``."""
    return [hash_nodes(reader, nodes) for nodes in plan]


def tree_root(reader: HashReader, size: int) -> bytes:
    """The root of the first ``size`` leaves of the tree behind ``reader``."""
    return hash_nodes(reader, root_plan(size))


def inclusion_proof(reader: HashReader, index: int, size: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    return read_proof(reader, inclusion_plan(index, size))


def consistency_proof(reader: HashReader, size1: int, size2: int) -> list[bytes]:
    """The proof that the tree of ``size1`` leaves is a prefix of the one of ``size2``."""
    return read_proof(reader, consistency_plan(size1, size2))


def _range_nodes(start: int, end: int) -> tuple[Node, ...]:
    """The full subtrees, left to right, that make up the leaf range ``[start, end)``.

    Only ranges met while splitting a tree as RFC 9162 does are asked for; their start is a
    multiple of every power of two not above their length, so the greedy split below lands
    on stored subtrees, at most one per bit of the length.
    """
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise AssertionError(f"leaf range [{start}, {end}) is not RFC 9162 aligned")
        nodes.append(Node(level, start >> level))
        start += 1 << level
    return tuple(nodes)


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162: the largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_tree_size(size: int) -> None:
    if not 0 <= size <= MAX_TREE_SIZE:
        raise TreeRangeError(f"tree size {size} is outside 0 .. 2**64 - 1")


# --- an in-memory tree -----------------------------------------------------------------------


class MemoryTree:
    """A tree held in memory: the leaf hashes and every full subtree's hash, per level.

    It is the :class:`HashReader` the tests use and the reference a stored log must agree
    with. Appending keeps ``2n`` hashes at most; old sizes stay provable, because a full
    subtree's hash does not change as the tree grows.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend(leaf_hashes)

    @property
    def size(self) -> int:
        """How many leaves the tree holds."""
        return len(self._levels[0])

    def append(self, leaf_hash: bytes) -> int:
        """Add one leaf hash (see :func:`leaf_hash`); returns its index."""
        _require_hash_size(leaf_hash, "leaf hash")
        index = self.size
        self._levels[0].append(bytes(leaf_hash))
        level = 0
        # Each time a level gets an even count, its last two hashes complete a parent.
        while len(self._levels[level]) % 2 == 0:
            row = self._levels[level]
            parent = node_hash(row[-2], row[-1])
            level += 1
            if level == len(self._levels):
                self._levels.append([])
            self._levels[level].append(parent)
        return index

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add leaf hashes in order."""
        for leaf in leaf_hashes:
            self.append(leaf)

    def hash_at(self, level: int, index: int) -> bytes:
        """The hash of the full subtree ``(level, index)``, if the tree has grown over it."""
        if 0 <= level < len(self._levels) and 0 <= index < len(self._levels[level]):
            return self._levels[level][index]
        raise TreeRangeError(
            f"no full subtree at level {level}, index {index} in a tree of size {self.size}"
        )

    def root(self, size: int | None = None) -> bytes:
        """The root at ``size`` leaves (by default, the current size)."""
        size = self.size if size is None else size
        if size > self.size:
            raise TreeRangeError(f"tree size {size} is beyond the {self.size} leaves held")
        return tree_root(self, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The inclusion proof of leaf ``index`` at ``size`` leaves (default: current)."""
        size = self.size if size is None else size
        if size > self.size:
            raise TreeRangeError(f"tree size {size} is beyond the {self.size} leaves held")
        return inclusion_proof(self, index, size)

    def consistency_proof(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The consistency proof from ``size1`` to ``size2`` leaves (default: current)."""
        size2 = self.size if size2 is None else size2
        if size2 > self.size:
            raise TreeRangeError(f"tree size {size2} is beyond the {self.size} leaves held")
        return consistency_proof(self, size1, size2)


# --- verification -----------------------------------------------------------------------------


def inclusion_proof_length(index: int, size: int) -> int:
    """How many hashes the inclusion proof of leaf ``index`` in a tree of ``size`` has.

    Below the level where the paths to ``index`` and to the last leaf part, every level has
    a sibling; above it, only the levels where ``index``'s path turns right do (on the
    right border a node without a right sibling is carried up unchanged).
    """
    if not 0 <= index < size:
        raise ProofError(
            f"leaf index {index} is not below the tree size {size}", check="leaf-index"
        )
    below_split = (index ^ (size - 1)).bit_length()
    return below_split + (index >> below_split).bit_count()


def consistency_proof_length(size1: int, size2: int) -> int:
    """How many hashes the consistency proof from ``size1`` to ``size2`` leaves has
    (0 < size1 < size2; 0 when the sizes are equal).

    It is the inclusion path of the old tree's last leaf in the new tree, less the levels
    inside the largest full subtree that ends the old tree, plus that subtree's own hash
    unless it is the whole old tree (then the verifier already holds it as the old root).
    """
    if size1 == size2:
        return 0
    if not 0 < size1 < size2:
        raise ProofError(
            f"no consistency proof from size {size1} to size {size2}", check="tree-size"
        )
    last = size1 - 1
    below_split = (last ^ (size2 - 1)).bit_length()
    border = (last >> below_split).bit_count()
    inside_last_subtree = (size1 & -size1).bit_length() - 1  # trailing zero bits of size1
    carried_seed = 0 if size1 & last == 0 else 1  # size1 not a power of two
    return carried_seed + below_split - inside_last_subtree + border


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with root
    ``root`` (RFC 9162 §2.1.3.2). Returns nothing; raises a
    :class:`~hanoi.ledger.errors.ProofError` whose ``check`` names what is wrong.

    Sizes, index, hash lengths and the proof's length are all checked before any hashing;
    the proof's length is compared with the length its index and size call for, never
    taken from the proof itself.
    """
    _check_proof_size(size, "tree size")
    if not 0 <= index < size:
        raise ProofError(
            f"leaf index {index} is not below the tree size {size}", check="leaf-index"
        )
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root")
    _check_proof_hashes(proof, inclusion_proof_length(index, size))

    # RFC 9162 §2.1.3.2, steps 2 to 5.
    fn, sn = index, size - 1
    computed = leaf_hash
    for sibling in proof:
        if sn == 0:
            raise ProofError("inclusion proof runs past the root", check="length")
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            while fn != 0 and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            computed = node_hash(computed, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof stops below the root", check="length")
    if computed != root:
        raise ProofError(
            f"inclusion proof for leaf {index} in a tree of size {size} leads to root "
            f"{computed.hex()}, not {root.hex()}",
            check="root",
        )


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree of ``size1`` leaves with root ``root1`` is a prefix of the tree
    of ``size2`` leaves with root ``root2`` (RFC 9162 §2.1.4.2). Returns nothing; raises a
    :class:`~hanoi.ledger.errors.ProofError` whose ``check`` names what is wrong.

    Equal sizes need an empty proof and equal roots; at size 0 both roots must be
    :data:`EMPTY_ROOT`. A proof from the empty tree to a larger one is refused: it would
    prove nothing, and accepting it would let a caller skip the real check.
    """
    _check_proof_size(size1, "size1")
    _check_proof_size(size2, "size2")
    if size1 > size2:
        raise ProofError(f"size1 {size1} is larger than size2 {size2}", check="tree-size")
    if size1 == size2:
        _verify_same_tree(size1, proof, root1, root2)
        return
    if size1 == 0:
        raise ProofError(
            f"a consistency proof from the empty tree to size {size2} proves nothing",
            check="tree-size",
        )
    _check_hash(root1, "root1")
    _check_hash(root2, "root2")
    _check_proof_hashes(proof, consistency_proof_length(size1, size2))

    # RFC 9162 §2.1.4.2, steps 2 to 7.
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # size1 is a power of two: its root is the seed
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old, new = path[0], path[0]
    for value in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof runs past the root", check="length")
        if fn & 1 or fn == sn:
            old = node_hash(value, old)
            new = node_hash(value, new)
            while fn != 0 and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            new = node_hash(new, value)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof stops below the root", check="length")
    if old != root1:
        raise ProofError(
            f"consistency proof from size {size1} to {size2} leads to root1 {old.hex()}, "
            f"not {root1.hex()}",
            check="root",
        )
    if new != root2:
        raise ProofError(
            f"consistency proof from size {size1} to {size2} leads to root2 {new.hex()}, "
            f"not {root2.hex()}",
            check="root",
        )


def _verify_same_tree(size: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    if len(proof) != 0:
        raise ProofError(
            f"consistency proof between equal sizes ({size}) must be empty, "
            f"it has {len(proof)} hashes",
            check="length",
        )
    if size == 0:
        for name, value in (("root1", root1), ("root2", root2)):
            if value != EMPTY_ROOT:
                raise ProofError(
                    f"{name} of the empty tree must be {EMPTY_ROOT.hex()}, not {value.hex()}",
                    check="root",
                )
        return
    # No hash is computed here, only the two roots compared, so their form is left to
    # whoever parsed them (one of the reference vectors relies on this).
    if root1 != root2:
        raise ProofError(
            f"root1 {root1.hex()} and root2 {root2.hex()} differ for the same size {size}",
            check="root",
        )


def _check_proof_size(size: int, name: str) -> None:
    if not 0 <= size <= MAX_TREE_SIZE:
        raise ProofError(f"{name} {size} is outside 0 .. 2**64 - 1", check="tree-size")


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}", check="hash-length")


def _check_proof_hashes(proof: Sequence[bytes], expected: int) -> None:
    if len(proof) != expected:
        raise ProofError(f"proof has {len(proof)} hashes, {expected} expected", check="length")
    for position, value in enumerate(proof):
        _check_hash(value, f"proof hash {position}")


__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MAX_TREE_SIZE",
    "HashReader",
    "MemoryTree",
    "Node",
    "ProofPlan",
    "consistency_plan",
    "consistency_proof",
    "consistency_proof_length",
    "hash_nodes",
    "inclusion_plan",
    "inclusion_proof",
    "inclusion_proof_length",
    "leaf_hash",
    "node_hash",
    "read_proof",
    "root",
    "root_plan",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]
