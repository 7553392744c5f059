"""Offline inclusion proofs (c2sp.org/tlog-proof), written and checked.

A proof file is text, one item per newline-terminated line::

    c2sp.org/tlog-proof@v1
    [extra <base64 of opaque, unauthenticated data>]
    index <leaf index, decimal, no leading zero>
    <base64 proof hash>          zero or more: RFC 6962 inclusion path, leaf side first
    <empty line>
    <the checkpoint as a signed note, verbatim, with the log's and witnesses' signatures>

:func:`make_proof` writes one (and checks it first, so Hanoi never hands out a proof that
fails); :func:`parse_proof_file` reads the syntax; :func:`verify_proof_file` checks
everything: the log's signature on the checkpoint, its origin, the inclusion of the leaf
under the checkpoint's root, and a quorum of witness cosignatures
(:mod:`hanoi.crypto.cosignature`).

Which leaf is proved: a ``leaf_hash`` or an ``entry`` given by the caller, or else the
``extra`` data taken as the entry. Hanoi writes the logged record itself as ``extra``, so a
proof file is self-contained; the extra data is trusted only because, hashed as a leaf, it
is proved included under a signed root.

Every fault raises a :class:`~hanoi.ledger.errors.LedgerError` that names it: a
:class:`ProofFileError` for the file's syntax, :class:`LogSignatureError`,
:class:`CosignatureInvalid` and :class:`QuorumNotMet` for the signatures,
:class:`~hanoi.ledger.checkpoint.CheckpointError` for the checkpoint's text and origin,
:class:`~hanoi.ledger.errors.ProofError` for the Merkle proof (index beyond the size, too
few or too many hashes, wrong root). Faults of the signed note are raised as a
:class:`ProofFileError` (``check="note"``) with the note error as their cause.

Stricter than the spec: base64 must be canonical, empty extra data must be left out, at
most 63 proof hashes, and the whole file at most :data:`MAX_PROOF_BYTES`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from hanoi.crypto.canonical import b64, b64decode_canonical
from hanoi.crypto.cosignature import Cosignature, CosignatureVerifier, cosignatures_of
from hanoi.crypto.note import (
    MAX_NOTE_BYTES,
    InvalidNoteSignature,
    Note,
    NoteError,
    NoteVerifier,
    NoVerifiedSignature,
    open_note,
)
from hanoi.errors import Malformed, NotAuthentic
from hanoi.ledger import merkle
from hanoi.ledger.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    UnexpectedOrigin,
    parse_checkpoint,
)
from hanoi.ledger.errors import LedgerError

HEADER = "c2sp.org/tlog-proof@v1"
#: A tree of at most 2^63 - 1 leaves has inclusion paths of at most 63 hashes.
MAX_PROOF_HASHES = 63
MAX_EXTRA_BYTES = 64 * 1024
MAX_PROOF_BYTES = MAX_NOTE_BYTES + 2 * MAX_EXTRA_BYTES
_DECIMAL = re.compile(rb"0|[1-9][0-9]*")


# --- errors ----------------------------------------------------------------------------------


ProofFileCheck = Literal[
    "size", "header", "truncated", "extra", "index", "proof-hash", "proof-hashes", "note", "leaf"
]


class ProofFileError(LedgerError, Malformed):
    """A tlog-proof file that cannot be read as one (Merkle and checkpoint faults aside);
    ``check`` names the fault: larger than :data:`MAX_PROOF_BYTES` (``"size"``); a first
    line other than ``c2sp.org/tlog-proof@v1`` (``"header"``); a line without its newline,
    or no checkpoint after the proof (``"truncated"``); an ``extra`` line that is not
    ``extra`` and canonical base64 of 1 to 64 KiB (``"extra"``); an index line missing or
    not ``index`` and a decimal without leading zero (``"index"``); a proof line that is not
    canonical base64 of a 32-byte hash (``"proof-hash"``); more than
    :data:`MAX_PROOF_HASHES` proof lines (``"proof-hashes"``); a checkpoint that is not a
    well-formed signed note, the note error as the cause (``"note"``); or no leaf hash or
    entry given and no extra data to take as one (``"leaf"``)."""

    def __init__(self, message: str, *, check: ProofFileCheck) -> None:
        super().__init__(message)
        self.check = check


LogSignatureCheck = Literal["missing", "invalid"]


class LogSignatureError(LedgerError, NotAuthentic):
    """The checkpoint carries no signature by the log's key (``check`` is ``"missing"``),
    or one that does not verify (``"invalid"``)."""

    def __init__(self, message: str, *, check: LogSignatureCheck) -> None:
        super().__init__(message)
        self.check = check


class CosignatureInvalid(LedgerError, NotAuthentic):
    """A trusted witness's cosignature line is there but does not verify."""

    def __init__(self, name: str, key_hash: int) -> None:
        super().__init__(f"the cosignature of witness {name}+{key_hash:08x} does not verify")
        self.name = name
        self.key_hash = key_hash


