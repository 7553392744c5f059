"""What can go wrong in the ledger.

Two families: :class:`TreeRangeError` when our own code asks a tree for something it does
not hold (a caller's mistake), and :class:`ProofError` when a proof handed to us does not
prove what it claims (someone else's data). Every message is one line naming the sizes,
indexes or positions concerned, so the CLI can print ``str(exc)`` as it is.
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base of every error raised by :mod:`hanoi.ledger`."""


class TreeRangeError(LedgerError, ValueError):
    """A leaf, node, root or proof was asked of a tree that cannot have it: an index beyond
    the size, a size beyond what is stored, or a consistency proof from the empty tree."""


# --- proofs that do not verify ---------------------------------------------------------


class ProofError(LedgerError):
    """A proof was rejected. The subclass says why; nothing about the proof is trusted."""


class LeafIndexError(ProofError):
    """The leaf index is negative or not below the tree size."""


class TreeSizeError(ProofError):
    """The tree sizes cannot be proved: negative, beyond 2**64 - 1, the first larger than
    the second, or a consistency proof from the empty tree (which proves nothing)."""


class ProofLengthError(ProofError):
    """The proof does not have the number of hashes its index and sizes call for."""


class HashLengthError(ProofError):
    """A leaf hash, root or proof hash is not a 32-byte SHA-256 value."""


class RootMismatchError(ProofError):
    """The proof, worked through, does not arrive at the root it was checked against."""


__all__ = [
    "HashLengthError",
    "LeafIndexError",
    "LedgerError",
    "ProofError",
    "ProofLengthError",
    "RootMismatchError",
    "TreeRangeError",
    "TreeSizeError",
]
