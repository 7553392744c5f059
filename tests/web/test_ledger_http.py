"""The node's log served at /ledger/ in the tlog-tiles layout, and the ledger page.

The served log must be what a MemoryTree of the same leaves gives, byte for byte, bounded
by the latest signed checkpoint; ``hanoi ledger verify`` (a subprocess, over real HTTP)
must accept it; strict paths; static-file cache headers; the page for signed-in readers.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from hanoi.accounts.models import Role
from hanoi.accounts.service import add_user
from hanoi.crypto.cosignature import CosignatureSigner
from hanoi.crypto.keys import SigningKey
from hanoi.crypto.note import Signer, sign_note
from hanoi.db import Database
from hanoi.ledger import merkle, store
from hanoi.ledger.checkpoint import Checkpoint
from hanoi.ledger.models import LedgerCheckpoint
from hanoi.ledger.records import KINDS, LedgerRecord, new_record
from hanoi.ledger.tiles import (
    bundles_for_size,
    encode_bundle,
    tile_data,
    tiles_for_size,
)
from hanoi.web.deps import install, installed
from hanoi.web.i18n import speaking, translate
from hanoi.web.ledger import IMMUTABLE, SHORT_LIVED
from hanoi.web.pages.ledger import NO_SPLIT_VIEW, ledger_view, plain_summary, signature_lines
from tests.serving import served
from tests.web.conftest import sign_in

ORIGIN = "hanoi.example/XA"
HANOI = Path(sys.executable).parent / "hanoi"


@pytest.fixture
def log_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def signer(log_key: Ed25519PrivateKey) -> Signer:
    return Signer.for_key(ORIGIN, log_key)


def grow(db: Database, count: int, start: int = 0) -> list[LedgerRecord]:
    """Append ``count`` events and integrate them (no checkpoint)."""
    made = [
        new_record(KINDS[n % len(KINDS)], "XA", {"request": f"XA-2026-{n:06d}", "n": n})
        for n in range(start, start + count)
    ]
    with db.session() as session:
        for record in made:
            store.append(session, record)
    store.integrate_all(db, max_batch=128)
    return made


def reference(made: list[LedgerRecord]) -> merkle.MemoryTree:
    return merkle.MemoryTree(merkle.leaf_hash(r.leaf_bytes) for r in made)


# --- the tiles ------------------------------------------------------------------------------


def test_no_checkpoint_yet_serves_nothing(seeded_db: Database, client: TestClient) -> None:
    grow(seeded_db, 3)  # integrated, but no checkpoint signs them yet
    for path in ("checkpoint", "tile/0/000.p/3", "tile/entries/000.p/3"):
        response = client.get(f"/ledger/{path}")
        assert response.status_code == 404, path
        assert "immutable" not in response.headers.get("cache-control", "")


@pytest.mark.parametrize("size", [1, 256, 300])
def test_served_bytes_are_the_reference_tiles(
    seeded_db: Database, client: TestClient, signer: Signer, size: int
) -> None:
    made = grow(seeded_db, size)
    signed = store.sign_checkpoint(seeded_db, signer, ORIGIN)
    tree = reference(made)

    response = client.get("/ledger/checkpoint")
    assert response.status_code == 200
    assert response.content == signed.note
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == SHORT_LIVED

    for tile in tiles_for_size(size):
        response = client.get(f"/ledger/{tile.path}")
        assert response.status_code == 200, tile.path
        assert response.content == tile_data(tree, tile), tile.path
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers["cache-control"] == (IMMUTABLE if tile.full else SHORT_LIVED)
    for bundle in bundles_for_size(size):
        response = client.get(f"/ledger/{bundle.path}")
        assert response.status_code == 200, bundle.path
        first = bundle.first_entry
        expected = encode_bundle([r.leaf_bytes for r in made[first : first + bundle.width]])
        assert response.content == expected, bundle.path
        assert response.headers["cache-control"] == (IMMUTABLE if bundle.full else SHORT_LIVED)


def test_head_answers_the_get_headers_without_a_body(
    seeded_db: Database, client: TestClient, signer: Signer
) -> None:
    assert client.head("/ledger/checkpoint").status_code == 404  # nothing signed yet
    grow(seeded_db, 300)
    store.sign_checkpoint(seeded_db, signer, ORIGIN)
    for path in ("checkpoint", "tile/0/000", "tile/0/001.p/44", "tile/entries/001.p/44"):
        get, head = client.get(f"/ledger/{path}"), client.head(f"/ledger/{path}")
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-length"] == str(len(get.content)), path
        for name in ("content-type", "cache-control"):
            assert head.headers[name] == get.headers[name], (path, name)
    assert client.head("/ledger/tile/0/002").status_code == 404  # beyond the checkpoint
    assert client.head("/ledger/tile/0/x").status_code == 404


def test_only_what_the_latest_checkpoint_covers(
    seeded_db: Database, client: TestClient, signer: Signer
) -> None:
    made = grow(seeded_db, 300)
    store.sign_checkpoint(seeded_db, signer, ORIGIN)
    grow(seeded_db, 20, start=300)  # integrated after the checkpoint: not served yet
    tree = reference(made)

    # Narrower partial tiles (a client on an older checkpoint) are within the signed tree.
    for path in ("tile/0/001.p/10", "tile/0/001.p/44", "tile/entries/001.p/1"):
        assert client.get(f"/ledger/{path}").status_code == 200, path
    assert client.get("/ledger/tile/0/001.p/44").content == b"".join(
        tree.hash_at(0, i) for i in range(256, 300)
    )
    for path in (
        "tile/0/001.p/45",  # leaf 300 exists in the database, but no checkpoint covers it
        "tile/0/001.p/64",
        "tile/0/001",  # full tile 1 of level 0 does not exist at size 300
        "tile/entries/001.p/45",
        "tile/entries/001",
        "tile/0/002.p/1",
        "tile/1/000.p/2",  # level 1 holds one hash at size 300
        "tile/1/000",
        "tile/2/000.p/1",  # no level 2 at all
        "tile/0/x001/000",
        "tile/7/000",
    ):
        assert client.get(f"/ledger/{path}").status_code == 404, path

    # Once a checkpoint covers them, the new entries are served.
    store.sign_checkpoint(seeded_db, signer, ORIGIN)
    assert client.get("/ledger/tile/0/001.p/64").status_code == 200
    assert client.get("/ledger/tile/entries/001.p/64").status_code == 200


MALFORMED = [
    "tile/",
    "tile/0",
    "tile/0/",
    "tile/0/0",  # not three digits
    "tile/0/00",
    "tile/0/0000",
    "tile/0/x000/000",  # leading zero group
    "tile/0/001/000",  # only groups before the last start with x
    "tile/0/000.p/256",  # a full tile has no .p
    "tile/0/000.p/0",
    "tile/0/000.p/01",
    "tile/0/000.p/",
    "tile/0/000.p",
    "tile/00/000",
    "tile/8/000",
    "tile/-1/000",
    "tile/a/000",
    "tile/entries",
    "tile/entries/",
    "tile/entries/1",
    "tile/Entries/000",
    "tile/0/000/",
    "tile/0/000.p/1/",
    "tile/0/%30%30%30",
    "tile/0/.%2E/0/000",
    "tile/0/%2E%2E/0/000",
    "tile/entries/000%2Ep/1",
    "tile/0/000.P/1",
    "tile/0/x1000/000",
]


def test_malformed_paths_are_404(seeded_db: Database, client: TestClient, signer: Signer) -> None:
    # One log of 300 entries for every path: growing it is what takes the time.
    grow(seeded_db, 300)
    store.sign_checkpoint(seeded_db, signer, ORIGIN)
    served_wrongly = []
    for path in MALFORMED:
        response = client.get(f"/ledger/{path}", follow_redirects=False)
        if response.status_code != 404 or "immutable" in response.headers.get("cache-control", ""):
            served_wrongly.append((path, response.status_code))
    assert served_wrongly == []


def test_slash_variants_are_not_served(
    seeded_db: Database, client: TestClient, signer: Signer
) -> None:
    grow(seeded_db, 3)
    store.sign_checkpoint(seeded_db, signer, ORIGIN)
    # The app's usual trailing-slash redirect; a log client follows no redirects.
    for path in ("/ledger/checkpoint/", "/ledger/tile"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (307, 404), path
        assert not response.content.startswith(b"hanoi.example"), path


def test_no_sign_in_and_no_writing(seeded_db: Database, client: TestClient, signer: Signer) -> None:
    grow(seeded_db, 5)
    store.sign_checkpoint(seeded_db, signer, ORIGIN)
    assert client.get("/ledger/tile/entries/000.p/5").status_code == 200
    for method in ("POST", "PUT", "DELETE"):
        assert client.request(method, "/ledger/checkpoint").status_code == 405
        assert client.request(method, "/ledger/tile/0/000.p/5").status_code == 405


# --- the whole log, verified by the command line over HTTP ------------------------------------


def verify_cli(url: str, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HANOI), "ledger", "verify", "--log", url, "--key", key, "--origin", ORIGIN],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("size", [300, 600])
def test_cli_verifies_the_served_log(
    seeded_db: Database, app: FastAPI, signer: Signer, size: int
) -> None:
    grow(seeded_db, size)
    store.sign_checkpoint(seeded_db, signer, ORIGIN)
    grow(seeded_db, 7, start=size)  # beyond the checkpoint: must not disturb anything
    key = signer.verifier().key_string()
    with served(app) as port:
        url = f"http://127.0.0.1:{port}/ledger"
        done = verify_cli(url, key)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"{size} entries" in done.stdout
        assert "verified" in done.stdout

        other = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate())
        refused = verify_cli(url, other.verifier().key_string())
        assert refused.returncode != 0, refused.stdout

        # Someone with the database owner's rights gets past the append-only triggers and
        # rewrites one stored leaf hash: the tile served from it no longer matches the root.
        _forge(
            seeded_db,
            "ledger_hashes",
            "UPDATE ledger_hashes SET hash = :h WHERE level = 0 AND idx = 5",
        )
        altered = verify_cli(url, key)
        assert altered.returncode == 1, altered.stdout + altered.stderr
        assert "DOES NOT VERIFY" in altered.stdout and "tile/0/000" in altered.stdout


def _forge(db: Database, table: str, sql: str) -> None:
    """Change an append-only table as its owner could, triggers disabled or dropped."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql(f"DROP TRIGGER {table}_no_update")
        else:
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_change")
        connection.execute(text(sql), {"h": bytes(32)})


