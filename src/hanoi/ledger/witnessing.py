"""Witnessing between nodes: the witness kept in the database, and the log's client.

**As a witness** (:func:`witness_add_checkpoint`, behind ``POST /ledger/witness/add-
checkpoint``): the pure state machine :class:`~hanoi.ledger.witness.Witness` decides; this
module loads the one log's latest checkpoint from ``witness_logs``, and stores the new one
*before* the cosignature is handed back, by compare-and-set on the size and root it read.
Of two requests racing from the same old size, only one can advance: the other gets a
:class:`~hanoi.ledger.witness.OldSizeMismatch` (409) naming the size now held. A split view
is stored in ``witness_split_views`` and audited, then refused (409). The logs witnessed
are other States' logs, their keys derived from the verified directory
(:func:`known_logs`, :mod:`hanoi.ledger.keys`).

**As a log** (:func:`gather_cosignatures`): for this node's latest signed checkpoint, ask
every other State's witness to cosign it, from the size that witness last said it holds
(``witness_peers``) with the consistency proof from there; on a 409 take the size it
answers and retry once. Each cosignature line is checked with the witness's key derived
from its directory entry and stored in ``witness_cosignatures``.
:func:`hanoi.ledger.service.checkpoint_with_cosignatures` gives a checkpoint's note with
every stored cosignature appended, the form proofs carry.

No network call is made while a database transaction is open.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, cast

import httpx
from sqlalchemy import CursorResult, Table, Update, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hanoi.audit.service import record as audit_record
from hanoi.crypto.cosignature import CosignatureSigner, CosignatureVerifier, cosignatures_of
from hanoi.crypto.note import NoteError, NoteVerifier, open_note
from hanoi.db.base import utcnow
from hanoi.db.database import Database
from hanoi.directory.entry import Entry
from hanoi.errors import Unavailable
from hanoi.ledger import store
from hanoi.ledger.errors import LedgerError
from hanoi.ledger.keys import (
    NodeLogKeys,
    log_origin,
    log_verifiers_for_entry,
    witness_verifiers_for_entry,
)
from hanoi.ledger.witness import (
    SIZE_CONTENT_TYPE,
    MalformedWitnessResponse,
    OldSizeMismatch,
    SplitView,
    Witness,
    add_cosignatures,
    claimed_origin,
    make_add_checkpoint_request,
    parse_add_checkpoint_request,
)
from hanoi.ledger.witness_models import (
    WitnessCosignature,
    WitnessLog,
    WitnessPeer,
    WitnessSplitView,
)

#: Where a node's witness answers, below the node's URL.
ADD_CHECKPOINT_PATH = "/ledger/witness/add-checkpoint"
#: A witness's answer is a few cosignature lines; anything longer is refused unread.
MAX_RESPONSE_BYTES = 64 * 1024
SPLIT_VIEW_ACTION = "ledger.witness.split_view"

_logs = cast(Table, WitnessLog.__table__)
_split_views = cast(Table, WitnessSplitView.__table__)
_peers = cast(Table, WitnessPeer.__table__)
_cosignatures = cast(Table, WitnessCosignature.__table__)
_SIZE_BODY = re.compile(rb"(0|[1-9][0-9]{0,19})\n")


class WitnessingError(LedgerError, Unavailable):
    """A witness could not be asked, or did not cosign: unreachable, an answer that is not a
    cosignature, or a refusal. Asked again at the next round."""


# --- the witness side ------------------------------------------------------------------------


def known_logs(
    entries: Mapping[str, Entry], own_state: str, now: datetime | None = None
) -> dict[str, list[NoteVerifier]]:
    """The logs this node witnesses: every other State's, origin → its log keys."""
    logs: dict[str, list[NoteVerifier]] = {}
    for code, entry in entries.items():
        if code == own_state:
            continue
        verifiers: list[NoteVerifier] = list(log_verifiers_for_entry(entry, now))
        if verifiers:
            logs[log_origin(code)] = verifiers
    return logs


