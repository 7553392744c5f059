"""The ledger's leaves: one public line per cooperation or custody event, and its private twin.

A leaf is the RFC 8785 canonical JSON of exactly five members::

    {"at":"2026-12-01T09:30:00.000Z","commitment":"<43 base64url chars>","kind":"receipt",
     "node":"XA","v":1}

``commitment`` is the unpadded base64url SHA-256 of ``salt || canonical_json(detail)``, with
a fresh 32-byte random ``salt`` per event. The leaf says *that* something of a given kind
happened at a node at a time, and binds the node to the full detail without showing it:
the log can be mirrored and witnessed by other States without leaking a case, and the node
can later hand the detail and salt to a court, which checks them with
:func:`open_commitment`. The salt keeps anyone from confirming a guessed detail.

A :class:`LedgerRecord` is what the node keeps: the leaf, the detail's canonical bytes and
the salt. Parsing is strict: unknown or missing members, another version, an unknown kind,
a time not in the one accepted form, a bad State code or commitment, duplicate keys, or
bytes that are not exactly the canonical form are all refused with a
:class:`MalformedRecord` naming the fault.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from hanoi.crypto.canonical import canonical_json, parse_json
from hanoi.crypto.errors import CanonicalizationError
from hanoi.crypto.jwk import b64url, b64url_decode
from hanoi.errors import InvalidInput, Malformed, VerificationFailed
from hanoi.ledger.errors import LedgerError

RECORD_VERSION = 1
SALT_BYTES = 32
MAX_LEAF_BYTES = 512
"""A leaf is about 150 bytes; anything much larger is not one of ours."""
MAX_DETAIL_BYTES = 64 * 1024
"""The canonical detail of one event; case content belongs in the case, not the ledger."""

KINDS: tuple[str, ...] = (
    "request-sent",
    "request-received",
    "receipt",
    "status-change",
    "evidence-sealed",
    "evidence-delivered",
    "evidence-received",
    "evidence-opened",
    "key-rotation",
)
"""Every kind of event the ledger records."""

_KIND_SET = frozenset(KINDS)
_LEAF_KEYS = frozenset({"v", "kind", "at", "node", "commitment"})
_STATE = re.compile(r"[A-Z]{2}")
_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
_COMMITMENT = re.compile(r"[A-Za-z0-9_-]{43}")


# --- errors ------------------------------------------------------------------------------


RecordFieldCheck = Literal["field", "kind"]


class InvalidRecordField(LedgerError, InvalidInput):
    """A field given to build a record is wrong: time, State code, salt or detail
    (``check`` is ``"field"``), or an event kind not in :data:`KINDS` (``"kind"``)."""

    def __init__(self, message: str, *, check: RecordFieldCheck = "field") -> None:
        super().__init__(message)
        self.check = check


RecordCheck = Literal["leaf", "opening"]


class MalformedRecord(LedgerError, Malformed):
    """Bytes offered as a leaf are not a leaf of this version in canonical form (``check``
    is ``"leaf"``), or bytes offered as an opening are not ``{"detail": {...}, "salt":
    "..."}`` (``"opening"``)."""

    def __init__(self, message: str, *, check: RecordCheck) -> None:
        super().__init__(message)
        self.check = check


class CommitmentMismatch(LedgerError, VerificationFailed):
    """The detail and salt do not open the leaf's commitment."""


# --- the public leaf -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leaf:
    """The public part of an event: what the log holds and witnesses see."""

    kind: str
    at: datetime
    node: str
    commitment: str

    def __post_init__(self) -> None:
        _check_kind(self.kind)
        _check_at(self.at)
        _check_node(self.node)
        if not isinstance(self.commitment, str) or not _COMMITMENT.fullmatch(self.commitment):
            raise InvalidRecordField("the commitment must be 43 base64url characters")
        _commitment_bytes(self.commitment, InvalidRecordField)

    def to_json(self) -> dict[str, Any]:
        return {
            "v": RECORD_VERSION,
            "kind": self.kind,
            "at": format_time(self.at),
            "node": self.node,
            "commitment": self.commitment,
        }

    def to_bytes(self) -> bytes:
        """The leaf's bytes: RFC 8785 canonical JSON, hashed into the tree as they are."""
        return canonical_json(self.to_json())


