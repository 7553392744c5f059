"""Offline proof files (c2sp.org/tlog-proof): round trips, quorum, and every refusal."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoi.crypto.cosignature import CosignatureSigner, CosignatureVerifier
from hanoi.crypto.note import Signer, sign_note
from hanoi.ledger import merkle
from hanoi.ledger.checkpoint import (
    Checkpoint,
    MalformedCheckpoint,
    UnexpectedOrigin,
    sign_checkpoint,
)
from hanoi.ledger.errors import LedgerError, ProofError
from hanoi.ledger.proof import (
    HEADER,
    MAX_PROOF_BYTES,
    CosignatureInvalid,
    LogSignatureError,
    ProofFileError,
    QuorumNotMet,
    make_proof,
    parse_proof_file,
    verify_proof_file,
)
from tests.raising import raises_check

ORIGIN = "hanoi.example/XA/ledger"
NOW = 1_750_000_000


@dataclass
class Log:
    tree: merkle.MemoryTree
    entries: list[bytes]
    signer: Signer
    witnesses: list[CosignatureSigner]

    @property
    def cosigners(self) -> list[CosignatureVerifier]:
        return [w.verifier() for w in self.witnesses]

    def note(self, size: int | None = None, witnesses: int = 3) -> bytes:
        size = self.tree.size if size is None else size
        checkpoint = Checkpoint(ORIGIN, size, self.tree.root(size))
        note = sign_checkpoint(checkpoint, [self.signer])
        text = checkpoint.to_text()
        lines = [w.signature_line(text, NOW + n).line() for n, w in enumerate(self.witnesses)]
        return note + "".join(lines[:witnesses]).encode()

    def proof(self, index: int, size: int | None = None, witnesses: int = 3) -> bytes:
        size = self.tree.size if size is None else size
        return make_proof(
            index,
            merkle.leaf_hash(self.entries[index]),
            self.tree.inclusion_proof(index, size),
            self.note(size, witnesses),
            extra=self.entries[index],
        )


def make_log(size: int) -> Log:
    entries = [f'{{"event":{n}}}'.encode() for n in range(size)]
    tree = merkle.MemoryTree(merkle.leaf_hash(e) for e in entries)
    witnesses = [
        CosignatureSigner.for_key(f"witness.example/{state}", Ed25519PrivateKey.generate())
        for state in ("XB", "XC", "XD")
    ]
    return Log(tree, entries, Signer.for_key(ORIGIN, Ed25519PrivateKey.generate()), witnesses)


@pytest.fixture(scope="module")
def log() -> Log:
    return make_log(13)


def verify(log: Log, data: bytes, quorum: int = 0, **kwargs: object) -> object:
    return verify_proof_file(
        data,
        log.signer.verifier(),
        log.cosigners,
        quorum,
        **kwargs,  # type: ignore[arg-type]
    )


# --- round trips -------------------------------------------------------------------------------


def test_layout(log: Log) -> None:
    data = log.proof(5)
    lines = data.decode().split("\n")
    assert lines[0] == HEADER
    assert lines[1] == "extra " + base64.b64encode(log.entries[5]).decode()
    assert lines[2] == "index 5"
    hashes = log.tree.inclusion_proof(5)
    assert lines[3 : 3 + len(hashes)] == [base64.b64encode(h).decode() for h in hashes]
    assert lines[3 + len(hashes)] == ""
    assert data.endswith(log.note())


def test_round_trip_every_index_and_size(log: Log) -> None:
    for size in range(1, log.tree.size + 1):
        for index in range(size):
            result = verify_proof_file(log.proof(index, size), log.signer.verifier())
            assert result.index == index
            assert result.checkpoint.size == size
            assert result.leaf_hash == merkle.leaf_hash(log.entries[index])
            assert result.extra == log.entries[index]


def test_leaf_from_caller(log: Log) -> None:
    data = make_proof(3, merkle.leaf_hash(log.entries[3]), log.tree.inclusion_proof(3), log.note())
    assert parse_proof_file(data).extra is None
    verify(log, data, leaf_hash=merkle.leaf_hash(log.entries[3]))
    verify(log, data, entry=log.entries[3])
    with raises_check(ProofError, "root"):
        verify(log, data, entry=log.entries[4])
    with raises_check(ProofFileError, "leaf"):
        verify(log, data)
    with pytest.raises(ValueError, match="not both"):
        verify(log, data, entry=log.entries[3], leaf_hash=merkle.leaf_hash(log.entries[3]))


def test_caller_leaf_overrides_extra(log: Log) -> None:
    with raises_check(ProofError, "root"):
        verify(log, log.proof(3), entry=log.entries[4])


def test_single_leaf_tree_has_no_proof_lines() -> None:
    one = make_log(1)
    data = one.proof(0)
    assert parsed_lines(data)[2:4] == ["index 0", ""]
    assert verify(one, data, quorum=3)


def parsed_lines(data: bytes) -> list[str]:
    return data.decode().split("\n")


# --- cosignatures and quorum --------------------------------------------------------------------


def test_quorum_two_of_three(log: Log) -> None:
    two = log.proof(7, witnesses=2)
    result = verify_proof_file(two, log.signer.verifier(), log.cosigners, quorum=2)
    assert [c.name for c in result.cosignatures] == ["witness.example/XB", "witness.example/XC"]
    assert [c.timestamp for c in result.cosignatures] == [NOW, NOW + 1]
    with pytest.raises(QuorumNotMet) as caught:
        verify_proof_file(two, log.signer.verifier(), log.cosigners, quorum=3)
    assert caught.value.quorum == 3
    assert len(caught.value.found) == 2
    with pytest.raises(QuorumNotMet):
        verify_proof_file(log.proof(7, witnesses=1), log.signer.verifier(), log.cosigners, 2)
    with pytest.raises(QuorumNotMet):
        verify_proof_file(log.proof(7, witnesses=0), log.signer.verifier(), log.cosigners, 1)


def test_untrusted_witnesses_do_not_count(log: Log) -> None:
    data = log.proof(7, witnesses=3)
    trusted = log.cosigners[:1]
    result = verify_proof_file(data, log.signer.verifier(), trusted, quorum=1)
    assert len(result.cosignatures) == 1
    assert len(result.note.unverified) == 2


def test_a_bad_cosignature_by_a_trusted_witness_is_refused(log: Log) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, log.tree.size, log.tree.root()), [log.signer])
    other = Checkpoint(ORIGIN, log.tree.size, merkle.EMPTY_ROOT).to_text()
    forged = log.witnesses[1].signature_line(other, NOW).line().encode()  # over another text
    data = make_proof(
        2, merkle.leaf_hash(log.entries[2]), log.tree.inclusion_proof(2), note + forged
    )
    with pytest.raises(CosignatureInvalid) as caught:
        verify(log, data, entry=log.entries[2])
    assert caught.value.name == "witness.example/XC"
    # Not trusting that witness, the line is ignored.
    verify_proof_file(data, log.signer.verifier(), log.cosigners[:1], entry=log.entries[2])


def test_policy_mistakes(log: Log) -> None:
    data = log.proof(1)
    with pytest.raises(ValueError, match="quorum"):
        verify_proof_file(data, log.signer.verifier(), log.cosigners[:2], quorum=3)
    with pytest.raises(ValueError, match="quorum"):
        verify_proof_file(data, log.signer.verifier(), log.cosigners, quorum=-1)
    with pytest.raises(ValueError, match="twice"):
        verify_proof_file(data, log.signer.verifier(), [log.cosigners[0]] * 2, quorum=1)


# --- signatures, origin, index ------------------------------------------------------------------


def test_wrong_log_key(log: Log) -> None:
    stranger = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
    with raises_check(LogSignatureError, "missing"):
        verify_proof_file(log.proof(1), stranger.verifier())
    # Cosigned but not signed by the log: still refused.
    with raises_check(LogSignatureError, "missing"):
        verify_proof_file(log.proof(1), stranger.verifier(), log.cosigners, quorum=0)


def test_altered_log_signature(log: Log) -> None:
    data = log.proof(1, witnesses=0)
    head, _, line = data.rstrip(b"\n").rpartition(b"\n")
    name, _, sig64 = line.rpartition(b" ")
    raw = bytearray(base64.b64decode(sig64))
    raw[10] ^= 1
    altered = head + b"\n" + name + b" " + base64.b64encode(bytes(raw)) + b"\n"
    with raises_check(LogSignatureError, "invalid"):
        verify(log, altered)


def test_wrong_origin(log: Log) -> None:
    with pytest.raises(UnexpectedOrigin):
        verify(log, log.proof(1), origin="hanoi.example/XB/ledger")
    # By default the origin is the log key's name.
    key_named_otherwise = Signer.for_key("hanoi.example/XA/key", log.signer.key)
    note = sign_checkpoint(
        Checkpoint(ORIGIN, log.tree.size, log.tree.root()), [key_named_otherwise]
    )
    data = make_proof(1, merkle.leaf_hash(log.entries[1]), log.tree.inclusion_proof(1), note)
    with pytest.raises(UnexpectedOrigin):
        verify_proof_file(data, key_named_otherwise.verifier(), entry=log.entries[1])
    verify_proof_file(data, key_named_otherwise.verifier(), entry=log.entries[1], origin=ORIGIN)


def test_wrong_index(log: Log) -> None:
    good = log.proof(4)
    with raises_check(ProofError, "root"):
        verify(log, good.replace(b"\nindex 4\n", b"\nindex 5\n"))
    with raises_check(ProofError, "leaf-index"):
        verify(log, good.replace(b"\nindex 4\n", b"\nindex 13\n"))


def test_wrong_size(log: Log) -> None:
    # The proof for size 12 against the checkpoint of size 13.
    data = make_proof(
        4, merkle.leaf_hash(log.entries[4]), log.tree.inclusion_proof(4, 12), log.note(12)
    )
    swapped = data.replace(log.note(12), log.note(13))
    with pytest.raises(ProofError) as caught:
        verify(log, swapped, entry=log.entries[4])
    assert caught.value.check in ("length", "root")


def test_truncated_and_extended_proofs(log: Log) -> None:
    data = log.proof(4)
    lines = data.split(b"\n")
    first_hash = 3
    truncated = b"\n".join(lines[:first_hash] + lines[first_hash + 1 :])
    with raises_check(ProofError, "length"):
        verify(log, truncated)
    extended = b"\n".join([*lines[: first_hash + 1], lines[first_hash], *lines[first_hash + 1 :]])
    with raises_check(ProofError, "length"):
        verify(log, extended)


def test_every_truncation_is_refused(log: Log) -> None:
    data = log.proof(6)
    for cut in range(len(data)):
        with pytest.raises(LedgerError):
            verify(log, data[:cut], quorum=3)


def test_every_byte_flip_is_refused(log: Log) -> None:
    data = log.proof(6)
    for position in range(len(data)):
        altered = bytearray(data)
        altered[position] ^= 0x01
        with pytest.raises(LedgerError):
            verify(log, bytes(altered), quorum=3)


def test_trailing_garbage_is_refused(log: Log) -> None:
    with raises_check(ProofFileError, "note"):
        verify(log, log.proof(6) + b"garbage")
    with raises_check(ProofFileError, "note"):
        verify(log, log.proof(6) + b"\n")


# --- malformed files ----------------------------------------------------------------------------


def replace_line(data: bytes, number: int, line: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[number] = line
    return b"\n".join(lines)


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (b"c2sp.org/tlog-proof@v2", "header"),
        (b"c2sp.org/tlog-proof@v1 ", "header"),
        (b"", "header"),
    ],
)
def test_bad_header(log: Log, line: bytes, error: str) -> None:
    with raises_check(ProofFileError, error):
        verify(log, replace_line(log.proof(2), 0, line))


@pytest.mark.parametrize(
    "line",
    [b"extra", b"extra ", b"extra  eyJ9", b"extra eyJ", b"extra_eyJ9", b"extra eyJ9\r", b"extras"],
)
def test_bad_extra(log: Log, line: bytes) -> None:
    with raises_check(ProofFileError, "extra"):
        parse_proof_file(replace_line(log.proof(2), 1, line))


@pytest.mark.parametrize(
    "line",
    [
        b"index 02",
        b"index -2",
        b"index +2",
        b"index",
        b"index ",
        b"index  2",
        b"Index 2",
        b"index 2 ",
        b"index \xd9\xa2",  # Arabic-Indic two
        b"index 9223372036854775807",
        b"index 99999999999999999999999",
    ],
)
def test_bad_index(log: Log, line: bytes) -> None:
    with raises_check(ProofFileError, "index"):
        parse_proof_file(replace_line(log.proof(2), 2, line))


def test_missing_index_line(log: Log) -> None:
    lines = log.proof(2).split(b"\n")
    with raises_check(ProofFileError, "index"):
        parse_proof_file(b"\n".join(lines[:2] + lines[3:]))


@pytest.mark.parametrize(
    "value",
    [
        base64.b64encode(bytes(31)),
        base64.b64encode(bytes(33)),
        base64.b64encode(bytes(32)).rstrip(b"="),
        base64.b64encode(bytes(32))[:-2] + b"B=",  # stray bits
        base64.urlsafe_b64encode(b"\xfb" * 32),
        bytes(32).hex().encode(),
        b" " + base64.b64encode(bytes(32)),
    ],
)
def test_bad_proof_hash(log: Log, value: bytes) -> None:
    with raises_check(ProofFileError, "proof-hash"):
        parse_proof_file(replace_line(log.proof(2), 3, value))


def test_too_many_proof_hashes(log: Log) -> None:
    line = base64.b64encode(bytes(32)) + b"\n"
    data = HEADER.encode() + b"\nindex 0\n" + line * 64 + b"\n" + log.note()
    with raises_check(ProofFileError, "proof-hashes"):
        parse_proof_file(data)
    with raises_check(ProofFileError, "proof-hashes"):
        make_proof(0, bytes(32), [bytes(32)] * 64, log.note())


def test_missing_checkpoint(log: Log) -> None:
    data = log.proof(2)
    head = data[: data.index(b"\n\n") + 2]
    with raises_check(ProofFileError, "truncated"):
        parse_proof_file(head)
    with raises_check(ProofFileError, "truncated"):
        parse_proof_file(head[:-1])
    with raises_check(ProofFileError, "truncated"):
        parse_proof_file(b"")


def test_too_large(log: Log) -> None:
    with raises_check(ProofFileError, "size"):
        parse_proof_file(log.proof(2) + b"x" * MAX_PROOF_BYTES)


def test_not_a_checkpoint(log: Log) -> None:
    note = sign_note("hello\n", [log.signer])
    data = HEADER.encode() + b"\nindex 0\n\n" + note
    with pytest.raises(LedgerError):
        verify(log, data, leaf_hash=bytes(32))
    bad_size = sign_note(f"{ORIGIN}\n01\n{base64.b64encode(bytes(32)).decode()}\n", [log.signer])
    with raises_check(MalformedCheckpoint, "size"):
        verify(log, HEADER.encode() + b"\nindex 0\n\n" + bad_size, leaf_hash=bytes(32))


# --- make_proof checks what it writes -----------------------------------------------------------


def test_make_proof_refuses_a_wrong_proof(log: Log) -> None:
    path = log.tree.inclusion_proof(3)
    with raises_check(ProofError, "root"):
        make_proof(3, merkle.leaf_hash(log.entries[4]), path, log.note())
    with raises_check(ProofError, "leaf-index"):
        make_proof(13, merkle.leaf_hash(log.entries[4]), path, log.note())
    with raises_check(ProofError, "length"):
        make_proof(3, merkle.leaf_hash(log.entries[3]), path[:-1], log.note())
    with raises_check(ProofFileError, "extra"):
        make_proof(3, merkle.leaf_hash(log.entries[3]), path, log.note(), extra=b"")
    with pytest.raises(ValueError):
        make_proof(-1, merkle.leaf_hash(log.entries[3]), path, log.note())
    with raises_check(ProofFileError, "note"):
        make_proof(3, merkle.leaf_hash(log.entries[3]), path, b"no note here")


def test_every_error_is_a_ledger_error() -> None:
    for error in (
        CosignatureInvalid,
        LogSignatureError,
        ProofFileError,
        LogSignatureError,
        ProofFileError,
        QuorumNotMet,
    ):
        assert issubclass(error, LedgerError)