class QuorumNotMet(LedgerError, NotAuthentic):
    """Fewer trusted witnesses cosigned the checkpoint than the quorum asks."""

    def __init__(self, found: Sequence[str], quorum: int) -> None:
        names = ", ".join(found) if found else "none"
        super().__init__(f"{len(found)} trusted cosignature(s) ({names}), the quorum is {quorum}")
        self.found = tuple(found)
        self.quorum = quorum


# --- the file ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProofFile:
    """The parts of a tlog-proof file, syntax checked, nothing verified."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: bytes
    extra: bytes | None = None


@dataclass(frozen=True)
class VerifiedProof:
    """A proof that verified: the leaf at ``index`` is in the tree ``checkpoint`` heads,
    signed by the log and cosigned by ``cosignatures`` (the trusted ones, in note order)."""

    index: int
    leaf_hash: bytes
    checkpoint: Checkpoint
    note: Note
    cosignatures: tuple[Cosignature, ...]
    proof: tuple[bytes, ...]
    extra: bytes | None = None


def make_proof(
    index: int,
    leaf_hash: bytes,
    proof_hashes: Sequence[bytes],
    checkpoint_note: bytes,
    extra: bytes | None = None,
) -> bytes:
    """The tlog-proof file proving leaf ``leaf_hash`` (see :func:`merkle.leaf_hash`) at
    ``index`` under the checkpoint in ``checkpoint_note`` (a signed note, written verbatim).

    The proof is verified against the checkpoint's root before it is written: a wrong
    index, leaf, path or checkpoint raises the :class:`~hanoi.ledger.errors.ProofError`
    :func:`merkle.verify_inclusion` raises. Signatures are not checked here.
    """
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ValueError(f"leaf index {index!r} is not a non-negative integer")
    proof = tuple(bytes(value) for value in proof_hashes)
    if len(proof) > MAX_PROOF_HASHES:
        raise ProofFileError(
            f"{len(proof)} proof hashes, at most {MAX_PROOF_HASHES}", check="proof-hashes"
        )
    if extra is not None and not 0 < len(extra) <= MAX_EXTRA_BYTES:
        raise ProofFileError(f"extra data must hold 1 to {MAX_EXTRA_BYTES} bytes", check="extra")
    note = bytes(checkpoint_note)
    checkpoint = parse_checkpoint(_note_text(note))
    merkle.verify_inclusion(bytes(leaf_hash), index, checkpoint.size, proof, checkpoint.root_hash)
    lines = [HEADER]
    if extra is not None:
        lines.append("extra " + b64(bytes(extra)))
    lines.append(f"index {index}")
    lines.extend(b64(value) for value in proof)
    head = "".join(line + "\n" for line in lines) + "\n"
    data = head.encode("ascii") + note
    if len(data) > MAX_PROOF_BYTES:
        raise ProofFileError(f"the proof file would exceed {MAX_PROOF_BYTES} bytes", check="size")
    return data


def parse_proof_file(data: bytes) -> ProofFile:
    """The parts of a tlog-proof file; raises a :class:`ProofFileError` naming the first
    faulty line (the checkpoint note is only cut out, not read)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("a proof file is bytes")
    raw = bytes(data)
    if len(raw) > MAX_PROOF_BYTES:
        raise ProofFileError(
            f"the proof file holds {len(raw)} bytes, more than {MAX_PROOF_BYTES}",
            check="size",
        )
    reader = _Lines(raw)
    if reader.next("the header") != HEADER.encode("ascii"):
        raise ProofFileError(f"line 1 is not {HEADER!r}", check="header")

    line = reader.next("the index line")
    extra: bytes | None = None
    if line.startswith(b"extra"):
        extra = _parse_extra(reader.number, line)
        line = reader.next("the index line")
    index = _parse_index(reader.number, line)

    proof: list[bytes] = []
    while True:
        line = reader.next("the empty line before the checkpoint")
        if not line:
            break
        if len(proof) == MAX_PROOF_HASHES:
            raise ProofFileError(f"more than {MAX_PROOF_HASHES} proof lines", check="proof-hashes")
        proof.append(_parse_hash(reader.number, line))
    note = reader.rest()
    if not note:
        raise ProofFileError("no checkpoint after the empty line", check="truncated")
    return ProofFile(index=index, proof=tuple(proof), checkpoint_note=note, extra=extra)


