"""verify_bundle against logs made here: what a holder who controls its own log could try,
and the receipt's signature checked with the receiving node's key."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoi.crypto.envelope import Party
from hanoi.crypto.jwk import kid_of
from hanoi.crypto.keys import format_time
from hanoi.crypto.receipts import Receipt, sign_receipt
from hanoi.db import Database
from hanoi.exchange.models import OutboxMessage
from hanoi.exchange.receipt_proofs import (
    OPENING_FILE,
    PROOF_FILE,
    RECEIPT_FILE,
    ReceiptBundleError,
    log_receipt,
    verify_bundle,
)
from hanoi.ledger import store
from hanoi.ledger.keys import NodeLogKeys
from hanoi.ledger.records import new_record, opening_json
from hanoi.ledger.service import proof_for_index

MESSAGE_ID = "01JD5W4Z8Q3X9V6T2R1N0M7K5H"
DIGEST = "ab" * 32
RECEIVED_AT = datetime(2026, 11, 29, 10, 0, 0, 123000, tzinfo=UTC)
RECEIVER = Party("XB", "XB-247")


@pytest.fixture
def xa() -> NodeLogKeys:
    return NodeLogKeys("XA", Ed25519PrivateKey.generate())


@pytest.fixture
def xb_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _receipt(xb_key: Ed25519PrivateKey) -> tuple[str, Receipt]:
    kid = kid_of(xb_key.public_key())
    token = sign_receipt(
        message_id=MESSAGE_ID,
        message_digest=DIGEST,
        received_at=RECEIVED_AT,
        receiver=RECEIVER,
        signing_key=(xb_key, kid),
    )
    return token, Receipt(MESSAGE_ID, DIGEST, RECEIVED_AT, RECEIVER, kid)


def _folder(db: Database, xa: NodeLogKeys, folder: Path, token: str, append: Any) -> Path:
    """Log one entry with ``append(session)``, sign a checkpoint, write the folder."""
    with db.session() as session:
        append(session)
    size = store.integrate_all(db)
    store.sign_checkpoint(db, xa.log_signer(), xa.origin)
    proof = proof_for_index(db, size - 1, quorum=0)
    assert proof is not None
    with db.session() as session:
        opening = opening_json(store.load_record(session, size - 1))
    folder.mkdir()
    (folder / RECEIPT_FILE).write_text(token)
    (folder / PROOF_FILE).write_bytes(proof)
    (folder / OPENING_FILE).write_bytes(opening)
    return folder


def _message() -> OutboxMessage:
    return OutboxMessage(message_id=MESSAGE_ID, message_type="request.submit")


def test_a_logged_receipt_verifies_with_and_without_its_signature(
    db: Database, xa: NodeLogKeys, xb_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    token, receipt = _receipt(xb_key)
    folder = _folder(
        db, xa, tmp_path / "r", token, lambda s: log_receipt(s, "XA", _message(), token, receipt)
    )
    unchecked = verify_bundle(folder, xa.log_verifier(), [], 0)
    assert not unchecked.signature_checked
    assert unchecked.detail == _honest_detail(token)  # the forgeries below start from it
    checked = verify_bundle(folder, xa.log_verifier(), [], 0, receiver_keys=[xb_key.public_key()])
    assert checked.signature_checked and checked.detail == unchecked.detail

    stranger = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(ReceiptBundleError, match=r"receipt\.jws: "):
        verify_bundle(folder, xa.log_verifier(), [], 0, receiver_keys=[stranger])


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"received_at": "2026-11-28T10:00:00.123Z"}, "received_at"),
        ({"receiver": {"state": "XC", "authority": "XC-247"}}, "receiver"),
        ({"message_sha256": "cd" * 32}, "message_sha256"),
        ({"message": None}, "message"),
    ],
)
def test_an_entry_that_says_other_than_its_receipt_is_refused(
    db: Database,
    xa: NodeLogKeys,
    xb_key: Ed25519PrivateKey,
    tmp_path: Path,
    change: dict[str, Any],
    named: str,
) -> None:
    """The holder controls its log: it could log a receipt's hash with another time or
    receiver. The receipt itself says otherwise, and the check names the member."""
    token, _ = _receipt(xb_key)

    def forged(session: Any) -> None:
        detail = {**_honest_detail(token), **change}
        store.append(session, new_record("receipt", "XA", detail, at=RECEIVED_AT))

    folder = _folder(db, xa, tmp_path / "r", token, forged)
    with pytest.raises(ReceiptBundleError, match=f"the entry's {named} is not what"):
        verify_bundle(folder, xa.log_verifier(), [], 0)


def test_a_proof_of_another_kind_of_entry_is_refused(
    db: Database, xa: NodeLogKeys, xb_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    token, _ = _receipt(xb_key)
    detail = _honest_detail(token)
    folder = _folder(
        db,
        xa,
        tmp_path / "r",
        token,
        lambda s: store.append(s, new_record("status-change", "XA", detail, at=RECEIVED_AT)),
    )
    with pytest.raises(ReceiptBundleError, match="proves a status-change entry, not a receipt"):
        verify_bundle(folder, xa.log_verifier(), [], 0)


def _honest_detail(token: str) -> dict[str, Any]:
    return {
        "message": MESSAGE_ID,
        "message_type": "request.submit",
        "message_sha256": DIGEST,
        "receipt_sha256": hashlib.sha256(token.encode()).hexdigest(),
        "receiver": {"state": "XB", "authority": "XB-247"},
        "received_at": format_time(RECEIVED_AT),
    }
