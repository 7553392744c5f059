"""Receipts in the node's custody ledger, and the offline proof kept beside each.

When a peer's signed receipt for one of our messages is stored, the same transaction logs
a ``receipt`` leaf whose salted commitment covers the receipt's SHA-256, the message's
and who received it when (:func:`log_receipt`). Once a checkpoint that covers the leaf is
signed and cosigned by the quorum of witnesses, :func:`receipt_bundle` hands out three files
that together stand on their own, offline:

- ``receipt.jws``: the receiver's signed receipt, as it arrived;
- ``receipt.tlog-proof``: the C2SP tlog-proof that the leaf is in this node's log;
- ``receipt.opening.json``: the leaf's detail and salt, showing the leaf is about this
  receipt: the detail's ``receipt_sha256`` is the SHA-256 of ``receipt.jws``, and its
  message, digest, receiver and time are the receipt's own.

:func:`verify_bundle` checks all of it (``hanoi exchange verify-receipt``), and the
receipt's signature too when given the receiving node's key.

The receipt proves the receiver got the message; the witnessed log proves this node held
the receipt by then and can no longer rewrite or drop that record.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoi.crypto.canonical import parse_json, sha256_hex
from hanoi.crypto.cosignature import CosignatureVerifier
from hanoi.crypto.envelope import EnvelopeError, Party
from hanoi.crypto.jwk import b64url_decode, kid_of
from hanoi.crypto.keys import format_time
from hanoi.crypto.note import NoteVerifier
from hanoi.crypto.receipts import MAX_RECEIPT_BYTES, Receipt, verify_receipt
from hanoi.db import Database
from hanoi.db.base import utcnow
from hanoi.errors import NotFound, VerificationFailed
from hanoi.exchange.errors import ExchangeError
from hanoi.exchange.models import DeliveryState, OutboxMessage
from hanoi.files import FileTooLarge, read_bounded, replace_file
from hanoi.ledger import merkle
from hanoi.ledger import store as ledger_store
from hanoi.ledger.errors import LedgerError
from hanoi.ledger.proof import MAX_PROOF_BYTES, verify_proof_file
from hanoi.ledger.records import (
    MAX_OPENING_BYTES,
    new_record,
    open_leaf,
    opening_json,
    parse_leaf,
)
from hanoi.ledger.service import entry_index, proof_for_index

RECEIPT_FILE = "receipt.jws"
PROOF_FILE = "receipt.tlog-proof"
OPENING_FILE = "receipt.opening.json"


def log_receipt(
    session: Session, state: str, message: OutboxMessage, token: str, receipt: Receipt
) -> str:
    """Queue the ``receipt`` leaf of a receipt just stored for ``message``, in the same
    transaction; returns the leaf hash (hex), which the message row keeps."""
    detail = {
        "message": message.message_id,
        "message_type": message.message_type,
        "message_sha256": receipt.message_sha256,
        "receipt_sha256": sha256_hex(token.encode("ascii")),
        "receiver": {"state": receipt.receiver.state, "authority": receipt.receiver.authority},
        "received_at": format_time(receipt.received_at),  # as the receipt says it
    }
    record = new_record("receipt", state, detail, at=receipt.received_at)
    ledger_store.append(session, record)
    return merkle.leaf_hash(record.leaf_bytes).hex()


@dataclass(frozen=True)
class ReceiptBundle:
    """A stored receipt and, once a checkpoint cosigned by the quorum covers its leaf, its
    proof and opening (both ``None`` before; ``logged`` is false for a receipt stored before
    receipts were logged, which never gets them)."""

    message_id: str
    receipt: str
    proof: bytes | None
    opening: bytes | None
    logged: bool = True

    @property
    def proved(self) -> bool:
        return self.proof is not None

    def write(self, folder: Path) -> list[Path]:
        """Write the bundle's files into ``folder`` (made if missing), each replaced whole."""
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # The receipt and opening exactly as hashed and committed: sha256sum matches.
        files = [(RECEIPT_FILE, self.receipt.encode("ascii"))]
        if self.proof is not None and self.opening is not None:
            files += [(PROOF_FILE, self.proof), (OPENING_FILE, self.opening)]
        written = []
        for name, data in files:
            replace_file(folder / name, data)
            written.append(folder / name)
        return written

    def tar(self) -> bytes:
        """The bundle's files in one small tar, under ``receipt-<message id>/``, for a
        download; the same bytes each time (fixed times, owner and modes)."""
        if self.proof is None or self.opening is None:
            raise ValueError("a receipt is packed only with its proof")
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as archive:
            for name, data in (
                (RECEIPT_FILE, self.receipt.encode("ascii")),
                (PROOF_FILE, self.proof),
                (OPENING_FILE, self.opening),
            ):
                info = tarfile.TarInfo(f"receipt-{self.message_id}/{name}")
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                archive.addfile(info, io.BytesIO(data))
        return out.getvalue()


class NoReceipt(ExchangeError, NotFound):
    """No receipt is stored for this message id (unknown, or not delivered yet)."""


