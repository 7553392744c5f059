"""Following a log from one verification to the next, as a witness does: a log seen once
at some size and root must later show a tree that extends that one.

A signed checkpoint only says the log's key signed that tree at some time. Shown an older
checkpoint the log really signed (a *rollback*: its tiles copied back, or a server frozen
in the past), or a checkpoint of another tree under the same key and origin (a *fork*: a
view made for one reader), :func:`hanoi.ledger.verify.verify_log` rightly finds a whole,
validly signed log. Only a reader who remembers what it saw before can tell. Here the
earlier tree is a :class:`TreeHead` (size, root), either given (``--since SIZE:ROOT``,
:func:`parse_tree_head`) or remembered per origin in a state file (:class:`LogMemory`).

:func:`check_extends` is the check, pure. Held (size m, root r), shown (size n, root R):

* n < m: **rollback**, refused whatever the roots.
* n = m: R must be r, else **fork** (two signed trees of one size: a split view).
* m = 0: r is the empty tree's root (:func:`parse_tree_head` and :class:`LogMemory` refuse
  any other), and every tree extends the empty one.
* n > m > 0: the RFC 9162 consistency proof from m to n must lead from r to R
  (:func:`hanoi.ledger.merkle.verify_consistency`), else **fork**.

A refusal is :class:`NotAnExtension`, whose ``check`` is ``"rollback"`` or ``"fork"``.
:func:`prove_extends` is its I/O: the proof is computed from the log's own tiles
(:func:`hanoi.ledger.merkle.consistency_proof` over a
:class:`~hanoi.ledger.tiles.TiledHashReader`), which should be the ones just verified
against the signed root R; a tile that lies is caught by the check all the same.

The state file is JSON, owner-only, written whole (:func:`hanoi.files.replace_file`)::

    {"logs": {origin: {"size": int, "root": base64, "checkpoint": signed note text}}}

``checkpoint`` is the signed note the tree was read from, kept as evidence: with a fork
reported, it and the log's new checkpoint are two notes signed by one key. The file only
ever moves forward (:meth:`LogMemory.remember`). :func:`LogMemory.from_bytes` reads it
strictly, and a file it refuses (:class:`StateFileError`) is never written over: the
reader must look at it. :func:`remember_verified` updates it under an exclusive lock on a
``<file>.lock`` beside it, reading it again and checking against what it holds then, so
two verifications at once cannot move it backwards.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from hanoi import files
from hanoi.crypto.canonical import b64, b64decode_canonical
from hanoi.errors import Malformed, VerificationFailed
from hanoi.ledger import merkle
from hanoi.ledger.checkpoint import MAX_TREE_SIZE, CheckpointError, parse_checkpoint
from hanoi.ledger.errors import LedgerError, ProofError
from hanoi.ledger.tiles import MAX_CHECKPOINT_BYTES, Fetch, TiledHashReader

MAX_STATE_BYTES = 4 * 1024 * 1024
"""A state file larger than this is refused unread (thousands of logs fit)."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


# --- errors ----------------------------------------------------------------------------------


NotAnExtensionCheck = Literal["rollback", "fork"]


class NotAnExtension(LedgerError, VerificationFailed):
    """The log's signed tree does not extend the one held: smaller (``check`` is
    ``"rollback"``), or of the same or a larger size but not consistent with it
    (``"fork"``). ``held``, ``size`` and ``root`` say which trees."""

    def __init__(
        self,
        message: str,
        *,
        check: NotAnExtensionCheck,
        held: TreeHead,
        size: int,
        root: bytes,
    ) -> None:
        super().__init__(message)
        self.check = check
        self.held = held
        self.size = size
        self.root = root


class MalformedTreeHead(LedgerError, Malformed):
    """A tree given as ``SIZE:ROOT`` is not a decimal size and the canonical base64 of a
    32-byte root (the empty tree's root at size 0)."""


class StateFileError(LedgerError, Malformed):
    """The state file cannot be read as one: too large, not UTF-8 JSON, or a member
    missing, unknown or of the wrong form. It is left as it is."""


# --- the check -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeHead:
    """A tree of a log: its size and RFC 6962 root hash."""

    size: int
    root: bytes

    def __post_init__(self) -> None:
        if (
            not isinstance(self.size, int)
            or isinstance(self.size, bool)
            or not 0 <= self.size <= MAX_TREE_SIZE
        ):
            raise ValueError(f"tree size {self.size!r} is not an integer from 0 to 2^64 - 1")
        if not isinstance(self.root, bytes) or len(self.root) != merkle.HASH_SIZE:
            raise ValueError(f"a root hash is {merkle.HASH_SIZE} bytes")
        if self.size == 0 and self.root != merkle.EMPTY_ROOT:
            raise ValueError("the tree of size 0 has the empty tree's root")

    def __str__(self) -> str:
        return f"{self.size}:{b64(self.root)}"


