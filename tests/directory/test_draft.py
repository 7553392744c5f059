"""Drafting a State's entry from a template and its node's identity, then signing it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hanoi.crypto import KeyStore
from hanoi.directory.draft import check_own_entry, draft_entry
from hanoi.directory.entry import Entry, parse_entry
from hanoi.directory.errors import EntryError
from hanoi.directory.repository import sign_entry
from hanoi.node import create_node, directory_keys
from tests.directory.conftest import entry_dict

URL = "https://hanoi.arcadia.example"


@pytest.fixture
def xa_home(tmp_path: Path) -> Path:
    home = tmp_path / "xa"
    home.mkdir()
    create_node(home, state="XA", name="Arcadia node", url=URL)
    return home


def _draft(home: Path, template: dict[str, Any], now: datetime | None = None) -> Entry:
    return draft_entry(
        json.dumps(template).encode(),
        state="XA",
        url=URL,
        public_keys=directory_keys(home, now),
        source="xa-entry.json",
    )


def test_the_node_replaces_the_templates_address_and_keys(xa_home: Path) -> None:
    drafted = draft_entry(
        json.dumps(entry_dict("XA")).encode(),
        state="XA",
        url=URL,
        public_keys=directory_keys(xa_home),
    )
    store = KeyStore(xa_home)
    assert drafted.node.url == URL
    assert [k.kid for k in drafted.node.public_keys] == [
        store.active_kid("signing"),
        store.active_kid("encryption"),
    ]
    assert all(k.status == "active" and k.created is not None for k in drafted.node.public_keys)
    assert drafted.authorities == parse_entry(json.dumps(entry_dict("XA")).encode()).authorities
    # What is drafted is what the node can sign: its active key is listed.
    key = store.signing_key()
    signed = sign_entry(drafted, key.key, version=1, kid=key.kid)
    assert parse_entry(signed.entry) == drafted


def test_a_template_without_a_node_section_is_completed(xa_home: Path) -> None:
    template = entry_dict("XA")
    del template["node"]
    drafted = _draft(xa_home, template)
    assert drafted.node.url == URL


def test_keys_in_grace_are_listed_retired_ones_are_not(xa_home: Path) -> None:
    store = KeyStore(xa_home)
    first = store.active_kid("signing")
    now = datetime.now(UTC)
    store.rotate("signing", timedelta(days=30), now)
    second = store.active_kid("signing")
    listed = {k["kid"]: k["status"] for k in directory_keys(xa_home)}
    assert listed[first] == "grace" and listed[second] == "active"
    # Forty days on, the old key has left its grace period: it is no longer published.
    later = {k["kid"] for k in directory_keys(xa_home, now + timedelta(days=40))}
    assert first not in later and second in later


def test_another_states_template_is_refused(xa_home: Path) -> None:
    with pytest.raises(EntryError, match="entry of XB, but this node speaks for XA"):
        _draft(xa_home, entry_dict("XB"))
    no_code = entry_dict("XA")
    del no_code["code"]
    with pytest.raises(EntryError, match="entry of no State"):
        _draft(xa_home, no_code)


def test_a_node_without_an_active_signing_key_cannot_draft(xa_home: Path) -> None:
    store = KeyStore(xa_home)
    kid = store.active_kid("signing")
    assert kid is not None
    store.revoke(kid, "test")
    with pytest.raises(EntryError, match="no active signing key"):
        _draft(xa_home, entry_dict("XA"))


def test_a_bad_template_names_the_file(xa_home: Path) -> None:
    template = entry_dict("XA")
    template["languages"] = ["xx"]
    with pytest.raises(EntryError, match=r"^xa-entry\.json: languages\.0: "):
        _draft(xa_home, template)


def test_a_node_signs_only_its_own_states_entry() -> None:
    xb = parse_entry(json.dumps(entry_dict("XB")).encode())
    check_own_entry(xb, "XB")
    with pytest.raises(EntryError, match="signs only its own entry"):
        check_own_entry(xb, "XA", source="xb-entry.json")
