"""`hanoi.node`: node.json beside the key store, read and written without the CLI."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from hanoi.crypto import KeyStore
from hanoi.node import (
    NodeError,
    NodeFieldError,
    NodeInfo,
    create_node,
    directory_keys,
    read_node,
    sync_kids,
    write_node,
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "xa"
    folder.mkdir()
    return folder


def test_create_then_read(home: Path) -> None:
    made = create_node(home, state="XA", name="  Arcadia   node ", url="https://xa.example")
    assert made.name == "Arcadia node"
    read = read_node(home)
    assert read == made
    store = KeyStore(home)
    assert read.kids == {
        "signing": store.active_kid("signing"),
        "encryption": store.active_kid("encryption"),
    }
    assert read.age_recipient == store.age_recipient()
    raw = json.loads((home / "node.json").read_text())
    assert set(raw) == {"state", "name", "url", "kids", "age_recipient", "created"}
    assert stat.S_IMODE((home / "node.json").stat().st_mode) == 0o600


def test_never_replaced_by_accident(home: Path) -> None:
    create_node(home, state="XA", name="Arcadia node", url="https://xa.example")
    before = (home / "node.json").read_bytes()
    with pytest.raises(NodeError, match="already has a node identity"):
        create_node(home, state="XB", name="Other", url="https://xb.example")
    with pytest.raises(NodeError, match="already has a node identity"):
        write_node(home, read_node(home).model_copy(update={"state": "XB"}), overwrite=False)
    assert (home / "node.json").read_bytes() == before
    assert [p.name for p in home.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("state", "xa", "two capital letters"),
        ("name", " ", "cannot be empty"),
        ("url", "ftp://xa.example", "http:// or https://"),
        ("url", "https://u:p@xa.example", "no user name or password"),
        ("url", "https://xa.example:99999", "invalid port"),
    ],
)
def test_bad_values_name_their_field(home: Path, field: str, value: str, reason: str) -> None:
    values = {"state": "XA", "name": "Arcadia node", "url": "https://xa.example", field: value}
    with pytest.raises(NodeFieldError, match=reason) as caught:
        create_node(home, **values)
    assert caught.value.field == field
    assert not (home / "node.json").exists() and not (home / "keys").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no node identity in"),
        ("{", "not readable JSON"),
        ('{"state": "XA"}', "state, name and url are missing"),
        (
            '{"state": "XA", "name": "N", "url": "gopher://x", "kids": {}}',
            "url: must be an http:// or https://",
        ),
        ('{"state": "XA", "name": "N", "url": "https://x.example", "extra": 1}', "extra"),
    ],
)
def test_damaged_node_json_is_one_line(home: Path, content: str | None, message: str) -> None:
    if content is not None:
        (home / "node.json").write_text(content)
    with pytest.raises(NodeError, match=message) as caught:
        read_node(home)
    assert "\n" not in str(caught.value)


def test_sync_kids_follows_rotation_and_directory_keys_follow_status(home: Path) -> None:
    create_node(home, state="XA", name="Arcadia node", url="https://xa.example")
    store = KeyStore(home)
    old = store.active_kid("signing")
    store.rotate("signing", timedelta(days=1))
    new = store.active_kid("signing")
    assert read_node(home).kids["signing"] == old
    assert sync_kids(home).kids["signing"] == new == read_node(home).kids["signing"]
    published = {k["kid"]: k["status"] for k in directory_keys(home)}
    assert published[old] == "grace" and published[new] == "active"
    assert all("d" not in k for k in directory_keys(home))
    store.revoke(new, "test")
    assert new not in {k["kid"] for k in directory_keys(home)}


def test_the_model_refuses_what_read_node_refuses() -> None:
    with pytest.raises(ValueError, match="two capital letters"):
        NodeInfo(state="X", name="N", url="https://x.example", kids={})