def parse_tree_head(text: str) -> TreeHead:
    """The tree in ``SIZE:ROOT`` (ROOT in base64, as a checkpoint writes it); raises
    :class:`MalformedTreeHead` naming the fault."""
    size_text, colon, root_text = text.strip().partition(":")
    if not colon:
        raise MalformedTreeHead(f"{text[:80]!r} is not SIZE:ROOT")
    if not size_text.isascii() or not _DECIMAL.fullmatch(size_text):
        raise MalformedTreeHead(f"the size {size_text[:30]!r} is not decimal without leading zeros")
    if len(size_text) > len(str(MAX_TREE_SIZE)) or int(size_text) > MAX_TREE_SIZE:
        raise MalformedTreeHead(f"the size {size_text} is larger than {MAX_TREE_SIZE}")
    root = b64decode_canonical(root_text)
    if root is None or len(root) != merkle.HASH_SIZE:
        raise MalformedTreeHead(
            f"the root {root_text[:60]!r} is not the canonical base64 of a 32-byte hash"
        )
    if int(size_text) == 0 and root != merkle.EMPTY_ROOT:
        raise MalformedTreeHead("at size 0 the root is the empty tree's")
    return TreeHead(int(size_text), root)


def check_extends(
    held: TreeHead,
    size: int,
    root: bytes,
    proof: Sequence[bytes],
    *,
    held_from: str = "held",
) -> None:
    """Check that the tree (``size``, ``root``) extends ``held``, ``proof`` being the
    consistency proof from ``held.size`` to ``size`` (empty unless ``0 < held.size <
    size``); raise :class:`NotAnExtension` otherwise (see the module's docstring).
    ``held_from`` says where ``held`` came from, for the message."""
    shown = TreeHead(size, root)
    if size < held.size:
        raise NotAnExtension(
            f"rollback: the log's signed checkpoint is at size {size}, below size "
            f"{held.size} {held_from}",
            check="rollback",
            held=held,
            size=size,
            root=root,
        )
    if size == held.size:
        if not hmac.compare_digest(root, held.root):
            raise NotAnExtension(
                f"fork: the log signed root {b64(root)} at size {size}, but {held} is {held_from}",
                check="fork",
                held=held,
                size=size,
                root=root,
            )
        return
    if held.size == 0:
        return  # every tree extends the empty one
    try:
        merkle.verify_consistency(held.size, size, proof, held.root, root)
    except ProofError as exc:
        raise NotAnExtension(
            f"fork: the log's signed tree {shown} does not extend {held} {held_from} "
            "(no consistency proof from its tiles leads from one root to the other)",
            check="fork",
            held=held,
            size=size,
            root=root,
        ) from exc


def prove_extends(
    fetch: Fetch, held: TreeHead, size: int, root: bytes, *, held_from: str = "held"
) -> None:
    """:func:`check_extends` with the consistency proof computed from the tiles behind
    ``fetch`` (a log of ``size`` leaves). Reading a tile may raise the fetch's errors."""
    proof: list[bytes] = []
    if 0 < held.size < size:
        proof = merkle.consistency_proof(TiledHashReader(fetch, size), held.size, size)
    check_extends(held, size, root, proof, held_from=held_from)


# --- the memory ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """What is remembered of one log: its latest verified tree and the note it came in."""

    head: TreeHead
    checkpoint: str