def witness_add_checkpoint(
    db: Database,
    signer: CosignatureSigner,
    logs: Mapping[str, Sequence[NoteVerifier]],
    body: bytes,
    *,
    now: int | None = None,
    remote_addr: str | None = None,
) -> bytes:
    """Answer one add-checkpoint request: the cosignature line(s), once the new latest
    checkpoint is stored. Raises a :class:`~hanoi.ledger.witness.WitnessError` whose
    ``status`` is the HTTP answer."""
    moment = int(time.time()) if now is None else now
    origin = claimed_origin(parse_add_checkpoint_request(body).checkpoint_note)
    with db.session() as session:
        held = _held(session, origin)
    state: dict[str, Any] = {"logs": {}, "split_views": []}
    if held is not None:
        state["logs"][origin] = held
    witness = Witness(signer, {origin: list(logs[origin])} if origin in logs else {}, state)
    try:
        answer = witness.add_checkpoint(body, moment)
    except SplitView as exc:
        _keep_split_view(db, exc, remote_addr)
        raise
    new = witness.state["logs"][origin]
    _compare_and_set(db, origin, held, new)
    return answer


def _held(session: Session, origin: str) -> dict[str, Any] | None:
    row = session.execute(
        select(_logs.c.size, _logs.c.root, _logs.c.note).where(_logs.c.origin == origin)
    ).one_or_none()
    if row is None:
        return None
    return {"size": row.size, "root": base64.b64encode(bytes(row.root)).decode(), "note": row.note}


