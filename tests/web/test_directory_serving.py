"""The Secretariat's node serves its signed directory under /directory/: the files as they
are, nothing outside the repository folder, and a real node refreshes from it over HTTP."""

from __future__ import annotations

import http.client
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hanoi.config import load_settings
from hanoi.db import Database
from hanoi.directory.client import DirectoryClient
from hanoi.directory.repository import SecretariatRepository, sign_entry
from hanoi.web.app import create_app
from tests.directory.conftest import entry_bytes, entry_dict, state_key
from tests.serving import served


@dataclass
class SecretariatNode:
    home: Path
    repo: SecretariatRepository
    port: int

    def get(self, target: str, method: str = "GET") -> tuple[int, bytes, dict[str, str]]:
        """One request with ``target`` sent exactly as written (no dot-segment clean-up)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, target)
            response = conn.getresponse()
            return response.status, response.read(), dict(response.getheaders())
        finally:
            conn.close()


def _publish_two_states(home: Path) -> SecretariatRepository:
    repo = SecretariatRepository.init(home / "secretariat")
    for code in ("XA", "XB"):
        repo.add_state(code, [state_key(code).public_key()])
    folders = []
    for code in ("XA", "XB"):
        folder = home.parent / f"handed-{code}"
        sign_entry(entry_bytes(entry_dict(code)), state_key(code), version=1).write(folder)
        folders.append(folder)
    repo.publish(folders)
    return repo


@pytest.fixture
def secretariat_node(tmp_path: Path) -> Iterator[SecretariatNode]:
    """A node whose home holds a published Secretariat repository, served by uvicorn."""
    home = tmp_path / "unodc"
    settings = load_settings(home=home)
    settings.ensure_home()
    repo = _publish_two_states(home)
    db = Database(settings.database_url)
    try:
        with served(create_app(settings, database=db, secure_cookies=False)) as port:
            yield SecretariatNode(home, repo, port)
    finally:
        db.dispose()


def test_published_files_are_served_byte_for_byte(secretariat_node: SecretariatNode) -> None:
    repo = secretariat_node.repo
    for name in ("timestamp.json", "1.root.json", "2.snapshot.json"):
        status, body, headers = secretariat_node.get(f"/directory/metadata/{name}")
        assert status == 200, name
        assert body == (repo.metadata_dir / name).read_bytes()
        assert headers["content-type"].startswith("application/json")
    # Dot segments are resolved by the file server itself, inside the repository only.
    status, body, _ = secretariat_node.get("/directory/targets/../metadata/timestamp.json")
    assert (status, body) == (200, (repo.metadata_dir / "timestamp.json").read_bytes())
    (entry_file,) = (repo.targets_dir / "states" / "XA").iterdir()
    status, body, _ = secretariat_node.get(f"/directory/targets/states/XA/{entry_file.name}")
    assert (status, body) == (200, entry_file.read_bytes())


@pytest.mark.parametrize(
    "target",
    [
        "/directory/../keys/online/timestamp.pem",
        "/directory/metadata/../../keys/online/timestamp.pem",
        "/directory/%2e%2e/keys/online/timestamp.pem",
        "/directory/..%2fkeys%2fonline%2ftimestamp.pem",
        "/directory/%2e%2e%2f%2e%2e%2fsecret.key",
        "/directory//etc/passwd",
    ],
)
def test_nothing_outside_the_repository_is_served(
    secretariat_node: SecretariatNode, target: str
) -> None:
    key = (secretariat_node.repo.keys_dir / "online" / "timestamp.pem").read_bytes()
    status, body, _ = secretariat_node.get(target)
    assert status in (400, 404), (target, status)
    assert b"PRIVATE KEY" not in body and key not in body


def test_no_listing_no_symlink_out_no_writing(secretariat_node: SecretariatNode) -> None:
    repo = secretariat_node.repo
    for folder in ("/directory/metadata/", "/directory/targets/states/XA/"):
        status, body, _ = secretariat_node.get(folder)
        assert status == 404, folder
        assert b"timestamp.json" not in body and b".entry.json" not in body
    # The address itself is a page saying what it is (test below), not a listing.
    status, body, _ = secretariat_node.get("/directory/")
    assert status == 200 and b".entry.json" not in body and b".pem" not in body
    # A link placed in the repository that leads to the keys is not followed.
    os.symlink(repo.keys_dir / "online" / "timestamp.pem", repo.metadata_dir / "leak.pem")
    status, body, _ = secretariat_node.get("/directory/metadata/leak.pem")
    assert status == 404 and b"PRIVATE KEY" not in body
    before = (repo.metadata_dir / "timestamp.json").read_bytes()
    for method in ("PUT", "POST", "DELETE"):
        status, _, _ = secretariat_node.get("/directory/metadata/timestamp.json", method)
        assert status == 405, method
    assert (repo.metadata_dir / "timestamp.json").read_bytes() == before


def test_the_directory_address_is_a_page_naming_its_files_and_states(
    secretariat_node: SecretariatNode,
) -> None:
    """The address nodes pin (and `hanoi demo` prints) answers a person with a page."""
    status, body, headers = secretariat_node.get("/directory/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    text = body.decode()
    assert "Directory of States" in text
    assert 'href="metadata/timestamp.json"' in text and 'href="metadata/1.root.json"' in text
    assert "<td>XA</td><td>1</td>" in text and "<td>XB</td><td>1</td>" in text
    # Without the trailing slash it is no page (the links inside are relative to it).
    status, _, _ = secretariat_node.get("/directory")
    assert status in (307, 404)


def test_a_node_refreshes_from_the_secretariat_node(
    secretariat_node: SecretariatNode, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{secretariat_node.port}/directory/"
    client = DirectoryClient(tmp_path / "xa-node", url=url)
    client.init(secretariat_node.repo.root_bytes(1))
    status = client.refresh()
    assert status.states == ("XA", "XB") and status.url == url
    xb = client.entry("XB")
    assert xb is not None and xb.languages == tuple(entry_dict("XB")["languages"])


def test_a_node_without_a_repository_serves_no_directory(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "plain")
    db = Database(settings.database_url)
    try:
        with TestClient(
            create_app(settings, database=db, secure_cookies=False), base_url="http://127.0.0.1"
        ) as client:
            assert client.get("/directory/metadata/timestamp.json").status_code == 404
    finally:
        db.dispose()