def parse_leaf(data: bytes) -> Leaf:
    """The leaf in ``data``, which must be exactly its canonical bytes."""
    if not isinstance(data, bytes):
        raise TypeError("a leaf is bytes")
    if len(data) > MAX_LEAF_BYTES:
        raise MalformedRecord(
            f"the leaf holds {len(data)} bytes, more than {MAX_LEAF_BYTES}", check="leaf"
        )
    try:
        value = parse_json(data, unique_keys=True)
    except ValueError as exc:
        raise MalformedRecord(f"the leaf: {exc}", check="leaf") from None
    if not isinstance(value, dict):
        raise MalformedRecord("the leaf is not a JSON object", check="leaf")
    keys = set(value)
    if keys != _LEAF_KEYS:
        missing = ", ".join(sorted(_LEAF_KEYS - keys)) or "none"
        unknown = ", ".join(sorted(repr(k)[:40] for k in keys - _LEAF_KEYS)) or "none"
        raise MalformedRecord(
            f"leaf members wrong (missing: {missing}; unknown: {unknown})", check="leaf"
        )
    version = value["v"]
    if type(version) is not int or version != RECORD_VERSION:
        raise MalformedRecord(
            f"leaf version {str(version)[:20]!r} is not {RECORD_VERSION}", check="leaf"
        )
    for name in ("kind", "at", "node", "commitment"):
        if not isinstance(value[name], str):
            raise MalformedRecord(f"leaf member {name!r} is not a string", check="leaf")
    if value["kind"] not in _KIND_SET:
        raise MalformedRecord(f"unknown event kind {value['kind'][:40]!r}", check="leaf")
    if not _STATE.fullmatch(value["node"]):
        raise MalformedRecord(f"node {value['node'][:20]!r} is not a State code", check="leaf")
    if not _COMMITMENT.fullmatch(value["commitment"]):
        raise MalformedRecord("the commitment is not 43 base64url characters", check="leaf")
    _commitment_bytes(value["commitment"], _malformed_leaf)
    try:
        at = parse_time(value["at"])
    except InvalidRecordField as exc:
        raise MalformedRecord(str(exc), check="leaf") from None
    leaf = Leaf(kind=value["kind"], at=at, node=value["node"], commitment=value["commitment"])
    if leaf.to_bytes() != data:
        raise MalformedRecord("the leaf is not in RFC 8785 canonical form", check="leaf")
    return leaf


