"""The depositary record in the signed directory: the Secretariat publishes it beside the
entries, every node gets it with a refresh, under the same checks, and refuses a tampered
or rolled-back one, keeping its last good copy; where an entry disagrees, the record wins."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hanoi.config import load_settings
from hanoi.db import Database
from hanoi.directory.client import DirectoryClient
from hanoi.directory.errors import DirectoryCacheError, DirectoryVerificationError
from hanoi.directory.local_copy import LocalCopy
from hanoi.directory.repository import SecretariatRepository
from hanoi.directory.view import DirectoryView
from hanoi.treaty import demo_record, shipped_record
from hanoi.treaty.record import Action, ActionKind, TreatyRecord, dump_record
from hanoi.treaty.standing import disagreements
from hanoi.web.app import create_app
from tests.cli.test_cli import expect, hanoi
from tests.directory.conftest import World, published_file, tree_digest
from tests.raising import raises_check
from tests.web.conftest import sign_in

TODAY = datetime.now(UTC).date()


def _with_xc(record: TreatyRecord) -> TreatyRecord:
    """``record`` with one more row (XC ratifies): a second, different version of it."""
    row = Action(
        kind=ActionKind.RATIFICATION,
        date=date(2026, 11, 2),
        source="https://depositary.demo.invalid/treaty/XC",
        confidence="confirmed",
    )
    return record.with_action("XC", row)


def _refresh_fails(node: DirectoryClient, expected: str, record: TreatyRecord) -> None:
    before = tree_digest(node.current)
    with raises_check(DirectoryVerificationError, "refresh") as caught:
        node.refresh()
    assert str(caught.value).startswith(expected), caught.value
    assert tree_digest(node.current) == before, "the last good copy changed"
    assert node.copy.treaty_record() == record
    assert not list(node.folder.glob(".staging-*")), "something half-written was left"


def test_published_record_reaches_the_node_verified(world: World) -> None:
    demo = demo_record()
    published = world.repo.publish_treaty_record(demo)
    assert published.changed
    assert world.repo.published_treaty_record() == dump_record(demo)
    # Listed by the Secretariat's own targets metadata, not by a State's.
    assert "treaty/record.yaml" in world.repo.targets().targets
    node = world.node()
    status = node.refresh()
    assert status.treaty_record == published.sha256
    assert node.status().treaty_record == published.sha256
    assert (node.current / "targets" / "treaty" / "record.yaml").read_bytes() == dump_record(demo)
    assert LocalCopy(node.home).treaty_record() == demo
    view = DirectoryView(node.home)
    assert view.treaty_record() == demo == view.states().treaty
    # Publishing the same record again changes nothing.
    again = world.repo.publish_treaty_record(demo)
    assert not again.changed
    assert (again.snapshot_version, again.sha256) == (
        published.snapshot_version,
        published.sha256,
    )


def test_a_node_with_no_record_yet_says_so_and_checks_with_the_shipped_one(
    world: World,
) -> None:
    node = world.node()
    assert node.refresh().treaty_record is None
    assert LocalCopy(node.home).treaty_record() is None
    view = DirectoryView(node.home)
    assert view.signed_treaty_record() is None
    assert view.treaty_record() == shipped_record() == view.states().treaty
    run = expect(hanoi(world.tmp, "directory", "show", "--home", str(node.home)), 0)
    assert "No treaty record in this copy: the Secretariat has published none yet" in run.out
    run = expect(hanoi(world.tmp, "directory", "refresh", "--home", str(node.home)), 0)
    assert run.out.splitlines()[-1] == "No treaty record published yet."


def test_a_tampered_record_is_refused_and_the_last_good_one_kept(world: World) -> None:
    demo = demo_record()
    world.repo.publish_treaty_record(demo)
    node = world.node()
    node.refresh()
    world.repo.publish_treaty_record(_with_xc(demo))
    newest = max(
        (world.repo.targets_dir / "treaty").glob("*.record.yaml"),
        key=lambda p: p.stat().st_mtime_ns,
    )
    data = bytearray(newest.read_bytes())
    data[200] ^= 0x01  # one byte, behind TUF's back
    newest.write_bytes(bytes(data))
    _refresh_fails(node, "treaty/record.yaml: length or hash mismatch", demo)


def test_a_rolled_back_record_is_refused_and_the_newer_one_kept(world: World) -> None:
    demo = demo_record()
    world.repo.publish_treaty_record(demo)
    older = world.tmp / "older-repository"
    shutil.copytree(world.repo.repository_dir, older)
    newer = _with_xc(demo)
    world.repo.publish_treaty_record(newer)
    node = world.node()
    node.refresh()
    assert node.copy.treaty_record() == newer
    # The server goes back to the whole older repository: snapshot, timestamp, record.
    shutil.rmtree(world.repo.repository_dir)
    shutil.copytree(older, world.repo.repository_dir)
    _refresh_fails(node, "timestamp.json: older or unexpected version refused", newer)


def test_an_older_snapshot_listing_the_older_record_is_refused(world: World) -> None:
    demo = demo_record()
    world.repo.publish_treaty_record(demo)
    node = world.node()
    node.refresh()
    old_snapshot = published_file(world.repo, "*.snapshot.json").read_bytes()
    world.repo.publish_treaty_record(_with_xc(demo))
    published_file(world.repo, "*.snapshot.json").write_bytes(old_snapshot)
    _refresh_fails(node, "snapshot.json: length or hash mismatch", demo)


def test_a_record_changed_on_the_nodes_disk_is_not_believed(world: World) -> None:
    world.repo.publish_treaty_record(demo_record())
    node = world.node()
    node.refresh()
    path = node.current / "targets" / "treaty" / "record.yaml"
    path.write_bytes(path.read_bytes().replace(b"Arcadia", b"Arkadia"))
    with pytest.raises(DirectoryCacheError, match="changed on disk since it was verified"):
        LocalCopy(node.home).treaty_record()


def test_where_an_entry_disagrees_the_record_wins_and_the_node_says_so(world: World) -> None:
    # The demo record: XA ratified on 2026-01-15 (its entry says 2026-02-23), XB accepted on
    # 2026-02-02 (its entry says it only signed).
    demo = demo_record()
    world.repo.publish_treaty_record(demo)
    node = world.node()
    node.refresh()
    xb = node.verified_entry("XB")
    assert xb is not None and xb.treaty.status == "signatory"
    found = {(d.code, d.field): d for d in disagreements("XB", xb.treaty, demo, TODAY)}
    assert found[("XB", "status")].record == "party"
    # What the checker and the letters read: the record's status.
    states = DirectoryView(node.home).states()
    info = states.state("XB")
    assert info is not None and info.status == "party"

    home = str(node.home)
    table = expect(hanoi(world.tmp, "directory", "show", "--home", home), 0).out
    assert "RECORD WINS: XB: its directory entry says status signatory, the treaty record" in table
    assert "XA: its directory entry says instrument_deposited_on 2026-02-23, the treaty" in table
    assert "Treaty record: verified, sha256" in table
    one = expect(hanoi(world.tmp, "directory", "show", "XB", "--home", home), 0).out
    assert "RECORD WINS: XB" in one
    run = expect(hanoi(world.tmp, "directory", "show", "--json", "--home", home), 0)
    entries = json.loads(run.out)  # standard output stays the entries as signed
    assert {e["code"]: e["treaty"]["status"] for e in entries} == {
        "XA": "party",
        "XB": "signatory",
    }
    assert (
        "warning: XB: its directory entry says status signatory, the treaty record says party; "
        "the record wins" in run.err.splitlines()
    )


def test_the_secretariat_publishes_with_the_cli(tmp_path: Path) -> None:
    home = str(tmp_path / "unodc")
    expect(hanoi(tmp_path, "directory", "init", "--home", home), 0)
    repo = SecretariatRepository(tmp_path / "unodc" / "secretariat")
    run = expect(hanoi(tmp_path, "treaty", "publish", "--demo", "--home", home, "--json"), 0)
    data = json.loads(run.out)
    assert data["fictional"] is True and data["changed"] is True
    assert repo.published_treaty_record() == dump_record(demo_record())
    again = expect(hanoi(tmp_path, "treaty", "publish", "--demo", "--home", home), 0).out
    assert "is already published" in again
    # With no record of its own, the Secretariat publishes the one shipped with Hanoi.
    run = expect(hanoi(tmp_path, "treaty", "publish", "--home", home, "--json"), 0)
    assert json.loads(run.out)["fictional"] is False
    assert repo.published_treaty_record() == dump_record(shipped_record())


def test_standing_reads_the_record_on_a_day() -> None:
    from hanoi.treaty.standing import standing

    demo = demo_record()
    assert standing(demo, "XA", date(2026, 1, 14)).status == "signatory"
    assert standing(demo, "XA", date(2026, 1, 15)).status == "party"
    assert standing(demo, "XC", TODAY).status == "signatory"
    absent = standing(demo, "FR", TODAY)
    assert (absent.status, absent.listed) == ("none", False)


def test_the_states_pages_show_the_records_status_and_what_the_entry_says(
    world: World, seeded_db: Database, seed_password: str
) -> None:
    world.repo.publish_treaty_record(demo_record())
    node = world.node("web")
    node.refresh()
    settings = load_settings(home=node.home, database_url=seeded_db.url)
    app = create_app(settings, database=seeded_db, secure_cookies=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        sign_in(client, "alice", seed_password)
        listing = client.get("/states").text
        assert "where a State's own entry says otherwise, the record wins" in listing
        assert "its entry says: signatory" in listing  # XB: the record says party
        page = client.get("/states/XB").text
        assert "The depositary record signed by the Secretariat says: party." in page
        french = client.get("/states/XB", headers={"Accept-Language": "fr"}).text
        assert "sa fiche indique" not in french  # (the listing's phrase)
        assert "le registre l'emporte" in french


def test_the_states_page_says_when_no_record_is_published(
    world: World, seeded_db: Database, seed_password: str
) -> None:
    node = world.node("web-none")
    node.refresh()
    settings = load_settings(home=node.home, database_url=seeded_db.url)
    app = create_app(settings, database=seeded_db, secure_cookies=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        sign_in(client, "alice", seed_password)
        listing = client.get("/states").text
        assert "No treaty record has been published in the directory yet" in listing
        assert "its entry says" not in listing


def test_the_treaty_page_shows_the_signed_copy_and_refuses_one_changed_on_disk(
    world: World, seeded_db: Database
) -> None:
    record = _with_xc(demo_record())
    world.repo.publish_treaty_record(record)
    node = world.node("page")
    node.refresh()
    settings = load_settings(home=node.home, database_url=seeded_db.url)
    app = create_app(settings, database=seeded_db, secure_cookies=False)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        shown = client.get("/treaty.json").json()
        assert shown["record"] == "signed"
        assert "XC" in {row["code"] for row in shown["states"]}
        # The copy is read back through its signed targets: a file changed by hand is not
        # shown as the record.
        copy = node.current / "targets" / "treaty" / "record.yaml"
        copy.write_bytes(copy.read_bytes().replace(b"XC", b"XD", 1))
        changed = client.get("/treaty.json")
        assert changed.status_code >= 500 or changed.json().get("record") != "signed"
        assert "XD" not in changed.text
