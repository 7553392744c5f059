"""RFC 8785 canonical JSON and SHA-256 digests."""

from __future__ import annotations

import hashlib
import json

import pytest

from hanoi.crypto import CanonicalizationError, CryptoError, canonical_json, sha256_hex
from hanoi.crypto.canonical import MAX_JSON_DEPTH, parse_json
from hanoi.crypto.errors import MalformedJSON
from hanoi.errors import Malformed


def test_keys_sorted_no_whitespace_utf8() -> None:
    value = {"b": [1, 2.5, None, True], "a": "é", "A": {"z": 0, "y": "x"}}
    assert canonical_json(value) == '{"A":{"y":"x","z":0},"a":"é","b":[1,2.5,null,true]}'.encode()


def test_same_data_same_bytes_whatever_the_order() -> None:
    one = json.loads('{"x": 1, "y": {"b": 2, "a": 1}}')
    two = json.loads('{"y": {"a": 1, "b": 2},   "x": 1.0}')
    assert canonical_json(one) == canonical_json(two)


def test_numbers_follow_ecmascript() -> None:
    # RFC 8785 §3.2.2.3: numbers are written as ECMAScript writes them.
    assert canonical_json([1e21, 1e-7, 0.1, -0.0, 100.0]) == b"[1e+21,1e-7,0.1,0,100]"


@pytest.mark.parametrize(
    "bad",
    [float("nan"), float("inf"), 2**53 + 1, {1: "non-string key"}, {"a": object()}, b"bytes"],
)
def test_values_json_cannot_carry_are_refused(bad: object) -> None:
    with pytest.raises(CanonicalizationError) as info:
        canonical_json(bad)
    assert isinstance(info.value, CryptoError)
    assert "\n" not in str(info.value)
    assert str(2**53 + 1) not in str(info.value)  # messages name the problem, not the value


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    value: object = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(CanonicalizationError, match="nesting"):
        canonical_json(value)


def test_sha256_hex() -> None:
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex(canonical_json({"a": 1})) == hashlib.sha256(b'{"a":1}').hexdigest()
    with pytest.raises(TypeError):
        sha256_hex("text")  # type: ignore[arg-type]


# --- reading JSON from outside ---------------------------------------------------------------


def _nested(depth: int, inner: str = "0") -> str:
    return "[" * depth + inner + "]" * depth


def test_json_from_outside_is_read_as_json_reads_it() -> None:
    text = '{"a": [1, 2.5, null, true, {"b": "\\"[{ is text"}], "c": "é"}'
    assert parse_json(text) == json.loads(text)
    assert parse_json(text.encode()) == json.loads(text)
    assert parse_json(_nested(MAX_JSON_DEPTH)) == json.loads(_nested(MAX_JSON_DEPTH))


@pytest.mark.parametrize(
    "text",
    [
        _nested(MAX_JSON_DEPTH + 1),
        '{"a": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1),
        _nested(200_000),  # deeper than Python can recurse: refused, never a RecursionError
        "[" * 1_000_000,  # not even JSON: still refused for its depth, before parsing
    ],
)
def test_nesting_deeper_than_the_bound_is_malformed_json(text: str) -> None:
    with pytest.raises(MalformedJSON, match=f"nested deeper than {MAX_JSON_DEPTH} levels") as e:
        parse_json(text)
    assert isinstance(e.value, Malformed) and isinstance(e.value, ValueError)


def test_brackets_inside_strings_are_not_nesting() -> None:
    inside = '"' + "[{" * 1000 + '\\"' + "]" + '"'
    assert parse_json(f"[{inside}]") == ["[{" * 1000 + '"]']


def test_a_caller_may_allow_less_nesting() -> None:
    assert parse_json(_nested(2), max_depth=2) == [[0]]
    with pytest.raises(MalformedJSON, match="nested deeper than 2 levels"):
        parse_json(_nested(3), max_depth=2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff{}", "not JSON: not UTF-8 at byte 0"),
        ("\ufeff{}", "not JSON: line 1 column 1: Unexpected UTF-8 BOM"),
        ('{"a": 1,}', "not JSON: line 1 column 9"),
        ('{"a": NaN}', "not JSON: NaN"),
        ("[-Infinity]", "not JSON: -Infinity"),
    ],
)
def test_what_is_not_json_is_named_in_one_line(data: bytes | str, message: str) -> None:
    with pytest.raises(MalformedJSON) as caught:
        parse_json(data)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_duplicate_keys_are_refused_on_request_naming_the_key() -> None:
    text = '{"a": {"kind": "mla", "kind": "preservation"}}'
    assert parse_json(text) == {"a": {"kind": "preservation"}}  # json's rule: the last wins
    with pytest.raises(MalformedJSON, match="duplicate key 'kind'"):
        parse_json(text, unique_keys=True)