def format_time(at: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ``: the one time form leaves carry (UTC, milliseconds)."""
    _check_at(at)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """The UTC time written by :func:`format_time`; any other form is refused."""
    if not isinstance(text, str) or not _AT.fullmatch(text):
        raise InvalidRecordField(f"time {text[:40]!r} is not of the form YYYY-MM-DDTHH:MM:SS.mmmZ")
    try:
        return datetime.strptime(text[:-1] + "000", "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidRecordField(f"time {text!r} is not a real date and time") from None


# --- the private record -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerRecord:
    """What the node keeps of one event: the public leaf, and the detail and salt that
    open its commitment. Build with :func:`new_record`."""

    leaf: Leaf
    detail_json: bytes
    """The detail's RFC 8785 canonical bytes."""
    salt: bytes
    leaf_bytes: bytes = field(init=False, repr=False, compare=False)
    """The leaf's canonical bytes, made once: every event is queued and hashed with them."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "leaf_bytes", self.leaf.to_bytes())
        if not isinstance(self.salt, bytes) or len(self.salt) != SALT_BYTES:
            raise InvalidRecordField(f"the salt must be {SALT_BYTES} bytes")
        if not isinstance(self.detail_json, bytes):
            raise InvalidRecordField("the detail must be canonical JSON bytes")
        if len(self.detail_json) > MAX_DETAIL_BYTES:
            raise InvalidRecordField(
                f"the detail holds {len(self.detail_json)} bytes, more than {MAX_DETAIL_BYTES}"
            )

    @property
    def detail(self) -> dict[str, Any]:
        """The detail, parsed (unchecked: use :func:`open_commitment` to check it)."""
        value: dict[str, Any] = json.loads(self.detail_json)
        return value


def commitment(salt: bytes, detail_json: bytes) -> str:
    """base64url (no padding) of SHA-256(salt || detail's canonical bytes)."""
    digest = hashlib.sha256(salt + detail_json).digest()
    return b64url(digest)


def new_record(
    kind: str,
    node: str,
    detail: Mapping[str, Any],
    *,
    at: datetime | None = None,
    salt: bytes | None = None,
) -> LedgerRecord:
    """A record of one event, with a fresh random salt unless one is given (tests).

    ``detail`` is a JSON object (RFC 8785 must be able to carry it); ``at`` (default now)
    must be timezone-aware and is cut to whole milliseconds.
    """
    _check_kind(kind)
    _check_node(node)
    if not isinstance(detail, Mapping):
        raise InvalidRecordField("the detail of an event is a JSON object")
    try:
        detail_json = canonical_json(dict(detail))
    except CanonicalizationError as exc:
        raise InvalidRecordField(f"the detail is not JSON: {exc}") from None
    when = datetime.now(UTC) if at is None else at
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidRecordField("naive datetime given: events are timed in UTC")
    when = when.astimezone(UTC)
    when = when.replace(microsecond=when.microsecond - when.microsecond % 1000)
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
        raise InvalidRecordField(f"the salt must be {SALT_BYTES} bytes")
    leaf = Leaf(kind=kind, at=when, node=node, commitment=commitment(salt, detail_json))
    return LedgerRecord(leaf=leaf, detail_json=detail_json, salt=salt)


def open_commitment(record: LedgerRecord) -> dict[str, Any]:
    """The record's detail, once its canonical bytes and salt are shown to open the leaf's
    commitment; raises :class:`CommitmentMismatch` otherwise."""
    try:
        detail = parse_json(record.detail_json, unique_keys=True)
    except ValueError as exc:
        raise CommitmentMismatch(f"the stored detail: {exc}") from None
    if not isinstance(detail, dict):
        raise CommitmentMismatch("the stored detail is not a JSON object")
    try:
        canonical = canonical_json(detail)
    except CanonicalizationError as exc:
        raise CommitmentMismatch(f"the stored detail cannot be canonicalised: {exc}") from None
    if canonical != record.detail_json:
        raise CommitmentMismatch("the stored detail is not in RFC 8785 canonical form")
    if not secrets.compare_digest(
        commitment(record.salt, record.detail_json), record.leaf.commitment
    ):
        raise CommitmentMismatch("the detail and salt do not open the leaf's commitment")
    return detail


# --- openings: the detail and salt, handed to whoever may see them --------------------------


MAX_OPENING_BYTES = MAX_DETAIL_BYTES + 256
_OPENING_KEYS = frozenset({"detail", "salt"})


def opening_json(record: LedgerRecord) -> bytes:
    """The record's opening, to hand to a party entitled to the detail (the other end of a
    receipt, a court): RFC 8785 JSON of ``{"detail": {...}, "salt": base64url}``. With the
    leaf from a proof file, :func:`open_leaf` shows that this detail is what was logged."""
    salt = b64url(record.salt)
    return canonical_json({"detail": open_commitment(record), "salt": salt})


def open_leaf(leaf: Leaf, opening: bytes) -> dict[str, Any]:
    """The detail an opening shows for ``leaf``, once it opens the leaf's commitment.

    Raises :class:`MalformedRecord` (``check="opening"``) for anything but exactly the two
    members (duplicate keys, a salt that is not 32 bytes in canonical base64url, a detail
    that is not an object, more than :data:`MAX_OPENING_BYTES`), and
    :class:`CommitmentMismatch` if it does not open this leaf."""
    if not isinstance(opening, bytes) or len(opening) > MAX_OPENING_BYTES:
        raise MalformedRecord(f"an opening is at most {MAX_OPENING_BYTES} bytes", check="opening")
    try:
        value = parse_json(opening, unique_keys=True)
    except ValueError as exc:
        raise MalformedRecord(f"the opening: {exc}", check="opening") from None
    if not isinstance(value, dict) or set(value) != _OPENING_KEYS:
        raise MalformedRecord('an opening holds exactly "detail" and "salt"', check="opening")
    salt_text, detail = value["salt"], value["detail"]
    if not isinstance(salt_text, str) or not _COMMITMENT.fullmatch(salt_text):
        raise MalformedRecord(
            "the salt must be 43 base64url characters (32 bytes)", check="opening"
        )
    salt = _commitment_bytes(salt_text, _malformed_opening, "salt")
    if not isinstance(detail, dict):
        raise MalformedRecord("the detail must be a JSON object", check="opening")
    try:
        detail_json = canonical_json(detail)
    except CanonicalizationError as exc:
        raise MalformedRecord(
            f"the detail cannot be canonicalised: {exc}", check="opening"
        ) from None
    if len(detail_json) > MAX_DETAIL_BYTES:
        raise MalformedRecord(
            f"the detail holds more than {MAX_DETAIL_BYTES} bytes", check="opening"
        )
    return open_commitment(LedgerRecord(leaf=leaf, detail_json=detail_json, salt=salt))


# --- helpers ------------------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if not isinstance(kind, str) or kind not in _KIND_SET:
        raise InvalidRecordField(
            f"unknown event kind {str(kind)[:40]!r}; expected one of {KINDS}", check="kind"
        )


def _check_node(node: str) -> None:
    if not isinstance(node, str) or not _STATE.fullmatch(node):
        raise InvalidRecordField(f"node {str(node)[:20]!r} is not a State code (two capitals)")


def _check_at(at: datetime) -> None:
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise InvalidRecordField("an event's time must be a timezone-aware datetime")
    if at.microsecond % 1000:
        raise InvalidRecordField("an event's time is kept to whole milliseconds")
    if not 1 <= at.astimezone(UTC).year <= 9999:
        raise InvalidRecordField("an event's time is outside years 1 to 9999")


def _malformed_leaf(message: str) -> MalformedRecord:
    return MalformedRecord(message, check="leaf")


def _malformed_opening(message: str) -> MalformedRecord:
    return MalformedRecord(message, check="opening")


def _commitment_bytes(
    text: str, error: Callable[[str], LedgerError], what: str = "commitment"
) -> bytes:
    """The 32 bytes of a commitment (or salt) written in unpadded base64url, canonically."""
    try:
        raw = b64url_decode(text)
    except ValueError:
        raise error(f"the {what} is not base64url") from None
    if b64url(raw) != text:
        raise error(f"the {what} is not in canonical base64url")
    return raw


__all__ = [
    "KINDS",
    "MAX_DETAIL_BYTES",
    "MAX_LEAF_BYTES",
    "MAX_OPENING_BYTES",
    "RECORD_VERSION",
    "SALT_BYTES",
    "CommitmentMismatch",
    "InvalidRecordField",
    "Leaf",
    "LedgerRecord",
    "MalformedRecord",
    "commitment",
    "format_time",
    "new_record",
    "open_commitment",
    "open_leaf",
    "opening_json",
    "parse_leaf",
    "parse_time",
]
