"""Ledger leaves: canonical bytes, strict parsing, salted commitments that open."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hanoi.crypto.canonical import canonical_json
from hanoi.ledger.records import (
    KINDS,
    CommitmentMismatch,
    InvalidRecordField,
    LedgerRecord,
    MalformedRecord,
    commitment,
    new_record,
    open_commitment,
    open_leaf,
    opening_json,
    parse_leaf,
)
from tests.raising import raises_check

AT = datetime(2026, 12, 1, 9, 30, 0, 123456, tzinfo=UTC)
SALT = bytes(range(32))
DETAIL = {"request": "XA-2026-000001", "to": "XB", "status": "received"}


def good_leaf() -> dict[str, object]:
    return json.loads(new_record("receipt", "XA", DETAIL, at=AT, salt=SALT).leaf_bytes)


def test_leaf_is_canonical_json_of_five_members() -> None:
    record = new_record("receipt", "XA", DETAIL, at=AT, salt=SALT)
    data = record.leaf_bytes
    assert data == canonical_json(json.loads(data))
    value = json.loads(data)
    assert value == {
        "v": 1,
        "kind": "receipt",
        "at": "2026-12-01T09:30:00.123Z",
        "node": "XA",
        "commitment": commitment(SALT, canonical_json(DETAIL)),
    }
    assert b"XA-2026-000001" not in data  # the case stays private
    assert len(value["commitment"]) == 43


def test_parse_leaf_round_trips_every_kind() -> None:
    for kind in KINDS:
        record = new_record(kind, "XC", {"n": 1})
        assert parse_leaf(record.leaf_bytes) == record.leaf


def test_time_is_cut_to_milliseconds_and_converted_to_utc() -> None:
    local = datetime(2026, 12, 1, 11, 30, 0, 999999, tzinfo=timezone(timedelta(hours=2)))
    record = new_record("receipt", "XA", {}, at=local)
    assert json.loads(record.leaf_bytes)["at"] == "2026-12-01T09:30:00.999Z"


def test_salt_is_fresh_each_time() -> None:
    one = new_record("receipt", "XA", DETAIL)
    two = new_record("receipt", "XA", DETAIL)
    assert one.salt != two.salt
    assert one.leaf.commitment != two.leaf.commitment


def test_commitment_opens_with_detail_and_salt() -> None:
    record = new_record("evidence-sealed", "XB", DETAIL)
    assert open_commitment(record) == DETAIL


def test_commitment_refuses_other_detail_or_salt() -> None:
    record = new_record("evidence-sealed", "XB", DETAIL)
    other_detail = LedgerRecord(record.leaf, canonical_json({**DETAIL, "to": "XC"}), record.salt)
    with pytest.raises(CommitmentMismatch, match="do not open"):
        open_commitment(other_detail)
    other_salt = LedgerRecord(record.leaf, record.detail_json, bytes(32))
    with pytest.raises(CommitmentMismatch, match="do not open"):
        open_commitment(other_salt)
    not_canonical = LedgerRecord(record.leaf, json.dumps(DETAIL).encode(), record.salt)
    with pytest.raises(CommitmentMismatch, match="canonical"):
        open_commitment(not_canonical)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"kind": "request-lost"}, "kind"),
        ({"kind": "Receipt"}, "kind"),
        ({"node": "xa"}, "field"),
        ({"node": "XAB"}, "field"),
        ({"at": datetime(2026, 1, 1)}, "field"),
        ({"salt": b"short"}, "field"),
        ({"detail": ["not", "an", "object"]}, "field"),
        ({"detail": {"n": float("nan")}}, "field"),
        ({"detail": {"n": 2**60}}, "field"),
        ({"detail": {"big": "x" * 70_000}}, "field"),
    ],
)
def test_bad_fields_are_refused(kwargs: dict[str, object], error: str) -> None:
    args: dict[str, object] = {"kind": "receipt", "node": "XA", "detail": DETAIL, **kwargs}
    with raises_check(InvalidRecordField, error):
        new_record(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": 2}, "version"),
        ({"v": True}, "version"),
        ({"v": 1.0}, "version"),
        ({"kind": "request-lost"}, "unknown event kind"),
        ({"node": "X1"}, "State code"),
        ({"at": "2026-12-01T09:30:00Z"}, "YYYY-MM-DD"),
        ({"at": "2026-12-01T09:30:00.123+00:00"}, "YYYY-MM-DD"),
        ({"at": "2026-02-30T09:30:00.123Z"}, "real date"),
        ({"commitment": "A" * 42}, "43 base64url"),
        ({"commitment": "A" * 42 + "B"}, "canonical base64url"),
        ({"commitment": 5}, "not a string"),
        ({"extra": 1}, "unknown: 'extra'"),
    ],
)
def test_malformed_leaves_are_refused(change: dict[str, object], message: str) -> None:
    value = {**good_leaf(), **change}
    with raises_check(MalformedRecord, "leaf", match=message):
        parse_leaf(canonical_json(value) if change != {"v": 1.0} else _as_float_v(value))


def _as_float_v(value: dict[str, object]) -> bytes:
    return canonical_json({**value, "v": 1}).replace(b'"v":1', b'"v":1.0')


def test_missing_member_duplicates_and_non_canonical_bytes_are_refused() -> None:
    value = good_leaf()
    del value["node"]
    with raises_check(MalformedRecord, "leaf", match="missing: node"):
        parse_leaf(canonical_json(value))
    canonical = canonical_json(good_leaf())
    with raises_check(MalformedRecord, "leaf", match="duplicate"):
        parse_leaf(canonical[:-1] + b',"v":1}')
    with raises_check(MalformedRecord, "leaf", match="canonical"):
        parse_leaf(json.dumps(good_leaf(), indent=1).encode())
    with raises_check(MalformedRecord, "leaf", match="not JSON"):
        parse_leaf(b"\xff")
    with raises_check(MalformedRecord, "leaf", match="more than"):
        parse_leaf(b" " * 1000)
    with raises_check(MalformedRecord, "leaf", match="not a JSON object"):
        parse_leaf(b"[]")


def test_an_opening_shows_the_detail_of_its_leaf_only() -> None:
    record = new_record("receipt", "XA", DETAIL, at=AT, salt=SALT)
    opening = opening_json(record)
    assert json.loads(opening) == {
        "detail": DETAIL,
        "salt": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
    }
    assert opening == canonical_json(json.loads(opening))
    assert open_leaf(parse_leaf(record.leaf_bytes), opening) == DETAIL
    # Whitespace or member order do not matter: the detail is canonicalised again.
    assert open_leaf(record.leaf, json.dumps(json.loads(opening), indent=2).encode()) == DETAIL
    other = new_record("receipt", "XA", DETAIL, at=AT)
    with pytest.raises(CommitmentMismatch, match="do not open"):
        open_leaf(other.leaf, opening)  # the same detail under another salt


@pytest.mark.parametrize(
    ("opening", "message"),
    [
        (b"\xff", "not JSON"),
        (b"[]", 'exactly "detail" and "salt"'),
        (b'{"detail": {}}', 'exactly "detail" and "salt"'),
        (b'{"detail": {}, "salt": "x", "more": 1}', 'exactly "detail" and "salt"'),
        (b'{"detail": {}, "detail": {}, "salt": "x"}', "duplicate key"),
        (b'{"detail": [], "salt": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}', "object"),
        (b'{"detail": {}, "salt": "AAEC"}', "43 base64url"),
        (b'{"detail": {}, "salt": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9"}', "canonical"),
        (b'{"detail": {}, "salt": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+"}', "43 base64url"),
        (b" " * 70_000, "at most"),
    ],
)
def test_malformed_openings_are_refused(opening: bytes, message: str) -> None:
    leaf = new_record("receipt", "XA", DETAIL, at=AT, salt=SALT).leaf
    with raises_check(MalformedRecord, "opening", match=message):
        open_leaf(leaf, opening)