def _compare_and_set(
    db: Database, origin: str, held: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> None:
    """Store ``new`` as ``origin``'s latest checkpoint only if ``held`` is still what the
    database holds; otherwise the request lost a race: 409 with the size held now."""

    values = {
        "size": int(new["size"]),
        "root": base64.b64decode(new["root"]),
        "note": str(new["note"]),
        "updated_at": utcnow(),
    }
    try:
        with db.session() as session:
            if held is None:
                session.execute(insert(_logs).values(origin=origin, **values))
                return
            changed = _rowcount(
                session,
                update(_logs)
                .where(
                    _logs.c.origin == origin,
                    _logs.c.size == int(held["size"]),
                    _logs.c.root == base64.b64decode(held["root"]),
                )
                .values(**values),
            )
            if changed == 1:
                return
    except IntegrityError:
        pass  # a first checkpoint of this log was stored meanwhile
    with db.session() as session:
        held_now = session.execute(
            select(_logs.c.size).where(_logs.c.origin == origin)
        ).scalar_one_or_none()
    size = 0 if held_now is None else int(held_now)
    raise OldSizeMismatch(
        f"another request advanced {origin[:60]!r} meanwhile; the latest size is {size}",
        origin,
        size,
    )


def _keep_split_view(db: Database, exc: SplitView, remote_addr: str | None) -> None:
    """Store both notes (once per presented note) and audit the alert."""
    digest = hashlib.sha256(exc.presented).digest()
    with db.session() as session:
        seen = session.execute(
            select(_split_views.c.id).where(
                _split_views.c.origin == exc.origin, _split_views.c.presented_sha256 == digest
            )
        ).first()
        if seen is not None:
            return
        session.execute(
            insert(_split_views).values(
                origin=exc.origin,
                size=exc.size,
                held_note=exc.held.decode("utf-8"),
                presented_note=exc.presented.decode("utf-8"),
                presented_sha256=digest,
                remote_addr=remote_addr[:64] if remote_addr else None,
                detected_at=utcnow(),
            )
        )
        audit_record(
            session,
            actor="system",
            action=SPLIT_VIEW_ACTION,
            target_type="ledger_log",
            target_id=exc.origin[:200],
            detail={
                "size": exc.size,
                "held_sha256": hashlib.sha256(exc.held).hexdigest(),
                "presented_sha256": digest.hex(),
            },
            remote_addr=remote_addr,
        )


@dataclass(frozen=True)
class SplitViewEvidence:
    origin: str
    size: int
    held_note: bytes
    presented_note: bytes
    detected_at: datetime


def split_views(db: Database, origin: str | None = None) -> list[SplitViewEvidence]:
    """The split views this witness has seen, oldest first (``origin``'s only if given)."""
    query = select(_split_views).order_by(_split_views.c.id)
    if origin is not None:
        query = query.where(_split_views.c.origin == origin)
    with db.session() as session:
        rows = session.execute(query).all()
    return [
        SplitViewEvidence(
            r.origin, r.size, r.held_note.encode(), r.presented_note.encode(), r.detected_at
        )
        for r in rows
    ]


def witnessed(db: Database, origin: str) -> tuple[int, bytes] | None:
    """(size, signed note) of the latest checkpoint of ``origin`` this witness cosigned."""
    with db.session() as session:
        row = session.execute(
            select(_logs.c.size, _logs.c.note).where(_logs.c.origin == origin)
        ).one_or_none()
    return None if row is None else (int(row.size), row.note.encode("utf-8"))


# --- the log side --------------------------------------------------------------------------


class EntrySource(Protocol):
    """Where the directory entries come from (:class:`hanoi.exchange.peers.Peers`)."""

    def entries(self, now: datetime | None = None) -> dict[str, Entry]: ...


Outcome = Literal["cosigned", "already", "failed"]


@dataclass(frozen=True)
class WitnessResult:
    state: str
    witness: str
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class GatherResult:
    """What one round of :func:`gather_cosignatures` achieved."""

    checkpoint_id: int | None
    size: int
    gathered: int
    quorum: int
    witnesses: tuple[WitnessResult, ...] = ()

    @property
    def reached(self) -> bool:
        return self.checkpoint_id is not None and self.gathered >= self.quorum


def gather_cosignatures(
    db: Database,
    node: NodeLogKeys,
    peers: EntrySource | Mapping[str, Entry],
    http_client: httpx.Client,
    *,
    quorum: int,
    witnesses: Collection[str] | None = None,
    now: datetime | None = None,
) -> GatherResult:
    """Gather cosignatures of this node's latest checkpoint from the other States' witnesses
    (only those of ``witnesses``, State codes, if given; a listed State missing from the
    directory is named as failed).

    Witnesses that already cosigned it are not asked again. A witness that fails is named
    in the result with the reason; it does not stop the others. ``gathered`` counts the
    witnesses whose cosignature of this checkpoint is stored."""
    if quorum < 0:
        raise ValueError("the quorum cannot be negative")
    with db.session() as session:
        latest = store.latest_checkpoint(session)
        if latest is None:
            return GatherResult(None, 0, 0, quorum)
        already = set(
            session.execute(
                select(_cosignatures.c.witness).where(_cosignatures.c.checkpoint_id == latest.id)
            ).scalars()
        )
    if latest.origin != node.origin:
        raise WitnessingError(
            f"the latest checkpoint is of {latest.origin[:60]!r}, not {node.origin!r}"
        )
    entries = peers.entries(now) if hasattr(peers, "entries") else peers
    entries = cast(Mapping[str, Entry], entries)

    results: list[WitnessResult] = []
    gathered = 0
    for code in sorted(entries if witnesses is None else witnesses):
        if code == node.state:
            continue
        entry = entries.get(code)
        if entry is None:
            results.append(WitnessResult(code, "", "failed", "not in the directory"))
            continue
        cosigners = witness_verifiers_for_entry(entry, now)
        if not cosigners:
            results.append(WitnessResult(code, "", "failed", "no usable key in its entry"))
            continue
        name = cosigners[0].name
        if name in already:
            gathered += 1
            results.append(WitnessResult(code, name, "already"))
            continue
        url = entry.node.url.rstrip("/") + ADD_CHECKPOINT_PATH
        try:
            _ask_witness(db, latest, name, cosigners, url, http_client)
        except (LedgerError, NoteError, httpx.HTTPError) as exc:
            results.append(WitnessResult(code, name, "failed", _one_line(exc)))
            continue
        gathered += 1
        results.append(WitnessResult(code, name, "cosigned"))
    return GatherResult(latest.id, latest.size, gathered, quorum, tuple(results))


def _ask_witness(
    db: Database,
    latest: store.StoredCheckpoint,
    name: str,
    cosigners: Sequence[CosignatureVerifier],
    url: str,
    http_client: httpx.Client,
) -> None:
    old = _peer_size(db, name)
    for attempt in (1, 2):
        if old > latest.size:
            raise WitnessingError(
                f"{name} holds size {old}, beyond this node's latest checkpoint {latest.size}"
            )
        with db.session() as session:
            proof = store.consistency_proof(session, old, latest.size) if old > 0 else []
        body = make_add_checkpoint_request(old, proof, latest.note)
        status, content_type, answer = _post(http_client, url, body)
        if status == 200:
            _store_cosignature(db, latest, name, cosigners, answer)
            return
        if status == 409 and attempt == 1:
            match = _SIZE_BODY.fullmatch(answer)
            if not content_type.startswith(SIZE_CONTENT_TYPE) or match is None:
                raise WitnessingError(f"{name}: 409 without a {SIZE_CONTENT_TYPE} body")
            told = int(match.group(1))
            _set_peer_size(db, name, told)
            if told == old:
                raise WitnessingError(f"{name}: 409 at size {old} (a split view?)")
            old = told
            continue
        text = answer[:200].decode("utf-8", "replace").strip()
        raise WitnessingError(f"{name}: HTTP {status}: {text}")


def _post(http_client: httpx.Client, url: str, body: bytes) -> tuple[int, str, bytes]:
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    with http_client.stream("POST", url, content=body, headers=headers) as response:
        data = bytearray()
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) > MAX_RESPONSE_BYTES:
                raise WitnessingError(f"{url}: an answer longer than {MAX_RESPONSE_BYTES} bytes")
        return response.status_code, response.headers.get("content-type", ""), bytes(data)