def receipt_bundle(db: Database, message_id: str, *, quorum: int) -> ReceiptBundle:
    """The receipt of a delivered message with its proof (under the newest checkpoint that
    has ``quorum`` cosignatures; none until one does) and opening."""
    with db.session() as session:
        row = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.message_id == message_id,
                OutboxMessage.status == DeliveryState.DELIVERED.value,
            )
        )
        if row is None or row.receipt is None:
            raise NoReceipt(f"no receipt is stored for message {message_id[:40]!r}")
        token, leaf = row.receipt, row.receipt_leaf
    if not leaf:  # stored before migration 0006 logged receipts
        return ReceiptBundle(message_id, token, None, None, logged=False)
    index = entry_index(db, bytes.fromhex(leaf))
    proof = None
    if index is not None:
        proof = proof_for_index(db, index, quorum=quorum, require_quorum=True)
    if proof is None or index is None:
        return ReceiptBundle(message_id, token, None, None)
    with db.session() as session:
        opening = opening_json(ledger_store.load_record(session, index))
    return ReceiptBundle(message_id, token, proof, opening)


def delivered_since(db: Database, since: datetime | None = None) -> list[str]:
    """Ids of the delivered messages (delivered at or after ``since``), oldest first."""
    query = select(OutboxMessage.message_id).where(
        OutboxMessage.status == DeliveryState.DELIVERED.value
    )
    if since is not None:
        query = query.where(OutboxMessage.delivered_at >= since)
    with db.session() as session:
        return list(session.scalars(query.order_by(OutboxMessage.seq)))


class ReceiptBundleError(LedgerError, VerificationFailed):
    """A receipt folder does not hold together: a file missing or too large, a leaf of
    another kind, a receipt other than the one the entry commits to or saying otherwise,
    or a receipt signature that does not verify."""


@dataclass(frozen=True)
class VerifiedReceipt:
    """A receipt folder that holds together: what the receipt and its entry both say."""

    detail: dict[str, Any]
    signature_checked: bool
    """Whether the receipt's own signature was checked with the receiving node's key."""


#: What the entry's detail and the receipt both state: (detail member, receipt member).
_SAME = (
    ("message", "message_id"),
    ("message_sha256", "message_sha256"),
    ("received_at", "received_at"),
    ("receiver", "receiver"),
)


def verify_bundle(
    folder: Path,
    log_verifier: NoteVerifier,
    cosigners: Sequence[CosignatureVerifier],
    quorum: int,
    *,
    receiver_keys: Sequence[Ed25519PublicKey] = (),
) -> VerifiedReceipt:
    """Check a receipt folder offline: the proof under the log's signed checkpoint with
    ``quorum`` of the ``cosigners``, the opening of its leaf, that the receipt file is the
    one the leaf commits to and says what the detail says, and, given ``receiver_keys``
    (the receiving node's Ed25519 keys), the receipt's signature. Raises a
    :class:`~hanoi.ledger.errors.LedgerError` (this module's, the proof's or the record's)
    naming the first fault."""
    proof = _read(folder / PROOF_FILE, MAX_PROOF_BYTES)
    verified = verify_proof_file(proof, log_verifier, cosigners, quorum)
    if verified.extra is None:
        raise ReceiptBundleError(f"{PROOF_FILE} does not carry its entry")
    leaf = parse_leaf(verified.extra)
    if leaf.kind != "receipt":
        raise ReceiptBundleError(f"{PROOF_FILE} proves a {leaf.kind} entry, not a receipt")
    detail = open_leaf(leaf, _read(folder / OPENING_FILE, MAX_OPENING_BYTES))
    receipt = _read(folder / RECEIPT_FILE, MAX_RECEIPT_BYTES)
    if detail.get("receipt_sha256") != sha256_hex(receipt):
        raise ReceiptBundleError(f"{RECEIPT_FILE} is not the receipt this entry commits to")
    said = _receipt_body(receipt)
    for ours, theirs in _SAME:
        if detail.get(ours) is None or detail.get(ours) != said.get(theirs):
            raise ReceiptBundleError(f"the entry's {ours} is not what {RECEIPT_FILE} says")
    try:
        receiver = Party.from_json(detail["receiver"])
    except ValueError:
        raise ReceiptBundleError(f"{RECEIPT_FILE} names no valid receiver") from None
    if receiver_keys:
        _check_signature(receipt, detail, receiver, receiver_keys)
    return VerifiedReceipt(detail, signature_checked=bool(receiver_keys))


def _receipt_body(receipt: bytes) -> dict[str, Any]:
    """The receipt's JSON body, read without its signature (checked apart, if at all)."""
    parts = receipt.split(b".")
    try:
        if len(parts) != 3:
            raise ValueError("not a compact JWS")
        body = parse_json(b64url_decode(parts[1].decode("ascii")), unique_keys=True)
    except ValueError:
        raise ReceiptBundleError(f"{RECEIPT_FILE} is not a compact JWS receipt") from None
    if not isinstance(body, dict):
        raise ReceiptBundleError(f"{RECEIPT_FILE} is not a compact JWS receipt")
    return body


def _check_signature(
    receipt: bytes, detail: dict[str, Any], receiver: Party, keys: Sequence[Ed25519PublicKey]
) -> None:
    def keys_for(state: str, kid: str, signed_at: datetime) -> Sequence[Ed25519PublicKey]:
        return [key for key in keys if state == receiver.state and kid_of(key) == kid]

    try:
        verify_receipt(
            receipt,
            verification_keys=keys_for,
            expected_message_digest=str(detail["message_sha256"]),
            expected_receiver=receiver,
            now=utcnow(),
        )
    except EnvelopeError as exc:
        raise ReceiptBundleError(f"{RECEIPT_FILE}: {exc}") from None


def _read(path: Path, limit: int) -> bytes:
    try:
        return read_bounded(path, limit)
    except FileTooLarge:
        raise ReceiptBundleError(f"{path.name} is larger than {limit:,} bytes") from None
    except OSError as exc:
        raise ReceiptBundleError(f"cannot read {path.name}: {exc.strerror or exc}") from None