def verify_proof_file(
    data: bytes,
    log_verifier: NoteVerifier,
    cosigners: Sequence[CosignatureVerifier] = (),
    quorum: int = 0,
    *,
    leaf_hash: bytes | None = None,
    entry: bytes | None = None,
    origin: str | None = None,
) -> VerifiedProof:
    """Verify a tlog-proof file offline.

    ``log_verifier`` is the log's key; the checkpoint's origin must be ``origin``, by
    default the key's name. At least ``quorum`` of the distinct ``cosigners`` must have
    cosigned the checkpoint; a cosignature line by one of them that does not verify is
    refused outright. The leaf proved is ``leaf_hash``, else ``merkle.leaf_hash(entry)``,
    else ``merkle.leaf_hash(extra)``.
    """
    cosigner_list = list(cosigners)
    check_log_policy(log_verifier, cosigner_list, quorum)
    if leaf_hash is not None and entry is not None:
        raise ValueError("give a leaf hash or an entry, not both")
    parsed = parse_proof_file(data)

    note = _open(parsed.checkpoint_note, log_verifier, cosigner_list)
    checkpoint = parse_checkpoint(note.text)
    expected = log_verifier.name if origin is None else origin
    if checkpoint.origin != expected:
        raise UnexpectedOrigin(
            f"checkpoint of {checkpoint.origin[:60]!r}, expected {expected[:60]!r}"
        )

    if leaf_hash is not None:
        leaf = bytes(leaf_hash)
    elif entry is not None:
        leaf = merkle.leaf_hash(bytes(entry))
    elif parsed.extra is not None:
        leaf = merkle.leaf_hash(parsed.extra)
    else:
        raise ProofFileError(
            "no leaf hash or entry given, and the proof has no extra data", check="leaf"
        )
    merkle.verify_inclusion(leaf, parsed.index, checkpoint.size, parsed.proof, checkpoint.root_hash)

    cosignatures = tuple(cosignatures_of(note, cosigner_list))
    if len(cosignatures) < quorum:
        raise QuorumNotMet([c.name for c in cosignatures], quorum)
    return VerifiedProof(
        index=parsed.index,
        leaf_hash=leaf,
        checkpoint=checkpoint,
        note=note,
        cosignatures=cosignatures,
        proof=parsed.proof,
        extra=parsed.extra,
    )


# --- helpers ---------------------------------------------------------------------------------


