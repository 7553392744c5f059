"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme), SHA-256 hex digests, and
base64 in its one canonical spelling.

Anything hashed or signed as JSON goes through :func:`canonical_json` first, so two nodes
that hold the same data always compute the same bytes, whatever their JSON library did with
key order, whitespace or number formatting.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import rfc8785

from hanoi.crypto.errors import CanonicalizationError


def canonical_json(obj: object) -> bytes:
    """The RFC 8785 serialisation of ``obj`` (dicts with string keys, lists, str, int,
    float, bool, None), as UTF-8 bytes.

    Raises :class:`CanonicalizationError` for values JSON cannot carry exactly: NaN and
    infinities, integers beyond ±2**53, non-string keys, other types, or nesting too deep.
    """
    try:
        return rfc8785.dumps(obj)  # type: ignore[arg-type]
    except rfc8785.IntegerDomainError:
        reason = "an integer outside the ±(2**53 - 1) range JSON numbers carry exactly"
    except rfc8785.FloatDomainError:
        reason = "NaN or an infinity, which JSON cannot carry"
    except rfc8785.CanonicalizationError as exc:
        reason = _first_line(exc)
    except RecursionError:
        reason = "nesting too deep"
    # Raised outside the except blocks: the message names the problem, never the value.
    raise CanonicalizationError(f"cannot canonicalise JSON: {reason}")


def sha256_hex(data: bytes | bytearray | memoryview) -> str:
    """The SHA-256 digest of ``data`` as 64 lower-case hex characters."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("sha256_hex takes bytes; canonicalise JSON values first")
    return hashlib.sha256(data).hexdigest()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def b64(data: bytes) -> str:
    """Standard padded base64 (RFC 4648 §4), as signed notes and tlog files write it."""
    return base64.b64encode(data).decode("ascii")


def b64decode_canonical(text: str | bytes) -> bytes | None:
    """Standard padded base64 accepted only in its one canonical spelling, so no two
    texts decode to the same bytes; ``None`` for anything else."""
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if b64(raw) == text else None
