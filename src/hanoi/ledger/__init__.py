"""The node's transparency log of cooperation and custody events (issue 6).

:mod:`hanoi.ledger.merkle` holds the RFC 6962 / RFC 9162 tree arithmetic: hashing, proof
generation over stored subtree hashes, and proof verification. Storage, checkpoints, tiles
and witnesses build on it.
"""
