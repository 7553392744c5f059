"""The node's transparency log over HTTP, in the C2SP tlog-tiles layout (c2sp.org/tlog-tiles).

``/ledger/`` is a log prefix any tlog-tiles client can read, ``hanoi ledger verify --log
https://node/ledger`` among them::

    GET /ledger/checkpoint                  the latest signed checkpoint note
    GET /ledger/tile/<L>/<N>[.p/<W>]        hash tiles
    GET /ledger/tile/entries/<N>[.p/<W>]    entry bundles (the leaves' canonical JSON)

Everything is computed from the database (``ledger_hashes`` and ``ledger_entries``), and only
within the *latest signed checkpoint*: leaves integrated after it are not served until a
checkpoint covers them, so every byte served belongs to a tree whose root the node signed.

No sign-in: the log holds only salted commitments to case content, and being readable by
anyone (other States' witnesses, courts, mirrors) is its purpose. Answers are cacheable as
static files are: a full tile or bundle never changes, so it is ``immutable``; a partial one
may later be replaced by a wider one and the checkpoint moves on, so both are kept briefly.
Anything else (a malformed or non-canonical path, a tile beyond the checkpoint) is a plain
404, as a static file server would answer.
"""

from __future__ import annotations

from typing import cast

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from hanoi.ledger import store
from hanoi.ledger.merkle import Node
from hanoi.ledger.models import LedgerEntry
from hanoi.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    Bundle,
    Tile,
    TilePathError,
    encode_bundle,
    parse_tile_path,
    tile_data,
)
from hanoi.web.deps import Db

IMMUTABLE = "public, max-age=31536000, immutable"
"""Cache-Control of full tiles and bundles: their bytes can never change."""
SHORT_LIVED = "public, max-age=5"
"""Cache-Control of the checkpoint and partial tiles: replaced as the log grows."""
TILE_MEDIA_TYPE = "application/octet-stream"
CHECKPOINT_MEDIA_TYPE = "text/plain; charset=utf-8"

_entries = cast(Table, LedgerEntry.__table__)

router = APIRouter(prefix="/ledger", include_in_schema=False)


def _not_found(what: str) -> Response:
    # The app's default for pages is an HTML error page; a log prefix answers like a
    # static file server. No Cache-Control here: the app's ``no-store`` applies, since a
    # missing tile appears as soon as a checkpoint covers it.
    return Response(f"{what}: not found\n", status_code=404, media_type="text/plain")


@router.get("/checkpoint")
def checkpoint(db: Db) -> Response:
    """The latest signed checkpoint, as the signed note the node wrote."""
    with db.session() as session:
        latest = store.latest_checkpoint(session)
    if latest is None:
        return _not_found("checkpoint")
    return Response(
        latest.note,
        media_type=CHECKPOINT_MEDIA_TYPE,
        headers={"Cache-Control": SHORT_LIVED},
    )


@router.get("/tile/{rest:path}")
def tile(request: Request, rest: str, db: Db) -> Response:
    """A hash tile or an entry bundle of the tree the latest checkpoint signed."""
    path = f"tile/{rest}"
    try:
        wanted = parse_tile_path(path)
    except TilePathError:
        return _not_found(path[:200])
    if not _raw_path(request).endswith("/" + path):
        # Only the canonical spelling, as sent: not a percent-encoded variant of it.
        return _not_found(path)
    with db.session() as session:
        latest = store.latest_checkpoint(session)
        size = 0 if latest is None else latest.size
        if not covered(wanted, size):
            return _not_found(path)
        if isinstance(wanted, Tile):
            data = hash_tile_bytes(session, wanted)
        else:
            data = bundle_bytes(session, wanted)
    return Response(
        data,
        media_type=TILE_MEDIA_TYPE,
        headers={"Cache-Control": IMMUTABLE if wanted.full else SHORT_LIVED},
    )


@router.head("/checkpoint")
def checkpoint_head(db: Db) -> Response:
    """What GET /ledger/checkpoint would answer, headers only (for caches and mirrors)."""
    return _headers_only(checkpoint(db))


@router.head("/tile/{rest:path}")
def tile_head(request: Request, rest: str, db: Db) -> Response:
    """What GET would answer for this tile or bundle, headers only."""
    return _headers_only(tile(request, rest, db))


def _headers_only(answer: Response) -> Response:
    # The GET answer's headers as they are, Content-Length included, and no body.
    return Response(status_code=answer.status_code, headers=dict(answer.headers))


def _raw_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    if isinstance(raw, bytes):
        return raw.decode("latin-1")
    return request.url.path


def covered(wanted: Tile | Bundle, size: int) -> bool:
    """Whether every hash or entry of ``wanted`` lies within the tree of ``size`` leaves.

    A partial tile narrower than the latest one of its level is still covered: its hashes
    are full subtrees of the signed tree (a client on an older checkpoint asks for it).
    """
    available = size >> (TILE_HEIGHT * wanted.level) if isinstance(wanted, Tile) else size
    return wanted.index * TILE_WIDTH + wanted.width <= available


def hash_tile_bytes(session: Session, wanted: Tile) -> bytes:
    """The bytes of hash tile ``wanted``, its hashes read in one query."""
    reader = store.DbHashReader(session)
    level = wanted.level * TILE_HEIGHT
    first = wanted.index * TILE_WIDTH
    reader.prefetch(Node(level, first + i) for i in range(wanted.width))
    return tile_data(reader, wanted)


def bundle_bytes(session: Session, wanted: Bundle) -> bytes:
    """The entry bundle ``wanted``: the stored leaf bytes of its entries, in order."""
    first = wanted.first_entry
    rows = session.execute(
        select(_entries.c.seq, _entries.c.leaf)
        .where(_entries.c.seq >= first, _entries.c.seq < first + wanted.width)
        .order_by(_entries.c.seq)
    ).all()
    if [row.seq for row in rows] != list(range(first, first + wanted.width)):
        # The checkpoint covers these entries, so they must be stored: fsck's business.
        raise store.StoreError(
            f"{wanted.path}: entries missing from ledger_entries", check="entries"
        )
    return encode_bundle([bytes(row.leaf) for row in rows])


__all__ = [
    "IMMUTABLE",
    "SHORT_LIVED",
    "bundle_bytes",
    "covered",
    "hash_tile_bytes",
    "router",
]
