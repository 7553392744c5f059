"""The entry model: what a State may declare, and one-line errors for what it may not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hanoi.directory.entry import ISO_639_1, ISO_3166_1, Entry, canonical_bytes, parse_entry
from hanoi.directory.errors import EntryError
from tests.directory.conftest import entry_bytes, entry_dict


def test_demo_entries_parse_and_keep_their_flags() -> None:
    xa = parse_entry(entry_bytes(entry_dict("XA")))
    assert xa.code == "XA" and xa.fictional
    assert xa.treaty.confidence == "unconfirmed"
    assert xa.declarations[0].article == "Art. 11(3)"
    assert xa.declarations[0].confidence == "unconfirmed"
    assert [a.kind for a in xa.authorities] == ["central_authority", "point_of_contact_24_7"]
    assert xa.display_names()["fr"] == "Arcadie"


def test_canonical_bytes_are_rfc8785_and_round_trip() -> None:
    raw = entry_dict("XB")
    pretty = json.dumps(raw, indent=4).encode()
    shuffled = json.dumps(dict(reversed(list(raw.items())))).encode()
    a, b = parse_entry(pretty), parse_entry(shuffled)
    assert canonical_bytes(a) == canonical_bytes(b)
    data = canonical_bytes(a)
    assert data.startswith(b'{"authorities":[{"address":')  # sorted keys, no whitespace
    assert parse_entry(data) == a


def test_real_country_names_come_from_pycountry() -> None:
    raw = entry_dict("XA")
    raw["code"] = "VN"
    raw["names"] = {}
    raw["fictional"] = False
    for authority in raw["authorities"]:
        authority["code"] = authority["code"].replace("XA-", "VN-")
    names = parse_entry(entry_bytes(raw)).display_names()
    assert names["en"] == "Viet Nam"
    assert names["fr"] == "Viêt Nam"
    assert set(names) == {"ar", "zh", "en", "fr", "ru", "es"}


def _with(change: Any) -> bytes:
    raw = entry_dict("XA")
    change(raw)
    return entry_bytes(raw)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.update(code="QQQ"), "code: State code 'QQQ' is not two upper-case letters"),
        (lambda e: e.update(code="YY"), "'YY' is not an ISO 3166-1 alpha-2 code"),
        (
            lambda e: e["authorities"][0].update(time_zone="Mars/Olympus"),
            "authorities.0.time_zone: unknown IANA time zone 'Mars/Olympus'",
        ),
        (
            lambda e: e["authorities"][1].update(hours="Mon-Fri 09:00-17:00"),
            "must have hours '24/7'",
        ),
        (lambda e: e.update(languages=["en", "xx"]), "'xx' is not an ISO 639-1 language code"),
        (lambda e: e.update(channels=["fax"]), "channels.0:"),
        (
            lambda e: e["declarations"][0].update(article="Article eleven"),
            "is not like 'Art. 11(3)'",
        ),
        (lambda e: e["declarations"][0].update(article="Art. 99"), "has 68 articles"),
        (lambda e: e["declarations"][0].pop("confidence"), "declarations.0.confidence"),
        (lambda e: e["treaty"].pop("instrument"), "a party needs its instrument"),
        (lambda e: e.update(valid_until="2025-01-01"), "valid_until must come after"),
        (lambda e: e.update(names={"fr": "Arcadie"}), "give its name in names.en"),
        (lambda e: e.update(surprise=True), "surprise: Extra inputs are not permitted"),
        (
            lambda e: e["node"]["public_keys"][0].update(kid="not-the-thumbprint"),
            "is not the key's RFC 7638 thumbprint",
        ),
        (lambda e: e["node"].update(url="http://node.arcadia.example/"), "over https"),
        (lambda e: e["authorities"][0].update(email="nobody"), "is not an e-mail address"),
    ],
)
def test_malformed_entries_are_refused_with_one_line(change: Any, message: str) -> None:
    with pytest.raises(EntryError) as caught:
        parse_entry(_with(change), source="xa-entry.json")
    text = str(caught.value)
    assert message in text, text
    assert text.startswith("xa-entry.json: ")
    assert "\n" not in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "an entry is a JSON object"),
        (b'{"code": "XA", "code": "XB"}', "duplicate key 'code'"),
        (b" " * (256 * 1024 + 1), "larger than"),
    ],
)
def test_unreadable_entries(data: bytes, message: str) -> None:
    with pytest.raises(EntryError, match=message):
        parse_entry(data)


def test_entry_is_frozen() -> None:
    entry = parse_entry(entry_bytes(entry_dict("XA")))
    with pytest.raises(ValueError):
        entry.version = 2  # type: ignore[misc]
    assert isinstance(entry, Entry)


def test_the_language_codes_are_pycountrys_iso_639_1() -> None:
    import pycountry

    listed = {language.alpha_2 for language in pycountry.languages if hasattr(language, "alpha_2")}
    assert listed == ISO_639_1


def test_the_state_codes_are_pycountrys_iso_3166_1() -> None:
    import pycountry

    assert {country.alpha_2 for country in pycountry.countries} == ISO_3166_1
