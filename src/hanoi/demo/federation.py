"""Build the demo federation in one folder: the Secretariat and the nodes of XA, XB, XC.

```
<home>/secretariat/   the Secretariat's node; its TUF repository in secretariat/repository
<home>/XA/ XB/ XC/    one node each: keys, node.json, database, verified directory copy
```

Everything is made the way an operator would make it (node keys, delegations, entries
signed by each State's own node key, a published directory with the fictional treaty
record beside the entries, a pinned root), only in one step; what already exists is kept,
so a second run reuses the same federation. Each entry's treaty status is drawn from the
fictional record, so entries and record agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hanoi.config import Settings, load_settings
from hanoi.crypto.jwk import ed25519_from_jwk
from hanoi.crypto.keys import KeyStore
from hanoi.db import Database, upgrade
from hanoi.demo.seed import demo_authorities, seed_demo_node
from hanoi.directory.client import DirectoryClient
from hanoi.directory.draft import draft_entry
from hanoi.directory.fixture import load_fixture_directory
from hanoi.directory.repository import SecretariatRepository, sign_entry
from hanoi.node import create_node, directory_keys, has_node, read_node
from hanoi.treaty import demo_record
from hanoi.treaty.standing import standing

DEMO_STATES = ("XA", "XB", "XC")
SECRETARIAT = "secretariat"


@dataclass(frozen=True)
class DemoNode:
    code: str
    name: str
    home: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass(frozen=True)
class DemoFederation:
    home: Path
    port_base: int
    database_urls: Mapping[str, str] = field(default_factory=dict)
    """Per State code, a database URL other than the node's SQLite file (e.g. PostgreSQL)."""

    @property
    def secretariat(self) -> DemoNode:
        return DemoNode("UN", "Secretariat (directory)", self.home / SECRETARIAT, self.port_base)

    @property
    def directory_url(self) -> str:
        return f"{self.secretariat.url}/directory/"

    @property
    def repository(self) -> SecretariatRepository:
        return SecretariatRepository(self.secretariat.home / "secretariat")

    @property
    def nodes(self) -> dict[str, DemoNode]:
        names = {s.code: s.name for s in load_fixture_directory().states}
        return {
            code: DemoNode(code, names[code], self.home / code, self.port_base + 1 + i)
            for i, code in enumerate(DEMO_STATES)
        }

    def settings(self, node: DemoNode) -> Settings:
        # Never HANOI_DATABASE_URL: the demo nodes must not share one database.
        url = self.database_urls.get(node.code) or f"sqlite:///{node.home / 'hanoi.db'}"
        return load_settings(node.home, url)

    def database(self, code: str) -> Database:
        return Database(self.settings(self.nodes[code]).database_url)


def build(federation: DemoFederation) -> None:
    """Create whatever part of the federation is missing (idempotent)."""
    federation.home.mkdir(parents=True, exist_ok=True)
    federation.home.chmod(0o700)
    secretariat = federation.secretariat
    load_settings(secretariat.home).ensure_home()
    # Its pages audit what they refuse, and its runtime writes the counted refusals out.
    upgrade(federation.settings(secretariat).database_url)
    repo_folder = secretariat.home / "secretariat"
    repo = (
        federation.repository
        if (repo_folder / "repository").exists()
        else SecretariatRepository.init(repo_folder)
    )
    published = False
    for node in federation.nodes.values():
        settings = federation.settings(node)
        settings.ensure_home()
        if not has_node(node.home):
            create_node(node.home, state=node.code, name=f"{node.name} node", url=node.url)
        upgrade(settings.database_url)
        database = Database(settings.database_url)
        try:
            seed_demo_node(database, node.code)
        finally:
            database.dispose()
        if node.code not in {d.code for d in repo.states()}:
            _hand_in(repo, node)
            published = True
    if published:
        repo.publish()
    # The fictional record, signed beside the entries (nothing changes if it is published).
    repo.publish_treaty_record(demo_record())
    root = repo.root_bytes(1)
    for node in federation.nodes.values():
        client = DirectoryClient(node.home, federation.directory_url)
        if not client.is_pinned:
            client.init(root)


def refresh_directories(federation: DemoFederation) -> None:
    """Each node fetches and verifies the directory (the Secretariat must be serving)."""
    for node in federation.nodes.values():
        DirectoryClient(node.home).refresh()


def _hand_in(repo: SecretariatRepository, node: DemoNode) -> None:
    keys = directory_keys(node.home)
    signing = [k for k in keys if k["crv"] == "Ed25519"]
    repo.add_state(node.code, [ed25519_from_jwk(k) for k in signing])
    info = read_node(node.home)
    entry = draft_entry(
        json.dumps(_template(node.code)).encode(),
        state=node.code,
        url=info.url,
        public_keys=keys,
        age_recipient=info.age_recipient,
        source=f"demo entry of {node.code}",
    )
    private, kid = KeyStore(node.home).signing_key()
    sign_entry(entry, private, kid=kid).write(repo.incoming_dir)


def _template(code: str) -> dict[str, Any]:
    info = load_fixture_directory().state(code)
    assert info is not None
    said = standing(demo_record(), code, datetime.now(UTC).date())
    treaty: dict[str, Any] = {"status": said.status}
    if said.signed_on is not None:
        treaty["signed_on"] = said.signed_on.isoformat()
    if said.instrument is not None and said.deposited_on is not None:
        treaty |= {
            "instrument": said.instrument,
            "instrument_deposited_on": said.deposited_on.isoformat(),
        }
    authorities = [
        {
            "kind": kind,
            "code": authority_code,
            "name": name,
            "hours": "24/7" if kind == "point_of_contact_24_7" else "Mon-Fri 09:00-17:00",
            "time_zone": info.time_zone,
            # Fictional addresses (RFC 2606 .example; a 555-01xx number): the States pages
            # show an authority's contact, so the demo's entries give one.
            "email": f"{authority_code.lower()}@{code.lower()}.example",
            "phone": f"+1 555 01{index:02d}",
        }
        for index, (authority_code, name, kind) in enumerate(
            demo_authorities(code), start=10 * DEMO_STATES.index(code)
        )
    ]
    return {
        "format": "hanoi.directory-entry/1",
        "code": code,
        "version": 1,
        "effective_from": "2026-01-01",
        "fictional": True,
        "names": {"en": info.name},
        "treaty": treaty | {"confidence": "unconfirmed"},
        "authorities": authorities,
        "languages": list(info.languages),
        "channels": ["platform"],
        "declarations": [],
        "node": {"url": "http://127.0.0.1", "public_keys": []},
    }


def check_ports(federation: DemoFederation) -> None:
    """Refuse a folder built for other ports: the directory holds the nodes' addresses."""
    from hanoi.demo.serving import DemoServeError

    for node in federation.nodes.values():
        if has_node(node.home) and read_node(node.home).url != node.url:
            raise DemoServeError(
                f"{node.home} was built for {read_node(node.home).url}: use the same "
                "--port-base, or another --home"
            )
