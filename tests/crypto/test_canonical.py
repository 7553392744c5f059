"""RFC 8785 canonical JSON and SHA-256 digests."""

from __future__ import annotations

import hashlib
import json

import pytest

from hanoi.crypto import CanonicalizationError, CryptoError, canonical_json, sha256_hex


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
