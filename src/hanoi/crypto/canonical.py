"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme), SHA-256 hex digests,
base64 in its one canonical spelling, and the one reader of JSON that comes from outside.

Anything hashed or signed as JSON goes through :func:`canonical_json` first, so two nodes
that hold the same data always compute the same bytes, whatever their JSON library did with
key order, whitespace or number formatting.

Anything read as JSON from outside this process (a peer's message or answer, a file given
on the command line, a package's manifest or custody graph, a directory entry, an HTTP
body) goes through :func:`parse_json`: strict UTF-8, standard JSON only (no NaN or
infinities), nesting bounded *before* parsing, and on request no duplicate keys. Every
refusal is a :class:`MalformedJSON` with a one-line message, so a hostile input is refused
like any other malformed one instead of raising ``RecursionError`` somewhere later (the
parser, pydantic, RFC 8785 and templates all recurse).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any, NoReturn

import rfc8785

from hanoi.crypto.errors import CanonicalizationError, MalformedJSON

#: The deepest nesting of arrays and objects :func:`parse_json` accepts. Hanoi's own formats
#: nest a handful of levels (a custody graph inside a message payload, the deepest, about
#: eight); the bound keeps everything that later walks the value recursively far from
#: Python's recursion limit.
MAX_JSON_DEPTH = 32

# A JSON string as a whole (so brackets inside it are not counted), an opening bracket
# (group 1), or a closing one. Unrolled so that long strings cost no backtracking.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|([\[{])|[\]}]', re.DOTALL)


def parse_json(
    data: bytes | bytearray | memoryview | str,
    *,
    max_depth: int = MAX_JSON_DEPTH,
    unique_keys: bool = False,
) -> Any:
    """The JSON value in ``data`` (bytes are strict UTF-8; a byte-order mark is refused).

    Raises :class:`MalformedJSON` when ``data`` is not UTF-8 or not JSON, holds NaN or an
    infinity, nests arrays and objects deeper than ``max_depth`` (checked before parsing),
    or, with ``unique_keys``, has an object with a key twice (the message names it).
    Callers bound the size of ``data`` themselves, as they know what is plausible.
    """
    if isinstance(data, str):
        text = data
    else:
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJSON(f"not JSON: not UTF-8 at byte {exc.start}") from None
    if _nesting_exceeds(text, max_depth):
        raise MalformedJSON(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(
            text,
            parse_constant=_no_constant,
            object_pairs_hook=_unique_keys if unique_keys else None,
        )
    except json.JSONDecodeError as exc:
        raise MalformedJSON(f"not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:  # only if a caller allowed more depth than Python can parse
        raise MalformedJSON("nested too deeply to read") from None


def _nesting_exceeds(text: str, limit: int) -> bool:
    # Without that many brackets in all, nothing can nest that deep: most inputs stop here.
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for token in _TOKEN.finditer(text):
        if token.group(1):
            depth += 1
            if depth > limit:
                return True
        elif token.group()[0] != '"':
            depth -= 1
    return False


def _no_constant(name: str) -> NoReturn:
    raise MalformedJSON(f"not JSON: {name}")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedJSON(f"duplicate key {key[:40]!r}")
        result[key] = value
    return result


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
