"""What can go wrong in the ledger.

Two families: :class:`TreeRangeError` when our own code asks a tree for something it does
not hold (a caller's mistake), and :class:`ProofError` when a proof handed to us does not
prove what it claims (someone else's data). Every message is one line naming the sizes,
indexes or positions concerned, so the CLI can print ``str(exc)`` as it is.
"""

from __future__ import annotations

from typing import Literal

from hanoi.errors import HanoiError, InvalidInput, NotFound, VerificationFailed


class LedgerError(HanoiError):
    """Base of every error raised by :mod:`hanoi.ledger`."""


class TreeRangeError(LedgerError, InvalidInput, ValueError):
    """A leaf, node, root, tile or proof was asked of a tree that cannot have it: an index
    beyond the size, a size beyond what is stored or outside 0 .. 2**64 - 1, or a
    consistency proof from the empty tree. Also a ``ValueError``, as callers expect of a
    bad argument."""


ProofCheck = Literal["leaf-index", "tree-size", "length", "hash-length", "root"]


class ProofError(LedgerError, VerificationFailed):
    """A proof was rejected; nothing about it is trusted. ``check`` says why: the leaf index
    is negative or not below the tree size (``"leaf-index"``); the tree sizes cannot be
    proved: negative, beyond 2**64 - 1, the first larger than the second, or a consistency
    proof from the empty tree (``"tree-size"``); the proof does not have the number of
    hashes its index and sizes call for (``"length"``); a leaf hash, root or proof hash is
    not 32 bytes (``"hash-length"``); or the proof, worked through, does not arrive at the
    root it was checked against (``"root"``)."""

    def __init__(self, message: str, *, check: ProofCheck) -> None:
        super().__init__(message)
        self.check = check


__all__ = [
    "LedgerError",
    "ProofCheck",
    "ProofError",
    "TreeRangeError",
]


class NoSuchCheckpoint(LedgerError, NotFound):
    """This node signed no checkpoint of the size asked for."""
