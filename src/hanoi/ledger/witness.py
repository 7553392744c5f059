"""A transparency-log witness (c2sp.org/tlog-witness), free of HTTP and storage.

The ``add-checkpoint`` request body is::

    old <size of the witness's latest checkpoint of that log, decimal; 0 the first time>
    <base64 consistency proof hash>       zero to 63 lines, RFC 6962 from old to new
    <empty line>
    <the new checkpoint, a signed note>

:class:`Witness` answers it with :meth:`Witness.add_checkpoint`: the checkpoint must be of a
known log (else :class:`UnknownLog`, which the spec answers with HTTP 404) and signed by
that log's key (:class:`UntrustedCheckpoint`, 403); the old size must not exceed the new one
(:class:`MalformedRequest`, 400) and must equal the size the witness holds
(:class:`OldSizeMismatch`, 409, carrying that size for the ``text/x.tlog.size`` body); the
proof must show the held tree is a prefix of the new one (:class:`InconsistentCheckpoint`,
422). Then the witness keeps the new checkpoint as its latest for that log and returns its
cosignature line (:mod:`hanoi.crypto.cosignature`). Every refusal is a :class:`WitnessError`
whose decision (:mod:`hanoi.errors`) :mod:`hanoi.web.problems` maps to the status the spec
names.

A witness never moves backwards: it only ever replaces a log's latest checkpoint by one at
least as large and proved consistent with it. A validly signed checkpoint of the same size
as the held one but with another root is a *split view*: the log showed two different
trees. It is refused with :class:`SplitView` (409), which carries both signed notes, and is
kept in the state as evidence.

The state is a small JSON-ready dict (:attr:`Witness.state`, :meth:`Witness.from_state`)::

    {"logs": {origin: {"size": int, "root": base64, "note": signed note text}},
     "split_views": [{"origin", "size", "held", "presented", "detected_at"}]}

Whoever stores it must store it before sending the cosignature back, and must run the
check-and-update atomically per log (one request at a time, or compare-and-set on the
size), as the spec warns; the object itself is not thread-safe.
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from hanoi.crypto.canonical import b64, b64decode_canonical
from hanoi.crypto.cosignature import (
    MAX_TIMESTAMP,
    CosignatureError,
    CosignatureSigner,
    CosignatureVerifier,
)
from hanoi.crypto.note import (
    MAX_NOTE_BYTES,
    SIGNATURE_PREFIX,
    InvalidNoteSignature,
    NoteError,
    NoteVerifier,
    NoVerifiedSignature,
    open_note,
)
from hanoi.errors import Conflict, Malformed, NotAuthentic, NotFound, VerificationFailed
from hanoi.ledger import merkle
from hanoi.ledger.checkpoint import MAX_TREE_SIZE, Checkpoint, CheckpointError, open_checkpoint
from hanoi.ledger.errors import LedgerError, ProofError

#: The spec's bound on consistency proof lines.
MAX_CONSISTENCY_HASHES = 63
MAX_REQUEST_BYTES = MAX_NOTE_BYTES + 64 * 64
SIZE_CONTENT_TYPE = "text/x.tlog.size"
_DECIMAL = re.compile(rb"0|[1-9][0-9]*")


# --- errors ----------------------------------------------------------------------------------


class WitnessError(LedgerError):
    """Base of every refusal of an add-checkpoint request: the endpoint answers each with the
    HTTP status its decision maps to (:mod:`hanoi.web.problems`), the one the spec names."""


WitnessRequestCheck = Literal["syntax", "old-size"]


class MalformedRequest(WitnessError, Malformed):
    """The request body is not ``old`` line, proof lines, empty line, checkpoint (``check``
    is ``"syntax"``), or its old size is larger than the new checkpoint's (``"old-size"``)."""

    def __init__(self, message: str, *, check: WitnessRequestCheck = "syntax") -> None:
        super().__init__(message)
        self.check = check


class UnknownLog(WitnessError, NotFound):
    """The checkpoint's origin is not a log this witness follows."""


class UntrustedCheckpoint(WitnessError, NotAuthentic):
    """No signature by the log's key verifies on the checkpoint."""


class OldSizeMismatch(WitnessError, Conflict):
    """The old size is not the size of the witness's latest checkpoint of the log: the
    request does not follow it. The answer's body is that size (:meth:`response_body`)."""

    def __init__(self, message: str, origin: str, latest_size: int) -> None:
        super().__init__(message)
        self.origin = origin
        self.latest_size = latest_size

    def response_body(self) -> bytes:
        """The body the spec asks for with this refusal: the latest size and a newline."""
        return f"{self.latest_size}\n".encode("ascii")


