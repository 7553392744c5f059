"""The Merkle tree arithmetic against the transparency-dev vectors, against a naive reading
of RFC 6962 / RFC 9162 written out below, and against tampering."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from hanoi.ledger.errors import ProofError, TreeRangeError
from hanoi.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    Node,
    consistency_plan,
    consistency_proof,
    consistency_proof_length,
    inclusion_plan,
    inclusion_proof,
    inclusion_proof_length,
    leaf_hash,
    node_hash,
    read_proof,
    root,
    root_plan,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from tests.raising import raises_check

VECTORS = Path(__file__).resolve().parent.parent / "data" / "merkle"
MAX = 64


# --- a naive RFC 6962 tree, straight from the definitions ---------------------------------


def _split(n: int) -> int:
    """The largest power of two strictly below n (n > 1), counted up the slow way."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1, over the entries themselves (not their hashes)."""
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = _split(len(entries))
    return hashlib.sha256(b"\x01" + naive_mth(entries[:k]) + naive_mth(entries[k:])).digest()


def naive_path(m: int, entries: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1."""
    if len(entries) == 1:
        return []
    k = _split(len(entries))
    if m < k:
        return [*naive_path(m, entries[:k]), naive_mth(entries[k:])]
    return [*naive_path(m - k, entries[k:]), naive_mth(entries[:k])]


def naive_subproof(m: int, entries: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1."""
    n = len(entries)
    if m == n:
        return [] if whole else [naive_mth(entries)]
    k = _split(n)
    if m <= k:
        return [*naive_subproof(m, entries[:k], whole), naive_mth(entries[k:])]
    return [*naive_subproof(m - k, entries[k:], False), naive_mth(entries[:k])]


ENTRIES = [b"event %d" % i for i in range(MAX)]
TREE = MemoryTree(leaf_hash(e) for e in ENTRIES)
ROOTS = [naive_mth(ENTRIES[:n]) for n in range(MAX + 1)]


def _flip(value: bytes, bit: int = 0) -> bytes:
    return bytes([value[0] ^ (1 << bit)]) + value[1:]


# --- the vectors --------------------------------------------------------------------------------


def _vector_params(kind: str) -> list[Any]:
    paths = sorted((VECTORS / kind).rglob("*.json"))
    return [pytest.param(p, id=p.relative_to(VECTORS).as_posix()) for p in paths]


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    case["proof"] = [_b64(h) for h in case["proof"] or []]
    return case


def test_vectors_are_present_with_their_source_and_licence() -> None:
    assert (VECTORS / "SOURCE.md").is_file()
    assert (VECTORS / "LICENSE").is_file()
    assert len(_vector_params("inclusion")) == 98
    assert len(_vector_params("consistency")) == 98


@pytest.mark.parametrize("path", _vector_params("inclusion"))
def test_inclusion_vector(path: Path) -> None:
    case = _load(path)
    args = (
        _b64(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        case["proof"],
        _b64(case["root"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _vector_params("consistency"))
def test_consistency_vector(path: Path) -> None:
    case = _load(path)
    args = (
        case["size1"],
        case["size2"],
        case["proof"],
        _b64(case["root1"]),
        _b64(case["root2"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


# The vectors' tree: the eight entries of RFC 6962's own test data.
RFC_ENTRIES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]


def test_generated_proofs_equal_the_vectors_happy_paths() -> None:
    tree = MemoryTree(leaf_hash(e) for e in RFC_ENTRIES)
    checked = 0
    for path in sorted(VECTORS.rglob("happy-path.json")):
        case = _load(path)
        if "leafIdx" in case:
            assert _b64(case["root"]) == tree.root(case["treeSize"])
            assert tree.hash_at(0, case["leafIdx"]) == _b64(case["leafHash"])
            assert tree.inclusion_proof(case["leafIdx"], case["treeSize"]) == case["proof"]
        else:
            assert _b64(case["root1"]) == tree.root(case["size1"])
            assert _b64(case["root2"]) == tree.root(case["size2"])
            assert tree.consistency_proof(case["size1"], case["size2"]) == case["proof"]
        checked += 1
    assert checked == 10


# --- hashing -------------------------------------------------------------------------------------


def test_known_hashes() -> None:
    assert EMPTY_ROOT.hex() == hashlib.sha256(b"").hexdigest()
    assert root([]) == EMPTY_ROOT == MemoryTree().root()
    assert leaf_hash(b"") == _b64("bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=")
    assert node_hash(b"L", b"R") == hashlib.sha256(b"\x01LR").digest()
    assert root(leaf_hash(e) for e in RFC_ENTRIES) == _b64(
        "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
    )


@pytest.mark.parametrize("size", [*range(MAX + 1), 100, 255, 256, 257, 1000])
def test_roots_match_the_naive_definition(size: int) -> None:
    entries = [b"event %d" % i for i in range(size)]
    expected = naive_mth(entries)
    hashes = [leaf_hash(e) for e in entries]
    assert root(hashes) == expected
    assert root(iter(hashes)) == expected
    tree = MemoryTree(hashes)
    assert tree.size == size
    assert tree.root() == expected
    assert tree_root(tree, size) == expected
    if size <= MAX:
        assert TREE.root(size) == expected  # an older size of a grown tree


def test_leaf_hashes_of_the_wrong_size_are_refused() -> None:
    with pytest.raises(ValueError, match="leaf hash 1 is 31 bytes"):
        root([bytes(32), bytes(31)])
    with pytest.raises(ValueError, match="33 bytes"):
        MemoryTree().append(bytes(33))


# --- generated proofs ----------------------------------------------------------------------------


def test_every_inclusion_proof_up_to_64_is_rfc_path_and_verifies() -> None:
    for size in range(1, MAX + 1):
        for index in range(size):
            proof = TREE.inclusion_proof(index, size)
            assert proof == naive_path(index, ENTRIES[:size]), (index, size)
            assert len(proof) == inclusion_proof_length(index, size)
            verify_inclusion(TREE.hash_at(0, index), index, size, proof, ROOTS[size])


def test_every_consistency_proof_up_to_64_is_rfc_proof_and_verifies() -> None:
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    for size2 in range(1, MAX + 1):
        for size1 in range(1, size2 + 1):
            proof = TREE.consistency_proof(size1, size2)
            expected = [] if size1 == size2 else naive_subproof(size1, ENTRIES[:size2], True)
            assert proof == expected, (size1, size2)
            assert len(proof) == consistency_proof_length(size1, size2)
            verify_consistency(size1, size2, proof, ROOTS[size1], ROOTS[size2])


def test_generation_refuses_what_the_tree_cannot_prove() -> None:
    with pytest.raises(TreeRangeError, match="no leaf 5 in a tree of size 5"):
        inclusion_plan(5, 5)
    with pytest.raises(TreeRangeError):
        inclusion_plan(-1, 5)
    with pytest.raises(TreeRangeError):
        inclusion_plan(0, 0)
    with pytest.raises(TreeRangeError, match="from size 6 down to size 5"):
        consistency_plan(6, 5)
    with pytest.raises(TreeRangeError, match="empty tree"):
        consistency_plan(0, 5)
    assert consistency_plan(0, 0) == consistency_plan(7, 7) == ()
    with pytest.raises(TreeRangeError, match="beyond the 64 leaves"):
        TREE.inclusion_proof(0, MAX + 1)
    with pytest.raises(TreeRangeError, match="beyond the 64 leaves"):
        TREE.consistency_proof(1, MAX + 1)
    with pytest.raises(TreeRangeError, match="beyond the 64 leaves"):
        TREE.root(MAX + 1)
    with pytest.raises(TreeRangeError, match="level 0, index 64"):
        TREE.hash_at(0, MAX)
    with pytest.raises(TreeRangeError, match="level 7"):
        TREE.hash_at(7, 0)
    with pytest.raises(TreeRangeError):
        tree_root(TREE, 2**64)
    # A tree asked for more than it holds fails in the reader, not with a wrong proof.
    with pytest.raises(TreeRangeError):
        inclusion_proof(MemoryTree(leaf_hash(e) for e in ENTRIES[:3]), 0, 4)


class BatchedHashes:
    """What a storage layer does with a plan: fetch every node it names at once (here from
    a dict), then answer the proof's reads from that."""

    def __init__(self, hashes: dict[Node, bytes]) -> None:
        self.hashes = hashes

    def hash_at(self, level: int, index: int) -> bytes:
        return self.hashes[Node(level, index)]


def test_a_plan_can_be_fetched_in_one_batch() -> None:
    for plan in (inclusion_plan(37, 61), consistency_plan(37, 61), (root_plan(61),)):
        wanted = {node for nodes in plan for node in nodes}
        batch = BatchedHashes({n: TREE.hash_at(n.level, n.index) for n in wanted})
        assert read_proof(batch, plan) == read_proof(TREE, plan)
    assert root_plan(61) == (Node(5, 0), Node(4, 2), Node(3, 6), Node(2, 14), Node(0, 60))
    assert root_plan(0) == ()
    assert read_proof(TREE, (root_plan(61),)) == [ROOTS[61]]


def test_proof_lengths_are_refused_for_impossible_arguments() -> None:
    with raises_check(ProofError, "leaf-index"):
        inclusion_proof_length(3, 3)
    with raises_check(ProofError, "tree-size"):
        consistency_proof_length(0, 3)
    with raises_check(ProofError, "tree-size"):
        consistency_proof_length(4, 3)
    assert consistency_proof_length(0, 0) == consistency_proof_length(3, 3) == 0


# --- tampering and wrong claims ------------------------------------------------------------------


def test_any_altered_inclusion_proof_hash_leaf_or_root_is_refused() -> None:
    for size in range(1, MAX + 1):
        for index in range(size):
            leaf = TREE.hash_at(0, index)
            proof = TREE.inclusion_proof(index, size)
            for position in range(len(proof)):
                for bit in (0, 7):
                    altered = list(proof)
                    altered[position] = _flip(altered[position], bit)
                    with raises_check(ProofError, "root"):
                        verify_inclusion(leaf, index, size, altered, ROOTS[size])
            with raises_check(ProofError, "root"):
                verify_inclusion(_flip(leaf), index, size, proof, ROOTS[size])
            with raises_check(ProofError, "root"):
                verify_inclusion(leaf, index, size, proof, _flip(ROOTS[size]))


def test_inclusion_proof_for_another_index_is_refused() -> None:
    for size in range(1, 25):
        for index in range(size):
            proof = TREE.inclusion_proof(index, size)
            for other in range(size):
                if other != index:
                    for leaf in (TREE.hash_at(0, index), TREE.hash_at(0, other)):
                        with pytest.raises(ProofError):
                            verify_inclusion(leaf, other, size, proof, ROOTS[size])


def test_inclusion_proof_for_another_size_is_refused() -> None:
    for size in range(1, 33):
        for index in range(size):
            leaf = TREE.hash_at(0, index)
            proof = TREE.inclusion_proof(index, size)
            for other in range(33):
                if other == size:
                    continue
                with pytest.raises(ProofError) as caught:
                    verify_inclusion(leaf, index, other, proof, ROOTS[other])
                if index >= other:
                    assert caught.value.check == "leaf-index"


def test_a_size_is_bound_to_a_proof_only_through_its_root() -> None:
    # RFC 9162 verification cannot tell the path of leaf 0 at size 3 from the one at size
    # 4: same length, same left/right turns. What pins the size is the root it goes with,
    # so sizes and roots must always be taken together from one signed checkpoint.
    proof = TREE.inclusion_proof(0, 3)
    verify_inclusion(TREE.hash_at(0, 0), 0, 4, proof, ROOTS[3])
    with raises_check(ProofError, "root"):
        verify_inclusion(TREE.hash_at(0, 0), 0, 4, proof, ROOTS[4])


def test_inclusion_proofs_of_the_wrong_length_are_refused() -> None:
    leaf, proof = TREE.hash_at(0, 5), TREE.inclusion_proof(5, 13)
    extra = bytes(32)
    for wrong in (proof[:-1], proof[1:], [*proof, extra], [extra, *proof], []):
        with raises_check(ProofError, "length", match=f"proof has {len(wrong)} hashes, 4 expected"):
            verify_inclusion(leaf, 5, 13, wrong, ROOTS[13])
    with raises_check(ProofError, "length", match="1 hashes, 0 expected"):
        verify_inclusion(TREE.hash_at(0, 0), 0, 1, [ROOTS[1]], ROOTS[1])


def test_inclusion_hashes_of_the_wrong_size_are_refused() -> None:
    leaf, proof, top = TREE.hash_at(0, 5), TREE.inclusion_proof(5, 13), ROOTS[13]
    for size in (0, 31, 33, 64):
        for position in range(len(proof)):
            altered = list(proof)
            altered[position] = bytes(size)
            with raises_check(
                ProofError, "hash-length", match=f"proof hash {position} is {size} bytes"
            ):
                verify_inclusion(leaf, 5, 13, altered, top)
        with raises_check(ProofError, "hash-length", match=f"leaf hash is {size} bytes"):
            verify_inclusion(bytes(size), 5, 13, proof, top)
        with raises_check(ProofError, "hash-length", match=f"root is {size} bytes"):
            verify_inclusion(leaf, 5, 13, proof, bytes(size))


@pytest.mark.parametrize(
    ("index", "size", "error"),
    [
        (0, 0, "leaf-index"),
        (3, 3, "leaf-index"),
        (4, 3, "leaf-index"),
        (-1, 3, "leaf-index"),
        (0, -1, "tree-size"),
        (0, 2**64, "tree-size"),
    ],
)
def test_inclusion_with_impossible_index_or_size_is_refused(
    index: int, size: int, error: str
) -> None:
    with raises_check(ProofError, error):
        verify_inclusion(ROOTS[1], index, size, [], ROOTS[1])


def test_any_altered_consistency_proof_or_root_is_refused() -> None:
    for size2 in range(2, MAX + 1):
        for size1 in range(1, size2):
            proof = TREE.consistency_proof(size1, size2)
            root1, root2 = ROOTS[size1], ROOTS[size2]
            for position in range(len(proof)):
                altered = list(proof)
                altered[position] = _flip(altered[position], position % 8)
                with raises_check(ProofError, "root"):
                    verify_consistency(size1, size2, altered, root1, root2)
            # When size1 is a power of two, root1 is the seed of both chains: a wrong one
            # surfaces as a wrong root2.
            seeded = size1 & (size1 - 1) == 0
            with raises_check(ProofError, "root", match="root2" if seeded else "root1"):
                verify_consistency(size1, size2, proof, _flip(root1), root2)
            with raises_check(ProofError, "root", match="root2"):
                verify_consistency(size1, size2, proof, root1, _flip(root2))


def test_consistency_proof_for_other_sizes_is_refused() -> None:
    for size2 in range(2, 25):
        for size1 in range(1, size2):
            proof = TREE.consistency_proof(size1, size2)
            for other1 in range(1, size2 + 1):
                if other1 != size1:
                    with pytest.raises(ProofError):
                        verify_consistency(other1, size2, proof, ROOTS[other1], ROOTS[size2])
            for other2 in range(size1, MAX + 1):
                if other2 != size2:
                    with pytest.raises(ProofError):
                        verify_consistency(size1, other2, proof, ROOTS[size1], ROOTS[other2])


def test_consistency_proofs_of_the_wrong_length_are_refused() -> None:
    proof = TREE.consistency_proof(6, 13)
    assert len(proof) == 4
    extra = bytes(32)
    for wrong in (proof[:-1], proof[1:], [*proof, extra], [extra, *proof], []):
        with raises_check(ProofError, "length", match=f"proof has {len(wrong)} hashes, 4 expected"):
            verify_consistency(6, 13, wrong, ROOTS[6], ROOTS[13])
    with raises_check(ProofError, "length", match="equal sizes"):
        verify_consistency(5, 5, [ROOTS[5]], ROOTS[5], ROOTS[5])
    with raises_check(ProofError, "length", match="equal sizes"):
        verify_consistency(0, 0, [EMPTY_ROOT], EMPTY_ROOT, EMPTY_ROOT)


def test_consistency_hashes_of_the_wrong_size_are_refused() -> None:
    proof = TREE.consistency_proof(6, 13)
    for size in (0, 31, 33):
        for position in range(len(proof)):
            altered = list(proof)
            altered[position] = bytes(size)
            with raises_check(
                ProofError, "hash-length", match=f"proof hash {position} is {size} bytes"
            ):
                verify_consistency(6, 13, altered, ROOTS[6], ROOTS[13])
        with raises_check(ProofError, "hash-length", match=f"root1 is {size} bytes"):
            verify_consistency(6, 13, proof, bytes(size), ROOTS[13])
        with raises_check(ProofError, "hash-length", match=f"root2 is {size} bytes"):
            verify_consistency(6, 13, proof, ROOTS[6], bytes(size))


@pytest.mark.parametrize(
    ("size1", "size2", "error", "message"),
    [
        (5, 4, "tree-size", "size1 5 is larger than size2 4"),
        (1, 0, "tree-size", "larger"),
        (0, 1, "tree-size", "from the empty tree"),
        (-1, 4, "tree-size", "size1 -1 is outside"),
        (1, 2**64, "tree-size", "size2 18446744073709551616 is outside"),
    ],
)
def test_consistency_with_impossible_sizes_is_refused(
    size1: int, size2: int, error: str, message: str
) -> None:
    with raises_check(ProofError, error, match=message):
        verify_consistency(size1, size2, [], EMPTY_ROOT, EMPTY_ROOT)


def test_equal_sizes_need_equal_roots_and_the_empty_tree_its_own() -> None:
    verify_consistency(9, 9, [], ROOTS[9], ROOTS[9])
    with raises_check(ProofError, "root", match="differ for the same size 9"):
        verify_consistency(9, 9, [], ROOTS[9], ROOTS[8])
    with raises_check(ProofError, "root", match="root1 of the empty tree"):
        verify_consistency(0, 0, [], ROOTS[1], ROOTS[1])
    with raises_check(ProofError, "root", match="root2 of the empty tree"):
        verify_consistency(0, 0, [], EMPTY_ROOT, ROOTS[1])


# --- cost of a proof in a large tree ------------------------------------------------------------


class UniformTree:
    """A tree of ``size`` identical leaves, read through ``hash_at`` and counting reads.

    With identical leaves every full subtree on one level has the same hash, so any node is
    known without building the tree, and the proofs read from it still verify.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.by_level = [leaf_hash(b"same event")]
        for _ in range(size.bit_length()):
            self.by_level.append(node_hash(self.by_level[-1], self.by_level[-1]))
        self.reads: list[tuple[int, int]] = []

    def hash_at(self, level: int, index: int) -> bytes:
        assert level >= 0 and index >= 0
        assert (index + 1) << level <= self.size, "read outside the tree"
        self.reads.append((level, index))
        return self.by_level[level]


@functools.cache
def _uniform_root(size: int) -> bytes:
    """MTH of ``size`` identical leaves: by the definition, memoised on the size alone."""
    if size == 1:
        return leaf_hash(b"same event")
    k = _split(size)
    return node_hash(_uniform_root(k), _uniform_root(size - k))


def test_proofs_in_a_million_leaf_tree_read_logarithmically_many_hashes() -> None:
    n = 1_000_000
    bound = 2 * math.ceil(math.log2(n)) + 2
    tree = UniformTree(n)
    top = _uniform_root(n)
    assert tree_root(tree, n) == top
    assert len(tree.reads) == (n).bit_count()

    rng = random.Random(6962)
    indexes = [0, 1, 2, n // 2, 2**19 - 1, 2**19, n - 2, n - 1]
    indexes += [rng.randrange(n) for _ in range(300)]
    for index in indexes:
        tree.reads.clear()
        proof = inclusion_proof(tree, index, n)
        assert len(tree.reads) == len(set(tree.reads)) <= bound, index
        verify_inclusion(leaf_hash(b"same event"), index, n, proof, top)

    sizes = [1, 2, 3, 2**19 - 1, 2**19, 2**19 + 1, n // 2, n - 1]
    sizes += [rng.randrange(1, n) for _ in range(300)]
    for size1 in sizes:
        tree.reads.clear()
        proof = consistency_proof(tree, size1, n)
        assert len(tree.reads) == len(set(tree.reads)) <= bound, size1
        verify_consistency(size1, n, proof, _uniform_root(size1), top)
