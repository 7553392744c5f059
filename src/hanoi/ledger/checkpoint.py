"""Checkpoints of a transparency log (c2sp.org/tlog-checkpoint), signed as notes.

A checkpoint's text is at least three non-empty lines, each ending in a newline::

    <origin>            the log's identity, e.g. ``hanoi.example/XA/ledger``
    <tree size>         ASCII decimal, no leading zero (``0`` for the empty tree)
    <root hash>         standard base64 of the 32-byte RFC 6962 (SHA-256) root
    [<extension>...]    optional, opaque, non-empty lines

The log signs that text as a signed note (:mod:`hanoi.crypto.note`) whose key name should
be the origin; witnesses add their own signature lines later. :func:`open_checkpoint`
checks the signatures first and only then reads the text, as the note spec asks. Note
faults raise :class:`~hanoi.crypto.note.NoteError` unchanged; faults in the text raise
:class:`MalformedCheckpoint`, and a checkpoint of another log :class:`UnexpectedOrigin`.

Stricter than the spec in two places, both of which every Hanoi log meets: the root hash
must be exactly 32 bytes in canonical base64, and the tree size at most 2^63 - 1 (what Go's
``tlog`` and a PostgreSQL ``bigint`` hold).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from hanoi.crypto.note import (
    MAX_NOTE_BYTES,
    Note,
    NoteSigner,
    NoteVerifier,
    open_note,
    sign_note,
)
from hanoi.errors import Malformed, VerificationFailed
from hanoi.ledger.errors import LedgerError

HASH_BYTES = 32
MAX_TREE_SIZE = 2**63 - 1
_SIZE = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x1f]")


class CheckpointError(LedgerError):
    """Base of every refusal of a checkpoint's text or origin."""


CheckpointCheck = Literal["lines", "origin", "size", "root", "extension"]


class MalformedCheckpoint(CheckpointError, Malformed):
    """The text is not a checkpoint; ``check`` names the fault: fewer than the three lines
    origin, size and root hash, or no final newline (``"lines"``); an origin line empty or
    holding a control character (``"origin"``); a size line not plain decimal without
    leading zeros, or out of range (``"size"``); a root hash line not canonical base64 of
    exactly 32 bytes (``"root"``); an extension line empty or holding a control character
    (``"extension"``)."""

    def __init__(self, message: str, *, check: CheckpointCheck) -> None:
        super().__init__(message)
        self.check = check


class UnexpectedOrigin(CheckpointError, VerificationFailed):
    """A valid checkpoint, but of another log than the one expected."""


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, size and RFC 6962 root hash, and any extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_origin(self.origin)
        if (
            not isinstance(self.size, int)
            or isinstance(self.size, bool)
            or not 0 <= self.size <= MAX_TREE_SIZE
        ):
            raise MalformedCheckpoint(
                f"the tree size must be an integer from 0 to {MAX_TREE_SIZE}", check="size"
            )
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_BYTES:
            raise MalformedCheckpoint(f"the root hash must be {HASH_BYTES} bytes", check="root")
        if not isinstance(self.extensions, tuple):
            raise TypeError("extensions must be a tuple of lines")
        for number, line in enumerate(self.extensions, 4):
            _check_extension(number, line)

    def to_text(self) -> str:
        """The note text, final newline included."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        lines = [self.origin, str(self.size), root, *self.extensions]
        return "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose note verified: the checkpoint and the opened note (verified
    signatures, and the others, e.g. witness cosignatures not checked yet)."""

    checkpoint: Checkpoint
    note: Note


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint in ``text`` (a note's text: final newline included, no signatures).

    Raises a :class:`MalformedCheckpoint` subclass naming the first faulty line.
    """
    if not isinstance(text, str):
        raise TypeError("checkpoint text must be str")
    if not text.endswith("\n"):
        raise MalformedCheckpoint("a checkpoint ends in a newline", check="lines")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpoint(
            "a checkpoint has at least three lines: origin, tree size, root hash",
            check="lines",
        )
    origin, size_line, root_line, *extensions = lines
    _check_origin(origin)
    return Checkpoint(
        origin=origin,
        size=_parse_size(size_line),
        root_hash=_parse_root(root_line),
        extensions=tuple(extensions),
    )


def sign_checkpoint(checkpoint: Checkpoint, signers: Sequence[NoteSigner]) -> bytes:
    """The checkpoint as a signed note; the log's own signer should be named after the
    origin (``Signer.for_key(checkpoint.origin, node_key)``)."""
    return sign_note(checkpoint.to_text(), signers)


def open_checkpoint(
    note: bytes,
    verifiers: Iterable[NoteVerifier],
    *,
    origin: str | None = None,
    max_bytes: int = MAX_NOTE_BYTES,
) -> SignedCheckpoint:
    """Verify ``note`` against ``verifiers``, then parse its text as a checkpoint.

    With ``origin``, the checkpoint must be that log's. Raises the note's
    :class:`~hanoi.crypto.note.NoteError`, a :class:`MalformedCheckpoint`, or
    :class:`UnexpectedOrigin`.
    """
    opened = open_note(note, verifiers, max_bytes=max_bytes)
    checkpoint = parse_checkpoint(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise UnexpectedOrigin(
            f"checkpoint of {_shown(checkpoint.origin)}, expected {_shown(origin)}"
        )
    return SignedCheckpoint(checkpoint=checkpoint, note=opened)


def _check_origin(origin: str) -> None:
    if not isinstance(origin, str) or not origin:
        raise MalformedCheckpoint("the origin line is empty", check="origin")
    if _CONTROL.search(origin):
        raise MalformedCheckpoint(
            "the origin holds a control character or a newline", check="origin"
        )
    if not _is_unicode(origin):
        raise MalformedCheckpoint("the origin is not valid Unicode", check="origin")


def _check_extension(number: int, line: str) -> None:
    if not isinstance(line, str) or not line:
        raise MalformedCheckpoint(
            f"line {number}: extension lines are non-empty", check="extension"
        )
    if _CONTROL.search(line):
        raise MalformedCheckpoint(
            f"line {number} holds a control character or a newline", check="extension"
        )
    if not _is_unicode(line):
        raise MalformedCheckpoint(f"line {number} is not valid Unicode", check="extension")


def _parse_size(line: str) -> int:
    # Only ASCII digits: int() would also take signs, spaces, underscores and other scripts.
    if not line.isascii() or not _SIZE.fullmatch(line):
        raise MalformedCheckpoint(
            f"tree size {_shown(line)} is not decimal without leading zeros", check="size"
        )
    if len(line) > len(str(MAX_TREE_SIZE)) or int(line) > MAX_TREE_SIZE:
        raise MalformedCheckpoint(
            f"tree size {_shown(line)} is larger than {MAX_TREE_SIZE}", check="size"
        )
    return int(line)


def _parse_root(line: str) -> bytes:
    try:
        root = base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCheckpoint("the root hash is not base64", check="root") from None
    if base64.b64encode(root).decode("ascii") != line:
        raise MalformedCheckpoint("the root hash is not in canonical base64", check="root")
    if len(root) != HASH_BYTES:
        raise MalformedCheckpoint(
            f"the root hash holds {len(root)} bytes, not {HASH_BYTES}", check="root"
        )
    return root


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(text: str) -> str:
    return repr(text[:60])


__all__ = [
    "HASH_BYTES",
    "MAX_TREE_SIZE",
    "Checkpoint",
    "CheckpointError",
    "MalformedCheckpoint",
    "SignedCheckpoint",
    "UnexpectedOrigin",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
]