@dataclass(frozen=True)
class LogMemory:
    """The latest verified tree of each log, by origin (the state file's content)."""

    logs: Mapping[str, Held] = field(default_factory=dict)

    def held(self, origin: str) -> Held | None:
        return self.logs.get(origin)

    def remember(self, origin: str, head: TreeHead, checkpoint: bytes) -> LogMemory:
        """The memory with ``head`` as the latest tree of ``origin`` if it is larger than
        the one held (or none is); else this memory, unchanged. It never moves backwards;
        whether ``head`` extends the held tree is for :func:`check_extends` to say first."""
        held = self.logs.get(origin)
        if held is not None and head.size <= held.head.size:
            return self
        logs = dict(self.logs)
        logs[origin] = Held(head, checkpoint.decode("utf-8"))
        return LogMemory(logs)

    def to_bytes(self) -> bytes:
        logs = {
            origin: {
                "size": held.head.size,
                "root": b64(held.head.root),
                "checkpoint": held.checkpoint,
            }
            for origin, held in self.logs.items()
        }
        return (json.dumps({"logs": logs}, indent=2, sort_keys=True) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, name: str = "the state file") -> LogMemory:
        """The memory in ``data``; :class:`StateFileError` naming ``name`` and the fault."""
        if len(data) > MAX_STATE_BYTES:
            raise StateFileError(f"{name}: larger than {MAX_STATE_BYTES} bytes")
        try:
            value = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates)
        except (UnicodeDecodeError, ValueError) as exc:
            raise StateFileError(f"{name}: not a JSON state file ({exc})") from None
        if not isinstance(value, dict) or set(value) != {"logs"}:
            raise StateFileError(f"{name}: a state file is an object with 'logs' alone")
        logs = value["logs"]
        if not isinstance(logs, dict):
            raise StateFileError(f"{name}: 'logs' is not an object")
        return cls({origin: _held(name, origin, entry) for origin, entry in logs.items()})


def _held(name: str, origin: str, entry: Any) -> Held:
    where = f"{name}: log {origin[:60]!r}"
    if not isinstance(entry, dict) or set(entry) != {"size", "root", "checkpoint"}:
        raise StateFileError(f"{where} is not an object of size, root and checkpoint")
    size, root_text, note = entry["size"], entry["root"], entry["checkpoint"]
    if not isinstance(size, int) or isinstance(size, bool) or not 0 <= size <= MAX_TREE_SIZE:
        raise StateFileError(f"{where}: the size is not an integer from 0 to 2^64 - 1")
    root = b64decode_canonical(root_text) if isinstance(root_text, str) else None
    if root is None or len(root) != merkle.HASH_SIZE:
        raise StateFileError(f"{where}: the root is not the canonical base64 of a 32-byte hash")
    if size == 0 and root != merkle.EMPTY_ROOT:
        raise StateFileError(f"{where}: at size 0 the root is the empty tree's")
    if not isinstance(note, str) or len(note.encode("utf-8")) > MAX_CHECKPOINT_BYTES:
        raise StateFileError(f"{where}: the checkpoint is not a signed note")
    # The note must be the checkpoint of this very tree: a file edited by hand, or damaged,
    # shows here rather than as a fork later.
    split = note.rfind("\n\n")
    try:
        checkpoint = parse_checkpoint(note[: split + 1]) if split >= 0 else None
    except CheckpointError:
        checkpoint = None
    if checkpoint is None or (checkpoint.origin, checkpoint.size, checkpoint.root_hash) != (
        origin,
        size,
        root,
    ):
        raise StateFileError(f"{where}: the checkpoint is not that of this origin, size and root")
    return Held(TreeHead(size, root), note)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"member {key[:60]!r} twice")
        result[key] = value
    return result


# --- the state file --------------------------------------------------------------------------


def lock_path(path: Path) -> Path:
    """The lock file beside the state file ``path``."""
    return path.with_name(path.name + ".lock")


def load_memory(path: Path) -> LogMemory:
    """The state file at ``path``; an empty memory when there is none yet. Raises
    :class:`StateFileError` for a file that is not one, ``OSError`` as reading does."""
    try:
        data = files.read_bounded(path, MAX_STATE_BYTES)
    except FileNotFoundError:
        return LogMemory()
    except files.FileTooLarge:
        raise StateFileError(f"{path}: larger than {MAX_STATE_BYTES} bytes") from None
    return LogMemory.from_bytes(data, str(path))


def remember_verified(
    path: Path,
    origin: str,
    head: TreeHead,
    checkpoint: bytes,
    prove: Callable[[TreeHead], None],
) -> Held | None:
    """Under the state file's lock: read it, check with ``prove(held tree)`` that ``head``
    extends what it holds for ``origin`` (``prove`` raises :class:`NotAnExtension` if
    not), and write it with ``head`` remembered. Returns the tree held before (``None``
    the first time). A refusal, or a file that is not a state file, leaves it untouched."""
    with files.locked(lock_path(path)):
        memory = load_memory(path)
        held = memory.held(origin)
        if held is not None:
            prove(held.head)
        updated = memory.remember(origin, head, checkpoint)
        if updated is not memory:
            files.replace_file(path, updated.to_bytes())
    return held


__all__ = [
    "MAX_STATE_BYTES",
    "Held",
    "LogMemory",
    "MalformedTreeHead",
    "NotAnExtension",
    "StateFileError",
    "TreeHead",
    "check_extends",
    "load_memory",
    "lock_path",
    "parse_tree_head",
    "prove_extends",
    "remember_verified",
]
