"""Shared pieces for the directory tests: the demo States' keys and entries, a Secretariat
repository, and a real HTTP server on loopback serving its folder."""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoi.directory.client import DirectoryClient
from hanoi.directory.keys import load_private_key
from hanoi.directory.repository import SecretariatRepository, sign_entry

DATA = Path(__file__).resolve().parent / "data"


def state_key(code: str) -> Ed25519PrivateKey:
    return load_private_key(DATA / f"{code.lower()}-node-key.pem")


def entry_dict(code: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{code.lower()}-entry.json").read_text())
    return data


def entry_bytes(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry).encode()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Served:
    folder: Path
    url: str


def start_server(folder: Path) -> tuple[ThreadingHTTPServer, Served]:
    """A static file server for ``folder`` on a free loopback port, in a thread."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, Served(folder, f"http://127.0.0.1:{server.server_address[1]}/")


def stop_server(server: ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


@pytest.fixture
def serve() -> Iterator[Any]:
    """Serve folders over HTTP on a free loopback port; stopped at the end of the test."""
    servers: list[ThreadingHTTPServer] = []

    def start(folder: Path) -> Served:
        server, served = start_server(folder)
        servers.append(server)
        return served

    yield start
    for server in servers:
        stop_server(server)


@dataclass
class World:
    repo: SecretariatRepository
    served: Served
    tmp: Path

    def node(self, name: str = "node") -> DirectoryClient:
        client = DirectoryClient(self.tmp / name, url=self.served.url)
        if not client.is_pinned:
            client.init(self.repo.root_bytes(1))
        return client

    def hand_in(
        self,
        code: str,
        *,
        version: int,
        key: Ed25519PrivateKey | None = None,
        entry: dict[str, Any] | None = None,
    ) -> Path:
        signed = sign_entry(
            entry_bytes(entry if entry is not None else entry_dict(code)),
            key if key is not None else state_key(code),
            version=version,
        )
        folder = self.tmp / f"handed-{code}-{version}"
        signed.write(folder)
        return folder


@pytest.fixture
def world(tmp_path: Path, serve: Any) -> World:
    """A Secretariat with XA and XB delegated and both entries published, served on loopback."""
    repo = SecretariatRepository.init(tmp_path / "unodc")
    repo.add_state("XA", [state_key("XA").public_key()])
    repo.add_state("XB", [state_key("XB").public_key()])
    w = World(repo, serve(repo.repository_dir), tmp_path)
    repo.publish([w.hand_in("XA", version=1), w.hand_in("XB", version=1)])
    return w


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (following the ``current`` link) with its SHA-256."""
    root = folder.resolve()
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def published_file(repo: SecretariatRepository, pattern: str) -> Path:
    """The newest published file matching ``pattern`` (e.g. '*.snapshot.json')."""
    if not any(c in pattern for c in "*?["):
        return repo.metadata_dir / pattern
    if pattern.startswith("states/"):
        matches = sorted(repo.targets_dir.glob(pattern), key=lambda p: p.stat().st_mtime_ns)
    else:
        matches = sorted(repo.metadata_dir.glob(pattern), key=lambda p: int(p.name.split(".")[0]))
    assert matches, pattern
    return matches[-1]