def _store_cosignature(
    db: Database,
    latest: store.StoredCheckpoint,
    name: str,
    cosigners: Sequence[CosignatureVerifier],
    answer: bytes,
) -> None:
    try:
        merged = add_cosignatures(latest.note, answer, cosigners)
    except MalformedWitnessResponse as exc:
        raise WitnessingError(f"{name}: {exc}") from exc
    opened = open_note(merged, cosigners)
    found = cosignatures_of(opened, cosigners)
    lines = [s.line() for s in opened.verified if s.name == name]
    if not found or not lines:
        raise WitnessingError(f"{name}: no cosignature of this checkpoint in the answer")
    with db.session() as session:
        exists = session.execute(
            select(_cosignatures.c.id).where(
                _cosignatures.c.checkpoint_id == latest.id, _cosignatures.c.witness == name
            )
        ).first()
        if exists is None:
            session.execute(
                insert(_cosignatures).values(
                    checkpoint_id=latest.id,
                    size=latest.size,
                    witness=name,
                    line=lines[0],
                    cosigned_at=found[0].timestamp,
                    received_at=utcnow(),
                )
            )
        _upsert_peer(session, name, latest.size)


def _peer_size(db: Database, name: str) -> int:
    with db.session() as session:
        size = session.execute(
            select(_peers.c.last_size).where(_peers.c.witness == name)
        ).scalar_one_or_none()
    return 0 if size is None else int(size)


def _set_peer_size(db: Database, name: str, size: int) -> None:
    with db.session() as session:
        _upsert_peer(session, name, size)


def _upsert_peer(session: Session, name: str, size: int) -> None:
    changed = _rowcount(
        session,
        update(_peers).where(_peers.c.witness == name).values(last_size=size, updated_at=utcnow()),
    )
    if changed == 0:
        session.execute(insert(_peers).values(witness=name, last_size=size, updated_at=utcnow()))


def latest_cosignatures(db: Database) -> list[tuple[str, int, int]]:
    """(witness name, checkpoint size, cosignature time) of each witness's latest
    cosignature of this node's log, by witness name."""
    newest = (
        select(_cosignatures.c.witness, func.max(_cosignatures.c.size).label("size"))
        .group_by(_cosignatures.c.witness)
        .subquery()
    )
    query = (
        select(_cosignatures.c.witness, newest.c.size, func.max(_cosignatures.c.cosigned_at))
        .join(
            newest,
            and_(
                _cosignatures.c.witness == newest.c.witness,
                _cosignatures.c.size == newest.c.size,
            ),
        )
        .group_by(_cosignatures.c.witness, newest.c.size)
        .order_by(_cosignatures.c.witness)
    )
    with db.session() as session:
        return [(str(w), int(size), int(at)) for w, size, at in session.execute(query)]


def _rowcount(session: Session, statement: Update) -> int:
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount)


def _one_line(exc: BaseException) -> str:
    return (" ".join(str(exc).split()) or type(exc).__name__)[:300]


__all__ = [
    "ADD_CHECKPOINT_PATH",
    "MAX_RESPONSE_BYTES",
    "SPLIT_VIEW_ACTION",
    "EntrySource",
    "GatherResult",
    "SplitViewEvidence",
    "WitnessResult",
    "WitnessingError",
    "gather_cosignatures",
    "known_logs",
    "latest_cosignatures",
    "split_views",
    "witness_add_checkpoint",
    "witnessed",
]
