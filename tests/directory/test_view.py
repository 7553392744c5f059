"""The one cached reader of the verified directory: read once per copy, never stale after a
refresh, the demo fixture only where nothing is pinned; and what peers and evidence ask it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hanoi.crypto.jwk import ed25519_from_jwk
from hanoi.directory.client import DirectoryClient
from hanoi.directory.errors import DirectoryCacheError
from hanoi.directory.fixture import DirectoryFixtureError, load_directory_file
from hanoi.directory.local_copy import LocalCopy
from hanoi.directory.states import StateDirectory, StateInfo
from hanoi.directory.view import DirectoryView, node_directory
from hanoi.evidence.service import RecipientError, directory_keys, recipient_for
from hanoi.exchange.errors import NoDirectory
from hanoi.exchange.peers import Peers
from tests.directory.conftest import World, entry_dict


def _republish_xa(world: World, version: int, **changes: Any) -> None:
    entry = entry_dict("XA")
    entry.update(version=version, **changes)
    world.repo.publish([world.hand_in("XA", version=version, entry=entry)])


def test_the_copy_is_read_once_until_it_changes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = world.node()
    node.refresh()
    reads = 0
    real = LocalCopy.entries

    def counting(copy: LocalCopy) -> Any:
        nonlocal reads
        reads += 1
        return real(copy)

    monkeypatch.setattr(LocalCopy, "entries", counting)
    view = DirectoryView(node.home)
    for _ in range(3):
        assert set(view.entries()) == {"XA", "XB"}
        assert view.states().state("XB") is not None
        assert DirectoryView(node.home).entry("XA") is not None
    assert reads == 1
    node.refresh()
    assert set(view.entries()) == {"XA", "XB"}
    assert reads == 2, "a refresh is a new copy, read again"


def test_a_refresh_is_seen_at_once_never_the_stale_copy(world: World) -> None:
    node = world.node()
    node.refresh()
    view = DirectoryView(node.home)
    first = view.entry("XA")
    assert first is not None and first.version == 1
    assert view.states().acceptable_languages("XA") == tuple(entry_dict("XA")["languages"])
    _republish_xa(world, 2, languages=["fr"])
    # Another client object, as `hanoi directory refresh` in another process would be.
    DirectoryClient(node.home, url=world.served.url).refresh()
    second = view.entry("XA")
    assert second is not None and second.version == 2
    assert view.states().acceptable_languages("XA") == ("fr",)
    assert node_directory(node.home).acceptable_languages("XA") == ("fr",)


def test_a_refresh_is_seen_even_if_its_status_file_has_the_old_time(world: World) -> None:
    # A coarse file-system clock could give two refreshes the same mtime: the copy is known
    # by its generation folder too, which every refresh makes anew.
    node = world.node()
    node.refresh()
    view = DirectoryView(node.home)
    assert view.entry("XA") is not None
    old_stamp = view.stamp()
    _republish_xa(world, 2, languages=["es"])
    node.refresh()
    status = node.current / "status.json"
    os.utime(status, ns=(old_stamp[1], old_stamp[1]))
    assert view.stamp() != old_stamp
    assert view.states().acceptable_languages("XA") == ("es",)


def test_the_copy_is_read_without_tuf_and_checked_against_its_hashes(tmp_path: Path) -> None:
    """Reading the verified copy (the view, the client's ``verified_*``) takes JSON and
    hashlib: python-tuf is loaded by a refresh, not by looking a State up."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from hanoi.directory.view import DirectoryView\n"
        "view = DirectoryView(Path(sys.argv[1]))\n"
        "print(view.is_pinned, view.entry('XA'), view.stamp())\n"
        "print(*[m for m in ('tuf', 'securesystemslib', 'yaml') if m in sys.modules])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert proc.stdout.splitlines() == ["False None ('', 0)", ""], proc.stdout


def _damage(node: DirectoryClient, relative: str, change: Callable[[bytes], bytes]) -> None:
    path = node.current / relative
    path.write_bytes(change(path.read_bytes()))


@pytest.mark.parametrize(
    ("relative", "change", "problem"),
    [
        # The same length, one byte changed: only the hash tells.
        (
            "targets/states/XA/entry.json",
            lambda data: data.replace(b'"XA"', b'"XQ"', 1),
            "states/XA/entry.json: changed on disk since it was verified",
        ),
        (
            "targets/states/XA/entry.json",
            lambda data: data + b" ",
            "states/XA/entry.json: changed on disk since it was verified",
        ),
        (
            "metadata/states-XA.json",
            lambda data: data.replace(b'"sha256": "', b'"sha256": "0', 1),
            "states/XA/entry.json: changed on disk since it was verified",
        ),
        (
            "metadata/states-XA.json",
            lambda data: data.replace(b'"sha256"', b'"sha-none"', 1),
            "states/XA/entry.json: changed on disk since it was verified",
        ),
        (
            "metadata/states-XA.json",
            lambda data: data.replace(b'"length": ', b'"length": 1', 1),
            "states/XA/entry.json: changed on disk since it was verified",
        ),
        (
            "metadata/states-XA.json",
            lambda data: data.replace(b'"_type": "targets"', b'"_type": "snapshot"', 1),
            "states-XA.json: not targets metadata",
        ),
        ("metadata/states-XA.json", lambda data: data[:-2], "states-XA.json: not as it was"),
        ("metadata/states-XA.json", lambda data: b"[]", "states-XA.json: not as it was"),
        ("status.json", lambda data: b"{" * 100_000, "status.json: not as it was verified"),
        ("status.json", lambda data: b'{"states": "XA"}', "status.json: not as it was verified"),
    ],
)
def test_a_copy_changed_on_disk_is_refused_naming_the_file(
    world: World, relative: str, change: Callable[[bytes], bytes], problem: str
) -> None:
    node = world.node()
    node.refresh()
    _damage(node, relative, change)
    with pytest.raises(DirectoryCacheError, match=re.escape(problem)):
        node.verified_entry("XA")
    with pytest.raises(DirectoryCacheError, match=re.escape(problem)):
        node.verified_entries()
    # The view knows nobody from a copy it cannot believe (as with no copy at all): nothing
    # is sealed or sent on it.
    view = DirectoryView(node.home)
    assert view.entry("XA") is None and view.entries() == {}
    with pytest.raises(RecipientError, match="XA: no entry in effect"):
        recipient_for(view, "XA")


def test_a_file_missing_from_the_copy_is_named(world: World) -> None:
    node = world.node()
    node.refresh()
    (node.current / "metadata" / "states-XB.json").unlink()
    assert node.verified_entry("XA") is not None
    with pytest.raises(DirectoryCacheError, match=re.escape("states-XB.json: missing from")):
        node.verified_entry("XB")


def test_an_entry_leaving_its_window_is_dropped_when_the_day_changes(world: World) -> None:
    node = world.node()
    today = datetime.now(UTC).date()
    _republish_xa(world, 2, valid_until=today.isoformat())
    node.refresh()
    view = DirectoryView(node.home)
    now = datetime.now(UTC)
    assert view.entry("XA", now) is not None
    assert view.entry("XA", now + timedelta(days=1)) is None
    assert set(view.entries(now + timedelta(days=1))) == {"XB"}


def test_without_a_pinned_root_only_the_fixture_answers(tmp_path: Path) -> None:
    view = DirectoryView(tmp_path / "fresh")
    assert not view.is_pinned
    assert view.entries() == {} and view.entry("XA") is None
    assert {s.code for s in view.states().states} == {"XA", "XB", "XC"}
    assert view.signing_keys("XA", "any", datetime.now(UTC)) == []
    with pytest.raises(NoDirectory):
        Peers(tmp_path / "fresh").entries()
    with pytest.raises(RecipientError, match="has not pinned a directory"):
        recipient_for(view, "XA")


def test_pinned_but_never_refreshed_knows_no_entry(world: World) -> None:
    view = DirectoryView(world.node("pinned-only").home)
    assert view.is_pinned
    assert view.entries() == {} and view.states().states == ()


def test_signing_keys_follow_the_entry_and_the_signing_time(world: World) -> None:
    node = world.node()
    node.refresh()
    view = DirectoryView(node.home)
    listed = entry_dict("XB")["node"]["public_keys"]
    signing = next(k for k in listed if k["crv"] == "Ed25519")
    key = ed25519_from_jwk({"kty": "OKP", "crv": "Ed25519", "x": signing["x"]})
    now = datetime.now(UTC)
    assert view.signing_keys("XB", signing["kid"], now) == [key]
    assert view.signing_keys("XB", "not-a-kid", now) == []
    assert view.signing_keys("XQ", signing["kid"], now) == []
    assert Peers(node.home).signer_keys()("XB", signing["kid"], now) == [key]
    assert directory_keys(view, "XB")(signing["kid"], None) == [key]


def test_evidence_names_a_state_without_an_entry(world: World) -> None:
    node = world.node()
    node.refresh()
    with pytest.raises(RecipientError, match="XQ: no entry in effect in this node's directory"):
        recipient_for(DirectoryView(node.home), "XQ")


def test_a_state_directory_refuses_a_code_twice() -> None:
    info = StateInfo(
        code="XA",
        name="Arcadia",
        status="party",
        languages=("en",),
        central_authority="Ministry",
        point_of_contact_24_7="Desk",
        time_zone="UTC",
    )
    with pytest.raises(ValueError, match="duplicate State code 'XA'"):
        StateDirectory([info, info])


def test_the_fixture_file_refuses_a_code_twice(tmp_path: Path) -> None:
    state = (
        "  - {code: XA, name: Arcadia, status: party, languages: [en], "
        "central_authority: M, point_of_contact_24_7: D, time_zone: UTC}\n"
    )
    path = tmp_path / "states.yaml"
    path.write_text("fictional: true\nstates:\n" + state + state, encoding="utf-8")
    with pytest.raises(DirectoryFixtureError, match="duplicate State code 'XA'"):
        load_directory_file(path)
