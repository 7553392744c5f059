"""The node's own log as the rest of Hanoi uses it: keep it integrated, signed and
witnessed, and hand out offline proofs (C2SP tlog-proof files) for its entries.

Events are appended by the domain, in the transaction that causes them
(``hanoi.cases.timeline`` queues one per timeline event). The node's ledger worker calls
:func:`integrate_and_sign` so that a new checkpoint covers them within a second or so, then
has the other States' witnesses cosign it (:func:`hanoi.ledger.witnessing.
gather_cosignatures`). A proof is made against the newest checkpoint this node signed that
covers the entry and carries at least the quorum of cosignatures (``Settings.ledger_quorum``),
else the newest one, its note carrying every cosignature stored for it
(:func:`checkpoint_with_cosignatures`).
"""

from __future__ import annotations

from sqlalchemy import distinct, func, select

from hanoi.crypto.note import Signer
from hanoi.db import Database
from hanoi.ledger import store
from hanoi.ledger.errors import NoSuchCheckpoint
from hanoi.ledger.models import LedgerCheckpoint, LedgerEntry
from hanoi.ledger.proof import make_proof
from hanoi.ledger.witness_models import WitnessCosignature

#: How many recent checkpoints are considered when looking for a cosigned one.
_RECENT = 50


def integrate_and_sign(db: Database, signer: Signer) -> store.StoredCheckpoint | None:
    """Integrate whatever is queued and, if the tree grew (or was never signed), sign a
    checkpoint of it; returns the new checkpoint, or ``None`` if nothing changed."""
    size = store.integrate_all(db)
    with db.session() as session:
        latest = store.latest_checkpoint(session)
    if latest is not None and latest.size == size:
        return None
    return store.sign_checkpoint(db, signer, signer.name)


def entry_index(db: Database, leaf_hash: bytes) -> int | None:
    """The index of the entry with this leaf hash, if it is integrated."""
    with db.session() as session:
        seq = session.scalar(select(LedgerEntry.seq).where(LedgerEntry.leaf_hash == leaf_hash))
    return None if seq is None else int(seq)


def proof_for_index(
    db: Database, index: int, *, quorum: int, require_quorum: bool = False
) -> bytes | None:
    """The tlog-proof file of entry ``index`` (the leaf itself as its extra data, so the
    file is self-contained), with the witnesses' cosignatures, under the newest checkpoint
    covering it that has ``quorum`` of them (the node's ``ledger_quorum`` setting), else
    (unless ``require_quorum``) the newest covering it at all; ``None`` until one does."""
    size = _checkpoint_for(db, index, quorum, require_quorum)
    if size is None:
        return None
    note = checkpoint_with_cosignatures(db, size)
    with db.session() as session:
        entry = session.get(LedgerEntry, index)
        assert entry is not None  # a checkpoint covers it, and entries are never removed
        hashes = store.inclusion_proof(session, index, size)
        return make_proof(index, bytes(entry.leaf_hash), hashes, note, extra=bytes(entry.leaf))


def proof_for_leaf(db: Database, leaf_hash: bytes, *, quorum: int) -> bytes | None:
    """The tlog-proof file of the entry with this leaf hash, or ``None`` if no signed
    checkpoint covers it yet."""
    index = entry_index(db, leaf_hash)
    return None if index is None else proof_for_index(db, index, quorum=quorum)


def _checkpoint_for(db: Database, index: int, quorum: int, require_quorum: bool) -> int | None:
    """The size of the newest recent checkpoint covering ``index`` with ``quorum``
    cosignatures, else (unless ``require_quorum``) of the newest covering it at all."""
    if index < 0:
        return None
    with db.session() as session:
        sizes = [
            int(size)
            for size in session.scalars(
                select(LedgerCheckpoint.size)
                .where(LedgerCheckpoint.size > index)
                .order_by(LedgerCheckpoint.id.desc())
                .limit(_RECENT)
            )
        ]
        if not sizes:
            return None
        witnesses = func.count(distinct(WitnessCosignature.witness))
        cosigned = {
            int(size): int(count)
            for size, count in session.execute(
                select(WitnessCosignature.size, witnesses)
                .where(WitnessCosignature.size.in_(sizes))
                .group_by(WitnessCosignature.size)
            )
        }
    fallback = None if require_quorum else sizes[0]
    return next((size for size in sizes if cosigned.get(size, 0) >= quorum), fallback)


def checkpoint_with_cosignatures(db: Database, size: int) -> bytes:
    """This node's signed checkpoint of ``size`` with every cosignature stored for it
    appended (one line per witness, by witness name). Checkpoints of one size have one
    text, so cosignatures gathered for any of them fit."""
    with db.session() as session:
        note = session.execute(
            select(LedgerCheckpoint.note)
            .where(LedgerCheckpoint.size == size)
            .order_by(LedgerCheckpoint.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if note is None:
            raise NoSuchCheckpoint(f"no checkpoint of size {size} was signed here")
        rows = session.execute(
            select(WitnessCosignature.witness, WitnessCosignature.line)
            .where(WitnessCosignature.size == size)
            .order_by(WitnessCosignature.witness, WitnessCosignature.id)
        ).all()
    merged: bytes = str(note).encode("utf-8")
    present = set(merged.decode("utf-8").split("\n\n", 1)[-1].splitlines(keepends=True))
    witnesses: set[str] = set()
    for row in rows:
        if row.witness in witnesses or row.line in present:
            continue
        witnesses.add(row.witness)
        present.add(row.line)
        merged += row.line.encode("utf-8")
    return merged