class _Lines:
    """Newline-terminated lines read one by one from the head of a byte string."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._position = 0
        self.number = 0

    def next(self, what: str) -> bytes:
        end = self._data.find(b"\n", self._position)
        if end < 0:
            raise ProofFileError(
                f"the file ends before {what} (line {self.number + 1})", check="truncated"
            )
        line = self._data[self._position : end]
        self._position = end + 1
        self.number += 1
        return line

    def rest(self) -> bytes:
        return self._data[self._position :]


def _parse_extra(number: int, line: bytes) -> bytes:
    if not line.startswith(b"extra "):
        raise ProofFileError(
            f"line {number}: 'extra' is followed by one space and base64", check="extra"
        )
    extra = b64decode_canonical(line[len(b"extra ") :])
    if extra is None:
        raise ProofFileError(
            f"line {number}: the extra data is not canonical base64", check="extra"
        )
    if not extra:
        raise ProofFileError(f"line {number}: empty extra data (leave the line out)", check="extra")
    if len(extra) > MAX_EXTRA_BYTES:
        raise ProofFileError(
            f"line {number}: more than {MAX_EXTRA_BYTES} bytes of extra data", check="extra"
        )
    return extra


def _parse_index(number: int, line: bytes) -> int:
    if not line.startswith(b"index "):
        raise ProofFileError(f"line {number} is not 'index <decimal>'", check="index")
    digits = line[len(b"index ") :]
    if not _DECIMAL.fullmatch(digits):
        raise ProofFileError(
            f"line {number}: the index is not decimal without leading zeros", check="index"
        )
    if len(digits) > len(str(MAX_TREE_SIZE)) or int(digits) >= MAX_TREE_SIZE:
        raise ProofFileError(f"line {number}: the index is beyond any tree size", check="index")
    return int(digits)


def _parse_hash(number: int, line: bytes) -> bytes:
    value = b64decode_canonical(line)
    if value is None:
        raise ProofFileError(
            f"line {number}: the proof hash is not canonical base64", check="proof-hash"
        )
    if len(value) != merkle.HASH_SIZE:
        raise ProofFileError(
            f"line {number}: the proof hash holds {len(value)} bytes, not {merkle.HASH_SIZE}",
            check="proof-hash",
        )
    return value


def _open(
    note: bytes, log_verifier: NoteVerifier, cosigners: Sequence[CosignatureVerifier]
) -> Note:
    log_identity = (log_verifier.name, log_verifier.key_hash)
    try:
        opened = open_note(note, [log_verifier, *cosigners])
    except InvalidNoteSignature as exc:
        if (exc.name, exc.key_hash) == log_identity:
            raise LogSignatureError(
                f"the log's signature {exc.name}+{exc.key_hash:08x} does not verify",
                check="invalid",
            ) from exc
        raise CosignatureInvalid(exc.name, exc.key_hash) from exc
    except NoVerifiedSignature as exc:
        raise LogSignatureError(
            f"the checkpoint is not signed by the log: {exc}", check="missing"
        ) from exc
    except NoteError as exc:
        raise ProofFileError(f"the checkpoint note is refused: {exc}", check="note") from exc
    if not opened.verified_by(log_verifier):
        raise LogSignatureError(
            f"the checkpoint is cosigned, but not signed by the log key "
            f"{log_verifier.name}+{log_verifier.key_hash:08x}",
            check="missing",
        )
    return opened


def check_log_policy(
    log_verifier: NoteVerifier, cosigners: Sequence[CosignatureVerifier], quorum: int
) -> None:
    """Raise ``ValueError`` unless ``quorum`` is a count ``cosigners`` can meet: distinct
    witnesses (by name and hash, and by key), none of them the log's key, at least
    ``quorum`` of them."""
    if not isinstance(quorum, int) or isinstance(quorum, bool) or quorum < 0:
        raise ValueError(f"quorum {quorum!r} is not a non-negative integer")
    identities = {(c.name, c.key_hash) for c in cosigners}
    keys = {c.key.public_bytes_raw() for c in cosigners}
    if len(identities) != len(cosigners) or len(keys) != len(cosigners):
        raise ValueError("a cosigner, or a cosigner key, is given twice")
    if (log_verifier.name, log_verifier.key_hash) in identities:
        raise ValueError("the log's key cannot also count as a cosigner")
    if quorum > len(cosigners):
        raise ValueError(f"quorum {quorum} is more than the {len(cosigners)} cosigners given")


def _note_text(note: bytes) -> str:
    """The text of a signed note, its signatures cut off unread (for :func:`make_proof`)."""
    try:
        decoded = note.decode("utf-8")
    except UnicodeDecodeError:
        raise ProofFileError("the checkpoint note is not UTF-8", check="note") from None
    split = decoded.rfind("\n\n")
    if split < 0:
        raise ProofFileError("the checkpoint note has no signature block", check="note")
    return decoded[: split + 1]


__all__ = [
    "HEADER",
    "MAX_EXTRA_BYTES",
    "MAX_PROOF_BYTES",
    "MAX_PROOF_HASHES",
    "CosignatureInvalid",
    "LogSignatureError",
    "ProofFile",
    "ProofFileError",
    "QuorumNotMet",
    "VerifiedProof",
    "check_log_policy",
    "make_proof",
    "parse_proof_file",
    "verify_proof_file",
]