# --- the page -----------------------------------------------------------------------------


@pytest.fixture
def auditor(seeded_db: Database, seed_password: str) -> str:
    with seeded_db.session() as session:
        add_user(
            session,
            username="carol",
            password=seed_password,
            role=Role.AUDITOR,
            authority_code="XA-CA",
            display_name="Carol Auditor",
        )
    return "carol"


def _sign_in_any(client: TestClient, username: str, password: str) -> None:
    # Whatever the role's landing page: this helper asks only that the sign-in worked.
    from tests.web.conftest import csrf_of

    token = csrf_of(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_page_refused_when_signed_out(client: TestClient) -> None:
    response = client.get("/ledger", follow_redirects=False)
    assert response.status_code in (303, 403)
    assert response.headers.get("location") == "/sign-in?next=%2Fledger"


def test_page_for_an_auditor_with_the_node_key(
    seeded_db: Database,
    app: FastAPI,
    client: TestClient,
    auditor: str,
    seed_password: str,
    log_key: Ed25519PrivateKey,
    signer: Signer,
) -> None:
    grow(seeded_db, 300)
    signed = store.sign_checkpoint(seeded_db, signer, ORIGIN)
    grow(seeded_db, 2, start=300)
    # The node's own signing key signs the log under its origin.
    node = SimpleNamespace(
        state="XA", signing_key=SigningKey(log_key, "kid-1"), peers=SimpleNamespace(entries=dict)
    )
    install(app, replace(installed(app), node=node))
    _sign_in_any(client, auditor, seed_password)
    response = client.get("/ledger")
    assert response.status_code == 200, response.text
    html = response.text
    assert '<dd id="tree-size">302</dd>' in html
    assert '<td id="checkpoint-size">300</td>' in html
    assert signer.verifier().key_string() in html
    assert ORIGIN in html
    assert signed.note.decode().splitlines()[2] in html  # the root, in base64
    assert "<pre>" in html and NO_SPLIT_VIEW in html
    assert 'href="/ledger"' in html  # the nav link
    assert "No witness has cosigned" in html
    assert "asked of: every other State in the directory" in html


def test_page_for_an_officer_without_a_known_key(
    seeded_db: Database, client: TestClient, seed_password: str, signer: Signer
) -> None:
    grow(seeded_db, 4)
    store.sign_checkpoint(seeded_db, signer, ORIGIN)
    sign_in(client, "alice", seed_password)  # READ_REQUESTS
    html = client.get("/ledger").text
    assert '<dd id="tree-size">4</dd>' in html
    assert "verifier key for the log is not known" in html
    assert signer.verifier().key_string() not in html


def test_page_before_any_checkpoint(client: TestClient, auditor: str, seed_password: str) -> None:
    _sign_in_any(client, auditor, seed_password)
    html = client.get("/ledger").text
    assert '<dd id="tree-size">0</dd>' in html
    assert "No checkpoint signed yet" in html


# --- witnesses in the note ----------------------------------------------------------------


def _insert_checkpoint(db: Database, origin: str, size: int, root: bytes, note: bytes) -> None:
    with db.session() as session:
        session.add(
            LedgerCheckpoint(
                origin=origin,
                size=size,
                root=root,
                note=note.decode(),
                created_at=datetime.now(UTC),
            )
        )


def test_witnesses_listed_verified_and_unverified(seeded_db: Database, signer: Signer) -> None:
    made = grow(seeded_db, 10)
    root = reference(made).root()
    text = Checkpoint(origin=ORIGIN, size=10, root_hash=root).to_text()
    known = CosignatureSigner.for_key(
        "witness.example/XB", Ed25519PrivateKey.generate(), clock=lambda: 1_780_000_000
    )
    stranger = CosignatureSigner.for_key("witness.example/XC", Ed25519PrivateKey.generate())
    note = sign_note(text, [signer, known, stranger])
    _insert_checkpoint(seeded_db, ORIGIN, 10, root, note)

    names = [name for name, _ in signature_lines(note)]
    assert names == [ORIGIN, "witness.example/XB", "witness.example/XC"]

    view = ledger_view(seeded_db, signer.verifier(), [known.verifier()])
    assert view.verifier_key == signer.verifier().key_string()
    assert not view.alerts
    assert [(w.name, w.verified) for w in view.witnesses] == [
        ("witness.example/XB", True),
        ("witness.example/XC", False),
    ]
    assert view.witnesses[0].cosigned_at == datetime.fromtimestamp(1_780_000_000, UTC)

    # No log key known: every line but the log's own is an unverified cosignature.
    blind = ledger_view(seeded_db, None)
    assert [(w.name, w.verified) for w in blind.witnesses] == [
        ("witness.example/XB", False),
        ("witness.example/XC", False),
    ]
    assert blind.verifier_key is None and blind.alerts

    # A wrong key for the log is an alert, and no verifier key is shown.
    wrong = Signer.for_key(ORIGIN, Ed25519PrivateKey.generate()).verifier()
    refused = ledger_view(seeded_db, wrong, [known.verifier()])
    assert refused.verifier_key is None
    assert refused.alerts


def said_in(lang: str, summary: list[list[Any]]) -> list[str]:
    """The summary's paragraphs as a page in ``lang`` writes them."""
    with speaking(lang):
        return [" ".join(unescape(translate(s)) for s in paragraph) for paragraph in summary]


def test_the_page_says_in_words_how_far_the_log_can_be_trusted(
    seeded_db: Database, signer: Signer
) -> None:
    grow(seeded_db, 5)
    assert said_in("en", plain_summary(ledger_view(seeded_db, signer.verifier()), 1)) == [
        "This node's log holds 5 entries: every request sent, received or acted on and every "
        "evidence step, each as a salted commitment that reveals nothing of the case.",
        "The node has not signed the log yet: nothing in it can be proved so far.",
    ]
    signed = store.sign_checkpoint(seeded_db, signer, ORIGIN)
    grow(seeded_db, 1, start=5)
    summary = plain_summary(ledger_view(seeded_db, signer.verifier()), 1)
    said = said_in("en", summary)
    at = signed.created_at.astimezone(UTC)
    assert said[1] == (
        f"The node last signed it on {at.day} {at:%b %Y, %H:%M} UTC, covering "
        "5 entries. The one newer entry is covered at the next signature."
    )
    assert said[2].startswith("No other State has countersigned that signature yet (1 needed)")
    # The same words in French, the date the French way.
    months = ["janv.", "févr.", "mars", "avr.", "mai", "juin"]
    months += ["juil.", "août", "sept.", "oct.", "nov.", "déc."]
    assert said_in("fr", summary)[1] == (
        f"Le nœud l'a signé pour la dernière fois le {at.day} {months[at.month - 1]} "
        f"{at:%Y, %H:%M} UTC, couvrant 5 entrées. L'entrée plus récente (1) sera couverte à la "
        "prochaine signature."
    )