class SplitView(OldSizeMismatch):
    """The log signed two checkpoints of the same size with different roots: both notes are
    kept here, and in the witness's state, as evidence."""

    def __init__(self, origin: str, size: int, held: bytes, presented: bytes) -> None:
        super().__init__(
            f"split view of {origin[:60]!r}: two different signed checkpoints of size {size}",
            origin,
            size,
        )
        self.size = size
        self.held = held
        self.presented = presented


class InconsistentCheckpoint(WitnessError, VerificationFailed):
    """The consistency proof does not show the held tree is a prefix of the new one; the
    Merkle :class:`~hanoi.ledger.errors.ProofError` is the cause."""


class MalformedWitnessResponse(LedgerError, Malformed):
    """A witness's 200 response is not cosignature lines (client side)."""


# --- the request -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AddCheckpointRequest:
    """An add-checkpoint request, syntax checked, nothing verified."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint_note: bytes


def make_add_checkpoint_request(
    old_size: int, consistency_proof: Sequence[bytes], checkpoint_note: bytes
) -> bytes:
    """The body of an add-checkpoint request (what a log sends its witnesses)."""
    if (
        not isinstance(old_size, int)
        or isinstance(old_size, bool)
        or not 0 <= old_size <= MAX_TREE_SIZE
    ):
        raise ValueError(f"old size {old_size!r} is not an integer from 0 to {MAX_TREE_SIZE}")
    proof = [bytes(value) for value in consistency_proof]
    if len(proof) > MAX_CONSISTENCY_HASHES:
        raise ValueError(f"{len(proof)} consistency proof hashes, at most 63")
    if old_size == 0 and proof:
        raise ValueError("a request from old size 0 carries no consistency proof")
    for position, value in enumerate(proof):
        if len(value) != merkle.HASH_SIZE:
            raise ValueError(f"consistency proof hash {position} is not {merkle.HASH_SIZE} bytes")
    lines = [f"old {old_size}", *(b64(value) for value in proof)]
    return ("".join(line + "\n" for line in lines) + "\n").encode("ascii") + bytes(checkpoint_note)


def parse_add_checkpoint_request(body: bytes) -> AddCheckpointRequest:
    """The parts of an add-checkpoint request; :class:`MalformedRequest` otherwise."""
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError("a request body is bytes")
    data = bytes(body)
    if len(data) > MAX_REQUEST_BYTES:
        raise MalformedRequest(
            f"the request holds {len(data)} bytes, more than {MAX_REQUEST_BYTES}"
        )
    position = 0
    number = 0

    def next_line(what: str) -> bytes:
        nonlocal position, number
        end = data.find(b"\n", position)
        if end < 0:
            raise MalformedRequest(f"the request ends before {what} (line {number + 1})")
        line = data[position:end]
        position = end + 1
        number += 1
        return line

    line = next_line("the old size line")
    if not line.startswith(b"old ") or not _DECIMAL.fullmatch(line[4:]):
        raise MalformedRequest("line 1 is not 'old <decimal without leading zeros>'")
    if len(line) - 4 > len(str(MAX_TREE_SIZE)) or int(line[4:]) > MAX_TREE_SIZE:
        raise MalformedRequest(f"line 1: the old size is larger than {MAX_TREE_SIZE}")
    old_size = int(line[4:])
    proof: list[bytes] = []
    while True:
        line = next_line("the empty line before the checkpoint")
        if not line:
            break
        if len(proof) == MAX_CONSISTENCY_HASHES:
            raise MalformedRequest(f"more than {MAX_CONSISTENCY_HASHES} consistency proof lines")
        value = b64decode_canonical(line)
        if value is None or len(value) != merkle.HASH_SIZE:
            raise MalformedRequest(f"line {number} is not canonical base64 of a 32-byte hash")
        proof.append(value)
    note = data[position:]
    if not note:
        raise MalformedRequest("no checkpoint after the empty line")
    return AddCheckpointRequest(old_size=old_size, proof=tuple(proof), checkpoint_note=note)


# --- the witness -----------------------------------------------------------------------------


class Witness:
    """The witness of the logs in ``known_logs`` (origin → the log's key, or its keys),
    cosigning with ``signer``. ``state`` is one from :attr:`state` to resume from."""

    def __init__(
        self,
        signer: CosignatureSigner,
        known_logs: Mapping[str, NoteVerifier | Sequence[NoteVerifier]],
        state: Mapping[str, Any] | None = None,
    ) -> None:
        self.signer = signer
        self._logs: dict[str, tuple[NoteVerifier, ...]] = {}
        for origin, keys in known_logs.items():
            verifiers = tuple(keys) if isinstance(keys, list | tuple) else (keys,)
            if not verifiers:
                raise ValueError(f"log {origin!r} is given without a key")
            self._logs[origin] = verifiers
        self._state = _checked_state(state if state is not None else {})

    @classmethod
    def from_state(
        cls,
        signer: CosignatureSigner,
        known_logs: Mapping[str, NoteVerifier | Sequence[NoteVerifier]],
        state: Mapping[str, Any],
    ) -> Witness:
        return cls(signer, known_logs, state)

    @property
    def state(self) -> dict[str, Any]:
        """A copy of the state, JSON-ready, for a file or a database to hold."""
        return copy.deepcopy(self._state)

    @property
    def verifier(self) -> CosignatureVerifier:
        """The key others check this witness's cosignatures with."""
        return self.signer.verifier()

    def latest(self, origin: str) -> tuple[int, bytes] | None:
        """(size, root hash) of the latest checkpoint cosigned for ``origin``, if any."""
        held = self._state["logs"].get(origin)
        if held is None:
            return None
        return held["size"], base64.b64decode(held["root"])

    def latest_note(self, origin: str) -> bytes | None:
        """The latest checkpoint cosigned for ``origin``, as the signed note received."""
        held = self._state["logs"].get(origin)
        return None if held is None else held["note"].encode("utf-8")

    @property
    def split_views(self) -> list[dict[str, Any]]:
        """The split views seen so far (copies), oldest first."""
        return copy.deepcopy(self._state["split_views"])

    def add_checkpoint(self, request: bytes, now: int) -> bytes:
        """Check an add-checkpoint request and cosign its checkpoint at ``now`` (POSIX
        seconds): returns the response body, the cosignature line(s). Raises a
        :class:`WitnessError`; the state changes only on success or on a split view."""
        if not isinstance(now, int) or isinstance(now, bool) or not 0 <= now <= MAX_TIMESTAMP:
            raise CosignatureError(
                f"time {now!r} is not an integer from 0 to 2^63 - 1", check="timestamp"
            )
        parsed = parse_add_checkpoint_request(request)
        origin = claimed_origin(parsed.checkpoint_note)
        verifiers = self._logs.get(origin)
        if verifiers is None:
            raise UnknownLog(f"{origin[:60]!r} is not a log this witness follows")
        checkpoint = self._open(parsed.checkpoint_note, verifiers, origin)

        if parsed.old_size > checkpoint.size:
            raise MalformedRequest(
                f"old size {parsed.old_size} is larger than the checkpoint size {checkpoint.size}",
                check="old-size",
            )
        held = self._state["logs"].get(origin)
        held_size = 0 if held is None else int(held["size"])
        held_root = merkle.EMPTY_ROOT if held is None else base64.b64decode(held["root"])
        if held is not None and checkpoint.size == held_size and checkpoint.root_hash != held_root:
            self._record_split_view(origin, held, parsed.checkpoint_note, now)
            raise SplitView(origin, held_size, held["note"].encode("utf-8"), parsed.checkpoint_note)
        if parsed.old_size != held_size:
            raise OldSizeMismatch(
                f"old size {parsed.old_size}, but the latest checkpoint of {origin[:60]!r} "
                f"cosigned here has size {held_size}",
                origin,
                held_size,
            )
        self._check_consistency(parsed, checkpoint, held_root)

        text = checkpoint.to_text()
        self._state["logs"][origin] = {
            "size": checkpoint.size,
            "root": b64(checkpoint.root_hash),
            "note": parsed.checkpoint_note.decode("utf-8"),
        }
        return self.signer.signature_line(text, now).line().encode("utf-8")

    def _open(self, note: bytes, verifiers: Sequence[NoteVerifier], origin: str) -> Checkpoint:
        try:
            return open_checkpoint(note, verifiers, origin=origin).checkpoint
        except (NoVerifiedSignature, InvalidNoteSignature) as exc:
            raise UntrustedCheckpoint(f"checkpoint of {origin[:60]!r}: {exc}") from exc
        except (NoteError, CheckpointError) as exc:
            raise MalformedRequest(f"the checkpoint is refused: {exc}") from exc

    def _check_consistency(
        self, request: AddCheckpointRequest, checkpoint: Checkpoint, held_root: bytes
    ) -> None:
        if request.old_size == 0:
            # Nothing held to be consistent with: the proof must be empty, and an empty
            # tree must have the empty tree's root.
            if request.proof:
                raise InconsistentCheckpoint("a request from old size 0 must carry no proof")
            if checkpoint.size == 0 and checkpoint.root_hash != merkle.EMPTY_ROOT:
                raise InconsistentCheckpoint("a checkpoint of size 0 with a non-empty root")
            return
        try:
            merkle.verify_consistency(
                request.old_size,
                checkpoint.size,
                request.proof,
                held_root,
                checkpoint.root_hash,
            )
        except ProofError as exc:
            raise InconsistentCheckpoint(
                f"no consistency from size {request.old_size} to {checkpoint.size}: {exc}"
            ) from exc

    def _record_split_view(
        self, origin: str, held: Mapping[str, Any], presented: bytes, now: int
    ) -> None:
        presented_text = presented.decode("utf-8")
        for seen in self._state["split_views"]:
            if seen["origin"] == origin and seen["presented"] == presented_text:
                return
        self._state["split_views"].append(
            {
                "origin": origin,
                "size": int(held["size"]),
                "held": held["note"],
                "presented": presented_text,
                "detected_at": now,
            }
        )


def add_cosignatures(
    checkpoint_note: bytes,
    response: bytes,
    cosigners: Sequence[CosignatureVerifier],
) -> bytes:
    """``checkpoint_note`` with the cosignature lines of a witness's ``response`` added,
    after checking them (the client side of add-checkpoint). Lines by keys not among
    ``cosigners`` are dropped, as the spec asks; one that does not verify raises
    :class:`~hanoi.crypto.note.InvalidNoteSignature`; a response with no line by a trusted
    cosigner raises :class:`~hanoi.crypto.note.NoVerifiedSignature`."""
    note = bytes(checkpoint_note)
    body = bytes(response)
    if not body.endswith(b"\n") or not body.startswith(SIGNATURE_PREFIX.encode("utf-8")):
        raise MalformedWitnessResponse("a cosignature response is signature lines ending in \\n")
    text_end = note.rfind(b"\n\n")
    if text_end < 0:
        raise MalformedWitnessResponse("the checkpoint note has no signature block")
    text = note[: text_end + 1]
    opened = open_note(text + b"\n" + body, cosigners)
    existing = note[text_end + 2 :].decode("utf-8").splitlines(keepends=True)
    new_lines = [s.line() for s in opened.verified if s.line() not in existing]
    return note + "".join(new_lines).encode("utf-8")


# --- helpers ---------------------------------------------------------------------------------


def claimed_origin(note: bytes) -> str:
    """The first line of the note, unverified: only used to pick the keys to check with."""
    end = note.find(b"\n")
    if end <= 0:
        raise MalformedRequest("the checkpoint has no origin line")
    try:
        return note[:end].decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("the checkpoint's origin line is not UTF-8") from None


def _checked_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """A private, checked copy of a saved state (so a corrupt store fails loudly)."""
    result: dict[str, Any] = {"logs": {}, "split_views": []}
    logs = state.get("logs", {})
    if not isinstance(logs, Mapping):
        raise ValueError("witness state: 'logs' is not a mapping")
    for origin, held in logs.items():
        if not isinstance(origin, str) or not isinstance(held, Mapping):
            raise ValueError("witness state: a log entry is not origin → mapping")
        size, root, note = held.get("size"), held.get("root"), held.get("note")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_TREE_SIZE:
            raise ValueError(f"witness state: bad size for {origin!r}")
        root_bytes = b64decode_canonical(root.encode("ascii")) if isinstance(root, str) else None
        if root_bytes is None or len(root_bytes) != merkle.HASH_SIZE:
            raise ValueError(f"witness state: bad root for {origin!r}")
        if not isinstance(note, str):
            raise ValueError(f"witness state: bad note for {origin!r}")
        result["logs"][origin] = {"size": size, "root": root, "note": note}
    views = state.get("split_views", [])
    if not isinstance(views, list):
        raise ValueError("witness state: 'split_views' is not a list")
    result["split_views"] = copy.deepcopy(views)
    return result


__all__ = [
    "MAX_CONSISTENCY_HASHES",
    "MAX_REQUEST_BYTES",
    "SIZE_CONTENT_TYPE",
    "AddCheckpointRequest",
    "InconsistentCheckpoint",
    "MalformedRequest",
    "MalformedWitnessResponse",
    "OldSizeMismatch",
    "SplitView",
    "UnknownLog",
    "UntrustedCheckpoint",
    "Witness",
    "WitnessError",
    "add_cosignatures",
    "claimed_origin",
    "make_add_checkpoint_request",
    "parse_add_checkpoint_request",
]
